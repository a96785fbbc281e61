"""Accepting terminal heartbeats: microseconds each, no database on the way in.

:meth:`HeartbeatIngest.accept` authenticates the terminal's credential (an in-memory index),
checks the report's ranges, updates the terminal's latest status in memory
(:class:`~card_fleet.fleet_status.FleetStatus`) and answers with the version a rollout wants it on.
Everything that needs the database waits for :meth:`HeartbeatIngest.flush`, run every few seconds:
the changed statuses in one transaction, the first-heartbeat activations and the version changes
through the registry. A failed flush keeps what it could not write for the next one.

The terminal id comes from the credential, never from the body: a terminal cannot beat for
another.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Protocol

from card_fleet.credentials import CredentialRefused
from card_fleet.fleet_status import FleetStatus, StatusStore
from card_fleet.model import HEARTBEAT_STATES, HeartbeatReply, PsamStatus, TerminalState
from core.clock import Clock
from core.errors import NocError, StoreError

log = logging.getLogger(__name__)


class AuthenticatedTerminal(Protocol):
    """Who a valid credential belongs to."""

    @property
    def id(self) -> str: ...
    @property
    def county(self) -> str: ...
    @property
    def city(self) -> str: ...
    @property
    def state(self) -> TerminalState: ...


class TerminalCredentials(Protocol):
    """Checks terminal credentials (``card_fleet.credentials.CredentialIndex``)."""

    def authenticate(self, token: str) -> AuthenticatedTerminal:
        """The terminal the token belongs to; AuthenticationFailed when unknown or revoked."""
        ...


class HeartbeatActivation(Protocol):
    """What heartbeats change in the registry (``card_fleet.registry.SqlTerminalRegistry``)."""

    def activate_on_first_heartbeat(self, terminal_id: str, now: datetime) -> object:
        """Move a provisioned terminal to active."""
        ...

    def record_versions(self, changes: Mapping[str, tuple[str, str]], now: datetime) -> object:
        """Note the (firmware, parameter) versions terminals now report."""
        ...


class RolloutTargets(Protocol):
    """Which versions a rollout wants a terminal on (None: no opinion)."""

    def target_for(self, terminal_id: str, county: str, city: str) -> tuple[str | None, str | None]:
        """(target firmware, target parameter version) for the terminal."""
        ...


class NoTargets:
    """No rollout running: every terminal keeps what it runs."""

    def target_for(self, terminal_id: str, county: str, city: str) -> tuple[str | None, str | None]:
        return None, None


_COUNT_LIMITS = (
    ("card_reads", 100_000),
    ("card_read_failures", 100_000),
    ("uptime_s", 20 * 366 * 86_400),
    ("free_storage_mb", 100_000_000),
    ("unsent_transactions", 10_000_000),
)
"""Upper bounds past which a figure is a bug or a forgery, not a terminal (a reader does not read
100,000 cards between two beats, nor run 20 years without a restart)."""
_VERSION_FIELDS = ("firmware_version", "parameter_version", "blacklist_version")
_VERSION_MAX_LENGTH = 64  # the width of the version columns


@dataclass(frozen=True, slots=True)
class HeartbeatReport:
    """What a terminal says in a heartbeat, as it arrives (no id, no time: those are ours)."""

    reader_present: bool
    card_reads: int
    """Successful card reads since the previous heartbeat."""
    card_read_failures: int
    """Failed card reads since the previous heartbeat."""
    psam_status: PsamStatus
    firmware_version: str
    parameter_version: str
    blacklist_version: str
    uptime_s: int
    free_storage_mb: int
    unsent_transactions: int

    def check(self) -> None:
        """Raise ValueError, naming the field, when a figure is of the wrong type or absurd."""
        if type(self.reader_present) is not bool:
            raise ValueError("reader_present: must be true or false")
        for name, upper in _COUNT_LIMITS:
            value = getattr(self, name)
            if type(value) is not int:
                raise ValueError(f"{name}: must be a whole number")
            if not 0 <= value <= upper:
                raise ValueError(f"{name}: {value} is outside 0..{upper}")
        if not isinstance(self.psam_status, PsamStatus):
            raise ValueError("psam_status: must be one of ok, missing, error")
        for name in _VERSION_FIELDS:
            value = getattr(self, name)
            if type(value) is not str or not 0 < len(value) <= _VERSION_MAX_LENGTH:
                raise ValueError(f"{name}: must be text of 1..{_VERSION_MAX_LENGTH} characters")
            if not value.isprintable():
                raise ValueError(f"{name}: must hold printable characters only")

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> HeartbeatReport:
        """A report from a decoded JSON body; ValueError names a missing, unknown or bad field.

        Types are not coerced (``"12"`` is not 12): :meth:`check` refuses them."""
        names = [field.name for field in fields(cls)]
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise ValueError(f"{unknown[0]}: not a heartbeat field")
        missing = [name for name in names if name not in data]
        if missing:
            raise ValueError(f"{missing[0]}: missing")
        values = dict(data)
        try:
            values["psam_status"] = PsamStatus(str(data["psam_status"]))
        except ValueError:
            raise ValueError("psam_status: must be one of ok, missing, error") from None
        report = cls(**values)  # type: ignore[arg-type]
        report.check()
        return report


@dataclass(frozen=True, slots=True)
class FlushReport:
    """What one flush wrote, and what it kept for the next."""

    at: datetime
    statuses_written: int
    activated: tuple[str, ...]
    """Terminals moved provisioned → active by their first heartbeat."""
    versions_recorded: int
    """Terminals whose new versions went to the registry."""
    dropped: tuple[str, ...]
    """Changes the registry refused for good (e.g. a terminal suspended before its activation
    was written), as messages; they are not retried."""
    errors: tuple[str, ...]
    """Store failures; what they concern is kept and retried by the next flush."""
    pending: int
    """Changes waiting after this flush (statuses, activations, version changes)."""

    @property
    def ok(self) -> bool:
        """Whether everything was written."""
        return not self.errors


class _NoStatusStore:
    """Statuses kept in memory only (tests, a lab without a state DB)."""

    def save(self, rows: object) -> None:
        return None

    def load(self) -> list[dict[str, object]]:
        return []


class HeartbeatIngest:
    """Takes heartbeats in; writes what they change behind, in batches."""

    def __init__(
        self,
        credentials: TerminalCredentials,
        activation: HeartbeatActivation,
        targets: RolloutTargets,
        clock: Clock,
        *,
        next_heartbeat_s: int = 60,
        status: FleetStatus | None = None,
        store: StatusStore | None = None,
    ) -> None:
        """``status`` is the shared latest-status map (a new empty one by default); ``store``
        keeps it across restarts (without one, statuses live in memory only)."""
        self._credentials = credentials
        self._activation = activation
        self._targets = targets
        self._clock = clock
        self._next_heartbeat_s = next_heartbeat_s
        # An empty map is falsy (it has a length): test for None, or a shared map is replaced.
        self.status = status if status is not None else FleetStatus()
        self._store: StatusStore = store if store is not None else _NoStatusStore()
        self._lock = threading.Lock()
        self._activations: set[str] = set()
        self._activated: set[str] = set()
        self._versions: dict[str, tuple[str, str]] = {}
        self.accepted = 0
        """Heartbeats accepted since the start (approximate under threads)."""

    def restore(self) -> int:
        """Read the stored statuses back into memory (on a start); returns how many."""
        return self.status.restore(self._store.load())

    def accept(self, token: str, report: HeartbeatReport) -> HeartbeatReply:
        """Take one heartbeat in and answer it.

        Raises AuthenticationFailed (an unknown or revoked credential, or a terminal whose
        state does not beat, e.g. suspended) or ValueError naming a bad figure."""
        return self.accept_from(self._credentials.authenticate(token), report)

    def accept_from(
        self, terminal: AuthenticatedTerminal, report: HeartbeatReport
    ) -> HeartbeatReply:
        """:meth:`accept` for a terminal whose credential the caller has just checked (the API
        checks it before reading the body: the credential is not hashed twice per beat)."""
        if terminal.state not in HEARTBEAT_STATES:  # the index says so too; this guards others
            raise CredentialRefused(terminal.id, f"the terminal is {terminal.state}")
        report.check()
        terminal_id = terminal.id
        before = self.status.record(
            terminal_id, terminal.county, terminal.city, report, self._clock.now()
        )
        versions = (report.firmware_version, report.parameter_version)
        first_beat = terminal.state is TerminalState.PROVISIONED
        if before != versions or (first_beat and terminal_id not in self._activated):
            with self._lock:
                if before != versions:
                    self._versions[terminal_id] = versions
                if first_beat and terminal_id not in self._activated:
                    self._activations.add(terminal_id)
        self.accepted += 1
        firmware, parameter = self._targets.target_for(terminal_id, terminal.county, terminal.city)
        return HeartbeatReply(
            target_firmware_version=firmware if firmware != versions[0] else None,
            target_parameter_version=parameter if parameter != versions[1] else None,
            next_heartbeat_s=self._next_heartbeat_s,
        )

    @property
    def pending(self) -> int:
        """Changes waiting for the next flush."""
        return self.status.dirty_count + len(self._activations) + len(self._versions)

    def flush(self, now: datetime) -> FlushReport:
        """Write what changed since the last flush; a store failure keeps it for the next."""
        errors: list[str] = []
        dropped: list[str] = []
        rows = self.status.take_changes()
        try:
            self._store.save(rows)
            written = len(rows)
        except StoreError as exc:
            self.status.mark_dirty(row["terminal_id"] for row in rows)
            errors.append(str(exc))
            written = 0
        with self._lock:
            activations, self._activations = self._activations, set()
            versions, self._versions = self._versions, {}
        activated = self._activate(sorted(activations), now, errors, dropped)
        recorded = self._record_versions(versions, now, errors, dropped)
        report = FlushReport(
            at=now,
            statuses_written=written,
            activated=tuple(activated),
            versions_recorded=recorded,
            dropped=tuple(dropped),
            errors=tuple(errors),
            pending=self.pending,
        )
        if errors:
            log.warning("heartbeat flush kept %d changes for later: %s", report.pending, errors)
        return report

    def _activate(
        self, terminal_ids: list[str], now: datetime, errors: list[str], dropped: list[str]
    ) -> list[str]:
        activated = []
        for terminal_id in terminal_ids:
            try:
                self._activation.activate_on_first_heartbeat(terminal_id, now)
            except StoreError as exc:
                with self._lock:
                    self._activations.add(terminal_id)
                errors.append(f"activating {terminal_id}: {exc}")
                continue
            except NocError as exc:  # refused for good (state moved on meanwhile)
                dropped.append(f"activating {terminal_id}: {exc}")
            else:
                activated.append(terminal_id)
            self._activated.add(terminal_id)
        return activated

    def _record_versions(
        self,
        versions: dict[str, tuple[str, str]],
        now: datetime,
        errors: list[str],
        dropped: list[str],
    ) -> int:
        if not versions:
            return 0
        try:
            self._activation.record_versions(versions, now)
        except StoreError as exc:
            with self._lock:
                for terminal_id, change in versions.items():
                    self._versions.setdefault(terminal_id, change)  # a newer report wins
            errors.append(f"recording versions of {len(versions)} terminals: {exc}")
            return 0
        except NocError as exc:
            dropped.append(f"recording versions of {len(versions)} terminals: {exc}")
            return 0
        return len(versions)
