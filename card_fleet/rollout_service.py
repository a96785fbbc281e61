"""Runs staged rollouts: creates, starts, gates, pauses, resumes and rolls them back; persists every
change with who and why; answers heartbeats' "what should I run?" from memory.

One service per process holds the rollouts and their members in memory, and writes each change
through its :class:`RolloutStore` before it takes effect, so a failed write changes nothing. The
composition root calls :meth:`RolloutService.evaluate` every minute or so with the clock's time;
:meth:`RolloutService.target_for` is read by heartbeat handling at thousands of calls a second.
The planning and the gates themselves are pure functions in :mod:`card_fleet.rollouts`.
"""

from __future__ import annotations

import builtins
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from card_fleet.errors import FleetError
from card_fleet.model import TerminalState
from card_fleet.rollout_targets import TargetIndex
from card_fleet.rollouts import (
    GateFigures,
    PlacedTerminal,
    Rollout,
    RolloutMember,
    RolloutPlan,
    RolloutState,
    TerminalHealth,
    WaveOutcome,
    WaveRecord,
    choose_wave,
    in_regions,
    judge_wave,
    regions_overlap,
    version_of,
)
from core.errors import NocError, NotFound
from core.events import Event, EventBus

log = logging.getLogger(__name__)
SYSTEM = "system"
"""Who made a change the gates decided."""
_S = RolloutState


class RolloutChange(StrEnum):
    CREATED = "created"
    STARTED = "started"
    WAVE_OPENED = "wave_opened"
    GATE_PASSED = "gate_passed"
    HALTED = "halted"
    COMPLETED = "completed"
    PAUSED = "paused"
    RESUMED = "resumed"
    ROLLED_BACK = "rolled_back"


_C = RolloutChange


@dataclass(frozen=True, slots=True)
class RolloutChanged(Event):
    """Something happened to a rollout: who (``system`` for the gates) and why, in words."""

    rollout_id: str
    change: RolloutChange
    by: str
    message: str
    wave: int | None = None
    figures: GateFigures | None = None
    """The gate's figures, for ``gate_passed`` and ``halted``."""


class RolloutPopulation(Protocol):
    """The terminals waves may take (:class:`~card_fleet.registry.SqlTerminalRegistry` is one)."""

    def list(self, *, state: TerminalState | None = None) -> Sequence[PlacedTerminal]:
        """The terminals in ``state``: waves take active ones, whose heartbeats fetch targets."""
        ...


class RolloutHealthSource(Protocol):
    """Terminals' latest figures, for gates (:class:`~card_fleet.fleet_status.FleetStatus`)."""

    def get(self, terminal_id: str, now: datetime) -> TerminalHealth | None:
        """The terminal's latest figures as of ``now``; None if it never reported."""
        ...


class RolloutStore(Protocol):
    """Where rollouts persist (:class:`~card_fleet.rollout_store.SqlRolloutStore`)."""

    def load_rollouts(self) -> list[Rollout]:
        """Every rollout."""
        ...

    def load_members(self) -> dict[str, list[RolloutMember]]:
        """Every rollout's members, by rollout id."""
        ...

    def save(
        self, rollout: Rollout, changes: Sequence[RolloutChanged], members: Sequence[RolloutMember]
    ) -> None:
        """The rollout as it now stands, its new members and what happened: all or nothing."""
        ...

    def history(self, rollout_id: str) -> list[RolloutChanged]:
        """What happened to a rollout, oldest first."""
        ...


