"""The lifecycle as timelines: acknowledgements with expiry, flapping, history (who and why)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerts.matchers import AlertLike
from alerts.model import AlertError, AlertStatus, TransitionKind
from core.errors import NotFound
from tests.unit.alerts.timeline import Timeline

CPU = "device_cpu_percent"
GZ = {"device": "gz-core1"}

RULE = """
- name: cpu-high
  metric: device_cpu_percent
  op: ">"
  threshold: 90
  clear_threshold: 80
  severity: major
  annotations: {summary: "{device} CPU at {value:.0f}%"}
  flapping: {changes: 4, within: 10m, stable_for: 5m}
"""


def test_ack_with_expiry_returns_to_unacknowledged_when_still_firing() -> None:
    tl = Timeline(RULE, every="1m")
    tl.at("0s").metric(CPU, GZ, 95)
    tl.at("2m").ack("cpu-high", "alice", "looking at it, a backup job", expires_in="10m")
    tl.at("11m59s").check()
    tl.run(until="15m")

    assert tl.kinds() == [(0.0, "fired"), (120.0, "acknowledged"), (720.0, "ack_expired")]
    expired = tl.expect("ack_expired", between=("12m", "12m"))[0]
    assert expired.transition.by == "system"
    assert expired.transition.reason == "acknowledgement by alice expired while still firing"
    assert expired.transition.note == "looking at it, a backup job"
    assert expired.transition.notify
    alert = tl.alert("cpu-high")
    assert not alert.acknowledged

    history = tl.engine.history(alert.fingerprint)
    assert [(h.kind.value, h.by) for h in history] == [
        ("fired", "system"),
        ("acknowledged", "alice"),
        ("ack_expired", "system"),
    ]
    acked = history[1]
    assert acked.note == "looking at it, a backup job"
    assert acked.reason == "acknowledged until 2026-03-02T08:12:00+00:00"


def test_an_ack_is_kept_while_firing_and_the_next_episode_starts_unacknowledged() -> None:
    tl = Timeline(RULE, every="1m")
    tl.at("0s").metric(CPU, GZ, 95)
    tl.at("1m").ack("cpu-high", "bob", "mine")
    tl.at("3m").metric(CPU, GZ, 50)
    tl.at("4m").do(lambda t, _now: _assert_acked_by(t, "bob"))  # resolved keeps the record
    tl.at("5m").metric(CPU, GZ, 99)
    tl.run(until="6m")
    assert tl.kinds() == [
        (0.0, "fired"),
        (60.0, "acknowledged"),
        (180.0, "resolved"),
        (300.0, "fired"),
    ]
    assert not tl.alert("cpu-high").acknowledged


def _assert_acked_by(tl: Timeline, who: str) -> None:
    ack = tl.alert("cpu-high").acknowledgement
    assert ack is not None
    assert ack.by == who


def test_an_ack_that_expires_after_resolution_makes_no_transition() -> None:
    tl = Timeline(RULE, every="1m")
    tl.at("0s").metric(CPU, GZ, 95)
    tl.at("1m").ack("cpu-high", "bob", "mine", expires_in="5m")
    tl.at("3m").metric(CPU, GZ, 50)
    tl.run(until="10m")
    tl.expect_none("ack_expired")


def test_unacknowledge_gives_the_alert_back_with_who_and_why() -> None:
    tl = Timeline(RULE, every="1m")
    tl.at("0s").metric(CPU, GZ, 95)
    tl.at("1m").ack("cpu-high", "alice", "mine")
    tl.at("2m").unack("cpu-high", "alice")
    tl.run(until="3m")
    alert = tl.alert("cpu-high")
    assert not alert.acknowledged
    last = tl.engine.history(alert.fingerprint)[-1]
    assert (last.kind, last.by, last.reason) == (
        TransitionKind.UNACKNOWLEDGED,
        "alice",
        "given back",
    )
    assert alert.last_transition is TransitionKind.UNACKNOWLEDGED
    assert alert.last_transition_at == tl.time("2m")


def test_acknowledging_what_cannot_be_taken_is_refused() -> None:
    tl = Timeline(RULE, every="1m")
    tl.at("0s").metric(CPU, GZ, 95)
    tl.at("1m").metric(CPU, GZ, 10)
    tl.run(until="1m")
    fingerprint = tl.alert("cpu-high").fingerprint
    now = tl.time("1m")
    with pytest.raises(AlertError, match="is resolved"):
        tl.engine.acknowledge(fingerprint, "alice", "late", now)
    with pytest.raises(AlertError, match="is not acknowledged"):
        tl.engine.unacknowledge(fingerprint, "alice", now)
    with pytest.raises(NotFound):
        tl.engine.acknowledge("0123456789abcdef", "alice", "?", now)


def test_an_ack_must_expire_in_the_future() -> None:
    tl = Timeline(RULE, every="1m")
    tl.at("0s").metric(CPU, GZ, 95)
    tl.run(until="0s")
    now = tl.time("0s")
    with pytest.raises(AlertError, match="future"):
        tl.engine.acknowledge(tl.alert("cpu-high").fingerprint, "a", "n", now, now - timedelta(1))


def test_flapping_holds_the_alert_firing_and_it_resolves_once_stable() -> None:
    tl = Timeline(RULE, every="1m")
    for minute in range(0, 8, 2):  # 95 at 0, 2, 4, 6; 50 at 1, 3, 5, 7
        tl.at(f"{minute}m").metric(CPU, GZ, 95)
        tl.at(f"{minute + 1}m").metric(CPU, GZ, 50)
    tl.run(until="14m")

    assert tl.kinds() == [
        (0.0, "fired"),
        (60.0, "resolved"),
        (120.0, "fired"),
        (180.0, "flapping_started"),  # 4th change within 10m: held firing
        (720.0, "flapping_stopped"),  # 5m after the last change (7m)
        (720.0, "resolved"),
    ]
    started = tl.expect("flapping_started")[0]
    assert started.transition.before is AlertStatus.FIRING
    assert started.transition.after is AlertStatus.FIRING
    assert (
        started.transition.reason == "4 state changes within 10m: held firing until stable for 5m"
    )
    assert started.alert.flapping


def test_a_flapping_alert_that_settles_firing_stays_firing_without_a_new_notice() -> None:
    tl = Timeline(RULE, every="1m")
    for minute in range(0, 4, 2):
        tl.at(f"{minute}m").metric(CPU, GZ, 95)
        tl.at(f"{minute + 1}m").metric(CPU, GZ, 50)
    tl.at("4m").metric(CPU, GZ, 95)  # the 5th change, while flapping; then it stays up
    tl.run(until="12m")
    assert tl.kinds() == [
        (0.0, "fired"),
        (60.0, "resolved"),
        (120.0, "fired"),
        (180.0, "flapping_started"),
        (540.0, "flapping_stopped"),
    ]
    alert = tl.alert("cpu-high")
    assert alert.status is AlertStatus.FIRING
    assert not alert.flapping
    assert alert.times_fired == 2


def test_changes_spread_wider_than_the_window_are_not_flapping() -> None:
    tl = Timeline(RULE, every="1m")
    for minute in range(0, 40, 8):
        tl.at(f"{minute}m").metric(CPU, GZ, 95)
        tl.at(f"{minute + 4}m").metric(CPU, GZ, 50)
    tl.run(until="45m")
    tl.expect_none("flapping_started")
    tl.expect("fired", count=5)


def test_the_alert_view_is_what_dispatch_reads() -> None:
    tl = Timeline(RULE, every="1m")
    tl.at("0s").metric(CPU, GZ, 95)
    tl.run(until="0s")
    alert: AlertLike = tl.alert("cpu-high")  # the structural protocol of alerts/matchers.py
    assert alert.status == "firing"
    assert alert.caused_by is None
