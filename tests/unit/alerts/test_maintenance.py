"""Maintenance windows as timelines: one-off and recurring, by region (a city covers its counties)
and by device, in Asia/Shanghai (no daylight saving) and Europe/Berlin (daylight saving)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

import pytest

from alerts.dispatch import Dispatcher, NotificationReason
from alerts.maintenance import (
    Frequency,
    MaintenanceCalendar,
    MaintenanceWindow,
    OneOff,
    Recurrence,
)
from alerts.routing import RouteSpec, build_route_tree
from alerts.silences import (
    InvalidSuppression,
    MuteCause,
    SuppressionEnded,
    SuppressionKind,
    SuppressionStarted,
)
from core.clock import FakeClock
from core.errors import NotFound

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class FakeAlert:
    fingerprint: str
    labels: Mapping[str, str] = field(default_factory=dict)
    status: str = "firing"
    starts_at: datetime | None = T0
    ends_at: datetime | None = None
    acknowledged: bool = False
    caused_by: str | None = None


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def one_off(**options: object) -> MaintenanceWindow:
    settings: dict[str, object] = {
        "id": "mw-1",
        "schedule": OneOff(T0 + HOUR, T0 + 3 * HOUR),
        "regions": frozenset({"440100"}),
        "created_by": "wang",
        "comment": "Guangzhou ring upgrade",
    }
    settings.update(options)
    return MaintenanceWindow(**settings)  # type: ignore[arg-type]


def test_a_city_window_covers_its_counties_and_named_devices_only_while_open() -> None:
    calendar = MaintenanceCalendar([one_off(device_ids=frozenset({"sz-core-1"}))])
    county = FakeAlert("a", {"region": "440103", "device": "gz-103-acc-1"})
    other_city = FakeAlert("b", {"region": "440303", "device": "sz-303-acc-1"})
    named = FakeAlert("c", {"region": "440300", "device": "sz-core-1"})
    province = FakeAlert("d", {"region": "440000"})
    during = T0 + 2 * HOUR
    assert calendar.muted_by(county, during) == (MuteCause(SuppressionKind.MAINTENANCE, "mw-1"),)
    assert calendar.muted_by(other_city, during) == ()
    assert calendar.muted_by(named, during) == (MuteCause(SuppressionKind.MAINTENANCE, "mw-1"),)
    assert calendar.muted_by(province, during) == ()  # a city window does not cover the province
    assert calendar.muted_by(county, T0) == ()
    assert calendar.muted_by(county, T0 + 3 * HOUR) == ()


def test_collection_pauses_only_when_the_window_says_so() -> None:
    quiet = MaintenanceCalendar([one_off()])
    paused = MaintenanceCalendar([one_off(pause_collection=True)])
    during = T0 + 2 * HOUR
    assert not quiet.collection_paused("gz-103-acc-1", "440103", during)
    assert paused.collection_paused("gz-103-acc-1", "440103", during)
    assert not paused.collection_paused("gz-103-acc-1", "440103", T0 + 4 * HOUR)
    assert not paused.collection_paused("sz-303-acc-1", "440303", during)
    assert not paused.collection_paused("unplaced", None, during)


def test_one_off_window_start_and_end_are_announced() -> None:
    calendar = MaintenanceCalendar([one_off()])
    assert calendar.tick(T0) == []
    [started] = calendar.tick(T0 + HOUR)
    assert started == SuppressionStarted(
        at=T0 + HOUR,
        kind=SuppressionKind.MAINTENANCE,
        suppression_id="mw-1",
        summary="440100 (2026-03-02T09:00:00+00:00 – 2026-03-02T11:00:00+00:00)",
        created_by="wang",
        comment="Guangzhou ring upgrade",
        ends_at=T0 + 3 * HOUR,
    )
    assert calendar.tick(T0 + 2 * HOUR) == []
    [ended] = calendar.tick(T0 + 3 * HOUR + MINUTE)
    assert isinstance(ended, SuppressionEnded)
    assert (ended.at, ended.reason) == (T0 + 3 * HOUR, "the window closed")


def test_cancelling_an_open_window_announces_its_end() -> None:
    calendar = MaintenanceCalendar([one_off()])
    calendar.tick(T0 + HOUR)
    calendar.remove("mw-1", T0 + 90 * MINUTE)
    [ended] = calendar.tick(T0 + 2 * HOUR)
    assert isinstance(ended, SuppressionEnded)
    assert (ended.at, ended.reason) == (T0 + 90 * MINUTE, "cancelled")
    with pytest.raises(NotFound):
        calendar.get("mw-1")


def test_sunday_night_in_shanghai_is_saturday_evening_utc_every_week() -> None:
    weekly = Recurrence.parse("weekly Sun 02:00-04:00 Asia/Shanghai")
    assert weekly.frequency is Frequency.WEEKLY
    assert weekly.describe() == "weekly Sun 02:00-04:00 Asia/Shanghai"
    calendar = MaintenanceCalendar([one_off(schedule=weekly)])
    alert = FakeAlert("a", {"region": "440105"})
    saturday = utc(2026, 3, 7)
    assert calendar.muted_by(alert, saturday + 17 * HOUR + 59 * MINUTE) == ()
    assert calendar.muted_by(alert, saturday + 18 * HOUR)  # Sun 02:00 CST
    assert calendar.muted_by(alert, saturday + 19 * HOUR + 59 * MINUTE)
    assert calendar.muted_by(alert, saturday + 20 * HOUR) == ()  # Sun 04:00 CST
    assert calendar.muted_by(alert, saturday + timedelta(days=7, hours=18, minutes=30))
    assert calendar.muted_by(alert, saturday + timedelta(days=1, hours=18, minutes=30)) == ()


def test_a_recurring_window_is_announced_at_each_opening() -> None:
    clock = FakeClock(utc(2026, 3, 7, 17))
    calendar = MaintenanceCalendar(
        [one_off(schedule=Recurrence.parse("weekly Sun 02:00-04:00 Asia/Shanghai"))]
    )
    events = []
    while clock.now() < utc(2026, 3, 15):
        clock.advance(600)
        events += calendar.tick(clock.now())
    assert [(type(e).__name__, e.at) for e in events] == [
        ("SuppressionStarted", utc(2026, 3, 7, 18)),
        ("SuppressionEnded", utc(2026, 3, 7, 20)),
        ("SuppressionStarted", utc(2026, 3, 14, 18)),
        ("SuppressionEnded", utc(2026, 3, 14, 20)),
    ]


def test_berlin_keeps_local_time_across_daylight_saving() -> None:
    weekly = Recurrence.parse("weekly Sun 02:00-04:00 Europe/Berlin")
    # Winter (CET, UTC+1): 01:00-03:00 UTC.
    assert weekly.occurrence_at(utc(2026, 3, 22, 1, 30)) == (
        utc(2026, 3, 22, 1),
        utc(2026, 3, 22, 3),
    )
    # The night clocks jump from 02:00 to 03:00: the window is 03:00-04:00 CEST, one hour.
    assert weekly.occurrence_at(utc(2026, 3, 29, 1, 30)) == (
        utc(2026, 3, 29, 1),
        utc(2026, 3, 29, 2),
    )
    assert weekly.occurrence_at(utc(2026, 3, 29, 2, 30)) is None
    # Summer (CEST, UTC+2): 00:00-02:00 UTC.
    assert weekly.occurrence_at(utc(2026, 4, 5, 0, 30)) == (utc(2026, 4, 5, 0), utc(2026, 4, 5, 2))
    assert weekly.occurrence_at(utc(2026, 4, 5, 2, 30)) is None
    # The night clocks fall back, 02:00-03:00 twice: the window covers both, three hours.
    assert weekly.occurrence_at(utc(2026, 10, 25, 2, 30)) == (
        utc(2026, 10, 25, 0),
        utc(2026, 10, 25, 3),
    )


def test_a_daily_window_may_cross_midnight_and_stops_at_until() -> None:
    nightly = Recurrence(Frequency.DAILY, time(23, 0), time(1, 0), "UTC", until=utc(2026, 3, 4))
    assert nightly.occurrence_at(utc(2026, 3, 3, 0, 30)) == (
        utc(2026, 3, 2, 23),
        utc(2026, 3, 3, 1),
    )
    assert nightly.occurrence_at(utc(2026, 3, 3, 23, 30)) == (
        utc(2026, 3, 3, 23),
        utc(2026, 3, 4, 1),
    )
    assert nightly.occurrence_at(utc(2026, 3, 4, 23, 30)) is None
    assert nightly.next_occurrence(utc(2026, 3, 3, 12)) == (utc(2026, 3, 3, 23), utc(2026, 3, 4, 1))
    assert nightly.next_occurrence(utc(2026, 3, 4, 12)) is None


def test_next_opening_of_a_weekly_window() -> None:
    weekly = Recurrence.parse("weekly Sat,Sunday 02:00-04:00 Asia/Shanghai")
    assert weekly.weekdays == frozenset({5, 6})
    assert weekly.next_occurrence(T0) == (utc(2026, 3, 6, 18), utc(2026, 3, 6, 20))


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [
        ("monthly 02:00-04:00 UTC", "not a recurrence"),
        ("weekly Sun 02:00-04:00 Mars/Olympus", "unknown timezone"),
        ("weekly Sonntag 02:00-04:00 UTC", "not a day of the week"),
        ("daily Sun 02:00-04:00 UTC", "names no days"),
        ("weekly 02:00-04:00 UTC", "at least one day"),
        ("daily 25:00-04:00 UTC", "not a time of day"),
        ("daily 02:00-02:00 UTC", "same time"),
    ],
)
def test_bad_recurrences_say_what_is_wrong(spec: str, complaint: str) -> None:
    with pytest.raises(InvalidSuppression, match=complaint):
        Recurrence.parse(spec)


def test_windows_must_cover_something_real() -> None:
    with pytest.raises(InvalidSuppression, match="covers no region and no device"):
        one_off(regions=frozenset())
    with pytest.raises(InvalidSuppression, match="region code"):
        one_off(regions=frozenset({"4401"}))
    with pytest.raises(InvalidSuppression, match="end after it starts"):
        OneOff(T0, T0)


def test_alerts_in_a_window_are_heard_after_it_closes() -> None:
    clock = FakeClock(T0 + HOUR)
    calendar = MaintenanceCalendar([one_off()])
    route = build_route_tree(RouteSpec(receiver="noc", group_by=("alertname",)))
    dispatcher = Dispatcher(route, muter=calendar)
    dispatcher.ingest(
        FakeAlert("a", {"alertname": "LinkDown", "region": "440103"}, starts_at=clock.now()),
        clock.now(),
    )
    heard = []
    while clock.now() < T0 + 3 * HOUR + 10 * MINUTE:
        clock.advance(30)
        heard += dispatcher.tick(clock.now())
    assert len(heard) == 1
    assert heard[0].reason is NotificationReason.NEW
    assert heard[0].at == T0 + 3 * HOUR + timedelta(seconds=30)  # first flush after it closed
