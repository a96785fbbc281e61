"""One simulated terminal: what it reports in a heartbeat, and how it takes a new version.

Card reads follow the terminal's kind and the local time of day (China Standard Time: offices
open on weekdays, hospitals and pharmacies into the evening), fail now and then — often, on a
reader with dirty contacts — and each read queues a transaction for the business system. While
its county is cut off a terminal keeps reading cards and its queue grows; once the county is back
the queue drains over a few minutes. Counts are "since the last accepted heartbeat": a beat the
API did not accept leaves them to the next one.

A heartbeat reply may name a target firmware or parameter version: the terminal fetches and
installs it after a delay (a firmware reboots it: its uptime starts again). A firmware the lab
marks bad leaves a seeded share of the terminals that take it dead — they never beat again; a
terminal with stuck firmware reboots and comes back on its old version.

The JSON shapes on the wire (:class:`HeartbeatBody`, :class:`BeatReply`) are the API's
``POST /api/v1/terminals/heartbeat``, written down here because the lab does not import card_fleet.
"""

from __future__ import annotations

import math
import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypedDict

from lab.seeded import seeded_rng
from lab.terminals.faults import TerminalFault
from lab.terminals.fleet import LabTerminal, LabTerminalKind

CHINA_STANDARD_TIME = timedelta(hours=8)
"""UTC+8 all year (no daylight saving): when the province's offices open."""
_MAX_ACCOUNTED = timedelta(days=1)
"""A longer gap (a laptop asleep) is not turned into a day's worth of reads at once."""

_READS_PER_MIN: dict[LabTerminalKind, float] = {
    LabTerminalKind.KIOSK: 0.8,
    LabTerminalKind.COUNTER: 1.5,
    LabTerminalKind.HOSPITAL: 3.0,
    LabTerminalKind.PHARMACY: 1.2,
}
"""Card reads a minute in busy hours."""
_DRAIN_PER_MIN = 500
"""Queued transactions uploaded a minute once the county is back."""
_MB_PER_QUEUED_TRANSACTION = 0.02


class PsamState(StrEnum):
    """``psam_status`` in a heartbeat."""

    OK = "ok"
    MISSING = "missing"
    ERROR = "error"


class HeartbeatBody(TypedDict):
    """The JSON body of ``POST /api/v1/terminals/heartbeat``."""

    reader_present: bool
    card_reads: int
    card_read_failures: int
    psam_status: str
    firmware_version: str
    parameter_version: str
    blacklist_version: str
    uptime_s: int
    free_storage_mb: int
    unsent_transactions: int


@dataclass(frozen=True, slots=True)
class BeatReply:
    """The API's answer to an accepted heartbeat."""

    target_firmware_version: str | None
    target_parameter_version: str | None
    next_heartbeat_s: int

    @classmethod
    def parse(cls, document: object) -> BeatReply:
        """The reply in ``document`` (decoded JSON); ValueError when it is not one."""
        if not isinstance(document, Mapping):
            raise ValueError("the heartbeat reply is not a JSON object")
        next_s = document.get("next_heartbeat_s")
        if isinstance(next_s, bool) or not isinstance(next_s, int) or next_s < 1:
            raise ValueError("next_heartbeat_s is not a positive whole number of seconds")
        targets = [document.get(k) for k in ("target_firmware_version", "target_parameter_version")]
        if not all(t is None or (isinstance(t, str) and t) for t in targets):
            raise ValueError("a target version is neither null nor a version string")
        return cls(targets[0], targets[1], next_s)


class Install(StrEnum):
    """What came of one install."""

    FIRMWARE = "firmware"
    PARAMETER = "parameter"
    FIRMWARE_ROLLED_BACK = "firmware_rolled_back"
    """Stuck firmware: rebooted, and came back on the old version."""
    BRICKED = "bricked"
    """A bad firmware: the terminal never came back."""


@dataclass(frozen=True, slots=True)
class InstallPolicy:
    """How terminals take new versions in the lab."""

    firmware_delay_s: float = 90.0
    """Download and reboot, on average; each terminal takes 0.5-1.5 times this."""
    parameter_delay_s: float = 10.0
    bad_firmware_versions: frozenset[str] = frozenset()
    """Firmware the lab marks bad (a rollout to test the NOC's wave gating on)."""
    bad_firmware_failure_share: float = 0.25
    """Share of the terminals taking a bad firmware that never come back."""


