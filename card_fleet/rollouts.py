"""Staged rollouts of terminal firmware and parameter versions: the model, wave planning, gates.

A rollout moves the terminals of a scope (the province, or some cities and counties) to
``target_version`` in waves: an optional pilot group, then cumulative percentages ("10 %, 50 %,
100 %"), each of which may be limited to some regions. ::

    draft ──start──▶ running ──every wave's gate passed──▶ completed
                      │   ▲
               pause  │   │ resume                 running ──a gate failed──▶ halted
                      ▼   │                        halted ──resume (a person overrides)──▶ running
                     paused
    running | paused | halted | completed ──roll back──▶ rolled_back

Before the next wave opens, the last one's gate is judged once its soak time has passed: enough
of its terminals came back on the target version, their read-failure rate is not much worse than
before they moved, and few report PSAM failures. A failed gate halts the rollout and says why in
figures.

Which terminals a wave takes follows one order per rollout: a stable hash of rollout id and
terminal id, spread evenly over counties, so the same population always gives the same waves and
each cumulative wave extends the one before. A wave's members are frozen when it opens (with the
version each ran then, for a roll back). Pure: no I/O, no clock; ``now`` comes from the caller.
:mod:`card_fleet.rollout_service` keeps the state and persists it.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from card_fleet.errors import FleetError
from card_fleet.model import PsamStatus


class RolloutComponent(StrEnum):
    """What a rollout changes on the terminals."""

    FIRMWARE = "firmware"
    PARAMETER = "parameter"


class RolloutState(StrEnum):
    DRAFT = "draft"
    RUNNING = "running"
    PAUSED = "paused"
    HALTED = "halted"
    """A wave failed its gate: no further wave opens; moved terminals stay on the new version."""
    COMPLETED = "completed"
    ROLLED_BACK = "rolled_back"
    """Every moved terminal's target is its previous version again."""


TARGETING_STATES = frozenset(RolloutState) - {RolloutState.DRAFT}
"""States in which a rollout tells its terminals what to run."""


class WaveOutcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    OVERRIDDEN = "overridden"
    """The gate failed, and a person resumed the rollout anyway."""


@dataclass(frozen=True, slots=True)
class GatePolicy:
    """When a wave is healthy enough for the next one to open."""

    soak_s: int = 3600
    """How long after a wave opens its gate is judged."""
    min_back_pct: float = 95.0
    """Share of the wave's terminals that must be online again on the target version."""
    max_failure_rate_increase_points: float = 2.0
    """How many percentage points their read-failure rate may rise over its level before."""
    max_psam_failures: int = 0
    """How many of the wave's terminals may report a PSAM that is missing or in error."""
    online_within_s: int = 600
    """A terminal counts as online when its last heartbeat is at most this old."""


@dataclass(frozen=True, slots=True)
class WaveSpec:
    """A wave after the pilot: this share of the terminals in ``regions`` runs the target."""

    percent: float
    """Cumulative: 50 after 10 moves 40 % more; 100 takes everything still left."""
    regions: frozenset[str] = frozenset()
    """Division codes (province, cities, counties) the wave is limited to; empty: the scope."""


@dataclass(frozen=True, slots=True)
class PlannedWave:
    """One step of a plan, in order: the pilot (``percent`` None) or a :class:`WaveSpec`."""

    label: str
    percent: float | None
    regions: frozenset[str]


@dataclass(frozen=True, slots=True)
class RolloutPlan:
    """What a rollout moves, where, in which waves, and how each wave is judged."""

    component: RolloutComponent
    target_version: str
    previous_version: str | None = None
    """What a roll back returns a terminal to when its own version before the move is unknown."""
    regions: frozenset[str] = frozenset()
    """Division codes of the scope (cities, counties, the province); empty: every terminal."""
    pilot_terminal_ids: tuple[str, ...] = ()
    """The pilot group, by hand; or leave empty and give ``pilot_size``."""
    pilot_size: int = 0
    """How many terminals the pilot takes, picked in the rollout's order."""
    waves: tuple[WaveSpec, ...] = (WaveSpec(10.0), WaveSpec(50.0), WaveSpec(100.0))
    gate: GatePolicy = field(default_factory=GatePolicy)

    def __post_init__(self) -> None:
        problems = []
        if not self.target_version.strip():
            problems.append("the target version is empty")
        if self.previous_version == self.target_version:
            problems.append("the previous version is the target version")
        if self.pilot_size < 0 or (self.pilot_size and self.pilot_terminal_ids):
            problems.append("give the pilot either as terminal ids or as a size (≥ 0)")
        if any(not 0 < wave.percent <= 100 for wave in self.waves):
            problems.append("every wave's percent must be in (0, 100]")
        if not self.waves and not self.pilot_terminal_ids and not self.pilot_size:
            problems.append("a rollout needs a pilot or at least one wave")
        gate = self.gate
        if gate.soak_s <= 0 or gate.online_within_s <= 0 or gate.max_psam_failures < 0:
            problems.append("soak and online times must be > 0 and PSAM failures ≥ 0")
        if not 0 <= gate.min_back_pct <= 100 or gate.max_failure_rate_increase_points < 0:
            problems.append("the share back must be in [0, 100] and the failure increase ≥ 0")
        if problems:
            raise FleetError("rollout plan refused: " + "; ".join(problems))

    def planned_waves(self) -> tuple[PlannedWave, ...]:
        """Every step in order: index 0 is the pilot when there is one."""
        pilot = self.pilot_terminal_ids or self.pilot_size
        steps = [PlannedWave("pilot", None, frozenset())] if pilot else []
        for wave in self.waves:
            where = f" of {', '.join(sorted(wave.regions))}" if wave.regions else ""
            steps.append(PlannedWave(f"{wave.percent:g} %{where}", wave.percent, wave.regions))
        return tuple(steps)


