"""Tables of the state DB (SQLAlchemy 2). Alembic migrations in ``migrations/`` create them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out — SQLite forgets the zone otherwise."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the state DB")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class RegionRow(Base):
    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(String(6), index=True)
    slug: Mapped[str | None] = mapped_column(String(96))


class SiteRow(Base):
    __tablename__ = "sites"

    id: Mapped[str] = mapped_column(String(96), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    kind: Mapped[str] = mapped_column(String(32))


class DeviceRow(Base):
    __tablename__ = "devices"

    id: Mapped[str] = mapped_column(String(96), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    site_id: Mapped[str] = mapped_column(String(96))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(64))
    snmp_port: Mapped[int | None] = mapped_column(Integer)
    credential_name: Mapped[str | None] = mapped_column(String(96))


class DeviceStateRow(Base):
    __tablename__ = "device_state"

    device_id: Mapped[str] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(16), default="unknown", index=True)
    vendor: Mapped[str | None] = mapped_column(String(64))
    os: Mapped[str | None] = mapped_column(String(32))
    sys_name: Mapped[str | None] = mapped_column(String(255))
    sys_descr: Mapped[str | None] = mapped_column(Text)
    sys_object_id: Mapped[str | None] = mapped_column(String(255))
    hardware: Mapped[str | None] = mapped_column(String(255))
    version: Mapped[str | None] = mapped_column(String(255))
    serial: Mapped[str | None] = mapped_column(String(255))
    uptime_s: Mapped[float | None] = mapped_column(Float)
    cpu_percent: Mapped[float | None] = mapped_column(Float)
    memory_percent: Mapped[float | None] = mapped_column(Float)
    last_poll_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    poll_duration_s: Mapped[float | None] = mapped_column(Float)


class InterfaceRow(Base):
    __tablename__ = "interfaces"

    device_id: Mapped[str] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    if_index: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(255))
    descr: Mapped[str | None] = mapped_column(String(255))
    alias: Mapped[str | None] = mapped_column(String(255))
    if_type: Mapped[str | None] = mapped_column(String(64))
    speed_bps: Mapped[int | None] = mapped_column(BigInteger)
    admin_status: Mapped[str | None] = mapped_column(String(16))
    oper_status: Mapped[str | None] = mapped_column(String(16))
    in_bps: Mapped[float | None] = mapped_column(Float)
    out_bps: Mapped[float | None] = mapped_column(Float)
    in_errors_per_s: Mapped[float | None] = mapped_column(Float)
    out_errors_per_s: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class LinkRow(Base):
    __tablename__ = "links"

    id: Mapped[str] = mapped_column(String(96), primary_key=True)
    a_device: Mapped[str] = mapped_column(String(96), index=True)
    a_interface: Mapped[str] = mapped_column(String(255))
    b_device: Mapped[str] = mapped_column(String(96), index=True)
    b_interface: Mapped[str] = mapped_column(String(255))
    tier: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16))
    capacity_bps: Mapped[int | None] = mapped_column(BigInteger)


Index("ix_devices_site", DeviceRow.site_id)


# --------------------------------------------------------------------------- SSH (migration 0002)


class SshHostKeyRow(Base):
    """The host key pinned for an SSH endpoint on first use; a different key is refused."""

    __tablename__ = "ssh_host_keys"

    endpoint: Mapped[str] = mapped_column(String(300), primary_key=True)
    """``host:port``."""
    device_id: Mapped[str | None] = mapped_column(String(96), index=True)
    key_type: Mapped[str] = mapped_column(String(64))
    fingerprint_sha256: Mapped[str] = mapped_column(String(128))
    public_key: Mapped[str] = mapped_column(Text)
    """Base64 of the key blob, as in known_hosts."""
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ConfigVersionRow(Base):
    """One version of a device's running configuration: stored only when it changed, scrubbed."""

    __tablename__ = "config_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    device_id: Mapped[str] = mapped_column(String(96))
    collected_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sha256: Mapped[str] = mapped_column(String(64))
    """Of the scrubbed text, which is what is compared between versions."""
    text: Mapped[str] = mapped_column(Text)
    lines: Mapped[int] = mapped_column(Integer)
    lines_added: Mapped[int] = mapped_column(Integer, default=0)
    lines_removed: Mapped[int] = mapped_column(Integer, default=0)
    changed_by: Mapped[str | None] = mapped_column(String(255))
    """Who changed it, where the device says (e.g. IOS's "Last configuration change … by …")."""
    changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    """When it changed, where the device says."""


