"""Rollout planning and gates, pure: which terminals each wave takes (deterministic, spread over
counties, as the percentages say), which regions a scope holds, and a gate's figures."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from card_fleet.errors import FleetError
from card_fleet.model import PsamStatus
from card_fleet.rollouts import (
    GatePolicy,
    RolloutComponent,
    RolloutMember,
    RolloutPlan,
    WaveRecord,
    WaveSpec,
    choose_wave,
    in_regions,
    judge_wave,
    regions_overlap,
    rollout_order,
    stable_key,
)

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
CITIES = {"440100": ("440103", "440104", "440105", "440106"), "440300": ("440303", "440304")}


@dataclass(frozen=True, slots=True)
class Placed:
    """A terminal where it stands (the registry's Terminal has these fields too)."""

    id: str
    county: str
    city: str


@dataclass(frozen=True, slots=True)
class Health:
    """A terminal's latest figures (fleet_status.TerminalStatus has these fields too)."""

    firmware_version: str
    parameter_version: str
    last_seen_at: datetime
    window_reads: int
    window_failures: int
    psam_status: PsamStatus = PsamStatus.OK


def fleet(per_county: int = 100) -> list[Placed]:
    """``per_county`` terminals in each of six counties of two cities."""
    return [
        Placed(f"T{county}-{n:04d}", county, city)
        for city, counties in CITIES.items()
        for county in counties
        for n in range(per_county)
    ]


def firmware_plan(**changes: object) -> RolloutPlan:
    values: dict[str, object] = {
        "component": RolloutComponent.FIRMWARE,
        "target_version": "2.0",
        "previous_version": "1.0",
    }
    values.update(changes)
    return RolloutPlan(**values)  # type: ignore[arg-type]


def take_waves(rollout_id: str, plan: RolloutPlan, population: list[Placed]) -> list[list[str]]:
    """Every wave's new terminals, each wave opened on the population as it is."""
    members: set[str] = set()
    waves = []
    for step in plan.planned_waves():
        chosen = choose_wave(rollout_id, plan, step, population, members)
        members.update(chosen)
        waves.append(chosen)
    return waves


def test_waves_take_the_percentages_cumulatively_and_everyone_in_the_end() -> None:
    population = fleet(100)  # 600 terminals
    plan = firmware_plan(pilot_size=6)
    waves = take_waves("RO-0001", plan, population)
    assert [len(wave) for wave in waves] == [6, 60 - 6, 300 - 60, 600 - 300]
    assert sorted(tid for wave in waves for tid in wave) == sorted(t.id for t in population)
    assert [step.label for step in plan.planned_waves()] == ["pilot", "10 %", "50 %", "100 %"]


def test_every_county_gets_its_share_of_each_wave() -> None:
    population = fleet(100)
    pilot, ten, *_ = take_waves("RO-0001", firmware_plan(pilot_size=6), population)
    county_of = {t.id: t.county for t in population}
    assert Counter(county_of[tid] for tid in pilot) == {c: 1 for cs in CITIES.values() for c in cs}
    assert set(Counter(county_of[tid] for tid in pilot + ten).values()) == {10}


def test_waves_are_the_same_whatever_the_order_of_the_population_and_differ_by_rollout() -> None:
    population = fleet(50)
    shuffled = population[:]
    random.Random(7).shuffle(shuffled)
    plan = firmware_plan(waves=(WaveSpec(25.0), WaveSpec(100.0)))
    assert take_waves("RO-0001", plan, population) == take_waves("RO-0001", plan, shuffled)
    assert take_waves("RO-0002", plan, population)[0] != take_waves("RO-0001", plan, population)[0]
    assert rollout_order("RO-0001", population) == rollout_order("RO-0001", reversed(population))


def test_the_order_s_key_is_the_same_on_every_run_and_machine() -> None:
    # blake2b of the ids, never Python's hash(), which is salted per process
    assert stable_key("RO-0001", "T440103-0001") == 0x1AEC476C90B39B45


def test_a_scope_and_a_wave_s_regions_limit_the_terminals() -> None:
    population = fleet(20)
    plan = firmware_plan(
        regions=frozenset({"440100"}),
        waves=(WaveSpec(50.0, frozenset({"440103"})), WaveSpec(100.0)),
    )
    first, second = take_waves("RO-0001", plan, population)
    assert len(first) == 10
    assert all(tid.startswith("T440103") for tid in first)
    assert len(second) == 80 - 10
    assert not any(tid.startswith("T4403") for tid in second)
    assert [step.label for step in plan.planned_waves()] == ["50 % of 440103", "100 %"]


def test_an_explicit_pilot_takes_those_terminals_only() -> None:
    population = fleet(10)
    plan = firmware_plan(pilot_terminal_ids=("T440104-0003", "T440303-0001"))
    pilot = take_waves("RO-0001", plan, population)[0]
    assert pilot == ["T440104-0003", "T440303-0001"]


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"target_version": " "}, "target version is empty"),
        ({"previous_version": "2.0"}, "previous version is the target"),
        ({"pilot_size": 3, "pilot_terminal_ids": ("T1",)}, "either as terminal ids or as a size"),
        ({"waves": (WaveSpec(0.0),)}, "percent must be in (0, 100]"),
        ({"waves": ()}, "needs a pilot or at least one wave"),
        ({"gate": GatePolicy(soak_s=0)}, "soak and online times"),
        ({"gate": GatePolicy(min_back_pct=120)}, "share back must be in [0, 100]"),
    ],
)
def test_a_plan_that_makes_no_sense_is_refused(changes: dict[str, object], words: str) -> None:
    with pytest.raises(FleetError, match="rollout plan refused") as refused:
        firmware_plan(**changes)
    assert words in str(refused.value)