@dataclass(frozen=True, slots=True)
class _Pending:
    kind: Install
    version: str
    ready_at: datetime


class StopReason(StrEnum):
    UNAUTHORIZED = "unauthorized"
    """The API answered 401: its credential is unknown or revoked."""
    BRICKED = "bricked"


@dataclass(slots=True)
class SimulatedTerminal:
    """A terminal's running state in the simulator."""

    terminal: LabTerminal
    fault: TerminalFault | None
    rng: random.Random
    booted_at: datetime
    accounted_until: datetime
    firmware_version: str
    parameter_version: str
    failure_rate: float
    free_storage_base_mb: int
    bad_luck: float
    """Fixed per terminal: below the policy's share, a bad firmware kills it."""
    card_reads: int = 0
    card_read_failures: int = 0
    queued: int = 0
    pending: list[_Pending] = field(default_factory=list)
    online: bool = True
    """Whether its county reached the cores when it was last accounted for."""
    stopped: StopReason | None = None
    consecutive_failures: int = 0

    @classmethod
    def start(
        cls, terminal: LabTerminal, fault: TerminalFault | None, seed: int, now: datetime
    ) -> SimulatedTerminal:
        rng = seeded_rng(seed, "terminal-run", terminal.id)
        dirty = fault is TerminalFault.DIRTY_CONTACTS
        return cls(
            terminal=terminal,
            fault=fault,
            rng=rng,
            booted_at=now - timedelta(seconds=rng.uniform(3_600, 30 * 86_400)),
            accounted_until=now,
            firmware_version=terminal.firmware_version,
            parameter_version=terminal.parameter_version,
            failure_rate=rng.uniform(0.2, 0.45) if dirty else rng.uniform(0.002, 0.02),
            free_storage_base_mb=rng.randint(1_500, 7_500),
            bad_luck=rng.random(),
            queued=rng.randint(200, 800) if fault is TerminalFault.UNSENT_PILING_UP else 0,
        )

    def jittered(self, seconds: float, share: float) -> float:
        """``seconds`` give or take ``share`` of it, so a fleet does not beat in lockstep."""
        return max(0.0, seconds * (1.0 + self.rng.uniform(-share, share)))

    def account(self, now: datetime, online: bool) -> None:
        """Card reads and transactions from the last accounting up to ``now``.

        A period that began or ended cut off counts as cut off: the terminal learns that its
        county is back only now, so its first heartbeat after an outage still shows the queue.
        """
        elapsed = min(now - self.accounted_until, _MAX_ACCOUNTED)
        self.accounted_until = now
        online, self.online = online and self.online, online
        if elapsed <= timedelta(0):
            return
        minutes = elapsed.total_seconds() / 60.0
        reads = 0
        if self.fault is not TerminalFault.READER_UNPLUGGED:
            busy = activity_factor(self.terminal.kind, now)
            attempts = _poisson(self.rng, _READS_PER_MIN[self.terminal.kind] * busy * minutes)
            failures = _binomial(self.rng, attempts, self.failure_rate)
            reads = attempts - failures
            self.card_reads += reads
            self.card_read_failures += failures
        if self.fault is TerminalFault.UNSENT_PILING_UP:
            self.queued += reads + self.rng.randint(1, 5)
        elif online:
            self.queued = max(0, self.queued - int(_DRAIN_PER_MIN * minutes))
        else:
            self.queued += reads

    def heartbeat(self, now: datetime) -> HeartbeatBody:
        """The body of a heartbeat sent now (its county reaches the API)."""
        self.account(now, online=True)
        in_flight = self.rng.randint(0, 2) if self.card_reads else 0
        free_mb = self.free_storage_base_mb - self.queued * _MB_PER_QUEUED_TRANSACTION
        unplugged = self.fault is TerminalFault.READER_UNPLUGGED
        return {
            "reader_present": not unplugged,
            "card_reads": self.card_reads,
            "card_read_failures": self.card_read_failures,
            "psam_status": (
                PsamState.MISSING if self.fault is TerminalFault.PSAM_MISSING else PsamState.OK
            ).value,
            "firmware_version": self.firmware_version,
            "parameter_version": self.parameter_version,
            "blacklist_version": self.terminal.blacklist_version,
            "uptime_s": max(0, int((now - self.booted_at).total_seconds())),
            "free_storage_mb": max(0, int(free_mb)),
            "unsent_transactions": self.queued + in_flight,
        }

    def accepted(self, reply: BeatReply | None, now: datetime, policy: InstallPolicy) -> None:
        """The API took the last heartbeat: counts start again; fetch any target version."""
        self.card_reads = 0
        self.card_read_failures = 0
        self.consecutive_failures = 0
        if reply is None:
            return
        # A stuck firmware is fetched again after every failed reboot, as long as it is asked for.
        firmware, parameters = reply.target_firmware_version, reply.target_parameter_version
        self._want(Install.FIRMWARE, firmware, self.firmware_version, now, policy.firmware_delay_s)
        self._want(
            Install.PARAMETER, parameters, self.parameter_version, now, policy.parameter_delay_s
        )

    def apply_installs(self, now: datetime, policy: InstallPolicy) -> list[Install]:
        """Finish the installs whose time has come; what came of each."""
        done = [p for p in self.pending if p.ready_at <= now]
        self.pending = [p for p in self.pending if p.ready_at > now]
        outcomes: list[Install] = []
        for install in done:
            if install.kind is Install.PARAMETER:
                self.parameter_version = install.version
                outcomes.append(Install.PARAMETER)
                continue
            self.booted_at = install.ready_at
            bad = install.version in policy.bad_firmware_versions
            if bad and self.bad_luck < policy.bad_firmware_failure_share:
                self.stopped = StopReason.BRICKED
                self.pending = []
                outcomes.append(Install.BRICKED)
                break
            if self.fault is TerminalFault.STUCK_FIRMWARE:
                outcomes.append(Install.FIRMWARE_ROLLED_BACK)
                continue
            self.firmware_version = install.version
            outcomes.append(Install.FIRMWARE)
        return outcomes

    def _want(
        self, kind: Install, target: str | None, current: str, now: datetime, delay_s: float
    ) -> None:
        waiting = next((p for p in self.pending if p.kind is kind), None)
        if target is None or (waiting is not None and waiting.version == target):
            return
        if waiting is not None:  # the rollout changed its mind (rolled back) before we installed
            self.pending.remove(waiting)
        if target == current:
            return
        ready_at = now + timedelta(seconds=delay_s * self.rng.uniform(0.5, 1.5))
        self.pending.append(_Pending(kind, target, ready_at))


