"""Rollouts as timelines on a fake clock: terminals beat every 5 minutes into the real fleet
status, fetch their target from the service and run it from the next beat; the gates open the
waves, halt on terminals that do not come back or read worse, pause and roll back by a person."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pytest

from card_fleet.errors import FleetError
from card_fleet.fleet_status import FleetStatus
from card_fleet.heartbeats import HeartbeatReport
from card_fleet.model import PsamStatus, TerminalState
from card_fleet.rollout_service import (
    SYSTEM,
    RolloutChange,
    RolloutChanged,
    RolloutService,
    RolloutStore,
)
from card_fleet.rollouts import (
    GatePolicy,
    Rollout,
    RolloutComponent,
    RolloutMember,
    RolloutPlan,
    RolloutState,
    WaveOutcome,
    WaveSpec,
)
from core.clock import FakeClock
from core.errors import NotFound, StoreError
from core.events import Event, EventBus
from tests.unit.card_fleet.test_rollouts import T0, Placed, fleet

BEAT_S = 300
PLAN = RolloutPlan(
    RolloutComponent.FIRMWARE, "2.0", previous_version="1.0", pilot_size=6, gate=GatePolicy()
)


@dataclass
class SimulatedFleet:
    """Terminals that beat, report the firmware they run, and install the target they are given."""

    terminals: list[Placed]
    status: FleetStatus = field(default_factory=FleetStatus)
    running: dict[str, str] = field(default_factory=dict)
    silent: set[str] = field(default_factory=set)
    """Never beat (their county's link is down)."""
    stuck: set[str] = field(default_factory=set)
    """Beat, but never install anything."""
    failures_on: dict[str, int] = field(default_factory=dict)
    """Read failures per 100 attempts on a firmware (1 otherwise)."""
    psam_error_on: str | None = None

    def list(self, *, state: TerminalState | None = None) -> list[Placed]:
        assert state is TerminalState.ACTIVE  # the population the service asks for
        return list(self.terminals)

    def beat(self, clock: FakeClock, service: RolloutService) -> None:
        for terminal in self.terminals:
            if terminal.id in self.silent:
                continue
            firmware = self.running.setdefault(terminal.id, "1.0")
            failures = self.failures_on.get(firmware, 1)
            psam = PsamStatus.ERROR if firmware == self.psam_error_on else PsamStatus.OK
            report = HeartbeatReport(
                True, 100 - failures, failures, psam, firmware, "P1", "B1", 3600, 500, 0
            )
            self.status.record(terminal.id, terminal.county, terminal.city, report, clock.now())
            target, _ = service.target_for(terminal.id, terminal.county, terminal.city)
            if target is not None and terminal.id not in self.stuck:
                self.running[terminal.id] = target


class MemoryStore:
    """A RolloutStore in memory (the SQL one is tested on its own)."""

    def __init__(self) -> None:
        self.rollouts: dict[str, Rollout] = {}
        self.members: dict[str, list[RolloutMember]] = {}
        self.events: list[RolloutChanged] = []
        self.fail_next_save = False

    def load_rollouts(self) -> list[Rollout]:
        return list(self.rollouts.values())

    def load_members(self) -> dict[str, list[RolloutMember]]:
        return {key: list(value) for key, value in self.members.items()}

    def save(
        self, rollout: Rollout, changes: Sequence[RolloutChanged], members: Sequence[RolloutMember]
    ) -> None:
        if self.fail_next_save:
            self.fail_next_save = False
            raise StoreError("rollout store: saving failed: disk I/O error")
        self.rollouts[rollout.id] = rollout
        self.members.setdefault(rollout.id, []).extend(members)
        self.events.extend(changes)

    def history(self, rollout_id: str) -> list[RolloutChanged]:
        return [event for event in self.events if event.rollout_id == rollout_id]


@dataclass
class Timeline:
    clock: FakeClock
    sim: SimulatedFleet
    service: RolloutService
    decisions: list[RolloutChanged] = field(default_factory=list)

    def run(self, minutes: int) -> list[RolloutChanged]:
        """Beat and evaluate every 5 minutes for ``minutes``; the decisions taken meanwhile."""
        taken: list[RolloutChanged] = []
        for _ in range(minutes * 60 // BEAT_S):
            self.clock.advance(BEAT_S)
            self.sim.beat(self.clock, self.service)
            taken.extend(self.service.evaluate(self.clock.now()))
        self.decisions.extend(taken)
        return taken

    def start(self, plan: RolloutPlan = PLAN) -> str:
        rollout = self.service.create(plan, "alice", self.clock.now())
        self.service.start(rollout.id, "alice", self.clock.now())
        return rollout.id


def timeline(
    terminals: Iterable[Placed] | None = None, store: RolloutStore | None = None
) -> Timeline:
    clock = FakeClock(T0)
    sim = SimulatedFleet(list(terminals or fleet(100)))
    service = RolloutService(store or MemoryStore(), sim, sim.status)
    tl = Timeline(clock, sim, service)
    tl.run(60)  # an hour of old-firmware figures: the baseline
    return tl


def kinds(decisions: Iterable[RolloutChanged]) -> list[str]:
    return [f"{d.change}:{d.wave}" if d.wave is not None else str(d.change) for d in decisions]


def test_a_healthy_rollout_opens_each_wave_after_its_gate_and_completes() -> None:
    tl = timeline()
    rollout_id = tl.start()
    assert tl.service.get(rollout_id).state is RolloutState.RUNNING
    assert len(tl.service.members(rollout_id)) == 6  # the pilot opened at once
    assert kinds(tl.run(55)) == []  # soaking
    assert kinds(tl.run(5)) == ["gate_passed:0", "wave_opened:1"]
    assert kinds(tl.run(60)) == ["gate_passed:1", "wave_opened:2"]
    assert kinds(tl.run(120)) == ["gate_passed:2", "wave_opened:3", "gate_passed:3", "completed"]
    rollout = tl.service.get(rollout_id)
    assert rollout.state is RolloutState.COMPLETED
    assert [w.terminal_count for w in rollout.waves] == [6, 54, 240, 300]
    assert all(w.outcome is WaveOutcome.PASSED for w in rollout.waves)
    assert set(tl.sim.running.values()) == {"2.0"}
    gate = tl.decisions[0]
    assert gate.by == SYSTEM
    assert gate.figures is not None
    assert gate.figures.came_back == 6
    assert "wave 0 (pilot) passed its gate: 6 of 6 back (100.0 %)" in gate.message


def test_a_wave_whose_terminals_do_not_come_back_halts_the_rollout_with_figures() -> None:
    tl = timeline()
    rollout_id = tl.start()
    tl.run(60)  # the pilot passes; 10 % opens
    tl.sim.silent = {t.id for t in tl.sim.terminals if t.county == "440105"}  # its link is down
    tl.run(60)
    rollout = tl.service.get(rollout_id)
    assert rollout.state is RolloutState.HALTED
    halted = tl.decisions[-1]
    assert halted.change is RolloutChange.HALTED
    assert halted.wave == 1
    assert rollout.reason == halted.message
    assert (
        "halted: wave 1 (10 %) failed its gate: 45 of 54 terminals came back on firmware 2.0 "
        in (halted.message)
    )
    assert "(83.3 % < 95 %)" in halted.message
    assert halted.figures is not None
    assert halted.figures.came_back == 45
    assert tl.run(240) == []  # no further wave opens
    assert len(tl.service.get(rollout_id).waves) == 2
    moved = [
        m.terminal_id for m in tl.service.members(rollout_id) if m.terminal_id[1:7] != "440105"
    ]
    assert {tl.sim.running[tid] for tid in moved} == {"2.0"}  # moved terminals keep the new one
    assert tl.service.target_for(moved[0], "", "") == ("2.0", None)


def test_a_firmware_that_reads_worse_halts_at_its_pilot() -> None:
    tl = timeline()
    tl.sim.failures_on["2.0"] = 8
    rollout_id = tl.start()
    tl.run(60)
    rollout = tl.service.get(rollout_id)
    assert rollout.state is RolloutState.HALTED
    assert len(rollout.waves) == 1
    assert rollout.reason is not None
    # the rolling hour still holds the first beat, on the old firmware: 89 of 1,200 failed
    assert "read failures 7.4 % against 1.0 % before (+6.4 points > 2)" in rollout.reason


def test_psam_failures_on_the_new_firmware_halt_the_rollout() -> None:
    tl = timeline()
    tl.sim.psam_error_on = "2.0"
    rollout_id = tl.start()
    tl.run(60)
    reason = tl.service.get(rollout_id).reason
    assert reason is not None
    assert "6 terminals report PSAM failures (> 0)" in reason


def test_pause_stops_new_waves_until_resumed() -> None:
    tl = timeline()
    rollout_id = tl.start()
    tl.service.pause(rollout_id, "bob", "hospital peak hours", tl.clock.now())
    assert tl.run(180) == []
    paused = tl.service.get(rollout_id)
    assert paused.state is RolloutState.PAUSED
    assert len(paused.waves) == 1
    assert paused.reason == "paused by bob: hospital peak hours"
    assert tl.service.target_for(tl.service.members(rollout_id)[0].terminal_id, "", "")[0] == "2.0"
    tl.service.resume(rollout_id, "bob", "peak over", tl.clock.now())
    assert kinds(tl.run(5)) == ["gate_passed:0", "wave_opened:1"]
    history = [(c.change, c.by) for c in tl.service.history(rollout_id)]
    assert (RolloutChange.PAUSED, "bob") in history
    assert (RolloutChange.RESUMED, "bob") in history


def test_roll_back_returns_every_moved_terminal_to_its_previous_version() -> None:
    tl = timeline()
    rollout_id = tl.start()
    tl.run(65)  # pilot and 10 %: 60 terminals on 2.0
    moved = [m.terminal_id for m in tl.service.members(rollout_id)]
    assert len(moved) == 60
    assert {tl.sim.running[tid] for tid in moved} == {"2.0"}
    rollout = tl.service.roll_back(rollout_id, "carol", "ticket 4711", tl.clock.now())
    assert rollout.state is RolloutState.ROLLED_BACK
    assert rollout.finished_at == tl.clock.now()
    assert rollout.reason == (
        "rolled back by carol: ticket 4711 (60 terminals pointed back to their previous version)"
    )
    assert {tl.service.target_for(tid, "", "") for tid in moved} == {("1.0", None)}
    untouched = next(t for t in tl.sim.terminals if t.id not in set(moved))
    assert tl.service.target_for(untouched.id, untouched.county, untouched.city) == (None, None)
    tl.run(10)
    assert set(tl.sim.running.values()) == {"1.0"}
    assert tl.run(240) == []


def test_a_halted_rollout_resumed_by_a_person_overrides_its_gate() -> None:
    tl = timeline()
    rollout_id = tl.start()
    tl.run(60)
    tl.sim.stuck = {t.id for t in tl.sim.terminals if t.county == "440303"}
    tl.run(60)
    assert tl.service.get(rollout_id).state is RolloutState.HALTED
    with pytest.raises(FleetError, match="say why"):
        tl.service.resume(rollout_id, "dave", " ", tl.clock.now())
    tl.service.resume(rollout_id, "dave", "440303 updates by hand", tl.clock.now())
    assert tl.service.get(rollout_id).waves[1].outcome is WaveOutcome.OVERRIDDEN
    assert tl.service.history(rollout_id)[-1].message == (
        "resumed by dave: 440303 updates by hand (overriding the failed gate of wave 1)"
    )
    assert kinds(tl.run(5)) == ["wave_opened:2"]


def test_what_a_rollout_may_do_depends_on_its_state() -> None:
    tl = timeline()
    draft = tl.service.create(PLAN, "alice", tl.clock.now())
    now = tl.clock.now()
    with pytest.raises(FleetError, match="is draft: it may be paused only when running"):
        tl.service.pause(draft.id, "bob", "why not", now)
    with pytest.raises(FleetError, match="may be rolled back only when"):
        tl.service.roll_back(draft.id, "bob", "why not", now)
    with pytest.raises(NotFound, match="no rollout RO-0099"):
        tl.service.start("RO-0099", "bob", now)
    tl.service.start(draft.id, "alice", now)
    with pytest.raises(FleetError, match="is running: it may start only when draft"):
        tl.service.start(draft.id, "alice", now)
    other = tl.service.create(PLAN, "erin", now)
    with pytest.raises(
        FleetError, match=f"rollout {draft.id} \\(running\\) already moves the firmware"
    ):
        tl.service.start(other.id, "erin", now)
    parameters = tl.service.create(RolloutPlan(RolloutComponent.PARAMETER, "P2"), "erin", now)
    tl.service.start(parameters.id, "erin", now)  # another component: no overlap
    assert [r.id for r in tl.service.list()] == ["RO-0001", "RO-0002", "RO-0003"]


def test_a_pilot_terminal_that_is_not_active_in_scope_refuses_the_start() -> None:
    tl = timeline(fleet(5))
    plan = RolloutPlan(
        RolloutComponent.FIRMWARE, "2.0", regions=frozenset({"440100"}),
        pilot_terminal_ids=("T440103-0001", "T440303-0001", "T999"),
    )  # fmt: skip
    draft = tl.service.create(plan, "alice", tl.clock.now())
    with pytest.raises(FleetError, match="not active in scope: T440303-0001, T999"):
        tl.service.start(draft.id, "alice", tl.clock.now())
    assert tl.service.get(draft.id).state is RolloutState.DRAFT


def test_a_failed_write_changes_nothing() -> None:
    store = MemoryStore()
    tl = timeline(store=store)
    rollout_id = tl.service.create(PLAN, "alice", tl.clock.now()).id
    store.fail_next_save = True
    with pytest.raises(StoreError):
        tl.service.start(rollout_id, "alice", tl.clock.now())
    assert tl.service.get(rollout_id).state is RolloutState.DRAFT
    assert tl.service.members(rollout_id) == []
    assert tl.service.target_for("T440103-0000", "440103", "440100") == (None, None)


def test_one_rollout_failing_to_evaluate_does_not_stop_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = MemoryStore()
    tl = timeline(store=store)
    firmware = tl.start()
    parameters = tl.start(RolloutPlan(RolloutComponent.PARAMETER, "P2", pilot_size=1))
    tl.clock.advance(3600)
    store.fail_next_save = True  # the first rollout's write fails
    decisions = tl.service.evaluate(tl.clock.now())
    assert {d.rollout_id for d in decisions} == {parameters}
    assert f"rollout {firmware}: evaluation failed" in caplog.text
    assert tl.service.get(firmware).waves[0].outcome is None


def test_decisions_are_published_on_the_event_bus() -> None:
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(RolloutChanged, seen.append)
    sim = SimulatedFleet(fleet(10))
    service = RolloutService(MemoryStore(), sim, sim.status, bus)
    rollout = service.create(PLAN, "alice", T0)
    service.start(rollout.id, "alice", T0)
    assert [c.change for c in seen if isinstance(c, RolloutChanged)] == [
        "created", "started", "wave_opened",
    ]  # fmt: skip
    assert len(seen) == 3


def test_terminals_joining_after_the_100_percent_wave_get_the_target_through_the_scope() -> None:
    tl = timeline(fleet(10))
    plan = RolloutPlan(
        RolloutComponent.FIRMWARE, "2.0", regions=frozenset({"440300"}), waves=(WaveSpec(100),)
    )
    tl.start(plan)
    assert tl.service.target_for("T-new", "440304", "440300") == ("2.0", None)
    assert tl.service.target_for("T-new", "440103", "440100") == (None, None)
    newer = RolloutPlan(RolloutComponent.FIRMWARE, "2.1", waves=(WaveSpec(100),))
    tl.run(60)
    tl.start(newer)  # the newer rollout wins where both speak
    assert tl.service.target_for("T-new", "440304", "440300") == ("2.1", None)
    assert tl.service.target_for("T440303-0001", "440303", "440300") == ("2.1", None)


def test_target_for_answers_100000_calls_well_within_a_second() -> None:
    sim = SimulatedFleet(fleet(3400))  # 20,400 terminals, no heartbeat yet
    service = RolloutService(MemoryStore(), sim, sim.status)
    for plan in (
        RolloutPlan(RolloutComponent.FIRMWARE, "2.0", waves=(WaveSpec(100),)),
        RolloutPlan(RolloutComponent.PARAMETER, "P2", waves=(WaveSpec(50),)),
    ):
        service.start(service.create(plan, "alice", T0).id, "alice", T0)
    asks = [(t.id, t.county, t.city) for t in sim.terminals[::20]] * 98
    assert len(asks) == 99_960
    started = time.perf_counter()
    for terminal_id, county, city in asks:
        service.target_for(terminal_id, county, city)
    elapsed = time.perf_counter() - started
    assert elapsed < 0.25, f"100,000 target_for calls took {elapsed:.3f} s"
