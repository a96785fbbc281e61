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

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_serializer
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


class ApiSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    """Address the API server listens on (loopback unless you mean otherwise)."""
    port: int = Field(default=8480, ge=1, le=65535)
    """Port the API server listens on."""


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