def start_terminals(
    fleet: Sequence[LabTerminal],
    faults: Mapping[str, TerminalFault],
    seed: int,
    now: datetime,
    only: Collection[str] | None = None,
) -> list[SimulatedTerminal]:
    """Running state for the fleet's terminals (those in ``only``, when given)."""
    return [
        SimulatedTerminal.start(terminal, faults.get(terminal.id), seed, now)
        for terminal in fleet
        if only is None or terminal.id in only
    ]


def activity_factor(kind: LabTerminalKind, now: datetime) -> float:
    """How busy a terminal of ``kind`` is at ``now`` (1.0 at its busiest hours)."""
    local = now + CHINA_STANDARD_TIME
    hour = local.hour + local.minute / 60.0
    weekday = local.weekday() < 5
    if kind in (LabTerminalKind.KIOSK, LabTerminalKind.COUNTER):
        if weekday and 8.5 <= hour < 17.5:
            return 1.0
        # Kiosks stand in 24-hour self-service lobbies; counters close with the office.
        return 0.05 if kind is LabTerminalKind.KIOSK else 0.0
    if kind is LabTerminalKind.HOSPITAL:
        return 1.0 if 7.5 <= hour < 22.0 else 0.25  # emergency departments read cards at night
    return 1.0 if 8.0 <= hour < 22.0 else 0.05


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean >= 30:  # the normal approximation is close, and Knuth's loop would be long
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _binomial(rng: random.Random, trials: int, p: float) -> int:
    if trials < 64:
        return sum(1 for _ in range(trials) if rng.random() < p)
    spread = math.sqrt(trials * p * (1.0 - p))
    return min(trials, max(0, round(rng.gauss(trials * p, spread))))
