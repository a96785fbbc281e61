"""Aggregation groups as timelines on the fake clock: group_wait, group_interval, repeat_interval,
resolutions, acknowledgements and consequences folded under their root cause."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from alerts.dispatch import Dispatcher, Notification, NotificationReason, root_causes
from alerts.matchers import parse_matchers
from alerts.routing import RouteSpec, build_route_tree
from core.clock import FakeClock

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class FakeAlert:
    fingerprint: str
    labels: Mapping[str, str] = field(default_factory=dict)
    status: str = "firing"
    starts_at: datetime | None = T0
    ends_at: datetime | None = None
    acknowledged: bool = False
    caused_by: str | None = None


def alert(fingerprint: str, at: datetime, **labels: str) -> FakeAlert:
    return FakeAlert(fingerprint, {"alertname": "LinkDown", **labels}, starts_at=at)


def resolve(original: FakeAlert, at: datetime) -> FakeAlert:
    return replace(original, status="resolved", ends_at=at)


def fingerprints(notification: Notification) -> tuple[list[str], list[str]]:
    return (
        [a.fingerprint for a in notification.firing],
        [a.fingerprint for a in notification.resolved],
    )


def standard_route(**overrides: object) -> RouteSpec:
    settings: dict[str, object] = {
        "receiver": "noc",
        "group_by": ("alertname",),
        "group_wait": 30 * SECOND,
        "group_interval": 5 * MINUTE,
        "repeat_interval": 4 * timedelta(hours=1),
    }
    settings.update(overrides)
    return RouteSpec(**settings)  # type: ignore[arg-type]


class Timeline:
    """A dispatcher on a fake clock, ticked every second, remembering what was notified when."""

    def __init__(self, spec: RouteSpec, **options: object) -> None:
        self.clock = FakeClock(T0)
        self.dispatcher = Dispatcher(build_route_tree(spec), **options)  # type: ignore[arg-type]
        self.heard: list[Notification] = []

    def ingest(self, *alerts: FakeAlert) -> None:
        for each in alerts:
            self.dispatcher.ingest(each, self.clock.now())

    def run_until(self, until: datetime) -> list[Notification]:
        """Tick every second up to and including ``until``; the notifications in that stretch."""
        found: list[Notification] = []
        while self.clock.now() < until:
            self.clock.advance(1)
            found += self.dispatcher.tick(self.clock.now())
        self.heard += found
        return found


def test_three_alerts_within_group_wait_make_one_notification_a_fourth_waits_for_the_interval() -> (
    None
):
    line = Timeline(standard_route())
    line.ingest(alert("a", T0, region="440103"))
    line.clock.advance(10)
    line.ingest(alert("b", line.clock.now(), region="440104"))
    line.clock.advance(10)
    line.ingest(alert("c", line.clock.now(), region="440105"))

    assert line.run_until(T0 + 29 * SECOND) == []
    [first] = line.run_until(T0 + 30 * SECOND)
    assert first.at == T0 + 30 * SECOND
    assert first.reason is NotificationReason.NEW
    assert fingerprints(first) == (["a", "b", "c"], [])
    assert first.receiver == "noc"
    assert first.group_labels == {"alertname": "LinkDown"}

    line.run_until(T0 + MINUTE)
    line.ingest(alert("d", line.clock.now(), region="440106"))
    assert line.run_until(T0 + 5 * MINUTE + 29 * SECOND) == []
    [second] = line.run_until(T0 + 5 * MINUTE + 30 * SECOND)
    assert second.reason is NotificationReason.CHANGED
    assert fingerprints(second) == (["a", "b", "c", "d"], [])

    # Nothing changes: silence until repeat_interval has passed since the last notification.
    repeat_due = second.at + timedelta(hours=4)
    assert line.run_until(repeat_due - SECOND) == []
    [repeat] = line.run_until(repeat_due)
    assert repeat.reason is NotificationReason.REPEAT
    assert fingerprints(repeat) == (["a", "b", "c", "d"], [])
    assert line.dispatcher.next_flush_at() == repeat_due + 5 * MINUTE


def test_resolutions_are_sent_once_and_the_empty_group_is_dropped() -> None:
    line = Timeline(standard_route())
    a, b = alert("a", T0), alert("b", T0)
    line.ingest(a, b)
    line.run_until(T0 + 30 * SECOND)
    line.clock.advance(60)
    line.ingest(resolve(a, line.clock.now()))
    [changed] = line.run_until(T0 + 5 * MINUTE + 30 * SECOND)
    assert changed.reason is NotificationReason.CHANGED
    assert fingerprints(changed) == (["b"], ["a"])

    line.ingest(resolve(b, line.clock.now()))
    [over] = line.run_until(T0 + 10 * MINUTE + 30 * SECOND)
    assert over.reason is NotificationReason.RESOLVED
    assert fingerprints(over) == ([], ["b"])
    assert line.dispatcher.groups() == []
    assert line.run_until(T0 + 5 * timedelta(hours=1)) == []


def test_a_receiver_that_wants_no_resolutions_hears_only_of_firing_alerts() -> None:
    line = Timeline(standard_route(), send_resolved=lambda receiver: False)
    a, b = alert("a", T0), alert("b", T0)
    line.ingest(a, b)
    line.run_until(T0 + 30 * SECOND)
    line.ingest(resolve(a, line.clock.now()))
    assert line.run_until(T0 + 5 * MINUTE + 30 * SECOND) == []
    line.ingest(resolve(b, line.clock.now()))
    assert line.run_until(T0 + 10 * MINUTE + 30 * SECOND) == []
    assert line.dispatcher.groups() == []


def test_a_new_episode_after_everything_resolved_is_new_again() -> None:
    line = Timeline(standard_route())
    a = alert("a", T0)
    line.ingest(a)
    line.run_until(T0 + 30 * SECOND)
    line.ingest(resolve(a, line.clock.now()))
    line.run_until(T0 + 5 * MINUTE + 30 * SECOND)
    line.ingest(alert("a", line.clock.now()))
    [again] = line.run_until(T0 + 6 * MINUTE)
    assert again.reason is NotificationReason.NEW
    assert again.at == T0 + 6 * MINUTE  # a fresh group: a fresh group_wait


def test_an_alert_older_than_group_wait_is_flushed_at_once() -> None:
    line = Timeline(standard_route())
    line.clock.advance(600)
    line.ingest(alert("late", T0))  # firing for ten minutes already (a restart, say)
    [notification] = line.run_until(line.clock.now() + SECOND)
    assert notification.at == T0 + 601 * SECOND


def test_acknowledged_groups_are_not_repeated_but_changes_still_go_out() -> None:
    line = Timeline(standard_route(repeat_interval=30 * MINUTE))
    a = alert("a", T0)
    line.ingest(a)
    line.run_until(T0 + 30 * SECOND)
    line.ingest(replace(a, acknowledged=True))
    assert line.run_until(T0 + 2 * timedelta(hours=1)) == []
    line.ingest(alert("b", line.clock.now()))
    [changed] = line.run_until(line.clock.now() + 5 * MINUTE)
    assert changed.reason is NotificationReason.CHANGED


def test_pending_alerts_are_not_dispatched() -> None:
    line = Timeline(standard_route())
    line.ingest(replace(alert("a", T0), status="pending", starts_at=None))
    assert line.run_until(T0 + 10 * MINUTE) == []
    assert line.dispatcher.next_flush_at() is None


def test_group_by_splits_and_group_views_show_the_groups() -> None:
    line = Timeline(standard_route(group_by=("alertname", "city")))
    line.ingest(alert("a", T0, city="440100"), alert("b", T0, city="440200"))
    views = line.dispatcher.groups()
    assert [v.group_labels for v in views] == [
        {"alertname": "LinkDown", "city": "440100"},
        {"alertname": "LinkDown", "city": "440200"},
    ]
    assert views[0].next_flush_at == T0 + 30 * SECOND
    assert views[0].last_notified_at is None
    assert len(line.run_until(T0 + 30 * SECOND)) == 2


def test_group_by_all_labels_makes_a_group_per_alert() -> None:
    line = Timeline(standard_route(group_by=("...",)))
    line.ingest(alert("a", T0, device="gz-core-1"), alert("b", T0, device="gz-core-2"))
    assert len(line.run_until(T0 + 30 * SECOND)) == 2


def test_continue_sends_one_alert_to_every_matching_route() -> None:
    spec = standard_route(
        routes=(
            RouteSpec(
                matchers=parse_matchers('severity="critical"'),
                receiver="duty-sms",
                continue_matching=True,
            ),
            RouteSpec(matchers=parse_matchers('region=~"4401.*"'), receiver="guangzhou"),
            RouteSpec(matchers=parse_matchers('region=~"44.*"'), receiver="province"),
        )
    )
    line = Timeline(spec)
    line.ingest(alert("a", T0, severity="critical", region="440103"))
    notifications = line.run_until(T0 + 30 * SECOND)
    assert sorted(n.receiver for n in notifications) == ["duty-sms", "guangzhou"]
    line.ingest(alert("b", line.clock.now(), severity="warning", region="440203"))
    [other] = line.run_until(T0 + timedelta(minutes=2))
    assert other.receiver == "province"


def test_consequences_are_folded_under_their_cause() -> None:
    line = Timeline(standard_route(group_by=("alertname",)))
    cause = FakeAlert("city-link", {"alertname": "LinkDown", "region": "440100"})
    counties = [
        FakeAlert(
            f"county-{n}",
            {"alertname": "SiteUnreachable", "region": f"44010{n}"},
            caused_by="city-link",
        )
        for n in (3, 4, 5)
    ]
    line.ingest(cause, *counties)
    [notification] = line.run_until(T0 + 30 * SECOND)
    assert fingerprints(notification) == (["city-link"], [])
    assert [a.fingerprint for a in notification.consequences["city-link"]] == [
        "county-3",
        "county-4",
        "county-5",
    ]

    # The cause clears but one county stays down: it is now news on its own.
    line.ingest(resolve(cause, line.clock.now()))
    later = line.run_until(T0 + 5 * MINUTE + 30 * SECOND)
    by_reason = {n.reason: n for n in later}
    assert fingerprints(by_reason[NotificationReason.RESOLVED]) == ([], ["city-link"])
    assert fingerprints(by_reason[NotificationReason.NEW]) == (
        ["county-3", "county-4", "county-5"],
        [],
    )


def city_with_county_folded(line: Timeline) -> tuple[FakeAlert, FakeAlert]:
    cause = FakeAlert("city-link", {"alertname": "LinkDown"})
    county = FakeAlert("county-3", {"alertname": "SiteUnreachable"}, caused_by="city-link")
    line.ingest(cause, county)
    [told] = line.run_until(T0 + 5 * MINUTE + 20 * SECOND)
    assert fingerprints(told) == (["city-link"], [])
    return cause, county


def test_a_consequence_that_ends_within_group_wait_of_its_release_is_never_told() -> None:
    line = Timeline(standard_route(group_by=("alertname",)))
    cause, county = city_with_county_folded(line)
    line.ingest(resolve(cause, line.clock.now()))  # released at 5:21, held until 5:51
    [resolved] = line.run_until(T0 + 5 * MINUTE + 40 * SECOND)
    assert fingerprints(resolved) == ([], ["city-link"])  # the 5:30 flush: county-3 held back
    line.ingest(resolve(county, line.clock.now()))  # the county's own poll sees it back
    assert line.run_until(T0 + 20 * MINUTE) == []  # never told firing, so no resolution either


def test_a_consequence_still_down_after_group_wait_is_told_on_its_own() -> None:
    line = Timeline(standard_route(group_by=("alertname",)))
    cause, _ = city_with_county_folded(line)
    line.ingest(resolve(cause, line.clock.now()))
    line.run_until(T0 + 5 * MINUTE + 40 * SECOND)
    [alone] = line.run_until(T0 + 10 * MINUTE + 30 * SECOND)
    assert alone.at == T0 + 10 * MINUTE + 30 * SECOND  # the county group's next flush
    assert (alone.reason, fingerprints(alone)) == (NotificationReason.NEW, (["county-3"], []))
    assert alone.consequences == {}


def test_an_alert_told_before_its_cause_arrived_is_not_reported_resolved_when_folded() -> None:
    line = Timeline(standard_route(group_by=("alertname",)))
    county = FakeAlert("county-3", {"alertname": "SiteUnreachable"}, caused_by="city-link")
    line.ingest(county)
    [alone] = line.run_until(T0 + 30 * SECOND)
    assert fingerprints(alone) == (["county-3"], [])
    line.ingest(FakeAlert("city-link", {"alertname": "LinkDown"}, starts_at=line.clock.now()))
    [cause] = line.run_until(T0 + 5 * MINUTE + 30 * SECOND)
    assert cause.group_labels == {"alertname": "LinkDown"}
    assert [a.fingerprint for a in cause.consequences["city-link"]] == ["county-3"]


def test_root_causes_follow_chains_and_survive_cycles() -> None:
    firing = {
        "a": FakeAlert("a", caused_by="b"),
        "b": FakeAlert("b", caused_by="c"),
        "c": FakeAlert("c"),
        "x": FakeAlert("x", caused_by="y"),
        "y": FakeAlert("y", caused_by="x"),
        "z": FakeAlert("z", caused_by="gone"),
    }
    roots = root_causes(firing)
    assert roots["a"] == "c"
    assert roots["b"] == "c"
    assert "c" not in roots
    assert "z" not in roots
    assert {roots["x"], roots["y"]} == {"x", "y"}


def test_a_late_tick_keeps_the_flush_grid() -> None:
    line = Timeline(standard_route())
    line.ingest(alert("a", T0))
    line.clock.set(T0 + 12 * MINUTE)  # ticks missed: 0:30, 5:30, 10:30
    [notification] = line.dispatcher.tick(line.clock.now())
    assert notification.at == T0 + 12 * MINUTE
    assert line.dispatcher.next_flush_at() == T0 + 15 * MINUTE + 30 * SECOND
