"""Escalation as timelines: step 1 pages the county's city on-call at once, step 2 the provincial
duty engineer at exactly t+15 min if nobody acknowledged; an ack or a resolution stops it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from alerts.escalation import (
    EscalationPolicy,
    EscalationStep,
    EscalationTracker,
    OnCallTarget,
    Page,
    ScheduleTarget,
    UserTarget,
)
from alerts.matchers import parse_matchers
from alerts.oncall import OnCallDirectory, Override, Rotation, RotationPeriod, Schedule
from alerts.routing import RouteSpec, build_route_tree
from alerts.silences import SilenceStore
from core.clock import FakeClock
from core.security.scope import ScopeLevel

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Guangzhou, a Monday
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


def county_alert(fingerprint: str = "a", region: str = "440103", **more: str) -> FakeAlert:
    return FakeAlert(fingerprint, {"alertname": "LinkDown", "region": region, **more})


def rotation(*users: str) -> Rotation:
    return Rotation(users, date(2026, 3, 1), time(9, 0), RotationPeriod.WEEKLY, "Asia/Shanghai")


DIRECTORY_SCHEDULES = [
    Schedule("network-440100", "network", "440100", rotation("wang", "li")),
    Schedule("network-440300", "network", "440300", rotation("sun")),
    Schedule("duty-440000", "duty", "440000", rotation("zhou")),
]

NETWORK = EscalationPolicy(
    "network",
    (
        EscalationStep((OnCallTarget("network", ScopeLevel.CITY),), 15 * MINUTE),
        EscalationStep((OnCallTarget("duty", ScopeLevel.PROVINCE),), 30 * MINUTE),
    ),
)


class Timeline:
    def __init__(
        self,
        policy: EscalationPolicy = NETWORK,
        schedules: Sequence[Schedule] = DIRECTORY_SCHEDULES,
        silences: SilenceStore | None = None,
    ) -> None:
        route = build_route_tree(
            RouteSpec(receiver="noc", group_by=("alertname", "city"), escalation=policy.name)
        )
        self.clock = FakeClock(T0)
        self.tracker = EscalationTracker(
            route, {policy.name: policy}, OnCallDirectory(schedules), muter=silences
        )
        self.alerts: dict[str, FakeAlert] = {}

    def put(self, *alerts: FakeAlert) -> None:
        for alert in alerts:
            self.alerts[alert.fingerprint] = alert

    def run_until(self, until: datetime) -> list[Page]:
        pages = self.tracker.tick(self.clock.now(), self.alerts.values())
        while self.clock.now() < until:
            self.clock.advance(1)
            pages += self.tracker.tick(self.clock.now(), self.alerts.values())
        return pages


def summary(pages: Sequence[Page]) -> list[tuple[datetime, str | None, int, int]]:
    return [(p.due_at, p.user, p.step, p.round) for p in pages]


def test_no_ack_means_step_two_at_exactly_t_plus_fifteen_minutes() -> None:
    line = Timeline()
    line.put(county_alert())
    [first] = line.run_until(T0)
    assert (first.user, first.step, first.target) == ("wang", 1, "network on-call (city)")
    assert first.alert_fingerprints == ("a",)
    assert line.run_until(T0 + 15 * MINUTE - SECOND) == []
    [second] = line.run_until(T0 + 15 * MINUTE)
    assert summary([second]) == [(T0 + 15 * MINUTE, "zhou", 2, 1)]
    assert second.policy == "network"
    assert line.run_until(T0 + 5 * timedelta(hours=1)) == []  # no repeat: the policy is done


def test_an_ack_stops_the_escalation() -> None:
    line = Timeline()
    line.put(county_alert())
    line.run_until(T0 + 10 * MINUTE)
    line.put(replace(county_alert(), acknowledged=True))
    assert line.run_until(T0 + timedelta(hours=2)) == []
    [view] = line.tracker.escalations()
    assert view.acknowledged
    assert view.next_page_at is None


def test_a_resolution_stops_the_escalation() -> None:
    line = Timeline()
    line.put(county_alert())
    line.run_until(T0 + 10 * MINUTE)
    line.put(replace(county_alert(), status="resolved"))
    assert line.run_until(T0 + timedelta(hours=2)) == []
    assert line.tracker.escalations() == []


def test_a_new_unacknowledged_alert_after_an_ack_starts_again_at_step_one() -> None:
    line = Timeline()
    line.put(county_alert("a"))
    line.run_until(T0 + MINUTE)
    line.put(replace(county_alert("a"), acknowledged=True))
    line.run_until(T0 + 20 * MINUTE)
    line.put(county_alert("b", "440104"))
    pages = line.run_until(T0 + 35 * MINUTE)
    assert summary(pages) == [
        (T0 + 20 * MINUTE, "wang", 1, 1),
        (T0 + 35 * MINUTE, "zhou", 2, 1),
    ]
    assert pages[1].alert_fingerprints == ("b",)


def test_repeat_runs_the_steps_again_then_stops() -> None:
    line = Timeline(policy=replace(NETWORK, repeat=1))
    line.put(county_alert())
    pages = line.run_until(T0 + 3 * timedelta(hours=1))
    assert summary(pages) == [
        (T0, "wang", 1, 1),
        (T0 + 15 * MINUTE, "zhou", 2, 1),
        (T0 + 45 * MINUTE, "wang", 1, 2),
        (T0 + 60 * MINUTE, "zhou", 2, 2),
    ]


def restarted(line: Timeline, at: datetime) -> None:
    """A new tracker, as after a restart of the service, with the clock at ``at``."""
    line.clock.set(at)
    old = line.tracker
    line.tracker = EscalationTracker(old._route, old._policies, old._directory, muter=old._muter)


def test_a_restart_carries_on_with_the_step_due_instead_of_starting_again() -> None:
    line = Timeline()
    line.put(county_alert())
    assert summary(line.run_until(T0 + MINUTE)) == [(T0, "wang", 1, 1)]
    restarted(line, T0 + 20 * MINUTE)
    pages = line.run_until(T0 + 2 * timedelta(hours=1))
    assert summary(pages) == [(T0 + 15 * MINUTE, "zhou", 2, 1)]  # the city on-call not paged again


def test_after_a_restart_the_rounds_go_on_on_the_original_timeline() -> None:
    line = Timeline(policy=replace(NETWORK, repeat=1))
    line.put(county_alert())
    line.run_until(T0 + 20 * MINUTE)
    restarted(line, T0 + 50 * MINUTE)
    pages = line.run_until(T0 + 3 * timedelta(hours=1))
    assert summary(pages) == [(T0 + 45 * MINUTE, "wang", 1, 2), (T0 + 60 * MINUTE, "zhou", 2, 2)]


def test_an_alert_firing_when_the_service_starts_is_paged_at_step_one() -> None:
    line = Timeline()
    line.clock.set(T0 + 5 * MINUTE)
    line.put(replace(county_alert(), starts_at=T0 + 5 * MINUTE))
    assert summary(line.run_until(T0 + 6 * MINUTE)) == [(T0 + 5 * MINUTE, "wang", 1, 1)]


def test_the_city_on_call_is_found_per_region_with_overrides() -> None:
    schedules = [
        DIRECTORY_SCHEDULES[0].with_override(Override("chen", T0 - MINUTE, T0 + MINUTE)),
        *DIRECTORY_SCHEDULES[1:],
    ]
    line = Timeline(schedules=schedules)
    line.put(
        county_alert("gz", "440103", city="440100"), county_alert("sz", "440305", city="440300")
    )
    pages = line.run_until(T0)
    assert sorted((p.user, p.alert_fingerprints) for p in pages) == [
        ("chen", ("gz",)),
        ("sun", ("sz",)),
    ]


def test_nobody_to_page_is_reported_not_swallowed() -> None:
    policy = EscalationPolicy(
        "network",
        (
            EscalationStep(
                (
                    OnCallTarget("systems", ScopeLevel.CITY),
                    ScheduleTarget("missing"),
                    UserTarget("oncall-manager"),
                ),
                timedelta(0),
            ),
        ),
    )
    line = Timeline(policy=policy)
    line.put(county_alert(), FakeAlert("n", {"alertname": "NoRegion"}))
    pages = line.run_until(T0)
    problems = [(p.group_key.split(":", 1)[1], p.user, p.problem) for p in pages]
    assert problems == [
        ('{alertname="LinkDown"}', None, "team 'systems' has no schedule covering 440103"),
        ('{alertname="LinkDown"}', None, "no on-call schedule 'missing'"),
        ('{alertname="LinkDown"}', "oncall-manager", None),
        ('{alertname="NoRegion"}', None, "the alerts carry no 'region' label to find a schedule"),
        ('{alertname="NoRegion"}', None, "no on-call schedule 'missing'"),
        ('{alertname="NoRegion"}', "oncall-manager", None),
    ]


def test_muted_alerts_and_consequences_page_nobody() -> None:
    silences = SilenceStore()
    silences.create(
        parse_matchers('region="440105"'),
        starts_at=T0,
        ends_at=T0 + timedelta(hours=1),
        created_by="wang",
        comment="works",
    )
    line = Timeline(silences=silences)
    line.put(
        county_alert("muted", "440105", city="440105"),
        FakeAlert("cause", {"alertname": "LinkDown", "region": "440300", "city": "440300"}),
        FakeAlert(
            "effect",
            {"alertname": "SiteUnreachable", "region": "440303", "city": "440300"},
            caused_by="cause",
        ),
    )
    pages = line.run_until(T0)
    assert [(p.user, p.alert_fingerprints) for p in pages] == [("sun", ("cause",))]


def test_the_escalation_view_says_what_comes_next() -> None:
    line = Timeline()
    line.put(county_alert())
    line.run_until(T0 + MINUTE)
    [view] = line.tracker.escalations()
    assert (view.policy, view.started_at, view.next_step, view.next_page_at) == (
        "network",
        T0,
        2,
        T0 + 15 * MINUTE,
    )


@pytest.mark.parametrize(
    ("steps", "repeat", "complaint"),
    [
        ((), 0, "has no steps"),
        ((EscalationStep((), MINUTE),), 0, "pages nobody"),
        (
            (
                EscalationStep((UserTarget("a"),), timedelta(0)),
                EscalationStep((UserTarget("b"),), timedelta(0)),
            ),
            0,
            "escalate_after must be positive",
        ),
        ((EscalationStep((UserTarget("a"),), timedelta(0)),), 2, "escalate_after must be positive"),
        ((EscalationStep((UserTarget("a"),), MINUTE),), -1, "cannot be negative"),
    ],
)
def test_impossible_policies_are_refused(
    steps: tuple[EscalationStep, ...], repeat: int, complaint: str
) -> None:
    with pytest.raises(ValueError, match=complaint):
        EscalationPolicy("p", steps, repeat)
