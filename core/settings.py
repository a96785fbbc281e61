"""Typed settings: defaults, then a TOML file, then ``SSNOC_*`` environment variables.

Later sources win: an environment variable overrides the file, the file overrides the default.
Nested fields use ``__`` in variable names (``SSNOC_POLL__INTERVAL_S=30``). The file is the one
named by ``SSNOC_CONFIG``, else ``./ssnoc.toml`` when it exists. Secrets are ``SecretStr`` and are
masked in ``repr``, logs and ``ssnoc config show``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_serializer
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from core.errors import ConfigError

CONFIG_ENV = "SSNOC_CONFIG"
DEFAULT_CONFIG_FILE = Path("ssnoc.toml")


class PollSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    interval_s: float = Field(default=60.0, gt=0)
    """Seconds between two polls of a device (a device's inventory entry may override it)."""
    timeout_s: float = Field(default=2.0, gt=0)
    """Seconds to wait for one SNMP answer before retrying."""
    retries: int = Field(default=1, ge=0, le=10)
    """Retries after a timeout before the device counts as unreachable for this cycle."""
    concurrency: int = Field(default=64, ge=1, le=4096)
    """Devices polled at the same time by one collector process."""
    max_repetitions: int = Field(default=25, ge=1, le=256)
    """GETBULK max-repetitions."""
    backoff_max_s: float = Field(default=600.0, gt=0)
    """Longest pause between attempts at a device that keeps failing (doubles from the interval)."""
    transport: Literal["gufo", "pysnmp"] = "gufo"
    """The SNMP client for polling: gufo-snmp (fast, Rust core) or pysnmp (complete, slow)."""
    lldp_interval_s: float = Field(default=300.0, gt=0)
    """Seconds between two LLDP collections of the fleet (neighbours change slowly)."""
    lldp_concurrency: int = Field(default=16, ge=1, le=1024)
    """Devices whose LLDP tables are walked at the same time."""
    routing_interval_s: float = Field(default=60.0, gt=0)
    """Seconds between two routing collections (OSPF, BGP, VRRP, addresses) of the fleet."""
    routing_concurrency: int = Field(default=16, ge=1, le=1024)
    """Devices whose routing tables are walked at the same time."""


class SshSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    interval_s: float = Field(default=900.0, gt=0)
    """Seconds between two SSH collections: facts, accounts, host health, and the running
    configuration of network devices (a new version is stored only when it changed)."""
    timeout_s: float = Field(default=20.0, gt=0)
    """Seconds one device or host may take (connect, every command, disconnect)."""
    workers: int = Field(default=16, ge=1, le=256)
    """SSH sessions at the same time (threads: netmiko and paramiko block)."""
    host_units: tuple[str, ...] = (
        "sshd",
        "cron",
        "rsyslog",
        "pension-service",
        "medical-insurance-service",
        "employment-service",
        "civil-affairs-service",
    )
    """Service names whose state is collected on Linux hosts (systemd units, or processes)."""


class RetentionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    raw_days: float = Field(default=7.0, gt=0)
    """Days raw samples are kept."""
    five_minute_days: float = Field(default=90.0, gt=0)
    """Days 5-minute rollups are kept."""
    hourly_days: float = Field(default=730.0, gt=0)
    """Days 1-hour rollups are kept."""


class AuthSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    access_ttl_s: float = Field(default=900.0, gt=0)
    """Seconds an access token from a login is good for (refresh it for another)."""
    refresh_ttl_s: float = Field(default=12 * 3600.0, gt=0)
    """Seconds a login's refresh token is good for: the longest a console stays logged in."""
    api_token_max_days: int = Field(default=365, ge=1, le=3650)
    """Longest life of a personal API token; one is asked for with an expiry up to this."""
    api_token_default_days: int = Field(default=90, ge=1, le=3650)
    """Life of a personal API token when none is asked for."""
    lockout_after: int = Field(default=5, ge=1, le=100)
    """Failed logins in a row that lock an account."""
    lockout_s: float = Field(default=900.0, gt=0)
    """Seconds a locked account stays locked (an admin may unlock it sooner)."""
    login_attempts_per_minute: int = Field(default=10, ge=1, le=10000)
    """Login attempts one client address may make per minute, good or bad."""
    password_min_length: int = Field(default=12, ge=8, le=256)
    """Shortest password accepted for a NOC user."""


class AuditSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    retention_days: int = Field(default=365, ge=180)
    """Days audit records are kept (at least 180); older ones are pruned with an anchor, so the
    rest of the chain still verifies."""


class TopologySettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    refresh_s: float = Field(default=10.0, gt=0)
    """Seconds between two readings of the network's state into the topology: failover states,
    root causes and the views of the console follow it (a reading costs milliseconds)."""


class FleetSettings(BaseModel):
    """The card-terminal fleet: heartbeats, health and rollouts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    """Whether the server keeps the fleet (heartbeats, health, rollouts)."""
    heartbeat_every_s: int = Field(default=60, ge=5, le=3600)
    """How often terminals are told to beat (in every heartbeat reply)."""
    silent_after_s: float = Field(default=300.0, gt=0)
    """An active terminal not heard from for this long counts as silent."""
    flush_every_s: float = Field(default=2.0, gt=0)
    """Seconds between two writes of the terminals' latest status (one transaction each)."""
    health_every_s: float = Field(default=30.0, gt=0)
    """Seconds between two computations of the fleet's health (and its alert facts)."""
    rollouts_every_s: float = Field(default=60.0, gt=0)
    """Seconds between two checks of the running rollouts' gates."""


class ApiSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    """Address the API server listens on (loopback unless you mean otherwise)."""
    port: int = Field(default=8480, ge=1, le=65535)
    """Port the API server listens on."""


class AlertSmtpSettings(BaseModel):
    """The SMTP relay every e-mail channel of the alerting configuration sends through."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str
    """SMTP server name or address."""
    port: int = Field(default=25, ge=1, le=65535)
    """SMTP port (587 with ``starttls`` for most relays)."""
    sender: str
    """The From address of notification mail."""
    starttls: bool = False
    """Upgrade the connection with STARTTLS before anything else (and before login)."""
    ca_file: Path | None = None
    """PEM file of the CA that signed the relay's certificate; default: the system's CAs."""
    username: str | None = None
    """Log in as this user when set."""
    password: SecretStr | None = None
    """The relay password (``SSNOC_ALERTS__SMTP__PASSWORD``); never logged or shown."""
    timeout_s: float = Field(default=30.0, gt=0)
    """Seconds for connecting and for each SMTP command."""
    timezone: str = "Asia/Shanghai"
    """Zone times are shown in, in the mail's text (an IANA name)."""


class AlertSmsGatewaySettings(BaseModel):
    """The HTTP SMS gateway every sms channel of the alerting configuration texts through."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: SecretStr
    """``http(s)://`` URL of the gateway's send API (a secret: gateways put tokens in it)."""
    method: Literal["POST", "PUT", "GET"] = "POST"
    """HTTP method of a send request."""
    body_template: str = '{"to": "{to}", "text": "{text}"}'
    """Request body with ``{to}`` and ``{text}`` placeholders (the query string for GET)."""
    encoding: Literal["json", "form", "raw"] = "json"
    """How the placeholders' values are escaped, and the request's Content-Type."""
    bearer_token: SecretStr | None = None
    """Sent as ``Authorization: Bearer …`` when set; never logged or shown."""
    hmac_secret: SecretStr | None = None
    """Signs each request like the webhooks (``X-Ssnoc-Signature``) when set."""
    timeout_s: float = Field(default=10.0, gt=0)
    """Seconds for connecting, sending and waiting for the gateway's answer, each."""


class AlertSettings(BaseModel):
    """The alert pipeline: rules, where notifications go, and how the channels reach out."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    """Evaluate alert rules in the server (off: no alerts, no notifications)."""
    rules_paths: tuple[Path, ...] | None = None
    """Alert rule files (YAML, alerts/rules.py documents them), all loaded together; default:
    the rule set shipped with ssnoc (alerts/rules/default.yaml). Naming files replaces it."""
    alerting_config_path: Path | None = None
    """Receivers, routes, on-call schedules, escalation policies and planned maintenance (YAML,
    alerts/alerting_config.py documents it). Without one, alerts are evaluated and kept (the
    console and the API show them) but nobody is notified or paged."""
    evaluate_every_s: float = Field(default=10.0, gt=0)
    """Seconds between two evaluations of the rules (and dispatches of notifications)."""
    resolved_retention_days: float = Field(default=30.0, gt=0)
    """Days resolved alerts, expired silences and finished notification deliveries are kept in
    the state DB before they are pruned."""
    webhook_secret: SecretStr | None = None
    """HMAC-SHA256 key signing every webhook request (``SSNOC_ALERTS__WEBHOOK_SECRET``; the
    receivers verify with it, see alerts/notify/signing.py); none: requests go unsigned."""
    webhook_timeout_s: float = Field(default=10.0, gt=0)
    """Seconds a webhook receiver may take to connect, read and answer, each."""
    smtp: AlertSmtpSettings | None = None
    """The SMTP relay for e-mail channels; without it an e-mail channel's deliveries fail
    (visibly, in the notification log)."""
    sms_gateway: AlertSmsGatewaySettings | None = None
    """The SMS gateway for sms channels; without it an sms channel's deliveries fail."""


class TrapV3UserSettings(BaseModel):
    """One SNMPv3 user the trap receiver believes, by the name of its credential."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    credential: str = Field(min_length=1)
    """Name of an SNMPv3 credential of the vault (user, protocols and keys)."""
    engine_ids: tuple[str, ...] = ()
    """Engine IDs (hex) of the agents that send *traps* as this user: v3 trap keys are
    localized to the sender's engine ID."""
    informs: bool = True
    """Accept informs from this user (keyed to the receiver's own engine ID)."""


class TrapSettings(BaseModel):
    """The SNMP trap receiver: traps and informs become alerts (interface down, restarts, …)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False
    """Listen for traps in the server."""
    listen_address: str = "0.0.0.0"  # noqa: S104 - agents send from every network
    """Address to listen on (IPv4 or IPv6)."""
    port: int = Field(default=1162, ge=0, le=65535)
    """UDP port (162, the standard one, needs root or CAP_NET_BIND_SERVICE)."""
    communities: tuple[str, ...] = ()
    """Names of SNMP v2c credentials of the vault whose communities are accepted (v1/v2c);
    a trap with any other community is dropped."""
    v3_users: tuple[TrapV3UserSettings, ...] = ()
    """SNMPv3 users accepted."""
    engine_id: str | None = None
    """The receiver's own engine ID (hex), what inform senders discover; default: made at
    start (then v3 informs must rediscover it after every restart)."""
    rcvbuf_bytes: int = Field(default=4 * 1024 * 1024, ge=64 * 1024)
    """Socket receive buffer: room for a trap storm while the loop is busy."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SSNOC_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    data_dir: Path = Path("var")
    """Where the embedded stores and the lab keep their files."""
    state_db_url: str | None = Field(default=None, repr=False)
    """SQLAlchemy URL of the state DB; default ``sqlite:///<data_dir>/state.db``.
    A PostgreSQL URL (``postgresql+psycopg://…``) selects the deployed store."""
    metric_db_path: Path | None = None
    """The embedded metric store's SQLite file; default ``<data_dir>/metrics.db``."""
    inventory_path: Path | None = None
    """The inventory YAML; default ``<data_dir>/lab/inventory.yaml`` (the simulated province)."""
    credentials_path: Path | None = None
    """The credentials YAML; default ``<data_dir>/lab/credentials.yaml``."""
    account_policy_path: Path | None = None
    """The approved-accounts policy (YAML) the account audit checks devices and hosts against;
    default ``<data_dir>/lab/account-policy.yaml`` (the simulated province's)."""
    vault_key_path: Path | None = None
    """The credentials vault's key file (keep it outside the DB and its backups, mode 0600);
    default ``<data_dir>/vault.key``."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    """Log level of the server process."""
    poll: PollSettings = PollSettings()
    ssh: SshSettings = SshSettings()
    retention: RetentionSettings = RetentionSettings()
    api: ApiSettings = ApiSettings()
    auth: AuthSettings = AuthSettings()
    audit: AuditSettings = AuditSettings()
    topology: TopologySettings = TopologySettings()
    alerts: AlertSettings = AlertSettings()
    traps: TrapSettings = TrapSettings()
    fleet: FleetSettings = FleetSettings()

    @field_serializer("state_db_url")
    def _hide_db_password(self, url: str | None) -> str | None:
        """A PostgreSQL URL may carry the DB password: dumps show it masked."""
        return None if url is None else masked_db_url(url)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = _config_file()
        if config_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)

    @property
    def resolved_state_db_url(self) -> str:
        return self.state_db_url or f"sqlite:///{self.data_dir / 'state.db'}"

    @property
    def resolved_metric_db_path(self) -> Path:
        return self.metric_db_path or self.data_dir / "metrics.db"

    @property
    def resolved_inventory_path(self) -> Path:
        return self.inventory_path or self.data_dir / "lab" / "inventory.yaml"

    @property
    def resolved_account_policy_path(self) -> Path:
        return self.account_policy_path or self.data_dir / "lab" / "account-policy.yaml"

    @property
    def resolved_vault_key_path(self) -> Path:
        return self.vault_key_path or self.data_dir / "vault.key"

    @property
    def resolved_credentials_path(self) -> Path:
        return self.credentials_path or self.data_dir / "lab" / "credentials.yaml"


def masked_db_url(url: str) -> str:
    """``url`` with its password, if any, replaced by ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "***"  # not a URL at all: show nothing of it


def _config_file() -> Path | None:
    named = os.environ.get(CONFIG_ENV)
    if named:
        path = Path(named)
        if not path.is_file():
            raise ConfigError(f"{CONFIG_ENV}={named}: no such file")
        return path
    return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.is_file() else None


def load_settings(**overrides: object) -> Settings:
    """Settings from every source; a bad value raises :class:`ConfigError` naming the field."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"setting '{field}': {first['msg']}") from None
    except ValueError as exc:  # a TOML file that does not parse
        raise ConfigError(f"settings file: {exc}") from None