@dataclass(frozen=True, slots=True)
class GateFigures:
    """How a wave fared at its gate; ``reasons`` says each failed criterion in figures."""

    terminals: int
    came_back: int
    came_back_pct: float
    failure_rate_before_pct: float
    """Read failures / read attempts of the terminals that came back, before they moved."""
    failure_rate_after_pct: float
    psam_failures: int
    passed: bool
    reasons: tuple[str, ...] = ()

    def summary(self) -> str:
        """The figures in one line, failed criteria first."""
        figures = (
            f"{self.came_back} of {self.terminals} back ({self.came_back_pct:.1f} %), read "
            f"failures {self.failure_rate_after_pct:.1f} % against "
            f"{self.failure_rate_before_pct:.1f} % before, {self.psam_failures} PSAM failures"
        )
        return "; ".join((*self.reasons, figures))


@dataclass(frozen=True, slots=True)
class WaveRecord:
    """A wave that has opened, and its gate once judged."""

    index: int
    label: str
    opened_at: datetime
    terminal_count: int
    outcome: WaveOutcome | None = None
    judged_at: datetime | None = None
    figures: GateFigures | None = None


@dataclass(frozen=True, slots=True)
class Rollout:
    """A rollout as it stands; its members are kept beside it (there may be thousands)."""

    id: str
    plan: RolloutPlan
    state: RolloutState
    created_by: str
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    reason: str | None = None
    """Why it is paused, halted or rolled back."""
    waves: tuple[WaveRecord, ...] = ()
    """The waves opened so far, in order."""


@dataclass(frozen=True, slots=True)
class RolloutMember:
    """A terminal a wave took, with what it ran and how it read cards before it moved."""

    terminal_id: str
    wave: int
    previous_version: str | None
    baseline_reads: int
    baseline_failures: int


class PlacedTerminal(Protocol):
    """A terminal where it stands (:class:`~card_fleet.model.Terminal` is one)."""

    @property
    def id(self) -> str: ...
    @property
    def county(self) -> str: ...
    @property
    def city(self) -> str: ...


class TerminalHealth(Protocol):
    """A terminal's latest heartbeat figures (``card_fleet.fleet_status.TerminalStatus`` is one)."""

    @property
    def firmware_version(self) -> str: ...
    @property
    def parameter_version(self) -> str: ...
    @property
    def last_seen_at(self) -> datetime: ...
    @property
    def window_reads(self) -> int:
        """Successful card reads within the status's rolling window."""
        ...

    @property
    def window_failures(self) -> int: ...
    @property
    def psam_status(self) -> PsamStatus: ...


def in_regions(regions: frozenset[str], county: str, city: str) -> bool:
    """Whether a terminal of ``county`` in ``city`` lies in ``regions`` (empty: everywhere)."""
    if not regions:
        return True
    return county in regions or city in regions or f"{city[:2]}0000" in regions


def regions_overlap(first: frozenset[str], second: frozenset[str]) -> bool:
    """Whether two scopes (sets of division codes, empty for everything) share a terminal."""
    if not first or not second:
        return True

    def covers(wide: str, narrow: str) -> bool:
        # GB/T 2260: a province ends in 0000, a city in 00, and both prefix what lies within.
        prefix = wide[:2] if wide.endswith("0000") else wide[:4] if wide.endswith("00") else wide
        return narrow.startswith(prefix)

    return any(covers(a, b) or covers(b, a) for a in first for b in second)