Index(
    "ix_config_versions_device_collected", ConfigVersionRow.device_id, ConfigVersionRow.collected_at
)


class BackupStatusRow(Base):
    __tablename__ = "backup_status"

    device_id: Mapped[str] = mapped_column(String(96), primary_key=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_failure_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    last_version_id: Mapped[int | None] = mapped_column(Integer)
    last_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    """When the newest version was stored (the last real change seen)."""


class AccountRow(Base):
    """A local account on a device or host, as last collected."""

    __tablename__ = "accounts"

    device_id: Mapped[str] = mapped_column(String(96), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    origin: Mapped[str] = mapped_column(String(64), primary_key=True)
    """Where it was found: ``local-user`` (VRP/Comware), ``username`` (IOS), ``/etc/passwd``…"""
    privilege: Mapped[str | None] = mapped_column(String(64))
    """Device privilege level (0–15, VRP 0–3…) or ``root``/``sudo``/``user`` on hosts."""
    uid: Mapped[int | None] = mapped_column(Integer)
    groups: Mapped[str | None] = mapped_column(Text)
    """JSON list of group names."""
    shell: Mapped[str | None] = mapped_column(String(255))
    sudo: Mapped[str | None] = mapped_column(Text)
    """The sudoers rules that name the account (or one of its groups)."""
    authorized_keys: Mapped[str | None] = mapped_column(Text)
    """JSON list of key fingerprints in the account's authorized_keys."""
    password_type: Mapped[str | None] = mapped_column(String(64))
    """How the password is kept: ``irreversible-cipher``, ``cipher``, ``plaintext``, ``sha512``,
    ``locked``, ``none``… never the password or its hash."""
    password_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    password_max_age_days: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str | None] = mapped_column(String(32))
    """``active``, ``blocked``, ``locked``, ``expired`` where the source says."""
    service_types: Mapped[str | None] = mapped_column(String(255))
    """JSON list: ssh, telnet, terminal, http… (network devices)."""
    collected_at: Mapped[datetime] = mapped_column(UtcDateTime())


class HostUnitRow(Base):
    """A named service (systemd unit, or process where there is no systemd) on a Linux host."""

    __tablename__ = "host_units"

    device_id: Mapped[str] = mapped_column(String(96), primary_key=True)
    unit: Mapped[str] = mapped_column(String(255), primary_key=True)
    state: Mapped[str] = mapped_column(String(32))
    """``active``, ``inactive``, ``failed``, ``running`` (process found), ``absent``."""
    detail: Mapped[str | None] = mapped_column(Text)
    collected_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SshFactsRow(Base):
    """What the CLI says of a device (or host) beyond SNMP: version, model, serial, uptime."""

    __tablename__ = "ssh_facts"

    device_id: Mapped[str] = mapped_column(String(96), primary_key=True)
    hostname: Mapped[str | None] = mapped_column(String(255))
    vendor: Mapped[str | None] = mapped_column(String(64))
    os_version: Mapped[str | None] = mapped_column(String(255))
    model: Mapped[str | None] = mapped_column(String(255))
    serial: Mapped[str | None] = mapped_column(String(255))
    uptime: Mapped[str | None] = mapped_column(String(255))
    facts: Mapped[str | None] = mapped_column(Text)
    """JSON of everything else collected (interfaces, neighbours, load…)."""
    collected_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)


# ------------------------------------------------- users, audit, vault (migration 0003)


