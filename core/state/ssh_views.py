"""What the SSH collectors hand to the state DB, and what the state DB answers about them.

Collectors build :class:`LocalAccount`, :class:`HostUnitState` and :class:`SshFacts`; the
repositories store them and answer with the ``Stored*`` / view models, which add the device and
when it was collected. None of them ever holds a password or a password hash: accounts say only
*how* a password is kept (``password_type``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AccountOrigin(StrEnum):
    """Where an account was found."""

    LOCAL_USER = "local-user"  # VRP / Comware `local-user`
    USERNAME = "username"  # IOS / ZTE `username … privilege …`
    LINUX = "/etc/passwd"  # a Linux host


class LocalAccount(_Frozen):
    """A local account on a device or host, as one collection saw it."""

    name: str = Field(min_length=1)
    origin: AccountOrigin
    privilege: str | None = None
    """Device privilege level (IOS 0–15, VRP 0–15, Comware user roles) or on hosts ``root`` (uid
    0), ``sudo`` (a sudoers rule names it or one of its groups) or ``user``."""
    uid: int | None = None
    groups: tuple[str, ...] = ()
    shell: str | None = None
    sudo: tuple[str, ...] = ()
    """The sudoers rules that name the account or one of its groups, as written."""
    authorized_keys: tuple[str, ...] = ()
    """SHA256 fingerprints of the keys in the account's authorized_keys."""
    password_type: str | None = None
    """How the password is kept (``irreversible-cipher``, ``cipher``, ``plaintext``, ``type7``,
    ``scrypt``, ``sha512``, ``yescrypt``, ``locked``, ``none``…), never the password itself."""
    password_changed_at: datetime | None = None
    password_max_age_days: int | None = None
    state: str | None = None
    """``active``, ``blocked``, ``locked``, ``disabled`` where the source says."""
    service_types: tuple[str, ...] = ()
    """ssh, telnet, terminal, http… (network devices)."""


class StoredAccount(LocalAccount):
    """An account as the state DB keeps it: which device, and when it was collected."""

    device_id: str
    collected_at: datetime


class UnitState(StrEnum):
    """State of a named service on a Linux host."""

    ACTIVE = "active"  # systemd says active
    INACTIVE = "inactive"
    FAILED = "failed"
    ACTIVATING = "activating"
    RUNNING = "running"  # no systemd: a process of that name runs
    ABSENT = "absent"  # no systemd and no such process
    UNKNOWN = "unknown"  # systemd answered something else


class HostUnitState(_Frozen):
    unit: str = Field(min_length=1)
    state: UnitState
    detail: str | None = None
    """What the host said (systemctl's word, or the process ids found)."""

    @property
    def healthy(self) -> bool:
        return self.state in (UnitState.ACTIVE, UnitState.RUNNING)


class StoredHostUnit(HostUnitState):
    device_id: str
    collected_at: datetime


class SshFacts(_Frozen):
    """What the CLI of a device (or a host's shell) said about it."""

    hostname: str | None = None
    vendor: str | None = None
    os_version: str | None = None
    model: str | None = None
    serial: str | None = None
    uptime: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    """Everything else collected (interfaces, LLDP neighbours, load, filesystems…), JSON-able."""


class SshFactsView(SshFacts):
    """The last facts of one device, with when they were collected and the last failure."""

    device_id: str
    collected_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None


class PinnedHostKey(_Frozen):
    """The SSH host key trusted for an endpoint since its first connection."""

    endpoint: str
    """``host:port``."""
    device_id: str | None
    key_type: str
    fingerprint_sha256: str
    """``SHA256:…`` as OpenSSH prints it."""
    public_key: str
    """Base64 of the key blob, as in known_hosts."""
    first_seen_at: datetime
    last_seen_at: datetime