def stable_key(rollout_id: str, terminal_id: str) -> int:
    """A number from rollout and terminal ids that is the same on every run and every machine."""
    digest = hashlib.blake2b(f"{rollout_id}\0{terminal_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def rollout_order(rollout_id: str, terminals: Iterable[PlacedTerminal]) -> list[str]:
    """Terminal ids in the order waves take them: hashed within each county, counties interleaved
    by their rank's share, so every county gets its share of each wave."""
    by_county: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for terminal in terminals:
        by_county[terminal.county].append((stable_key(rollout_id, terminal.id), terminal.id))
    keyed: list[tuple[float, int, str]] = []
    for ranked in by_county.values():
        ranked.sort()
        keyed.extend(
            ((rank + 0.5) / len(ranked), key, tid) for rank, (key, tid) in enumerate(ranked)
        )
    keyed.sort()
    return [terminal_id for _, _, terminal_id in keyed]


def choose_wave(
    rollout_id: str,
    plan: RolloutPlan,
    wave: PlannedWave,
    population: Sequence[PlacedTerminal],
    members: Collection[str],
) -> list[str]:
    """The terminals ``wave`` takes now, besides ``members`` (those earlier waves took)."""
    eligible = [
        terminal
        for terminal in population
        if in_regions(plan.regions, terminal.county, terminal.city)
        and in_regions(wave.regions, terminal.county, terminal.city)
    ]
    if wave.percent is None and plan.pilot_terminal_ids:
        present = {terminal.id for terminal in eligible}
        return [tid for tid in plan.pilot_terminal_ids if tid in present and tid not in members]
    fresh = [tid for tid in rollout_order(rollout_id, eligible) if tid not in members]
    if wave.percent is None:
        return fresh[: plan.pilot_size]
    # Rounded first so that 10 % of 1,000 is 100, not 101 from a float's last bit.
    wanted = math.ceil(round(wave.percent * len(eligible) / 100, 6))
    already = len(eligible) - len(fresh)
    return fresh[: max(0, wanted - already)]


def version_of(health: TerminalHealth, component: RolloutComponent) -> str:
    """The version of ``component`` a terminal last reported."""
    if component is RolloutComponent.FIRMWARE:
        return health.firmware_version
    return health.parameter_version


def failure_rate_pct(reads: int, failures: int) -> float:
    """Failed reads as a share of read attempts, in percent (0 with no attempts)."""
    attempts = reads + failures
    return 100.0 * failures / attempts if attempts else 0.0


def judge_wave(
    plan: RolloutPlan,
    wave: WaveRecord,
    members: Sequence[RolloutMember],
    health: Mapping[str, TerminalHealth],
    now: datetime,
) -> GateFigures:
    """The gate of ``wave``: did its terminals come back on the target, reading as well as before
    and with their PSAMs? Only heartbeats since the wave opened count."""
    gate = plan.gate
    back: list[RolloutMember] = []
    reads = failures = psam_failures = 0
    for member in members:
        latest = health.get(member.terminal_id)
        if latest is None or latest.last_seen_at < wave.opened_at:
            continue
        if latest.psam_status != PsamStatus.OK:
            psam_failures += 1
        online = (now - latest.last_seen_at).total_seconds() <= gate.online_within_s
        if online and version_of(latest, plan.component) == plan.target_version:
            back.append(member)
            reads += latest.window_reads
            failures += latest.window_failures
    back_pct = 100.0 * len(back) / len(members) if members else 100.0
    before = failure_rate_pct(
        sum(m.baseline_reads for m in back), sum(m.baseline_failures for m in back)
    )
    after = failure_rate_pct(reads, failures)
    reasons = []
    if back_pct < gate.min_back_pct:
        reasons.append(
            f"{len(back)} of {len(members)} terminals came back on {plan.component} "
            f"{plan.target_version} ({back_pct:.1f} % < {gate.min_back_pct:g} %)"
        )
    if after - before > gate.max_failure_rate_increase_points:
        reasons.append(
            f"read failures {after:.1f} % against {before:.1f} % before (+{after - before:.1f} "
            f"points > {gate.max_failure_rate_increase_points:g})"
        )
    if psam_failures > gate.max_psam_failures:
        reasons.append(
            f"{psam_failures} terminals report PSAM failures (> {gate.max_psam_failures})"
        )
    return GateFigures(
        terminals=len(members),
        came_back=len(back),
        came_back_pct=back_pct,
        failure_rate_before_pct=before,
        failure_rate_after_pct=after,
        psam_failures=psam_failures,
        passed=not reasons,
        reasons=tuple(reasons),
    )
