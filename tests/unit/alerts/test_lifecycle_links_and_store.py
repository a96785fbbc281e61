"""Root-cause links (caused_by / consequences), the store's shape, restore, rule reloads."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from alerts.evaluation import AlertEngine
from alerts.history import InMemoryAlertStore, alert_from_dict, alert_to_dict
from alerts.model import AlertError, AlertStatus, DeviceFact, StateSnapshot, TransitionKind
from core.clock import FakeClock
from core.errors import StoreError
from tests.unit.alerts.timeline import T0, FakeMetrics, Timeline, rules_from_yaml

RULES = """
- name: device-unreachable
  fact: device
  state: down
  severity: critical
  annotations: {summary: "{device} does not answer"}
- name: cpu-high
  metric: device_cpu_percent
  op: ">"
  threshold: 90
  for: 1m
  severity: major
  annotations: {summary: "{device} CPU at {value:.0f}%"}
"""


def city_down_with_two_counties(tl: Timeline) -> None:
    tl.at("0s").device("r-440100", "down").device("sw-440103", "down").device("sw-440104", "down")


def fp(tl: Timeline, device: str) -> str:
    return tl.alert("device-unreachable", device=device).fingerprint


def test_consequences_fold_under_their_cause_and_come_out_when_it_resolves() -> None:
    tl = Timeline(RULES, every="1m")
    city_down_with_two_counties(tl)

    def fold(t: Timeline, now: Any) -> None:
        for county in ("sw-440103", "sw-440104"):
            t.by_people(now, *t.engine.attach_consequence(fp(t, "r-440100"), fp(t, county), now))

    tl.at("1m").do(fold)
    tl.at("5m").device("r-440100", "up")  # the city comes back, one county stays down
    tl.at("5m").device("sw-440103", "up")
    tl.run(until="6m")

    city = tl.alert("device-unreachable", device="r-440100")
    county = tl.alert("device-unreachable", device="sw-440104")
    assert city.consequences == ()
    assert county.caused_by is None  # it surfaces on its own now
    attached = tl.seen("cause_attached", device="sw-440104")[0]
    assert attached.transition.reason == f"folded under ({city.fingerprint})"
    detached = tl.expect("cause_detached", between=("5m", "5m"), device="sw-440104")[0]
    assert detached.transition.by == "system"
    assert detached.transition.reason == f"cause resolved ({city.fingerprint})"
    assert len(tl.seen("consequence_detached", device="r-440100")) == 2


def test_attach_moves_a_consequence_and_refuses_cycles() -> None:
    tl = Timeline(RULES, every="1m")
    city_down_with_two_counties(tl)
    tl.run(until="0s")
    now = tl.time("0s")
    engine = tl.engine
    city, a, b = fp(tl, "r-440100"), fp(tl, "sw-440103"), fp(tl, "sw-440104")

    engine.attach_consequence(a, b, now, by="alice", reason="b hangs off a")
    assert engine.get(a).consequences == (b,)
    moved = engine.attach_consequence(city, b, now)
    assert [t.kind for t in moved] == [
        TransitionKind.CAUSE_DETACHED,
        TransitionKind.CONSEQUENCE_DETACHED,
        TransitionKind.CAUSE_ATTACHED,
        TransitionKind.CONSEQUENCE_ATTACHED,
    ]
    assert engine.get(a).consequences == ()
    assert engine.get(b).caused_by == city
    assert engine.attach_consequence(city, b, now) == []  # already so

    engine.attach_consequence(b, a, now)  # city ← b ← a
    with pytest.raises(AlertError, match="cycle"):
        engine.attach_consequence(a, city, now)
    with pytest.raises(AlertError, match="cycle"):
        engine.attach_consequence(a, a, now)

    detached = engine.detach_consequence(b, now, by="alice", reason="wrong guess")
    assert [(t.kind, t.by) for t in detached] == [
        (TransitionKind.CAUSE_DETACHED, "alice"),
        (TransitionKind.CONSEQUENCE_DETACHED, "alice"),
    ]
    assert engine.detach_consequence(b, now) == []


def test_the_store_gets_json_alerts_and_appended_history() -> None:
    store = InMemoryAlertStore()
    tl = Timeline(RULES, every="1m", store=store)
    tl.at("0s").metric("device_cpu_percent", {"device": "gz-core1"}, 95)
    tl.at("2m").ack("cpu-high", "alice", "on it")
    tl.run(until="3m")
    alert = tl.alert("cpu-high")

    stored = store.load_alerts(tl.time("0s"))
    assert len(stored) == 1
    assert stored[0]["status"] == "firing"
    assert json.loads(json.dumps(stored[0])) == stored[0]  # plain JSON values only
    assert [h["kind"] for h in store.history(alert.fingerprint)] == [
        "pending",
        "fired",
        "acknowledged",
    ]
    assert alert_from_dict(stored[0]).snapshot() == alert
    assert alert_to_dict(alert_from_dict(stored[0])) == stored[0]


def test_a_pending_alert_that_never_fired_leaves_nothing_in_the_store() -> None:
    store = InMemoryAlertStore()
    tl = Timeline(RULES, every="1m", store=store)
    tl.at("0s").metric("device_cpu_percent", {"device": "gz-core1"}, 95)
    tl.at("30s").metric("device_cpu_percent", {"device": "gz-core1"}, 10)
    tl.run(until="1m")
    assert len(store) == 0


def test_a_restarted_engine_carries_on_with_the_same_alerts() -> None:
    store = InMemoryAlertStore()
    first = Timeline(RULES, every="1m", store=store)
    first.at("0s").metric("device_cpu_percent", {"device": "gz-core1"}, 95)
    first.run(until="2m")
    fingerprint = first.alert("cpu-high").fingerprint

    engine = AlertEngine(rules_from_yaml(RULES), store=store)
    assert engine.restore(first.time("3m")) == 1
    metrics = FakeMetrics(first.clock)
    metrics.set("device_cpu_percent", {"device": "gz-core1"}, 95)
    assert engine.evaluate(first.time("3m"), metrics).transitions == ()  # still firing: nothing new
    metrics.set("device_cpu_percent", {"device": "gz-core1"}, 5)
    result = engine.evaluate(first.time("4m"), metrics)
    assert [(t.fingerprint, t.kind) for t in result.transitions] == [
        (fingerprint, TransitionKind.RESOLVED)
    ]
    assert [h.kind.value for h in engine.history(fingerprint)] == ["pending", "fired", "resolved"]


def test_removing_a_rule_ends_its_alerts() -> None:
    tl = Timeline(RULES, every="1m")
    tl.at("0s").device("gz-core1", "down")
    tl.run(until="0s")
    only_cpu = rules_from_yaml(
        RULES.split("- name: cpu-high", maxsplit=1)[0].replace("device-unreachable", "x")
    )
    ended = tl.engine.replace_rules(only_cpu, tl.time("1m"))
    assert [(t.kind, t.reason) for t in ended] == [(TransitionKind.RESOLVED, "rule removed")]
    assert tl.engine.alerts(AlertStatus.FIRING) == []


class FailingStore(InMemoryAlertStore):
    def __init__(self) -> None:
        super().__init__()
        self.broken = True

    def save(self, alert: dict[str, Any], new_history: Any) -> None:
        if self.broken:
            raise StoreError("database is locked")
        super().save(alert, new_history)


def test_a_store_failure_is_reported_and_the_writes_are_retried() -> None:
    store = FailingStore()
    engine = AlertEngine(rules_from_yaml(RULES), store=store)
    clock = FakeClock(T0)
    down = StateSnapshot(devices=(DeviceFact("gz-core1", "down"),))
    result = engine.evaluate(T0, FakeMetrics(clock), down)
    assert [f.source for f in result.failures] == ["store"]
    assert result.of_kind(TransitionKind.FIRED)  # the cycle itself went through
    store.broken = False
    engine.evaluate(T0 + timedelta(minutes=1), FakeMetrics(clock), down)
    fingerprint = result.transitions[0].fingerprint
    assert [h["kind"] for h in store.history(fingerprint)] == ["fired"]