def test_regions_are_division_codes_of_province_city_or_county() -> None:
    assert in_regions(frozenset(), "440103", "440100")
    assert in_regions(frozenset({"440000"}), "440103", "440100")
    assert in_regions(frozenset({"440100"}), "440103", "440100")
    assert in_regions(frozenset({"440103"}), "440103", "440100")
    assert not in_regions(frozenset({"440300", "440104"}), "440103", "440100")
    assert regions_overlap(frozenset(), frozenset({"440103"}))
    assert regions_overlap(frozenset({"440100"}), frozenset({"440103"}))
    assert regions_overlap(frozenset({"440000"}), frozenset({"440303"}))
    assert not regions_overlap(frozenset({"440100"}), frozenset({"440303", "440300"}))
    assert not regions_overlap(frozenset({"440103"}), frozenset({"440104"}))


# ---------------------------------------------------------------- gates

WAVE = WaveRecord(index=1, label="10 %", opened_at=T0, terminal_count=20)


def members(count: int, reads: int = 99, failures: int = 1) -> list[RolloutMember]:
    return [RolloutMember(f"T{n}", 1, "1.0", reads, failures) for n in range(count)]


def came_back(
    count: int, *, failures: int = 1, psam: PsamStatus = PsamStatus.OK, minutes: float = 55
) -> dict[str, Health]:
    seen = T0 + timedelta(minutes=minutes)
    return {
        f"T{n}": Health("2.0", "P1", seen, 100 - failures, failures, psam) for n in range(count)
    }


NOW = T0 + timedelta(minutes=60)


def test_a_wave_whose_terminals_all_came_back_reading_as_before_passes() -> None:
    figures = judge_wave(firmware_plan(), WAVE, members(20), came_back(20), NOW)
    assert figures.passed
    assert figures.reasons == ()
    assert (figures.terminals, figures.came_back, figures.came_back_pct) == (20, 20, 100.0)
    assert figures.failure_rate_before_pct == pytest.approx(1.0)
    assert figures.failure_rate_after_pct == pytest.approx(1.0)


def test_terminals_not_back_on_the_target_or_silent_since_fail_the_gate_in_figures() -> None:
    health = came_back(17)
    health["T17"] = Health("1.0", "P1", NOW, 99, 1)  # online, but still on the old firmware
    health["T18"] = Health("2.0", "P1", T0 + timedelta(minutes=40), 99, 1)  # silent 20 minutes
    figures = judge_wave(firmware_plan(), WAVE, members(20), health, NOW)
    assert not figures.passed
    assert figures.reasons == ("17 of 20 terminals came back on firmware 2.0 (85.0 % < 95 %)",)
    assert figures.summary().startswith("17 of 20 terminals came back")


def test_heartbeats_from_before_the_wave_opened_do_not_count() -> None:
    health = came_back(20, minutes=-5)
    figures = judge_wave(firmware_plan(), WAVE, members(20), health, NOW)
    assert figures.came_back == 0
    assert not figures.passed


def test_read_failures_worse_than_before_by_more_than_the_allowance_fail_the_gate() -> None:
    figures = judge_wave(firmware_plan(), WAVE, members(20), came_back(20, failures=5), NOW)
    assert not figures.passed
    assert figures.reasons == ("read failures 5.0 % against 1.0 % before (+4.0 points > 2)",)
    lenient = firmware_plan(gate=GatePolicy(max_failure_rate_increase_points=5.0))
    assert judge_wave(lenient, WAVE, members(20), came_back(20, failures=5), NOW).passed


def test_psam_failures_over_the_allowance_fail_the_gate() -> None:
    health = came_back(20)
    health.update(came_back(2, psam=PsamStatus.ERROR))
    figures = judge_wave(firmware_plan(), WAVE, members(20), health, NOW)
    assert figures.reasons == ("2 terminals report PSAM failures (> 0)",)
    lenient = firmware_plan(gate=GatePolicy(max_psam_failures=2))
    assert judge_wave(lenient, WAVE, members(20), health, NOW).passed


def test_a_parameter_rollout_judges_the_parameter_version() -> None:
    plan = RolloutPlan(RolloutComponent.PARAMETER, "P2")
    health = {tid: Health("2.0", "P2", NOW, 99, 1) for tid in (f"T{n}" for n in range(20))}
    assert judge_wave(plan, WAVE, members(20), health, NOW).passed
    assert not judge_wave(plan, WAVE, members(20), came_back(20), NOW).passed


def test_an_empty_wave_passes() -> None:
    figures = judge_wave(firmware_plan(), WAVE, [], {}, NOW)
    assert figures.passed
    assert figures.came_back_pct == 100.0
