"""What one SSH collection of one device or host gives back: always a result, never a raise."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from collectors.ssh.command_sets import command_set
from collectors.ssh.host_key_policy import HostKeyRefused
from collectors.ssh.target import SshTarget
from core.errors import (
    ConfigError,
    CredentialError,
    DeviceAuthError,
    DeviceError,
    DeviceTimeout,
    DeviceUnreachable,
    MalformedResponse,
)
from core.metrics.store import Sample
from core.model import Platform
from core.neighbours import LldpNeighbour
from core.state.host_keys import HostKeyVerdict
from core.state.ssh_views import HostUnitState, LocalAccount, SshFacts

if TYPE_CHECKING:
    from collectors.ssh.device_facts import DeviceReading
    from collectors.ssh.host_reading import HostReading
    from collectors.ssh.netmiko_session import DeviceSessionOutput


class FailureKind(StrEnum):
    """Why a collection failed, for people and for alert rules."""

    HOST_KEY = "host_key"  # the server's key is not the pinned one: refused
    AUTH = "auth"  # credentials (or enable) refused
    TIMEOUT = "timeout"  # no (complete) answer within the target's timeout
    UNREACHABLE = "unreachable"  # refused, no route, closed on us
    MALFORMED = "malformed"  # answered, but not as the platform should (prompt, banner)
    CONFIG = "config"  # ssnoc's side: missing credential, unreadable key, unknown command
    INTERNAL = "internal"  # a bug in ssnoc


def failure_kind(error: BaseException) -> FailureKind:
    if isinstance(error, HostKeyRefused):
        return FailureKind.HOST_KEY
    if isinstance(error, DeviceAuthError):
        return FailureKind.AUTH
    if isinstance(error, DeviceTimeout):
        return FailureKind.TIMEOUT
    if isinstance(error, DeviceUnreachable):
        return FailureKind.UNREACHABLE
    if isinstance(error, MalformedResponse):
        return FailureKind.MALFORMED
    if isinstance(error, DeviceError):
        return FailureKind.UNREACHABLE
    if isinstance(error, CredentialError | ConfigError):
        return FailureKind.CONFIG
    return FailureKind.INTERNAL


@dataclass(frozen=True)
class SshCollectResult:
    device_id: str
    endpoint: str
    platform: Platform
    collected_at: datetime
    duration_s: float
    facts: SshFacts | None = None
    """None when the session never logged in."""
    accounts: tuple[LocalAccount, ...] = ()
    accounts_complete: bool = False
    """True when every source of accounts answered: only then may stored accounts be replaced."""
    running_config: str | None = None
    command_errors: dict[str, str] = field(default_factory=dict)
    """Per command (or host check) that failed while the others worked."""
    error: str | None = None
    """Why the collection as a whole failed (or broke off), in one line."""
    failure: FailureKind | None = None
    exception: DeviceError | None = None
    """The device error behind ``error``, for callers that re-raise (config backup)."""
    host_key: HostKeyVerdict | None = None
    samples: tuple[Sample, ...] = ()
    """Linux hosts: health as metric samples."""
    units: tuple[HostUnitState, ...] = ()
    """Linux hosts: the named services' states."""
    neighbours: tuple[LldpNeighbour, ...] | None = None
    """Network devices: the LLDP neighbours the CLI listed (source CLI). None when the command
    was not run, refused or unreadable — then the stored neighbours must stay; empty when the
    device hears none."""

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def logged_in(self) -> bool:
        return self.facts is not None

    # ------------------------------------------------------------------ builders

    @classmethod
    def failed(
        cls,
        target: SshTarget,
        at: datetime,
        duration_s: float,
        error: BaseException,
        *,
        reason: str | None = None,
    ) -> SshCollectResult:
        text = reason or (error.reason if isinstance(error, DeviceError) else str(error))
        return cls(
            device_id=target.device_id,
            endpoint=target.endpoint,
            platform=target.platform,
            collected_at=at,
            duration_s=duration_s,
            error=text,
            failure=failure_kind(error),
            exception=error if isinstance(error, DeviceError) else None,
            host_key=HostKeyVerdict.CHANGED if isinstance(error, HostKeyRefused) else None,
        )

    @classmethod
    def from_device(
        cls,
        target: SshTarget,
        at: datetime,
        duration_s: float,
        output: DeviceSessionOutput,
        reading: DeviceReading,
    ) -> SshCollectResult:
        failure = output.failure
        sources = {source.command for source in command_set(target.platform).accounts}
        answered = {key for key in output.outputs if key not in reading.command_errors}
        return cls(
            device_id=target.device_id,
            endpoint=target.endpoint,
            platform=target.platform,
            collected_at=at,
            duration_s=duration_s,
            facts=reading.facts,
            accounts=tuple(reading.accounts),
            accounts_complete=bool(sources) and sources <= answered,
            running_config=reading.running_config,
            command_errors=reading.command_errors,
            neighbours=tuple(reading.neighbours) if reading.neighbours is not None else None,
            error=failure.reason if failure else None,
            failure=failure_kind(failure) if failure else None,
            exception=failure,
            host_key=(
                HostKeyVerdict.CHANGED if isinstance(failure, HostKeyRefused) else output.host_key
            ),
        )

    @classmethod
    def from_host(
        cls, target: SshTarget, at: datetime, duration_s: float, reading: HostReading
    ) -> SshCollectResult:
        return cls(
            device_id=target.device_id,
            endpoint=target.endpoint,
            platform=target.platform,
            collected_at=at,
            duration_s=duration_s,
            facts=reading.facts,
            accounts=tuple(reading.accounts),
            accounts_complete=reading.accounts_complete,
            command_errors=dict(reading.problems),
            samples=tuple(reading.health.samples(target.device_id, at.timestamp())),
            units=reading.health.units,
            host_key=reading.host_key,
        )

    # ------------------------------------------------------------------ output

    def to_json(self, *, include_config: bool = False) -> dict[str, Any]:
        """What was collected, for people and scripts; never a secret (accounts carry only how a
        password is kept, the configuration is left out unless asked for)."""
        data: dict[str, Any] = {
            "device": self.device_id,
            "endpoint": self.endpoint,
            "platform": self.platform.value,
            "ok": self.ok,
            "error": self.error,
            "failure": self.failure.value if self.failure else None,
            "collected_at": self.collected_at.isoformat(),
            "duration_s": round(self.duration_s, 3),
            "host_key": self.host_key.value if self.host_key else None,
            "facts": self.facts.model_dump(mode="json") if self.facts else None,
            "accounts": [a.model_dump(mode="json", exclude_defaults=True) for a in self.accounts],
            "command_errors": self.command_errors,
            "running_config_lines": (
                len(self.running_config.splitlines()) if self.running_config else None
            ),
        }
        if self.neighbours is not None:
            data["lldp_neighbours"] = [
                n.model_dump(mode="json", exclude={"device_id", "source"}, exclude_none=True)
                for n in self.neighbours
            ]
        if self.units:
            data["units"] = [u.model_dump(mode="json") for u in self.units]
        if self.samples:
            data["metrics"] = [
                {"series": str(s.key), "value": round(s.value, 3)} for s in self.samples
            ]
        if include_config:
            data["running_config"] = self.running_config
        return data
