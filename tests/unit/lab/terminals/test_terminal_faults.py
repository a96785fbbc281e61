"""The few misbehaving terminals: chosen by seed, and showing in what they report."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from core.clock import FakeClock
from core.errors import LabError
from lab.model import Province
from lab.terminals.behaviour import BeatReply, InstallPolicy, SimulatedTerminal
from lab.terminals.faults import (
    NO_FAULTS,
    FaultSpec,
    TerminalFault,
    fault_counts,
    plan_terminal_faults,
)
from lab.terminals.fleet import LabTerminal, generate_fleet

from .conftest import SEED


def test_the_same_seed_picks_the_same_terminals(small_fleet: tuple[LabTerminal, ...]) -> None:
    assert plan_terminal_faults(small_fleet, 1) == plan_terminal_faults(small_fleet, 1)
    assert plan_terminal_faults(small_fleet, 1) != plan_terminal_faults(small_fleet, 2)


def test_even_the_small_lab_shows_every_fault_once(
    small_faults: dict[str, TerminalFault],
) -> None:
    assert fault_counts(small_faults) == dict.fromkeys(TerminalFault, 1)


def test_the_full_fleet_has_each_fault_in_its_share(full: Province) -> None:
    fleet = generate_fleet(full, SEED)
    spec = FaultSpec()
    counts = fault_counts(plan_terminal_faults(fleet, SEED, spec))
    for fault, share in spec.shares.items():
        assert counts[fault] == round(share * len(fleet))
    assert sum(counts.values()) < 0.05 * len(fleet)  # a few, not a broken fleet


def test_no_faults_means_nobody(small_fleet: tuple[LabTerminal, ...]) -> None:
    assert plan_terminal_faults(small_fleet, SEED, NO_FAULTS) == {}


def test_a_fleet_too_small_for_every_minimum_serves_the_first_faults(
    small_fleet: tuple[LabTerminal, ...],
) -> None:
    plan = plan_terminal_faults(small_fleet[:2], SEED)
    assert sorted(plan.values()) == sorted(list(TerminalFault)[:2])


@pytest.mark.parametrize(
    "spec_args",
    [
        {"minimum": -1},
        {"shares": {TerminalFault.PSAM_MISSING: 1.2}},
        {"shares": {TerminalFault.PSAM_MISSING: 0.6, TerminalFault.DIRTY_CONTACTS: 0.6}},
    ],
)
def test_a_bad_spec_is_refused(spec_args: dict[str, object]) -> None:
    with pytest.raises(LabError):
        FaultSpec(**spec_args)  # type: ignore[arg-type]


def _day_of_beats(
    terminal: LabTerminal, fault: TerminalFault | None, clock: FakeClock
) -> list[dict[str, object]]:
    """A day of accepted beats, one a minute, as dictionaries."""
    simulated = SimulatedTerminal.start(terminal, fault, SEED, clock.now())
    bodies: list[dict[str, object]] = []
    for _ in range(24 * 60):
        clock.advance(60)
        bodies.append(dict(simulated.heartbeat(clock.now())))
        simulated.accepted(BeatReply(None, None, 60), clock.now(), InstallPolicy())
    return bodies


def _failure_share(bodies: list[dict[str, object]]) -> float:
    reads = sum(int(str(b["card_reads"])) for b in bodies)
    failures = sum(int(str(b["card_read_failures"])) for b in bodies)
    return failures / (reads + failures)


def test_dirty_contacts_fail_many_reads(
    small_fleet: tuple[LabTerminal, ...], busy_clock: FakeClock
) -> None:
    hospital = next(t for t in small_fleet if t.kind == "hospital")
    healthy = _day_of_beats(hospital, None, FakeClock(busy_clock.now()))
    dirty = _day_of_beats(hospital, TerminalFault.DIRTY_CONTACTS, busy_clock)

    assert _failure_share(healthy) < 0.05
    assert 0.15 < _failure_share(dirty) < 0.5


def test_an_unplugged_reader_reads_nothing(
    small_fleet: tuple[LabTerminal, ...], busy_clock: FakeClock
) -> None:
    bodies = _day_of_beats(small_fleet[0], TerminalFault.READER_UNPLUGGED, busy_clock)
    assert {b["reader_present"] for b in bodies} == {False}
    assert {b["card_reads"] for b in bodies} == {0}
    assert {b["card_read_failures"] for b in bodies} == {0}


def test_a_missing_psam_says_so(
    small_fleet: tuple[LabTerminal, ...], busy_clock: FakeClock
) -> None:
    bodies = _day_of_beats(small_fleet[0], TerminalFault.PSAM_MISSING, busy_clock)
    assert {b["psam_status"] for b in bodies} == {"missing"}
    assert {b["reader_present"] for b in bodies} == {True}


def test_a_healthy_terminal_has_its_psam_and_few_unsent(
    small_fleet: tuple[LabTerminal, ...], busy_clock: FakeClock
) -> None:
    bodies = _day_of_beats(small_fleet[0], None, busy_clock)
    assert {b["psam_status"] for b in bodies} == {"ok"}
    assert max(int(str(b["unsent_transactions"])) for b in bodies) <= 2


def test_unsent_transactions_pile_up_and_storage_fills(
    small_fleet: tuple[LabTerminal, ...], busy_clock: FakeClock
) -> None:
    bodies = _day_of_beats(small_fleet[0], TerminalFault.UNSENT_PILING_UP, busy_clock)
    unsent = [int(str(b["unsent_transactions"])) for b in bodies]
    free = [int(str(b["free_storage_mb"])) for b in bodies]

    # Never drained: only the two or three transactions in flight come and go.
    assert all(later >= earlier - 2 for earlier, later in itertools.pairwise(unsent))
    assert unsent[-1] - unsent[0] > 1_000
    assert free[-1] < free[0]


def test_stuck_firmware_comes_back_on_the_old_version(
    small_fleet: tuple[LabTerminal, ...], busy_clock: FakeClock
) -> None:
    terminal = small_fleet[0]
    simulated = SimulatedTerminal.start(
        terminal, TerminalFault.STUCK_FIRMWARE, SEED, busy_clock.now()
    )
    policy = InstallPolicy(firmware_delay_s=60)
    outcomes = []
    for _ in range(5):
        simulated.accepted(BeatReply("9.9.9", None, 60), busy_clock.now(), policy)
        busy_clock.advance(timedelta(minutes=2).total_seconds())
        outcomes += simulated.apply_installs(busy_clock.now(), policy)
        assert (
            simulated.heartbeat(busy_clock.now())["firmware_version"] == terminal.firmware_version
        )

    assert outcomes == ["firmware_rolled_back"] * 5
    assert simulated.heartbeat(busy_clock.now())["uptime_s"] < 120  # it did reboot