class NocUserRow(Base):
    """A person (or a script's owner) who uses the NOC. Passwords are argon2 hashes."""

    __tablename__ = "noc_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    password_hash: Mapped[str] = mapped_column(Text)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    """Set by a reset: the temporary password works once, for changing it."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str | None] = mapped_column(String(64))
    password_changed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    """Failed logins in a row since the last good one."""
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())


class RoleGrantRow(Base):
    """A role held by a user for a region scope (province, city or county code)."""

    __tablename__ = "noc_role_grants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("noc_users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    scope_code: Mapped[str] = mapped_column(String(6))
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    granted_by: Mapped[str | None] = mapped_column(String(64))


Index(
    "uq_noc_role_grants_user_role_scope",
    RoleGrantRow.user_id,
    RoleGrantRow.role,
    RoleGrantRow.scope_code,
    unique=True,
)


class SessionRow(Base):
    """A login: a short-lived access token and a longer refresh token, both kept as SHA-256."""

    __tablename__ = "noc_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("noc_users.id", ondelete="CASCADE"), index=True)
    access_hash: Mapped[str] = mapped_column(String(64), unique=True)
    access_expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    refresh_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    client: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ApiTokenRow(Base):
    """A personal API token for scripts: shown once, kept as SHA-256, revocable, expiring."""

    __tablename__ = "noc_api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("noc_users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(24))
    """The token's first characters, to recognise it in a list (not enough to use it)."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class AuditRecordRow(Base):
    """One record of the audit trail. Append-only; ``hash`` chains it to the record before."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    client: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(300), index=True)
    region_code: Mapped[str | None] = mapped_column(String(6))
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text)
    before: Mapped[str | None] = mapped_column(Text)
    """JSON of the object before the change, where it makes sense."""
    after: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHeadRow(Base):
    """The chain's head (one row): appends lock it, so records get gapless sequence numbers.

    ``anchor_*`` is where the retained chain starts after old records were pruned: verification
    starts from it instead of from the genesis hash."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    last_hash: Mapped[str] = mapped_column(String(64))
    anchor_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    anchor_hash: Mapped[str] = mapped_column(String(64))


class VaultSecretRow(Base):
    """A device credential, encrypted with the vault key (kept in a file outside the DB)."""

    __tablename__ = "vault_secrets"

    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    """``snmp`` or ``ssh``."""
    name: Mapped[str] = mapped_column(String(96), primary_key=True)
    ciphertext: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(String(16))
    """Which key encrypted it (a short fingerprint), so rotation can tell what is left."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AccessReviewRow(Base):
    """A permission review a security officer signed off: the findings then, to diff against."""

    __tablename__ = "access_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    reviewer: Mapped[str] = mapped_column(String(64))
    snapshot: Mapped[str] = mapped_column(Text)
    """JSON: the access review and account findings at that moment."""


# ------------------------------------------------------------------ topology (migration 0004)


class LldpNeighbourRow(Base):
    """A neighbour one device reports over LLDP, as last collected; kept while it is reported.

    One row per (device, source, local port, remote chassis id, remote port id): a neighbour still
    reported keeps its ``first_seen_at``, one no longer reported is deleted.
    """

    __tablename__ = "lldp_neighbours"

    device_id: Mapped[str] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    source: Mapped[str] = mapped_column(String(8), primary_key=True)
    """``snmp`` or ``cli``: each source replaces only its own rows."""
    local_port: Mapped[str] = mapped_column(String(255), primary_key=True)
    remote_chassis_id: Mapped[str] = mapped_column(String(512), primary_key=True)
    remote_port_id: Mapped[str] = mapped_column(String(512), primary_key=True)
    local_if_index: Mapped[int | None] = mapped_column(BigInteger)
    remote_chassis_id_subtype: Mapped[str] = mapped_column(String(32))
    remote_port_id_subtype: Mapped[str] = mapped_column(String(32))
    remote_port_description: Mapped[str | None] = mapped_column(Text)
    remote_system_name: Mapped[str | None] = mapped_column(String(255), index=True)
    remote_system_description: Mapped[str | None] = mapped_column(Text)
    remote_management_address: Mapped[str | None] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
