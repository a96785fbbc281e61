"""Silences as timelines on the fake clock: pending → active → expired, until-resolved, and what
the dispatcher tells the receiver while a silence holds and after it ends."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest

from alerts.dispatch import Dispatcher, NotificationReason
from alerts.matchers import parse_matchers
from alerts.routing import RouteSpec, build_route_tree
from alerts.silences import (
    CombinedMuter,
    InvalidSuppression,
    MuteCause,
    Silence,
    SilenceState,
    SilenceStore,
    SuppressionEnded,
    SuppressionKind,
    SuppressionStarted,
)
from core.clock import FakeClock
from core.errors import NotFound

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
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


def link_down(fingerprint: str, region: str, at: datetime = T0) -> FakeAlert:
    labels = {"alertname": "LinkDown", "region": region, "severity": "critical"}
    return FakeAlert(fingerprint, labels, starts_at=at)


def resolve(alert: FakeAlert, at: datetime) -> FakeAlert:
    return replace(alert, status="resolved", ends_at=at)


def counter() -> SilenceStore:
    ids = iter(f"s{n}" for n in range(1, 100))
    return SilenceStore(id_factory=lambda: next(ids))


def test_a_silence_is_pending_then_active_then_expired() -> None:
    store = counter()
    silence = store.create(
        parse_matchers('region=~"4401.*"'),
        starts_at=T0 + 10 * MINUTE,
        ends_at=T0 + 70 * MINUTE,
        created_by="wang",
        comment="fibre work",
    )
    alert = link_down("a", "440103")
    assert silence.state(T0) is SilenceState.PENDING
    assert store.muted_by(alert, T0) == ()
    assert silence.state(T0 + 10 * MINUTE) is SilenceState.ACTIVE
    assert store.muted_by(alert, T0 + 10 * MINUTE) == (MuteCause(SuppressionKind.SILENCE, "s1"),)
    assert store.muted_by(link_down("b", "440203"), T0 + 10 * MINUTE) == ()
    assert silence.state(T0 + 70 * MINUTE) is SilenceState.EXPIRED
    assert store.muted_by(alert, T0 + 70 * MINUTE) == ()
    assert [s.id for s in store.in_state(T0 + 20 * MINUTE, SilenceState.ACTIVE)] == ["s1"]


def test_tick_announces_start_and_end_once_each() -> None:
    store = counter()
    store.create(
        parse_matchers('region="440103"'),
        starts_at=T0 + 5 * MINUTE,
        ends_at=T0 + 30 * MINUTE,
        created_by="wang",
        comment="county router swap",
    )
    assert store.tick(T0) == []
    started = store.tick(T0 + 6 * MINUTE)
    assert started == [
        SuppressionStarted(
            at=T0 + 5 * MINUTE,
            kind=SuppressionKind.SILENCE,
            suppression_id="s1",
            summary='{region="440103"}',
            created_by="wang",
            comment="county router swap",
            ends_at=T0 + 30 * MINUTE,
        )
    ]
    assert store.tick(T0 + 7 * MINUTE) == []
    ended = store.tick(T0 + 31 * MINUTE)
    assert ended == [
        SuppressionEnded(
            at=T0 + 30 * MINUTE,
            kind=SuppressionKind.SILENCE,
            suppression_id="s1",
            summary='{region="440103"}',
            reason="its end time passed",
        )
    ]
    assert store.tick(T0 + 32 * MINUTE) == []


def test_expiring_by_hand_ends_it_now_and_says_who() -> None:
    store = counter()
    store.create(
        parse_matchers('region="440103"'),
        starts_at=T0,
        ends_at=T0 + 60 * MINUTE,
        created_by="wang",
        comment="",
    )
    store.tick(T0)
    expired = store.expire("s1", T0 + 10 * MINUTE, by="li")
    assert expired.ends_at == T0 + 10 * MINUTE
    assert expired.state(T0 + 10 * MINUTE) is SilenceState.EXPIRED
    [ended] = store.tick(T0 + 10 * MINUTE)
    assert isinstance(ended, SuppressionEnded)
    assert ended.reason == "expired by li"
    with pytest.raises(NotFound):
        store.expire("nope", T0)


def test_expiring_a_pending_silence_means_it_never_starts() -> None:
    store = counter()
    store.create(
        parse_matchers('region="440103"'),
        starts_at=T0 + 60 * MINUTE,
        ends_at=T0 + 120 * MINUTE,
        created_by="wang",
        comment="",
    )
    store.expire("s1", T0)
    assert store.get("s1").state(T0 + 90 * MINUTE) is SilenceState.EXPIRED
    assert store.tick(T0 + 90 * MINUTE) == []


def test_until_resolved_ends_when_every_muted_alert_resolved() -> None:
    store = counter()
    store.create(
        parse_matchers('alertname="LinkDown", region=~"4401.*"'),
        starts_at=T0,
        ends_at=None,
        created_by="wang",
        comment="known outage, quiet until it is over",
        until_resolved=True,
    )
    first, second = link_down("a", "440103"), link_down("b", "440104")
    assert store.muted_by(first, T0)
    store.observe(second, T0 + MINUTE)
    store.tick(T0 + MINUTE)
    store.observe(resolve(first, T0 + 20 * MINUTE), T0 + 20 * MINUTE)
    assert store.get("s1").state(T0 + 20 * MINUTE) is SilenceState.ACTIVE
    store.observe(resolve(second, T0 + 30 * MINUTE), T0 + 30 * MINUTE)
    assert store.get("s1").state(T0 + 30 * MINUTE) is SilenceState.EXPIRED
    [ended] = store.tick(T0 + 30 * MINUTE)
    assert isinstance(ended, SuppressionEnded)
    assert ended.at == T0 + 30 * MINUTE
    assert ended.reason == "the alerts it silenced resolved"


@pytest.mark.parametrize(
    ("matchers", "ends_at", "until_resolved", "complaint"),
    [
        ("", T0 + MINUTE, False, "at least one matcher"),
        ('region=~".*"', T0 + MINUTE, False, "would match every alert"),
        ('region="440103"', None, False, "needs an end time"),
        ('region="440103"', T0 - MINUTE, False, "cannot end before"),
    ],
)
def test_nonsense_silences_are_refused(
    matchers: str, ends_at: datetime | None, until_resolved: bool, complaint: str
) -> None:
    with pytest.raises(InvalidSuppression, match=complaint):
        Silence("x", parse_matchers(matchers), T0, ends_at, "wang", "", until_resolved)


def test_combined_muter_names_every_cause() -> None:
    silences = counter()
    others = SilenceStore(id_factory=lambda: "t1")
    silences.create(
        parse_matchers('region="440103"'),
        starts_at=T0,
        ends_at=T0 + MINUTE,
        created_by="a",
        comment="",
    )
    others.create(
        parse_matchers('severity="critical"'),
        starts_at=T0,
        ends_at=T0 + MINUTE,
        created_by="b",
        comment="",
    )
    muter = CombinedMuter(silences, others)
    assert [str(cause) for cause in muter.muted_by(link_down("a", "440103"), T0)] == [
        "silence s1",
        "silence t1",
    ]
    assert muter.muted_by(link_down("a", "440103"), T0 + MINUTE) == ()


# --- with the dispatcher: what the receiver hears ---------------------------------------------


def dispatcher_with(store: SilenceStore) -> Dispatcher:
    route = build_route_tree(
        RouteSpec(
            receiver="noc",
            group_by=("alertname",),
            group_wait=timedelta(seconds=30),
            group_interval=timedelta(minutes=5),
            repeat_interval=timedelta(hours=4),
        )
    )
    return Dispatcher(route, muter=store)


def test_muted_while_the_silence_holds_then_notified_at_the_next_flush_after_it_expires() -> None:
    clock = FakeClock(T0)
    store = counter()
    store.create(
        parse_matchers('region="440103"'),
        starts_at=T0,
        ends_at=T0 + 12 * MINUTE,
        created_by="wang",
        comment="planned",
    )
    dispatcher = dispatcher_with(store)
    dispatcher.ingest(link_down("a", "440103"), clock.now())
    heard = []
    while clock.now() < T0 + 12 * MINUTE:
        clock.advance(30)
        heard += dispatcher.tick(clock.now())
    assert heard == []  # flushes at 0:30, 5:30 and 10:30 found it muted
    clock.set(T0 + timedelta(minutes=15, seconds=29))
    assert dispatcher.tick(clock.now()) == []
    clock.advance(1)  # the flush grid: 0:30 + 3 × 5 min
    [notification] = dispatcher.tick(clock.now())
    assert notification.reason is NotificationReason.NEW
    assert [a.fingerprint for a in notification.firing] == ["a"]


def test_an_until_resolved_silence_ends_with_its_alert_and_the_next_one_is_heard() -> None:
    clock = FakeClock(T0)
    store = counter()
    store.create(
        parse_matchers('alertname="LinkDown", region="440103"'),
        starts_at=T0,
        ends_at=None,
        created_by="wang",
        comment="until fixed",
        until_resolved=True,
    )
    dispatcher = dispatcher_with(store)
    first = link_down("a", "440103")
    dispatcher.ingest(first, clock.now())
    clock.advance(30)
    assert dispatcher.tick(clock.now()) == []  # muted
    clock.advance(60)
    dispatcher.ingest(resolve(first, clock.now()), clock.now())
    assert store.get("s1").state(clock.now()) is SilenceState.EXPIRED
    assert dispatcher.tick(clock.now()) == []
    clock.set(T0 + 5 * MINUTE + timedelta(seconds=30))
    assert dispatcher.tick(clock.now()) == []  # the receiver never heard of it: nothing to resolve

    clock.set(T0 + 30 * MINUTE)
    again = link_down("b", "440103", at=clock.now())
    dispatcher.ingest(again, clock.now())
    clock.advance(30)
    [notification] = dispatcher.tick(clock.now())
    assert notification.reason is NotificationReason.NEW
    assert [a.fingerprint for a in notification.firing] == ["b"]