class RolloutService:
    """The rollouts of one process: every change persisted first, then applied and published."""

    def __init__(
        self,
        store: RolloutStore,
        population: RolloutPopulation,
        health: RolloutHealthSource,
        bus: EventBus | None = None,
    ) -> None:
        self._store = store
        self._population = population
        self._health = health
        self._bus = bus
        self._lock = threading.Lock()
        self._index = TargetIndex()
        self._rollouts: dict[str, Rollout] = {}
        self._members: dict[str, dict[str, RolloutMember]] = {}
        self.reload()

    def reload(self) -> None:
        """Read every rollout and member back from the store (at start, or after another
        process changed them)."""
        with self._lock:
            self._rollouts = {rollout.id: rollout for rollout in self._store.load_rollouts()}
            self._members = {
                rollout_id: {member.terminal_id: member for member in members}
                for rollout_id, members in self._store.load_members().items()
            }
            self._index.rebuild(self._rollouts.values(), self._members)

    def target_for(self, terminal_id: str, county: str, city: str) -> tuple[str | None, str | None]:
        """(firmware, parameter) the terminal should run now; None where no rollout says."""
        return self._index.target_for(terminal_id, county, city)

    def get(self, rollout_id: str) -> Rollout:
        """The rollout, or :class:`~core.errors.NotFound`."""
        try:
            return self._rollouts[rollout_id]
        except KeyError:
            raise NotFound(f"no rollout {rollout_id}") from None

    def list(self) -> builtins.list[Rollout]:
        """Every rollout, oldest first."""
        return sorted(self._rollouts.values(), key=lambda rollout: (rollout.created_at, rollout.id))

    def members(self, rollout_id: str) -> builtins.list[RolloutMember]:
        """The terminals the rollout's waves took, by wave."""
        self.get(rollout_id)
        found = self._members.get(rollout_id, {}).values()
        return sorted(found, key=lambda member: (member.wave, member.terminal_id))

    def history(self, rollout_id: str) -> builtins.list[RolloutChanged]:
        """What happened to the rollout, who did it and why, oldest first."""
        self.get(rollout_id)
        return self._store.history(rollout_id)

    def create(self, plan: RolloutPlan, by: str, now: datetime) -> Rollout:
        """A new rollout, in draft: nothing moves until it is started."""
        with self._lock:
            numbers = [int(rid[3:]) for rid in self._rollouts if rid[3:].isdigit()]
            rollout = Rollout(f"RO-{max(numbers, default=0) + 1:04d}", plan, _S.DRAFT, by, now, now)
            where = ", ".join(sorted(plan.regions)) or "the whole fleet"
            steps = len(plan.planned_waves())
            text = f"{plan.component} {plan.target_version} for {where} in {steps} waves"
            self._commit(rollout, [RolloutChanged(now, rollout.id, _C.CREATED, by, text)])
            return rollout

    def start(self, rollout_id: str, by: str, now: datetime) -> Rollout:
        """Start a draft: its first wave (the pilot, if any) opens at once."""
        with self._lock:
            rollout = self._expect(rollout_id, "start", _S.DRAFT)
            self._refuse_overlap(rollout)
            population = list(self._population.list(state=TerminalState.ACTIVE))
            self._refuse_absent_pilot(rollout, population)
            rollout = replace(rollout, state=_S.RUNNING, started_at=now, updated_at=now)
            started = RolloutChanged(now, rollout.id, _C.STARTED, by, f"started by {by}")
            rollout, opened, members = self._open_wave(rollout, population, by, now)
            self._commit(rollout, [started, opened], members)
            return rollout

    def evaluate(self, now: datetime) -> builtins.list[RolloutChanged]:
        """Judge the gates that are due, then open the next waves, complete or halt. A rollout
        whose evaluation fails is logged and left as it was; the others go on."""
        decisions: list[RolloutChanged] = []
        with self._lock:
            for rollout in self.list():
                if rollout.state is not _S.RUNNING:
                    continue
                try:
                    decisions.extend(self._advance(rollout, now))
                except NocError as exc:
                    log.warning(
                        "rollout %s: evaluation failed, left as it was: %s", rollout.id, exc
                    )
        return decisions

    def pause(self, rollout_id: str, by: str, reason: str, now: datetime) -> Rollout:
        """No further wave opens (moved terminals keep their target) until resumed."""
        with self._lock:
            rollout = self._expect(rollout_id, "be paused", _S.RUNNING)
            return self._by_person(rollout, _S.PAUSED, _C.PAUSED, by, reason, now)

    def resume(self, rollout_id: str, by: str, reason: str, now: datetime) -> Rollout:
        """Run a paused rollout again; or a halted one, which overrides its failed gate."""
        with self._lock:
            rollout = self._expect(rollout_id, "be resumed", _S.PAUSED, _S.HALTED)
            if rollout.state is _S.HALTED and reason.strip():
                last = replace(rollout.waves[-1], outcome=WaveOutcome.OVERRIDDEN)
                rollout = replace(rollout, waves=(*rollout.waves[:-1], last))
                reason = f"{reason} (overriding the failed gate of wave {last.index})"
            return self._by_person(rollout, _S.RUNNING, _C.RESUMED, by, reason, now)

    def roll_back(self, rollout_id: str, by: str, reason: str, now: datetime) -> Rollout:
        """Point every terminal the rollout moved back to the version it ran before."""
        with self._lock:
            rollout = self._expect(
                rollout_id, "be rolled back", _S.RUNNING, _S.PAUSED, _S.HALTED, _S.COMPLETED
            )
            return self._by_person(rollout, _S.ROLLED_BACK, _C.ROLLED_BACK, by, reason, now)

    def _advance(self, rollout: Rollout, now: datetime) -> builtins.list[RolloutChanged]:
        steps = rollout.plan.planned_waves()
        soak = timedelta(seconds=rollout.plan.gate.soak_s)
        changes: list[RolloutChanged] = []
        new_members: list[RolloutMember] = []
        population: list[PlacedTerminal] | None = None
        while rollout.state is _S.RUNNING:
            wave = rollout.waves[-1]
            if wave.outcome is None:
                if wave.terminal_count and now < wave.opened_at + soak:
                    break
                rollout, judged = self._judge(rollout, wave, now)
                changes.append(judged)
            elif wave.index + 1 >= len(steps):
                rollout = replace(rollout, state=_S.COMPLETED, finished_at=now, updated_at=now)
                moved = len(self._members.get(rollout.id, {}))
                text = f"completed: every wave passed its gate, {moved} terminals moved"
                changes.append(RolloutChanged(now, rollout.id, _C.COMPLETED, SYSTEM, text))
            else:
                if population is None:
                    population = list(self._population.list(state=TerminalState.ACTIVE))
                rollout, opened, members = self._open_wave(rollout, population, SYSTEM, now)
                changes.append(opened)
                new_members.extend(members)
        if changes:
            self._commit(rollout, changes, new_members)
        return changes

    def _judge(
        self, rollout: Rollout, wave: WaveRecord, now: datetime
    ) -> tuple[Rollout, RolloutChanged]:
        members = [m for m in self._members.get(rollout.id, {}).values() if m.wave == wave.index]
        health = self._health_of([m.terminal_id for m in members], now)
        figures = judge_wave(rollout.plan, wave, members, health, now)
        outcome = WaveOutcome.PASSED if figures.passed else WaveOutcome.FAILED
        judged = replace(wave, outcome=outcome, judged_at=now, figures=figures)
        rollout = replace(rollout, waves=(*rollout.waves[:-1], judged), updated_at=now)
        text = f"wave {wave.index} ({wave.label}) {outcome} its gate: {figures.summary()}"
        if figures.passed:
            change = _C.GATE_PASSED
        else:
            change, text = _C.HALTED, f"halted: {text}"
            rollout = replace(rollout, state=_S.HALTED, reason=text)
        return rollout, RolloutChanged(now, rollout.id, change, SYSTEM, text, wave.index, figures)

    def _open_wave(
        self, rollout: Rollout, population: Sequence[PlacedTerminal], by: str, now: datetime
    ) -> tuple[Rollout, RolloutChanged, builtins.list[RolloutMember]]:
        plan, index = rollout.plan, len(rollout.waves)
        step = plan.planned_waves()[index]
        chosen = choose_wave(rollout.id, plan, step, population, self._members.get(rollout.id, {}))
        health = self._health_of(chosen, now)
        members = [
            _admit(plan, terminal_id, index, health.get(terminal_id)) for terminal_id in chosen
        ]
        rollout = replace(
            rollout,
            waves=(*rollout.waves, WaveRecord(index, step.label, now, len(members))),
            updated_at=now,
        )
        text = (
            f"wave {index} ({step.label}) opened: {len(members)} terminals to "
            f"{plan.component} {plan.target_version}"
        )
        return (
            rollout,
            RolloutChanged(now, rollout.id, _C.WAVE_OPENED, by, text, index),
            members,
        )

    def _by_person(
        self,
        rollout: Rollout,
        state: RolloutState,
        change: RolloutChange,
        by: str,
        reason: str,
        now: datetime,
    ) -> Rollout:
        if not reason.strip():
            raise FleetError(f"rollout {rollout.id}: say why it is {change.replace('_', ' ')}")
        text = f"{change.replace('_', ' ')} by {by}: {reason}"
        if state is _S.ROLLED_BACK:
            members = self._members.get(rollout.id, {}).values()
            unknown = sum(1 for member in members if member.previous_version is None)
            text += f" ({len(members)} terminals pointed back to their previous version"
            text += f", {unknown} of them unknown: left as they are)" if unknown else ")"
        rollout = replace(
            rollout,
            state=state,
            reason=None if state is _S.RUNNING else text,
            updated_at=now,
            finished_at=now if state is _S.ROLLED_BACK else rollout.finished_at,
        )
        self._commit(rollout, [RolloutChanged(now, rollout.id, change, by, text)])
        return rollout

    def _health_of(self, terminal_ids: Sequence[str], now: datetime) -> dict[str, TerminalHealth]:
        found = ((tid, self._health.get(tid, now)) for tid in terminal_ids)
        return {terminal_id: health for terminal_id, health in found if health is not None}

    def _expect(self, rollout_id: str, action: str, *states: RolloutState) -> Rollout:
        rollout = self.get(rollout_id)
        if rollout.state not in states:
            allowed = " or ".join(states)
            raise FleetError(
                f"rollout {rollout_id} is {rollout.state}: it may {action} only when {allowed}"
            )
        return rollout

    def _refuse_overlap(self, rollout: Rollout) -> None:
        for other in self._rollouts.values():
            if (
                other.state in (_S.RUNNING, _S.PAUSED)
                and other.plan.component is rollout.plan.component
                and regions_overlap(other.plan.regions, rollout.plan.regions)
            ):
                raise FleetError(
                    f"rollout {other.id} ({other.state}) already moves the "
                    f"{rollout.plan.component} of terminals in this scope: "
                    "let it finish, or roll it back, first"
                )

    def _refuse_absent_pilot(self, rollout: Rollout, population: Sequence[PlacedTerminal]) -> None:
        plan = rollout.plan
        present = {t.id for t in population if in_regions(plan.regions, t.county, t.city)}
        absent = sorted(set(plan.pilot_terminal_ids) - present)
        if absent:
            listed = ", ".join(absent)
            raise FleetError(f"rollout {rollout.id}: pilot terminals not active in scope: {listed}")

    def _commit(
        self,
        rollout: Rollout,
        changes: Sequence[RolloutChanged],
        members: Sequence[RolloutMember] = (),
    ) -> None:
        self._store.save(rollout, changes, members)
        # New dicts, never changed in place: readers outside the lock iterate the old ones.
        self._rollouts = {**self._rollouts, rollout.id: rollout}
        if members:
            known = {**self._members.get(rollout.id, {}), **{m.terminal_id: m for m in members}}
            self._members = {**self._members, rollout.id: known}
        if rollout.state is not _S.DRAFT:
            self._index.rebuild(self._rollouts.values(), self._members)
        if self._bus is not None:
            for change in changes:
                self._bus.publish(change)


def _admit(
    plan: RolloutPlan, terminal_id: str, wave: int, health: TerminalHealth | None
) -> RolloutMember:
    """A wave's new member, with the version it runs and its reading figures as they are now."""
    if health is None:
        return RolloutMember(terminal_id, wave, plan.previous_version, 0, 0)
    running = version_of(health, plan.component)
    previous = running if running and running != plan.target_version else plan.previous_version
    return RolloutMember(terminal_id, wave, previous, health.window_reads, health.window_failures)
