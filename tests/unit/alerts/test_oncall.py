"""On-call: rotations hand over at local wall-clock time, overrides win, schedules found by
team and region (the city of a county by its code prefix)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from alerts.oncall import (
    InvalidOnCall,
    OnCallDirectory,
    Override,
    Rotation,
    RotationPeriod,
    Schedule,
    region_at_level,
    who_is_on_call,
)
from core.clock import FakeClock
from core.errors import NotFound
from core.security.scope import ScopeLevel


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def schedule(
    name: str = "network-440100",
    team: str = "network",
    region: str = "440100",
    period: RotationPeriod = RotationPeriod.DAILY,
    timezone: str = "Asia/Shanghai",
) -> Schedule:
    rotation = Rotation(("wang", "li", "zhang"), date(2026, 3, 2), time(9, 0), period, timezone)
    return Schedule(name, team, region, rotation)


def test_daily_rotation_hands_over_at_nine_local_time() -> None:
    gz = schedule()
    clock = FakeClock(utc(2026, 3, 2, 0, 59))  # 08:59 in Shanghai, before the first handoff
    assert who_is_on_call(gz, clock.now()) is None
    clock.advance(60)  # 09:00 CST = 01:00 UTC
    assert who_is_on_call(gz, clock.now()) == "wang"
    clock.set(utc(2026, 3, 3, 0, 59, 59))
    assert who_is_on_call(gz, clock.now()) == "wang"
    clock.advance(1)
    assert who_is_on_call(gz, clock.now()) == "li"
    clock.advance(24 * 3600)
    assert who_is_on_call(gz, clock.now()) == "zhang"
    clock.advance(24 * 3600)
    assert who_is_on_call(gz, clock.now()) == "wang"  # round again


def test_weekly_rotation_hands_over_on_the_start_weekday() -> None:
    gz = schedule(period=RotationPeriod.WEEKLY)
    assert who_is_on_call(gz, utc(2026, 3, 8, 12)) == "wang"  # Sunday
    assert who_is_on_call(gz, utc(2026, 3, 9, 0, 59)) == "wang"  # Monday 08:59 CST
    assert who_is_on_call(gz, utc(2026, 3, 9, 1)) == "li"  # Monday 09:00 CST
    assert who_is_on_call(gz, utc(2026, 3, 23, 1)) == "wang"


def test_the_handoff_stays_at_nine_local_across_daylight_saving() -> None:
    berlin = schedule(timezone="Europe/Berlin")
    # 2026-03-28 09:00 CET is 08:00 UTC; 2026-03-29 09:00 CEST is 07:00 UTC.
    assert who_is_on_call(berlin, utc(2026, 3, 28, 7, 59)) == "li"
    assert who_is_on_call(berlin, utc(2026, 3, 28, 8)) == "zhang"
    assert who_is_on_call(berlin, utc(2026, 3, 29, 6, 59)) == "zhang"
    assert who_is_on_call(berlin, utc(2026, 3, 29, 7)) == "wang"


def test_an_override_takes_the_shift_and_the_latest_one_wins() -> None:
    gz = schedule()
    sick = Override("chen", utc(2026, 3, 2, 4), utc(2026, 3, 2, 10))
    swap = Override("zhao", utc(2026, 3, 2, 6), utc(2026, 3, 2, 7))
    gz = gz.with_override(sick).with_override(swap)
    assert who_is_on_call(gz, utc(2026, 3, 2, 3, 59)) == "wang"
    assert who_is_on_call(gz, utc(2026, 3, 2, 4)) == "chen"
    assert who_is_on_call(gz, utc(2026, 3, 2, 6, 30)) == "zhao"
    assert who_is_on_call(gz, utc(2026, 3, 2, 7)) == "chen"
    assert who_is_on_call(gz, utc(2026, 3, 2, 10)) == "wang"


def test_the_directory_finds_a_county_its_city_schedule_or_the_province() -> None:
    directory = OnCallDirectory(
        [
            schedule("network-440100", "network", "440100"),
            schedule("network-440000", "network", "440000"),
            schedule("duty-440000", "duty", "440000"),
        ]
    )
    assert directory.schedule_covering("network", "440103", ScopeLevel.CITY) == directory.get(
        "network-440100"
    )
    # No Shenzhen schedule: the province's answers.
    assert directory.schedule_covering("network", "440303", ScopeLevel.CITY) == directory.get(
        "network-440000"
    )
    assert directory.schedule_covering("duty", "440103", ScopeLevel.PROVINCE) == directory.get(
        "duty-440000"
    )
    assert directory.schedule_covering("systems", "440103", ScopeLevel.CITY) is None
    assert directory.schedule_covering("network", "not-a-code", ScopeLevel.CITY) is None


def test_directory_overrides_and_lookups() -> None:
    directory = OnCallDirectory([schedule()])
    directory.add_override(
        "network-440100", Override("chen", utc(2026, 3, 2, 1), utc(2026, 3, 2, 2))
    )
    assert directory.who_is_on_call("network-440100", utc(2026, 3, 2, 1, 30)) == "chen"
    assert [s.name for s in directory.all()] == ["network-440100"]
    with pytest.raises(NotFound):
        directory.get("nope")


def test_region_at_level_is_the_code_prefix() -> None:
    assert region_at_level("440103", ScopeLevel.CITY) == "440100"
    assert region_at_level("440103", ScopeLevel.PROVINCE) == "440000"
    assert region_at_level("440103", ScopeLevel.COUNTY) == "440103"
    assert region_at_level("440100", ScopeLevel.COUNTY) is None
    assert region_at_level("440000", ScopeLevel.CITY) is None


def test_nonsense_is_refused() -> None:
    with pytest.raises(InvalidOnCall, match="at least one user"):
        Rotation((), date(2026, 3, 2), time(9), RotationPeriod.DAILY, "UTC")
    with pytest.raises(InvalidOnCall, match="unknown timezone"):
        Rotation(("a",), date(2026, 3, 2), time(9), RotationPeriod.DAILY, "Mars/Olympus")
    with pytest.raises(InvalidOnCall, match="end after it starts"):
        Override("a", utc(2026, 3, 2), utc(2026, 3, 2))
    with pytest.raises(InvalidOnCall, match="region code"):
        schedule(region="4401")
