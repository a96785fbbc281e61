"""Event rules as timelines: linkDown cleared by linkUp, resolve_after, events between cycles."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from alerts.evaluation import AlertEngine
from alerts.model import DeviceFact, StateSnapshot, TransitionKind
from alerts.rules import load_default_rules
from core.clock import FakeClock
from core.events import ConfigChanged, Event, HostKeyChanged, TerminalPsamChanged
from tests.unit.alerts.timeline import FakeMetrics, Timeline, rules_from_yaml, trap


def no_metrics() -> FakeMetrics:
    return FakeMetrics(FakeClock())


RULES = """
- name: interface-down-trap
  event: TrapReceived
  match: {kind: linkDown}
  identify_by: [device, if_index]
  clear: {match: {kind: linkUp}}
  resolve_after: 1h
  severity: warning
  annotations: {summary: "{device} reported {if_name} down"}
- name: config-changed
  event: ConfigChanged
  resolve_after: 30m
  severity: info
  annotations: {summary: "{device} changed: +{lines_added} -{lines_removed} (by {changed_by})"}
- name: host-key-changed
  event: HostKeyChanged
  resolve_after: 24h
  severity: critical
  annotations: {summary: "host key of {endpoint} changed"}
"""


def test_link_down_trap_fires_and_the_link_up_of_the_same_interface_resolves_it() -> None:
    tl = Timeline(RULES, every="1m")
    tl.at("0s").device("sw-440103", "up", region="440103")
    tl.at("1m").trap("linkDown", "sw-440103", if_index=3, if_name="GE0/0/1")
    tl.at("2m").trap("linkUp", "sw-440103", if_index=4)  # another interface: no effect
    tl.at("3m").trap("linkUp", "other-device", if_index=3)  # another device: no effect
    tl.at("5m").trap("linkUp", "sw-440103", if_index=3)
    tl.run(until="6m")

    assert tl.kinds() == [(60.0, "fired"), (300.0, "resolved")]
    alert = tl.alert("interface-down-trap")
    assert alert.annotations["summary"] == "sw-440103 reported GE0/0/1 down"
    assert alert.labels["county"] == "440103"  # the device's context joins the event's labels
    assert alert.labels["if_index"] == "3"


def test_a_repeated_link_down_is_the_same_alert_and_resolve_after_counts_from_the_last() -> None:
    tl = Timeline(RULES, every="5m")
    tl.at("0s").trap("linkDown", "sw-440103", if_index=3)
    tl.at("30m").trap("linkDown", "sw-440103", if_index=3)
    tl.run(until="2h")
    assert tl.kinds() == [(0.0, "fired"), (5400.0, "resolved")]  # 1h after the one at 30m


def test_link_down_and_up_between_two_cycles_still_fire_and_resolve_at_their_times() -> None:
    engine = AlertEngine(rules_from_yaml(RULES))
    metrics = no_metrics()
    start = datetime.fromisoformat("2026-03-02T08:00:00+00:00")
    engine.evaluate(start, metrics)
    down, up = start + timedelta(seconds=20), start + timedelta(seconds=40)
    result = engine.evaluate(
        start + timedelta(minutes=1),
        metrics,
        StateSnapshot(),
        [trap(up, "linkUp", "sw-1", 3), trap(down, "linkDown", "sw-1", 3)],  # any order
    )
    assert [(t.kind, t.at) for t in result.transitions] == [
        (TransitionKind.FIRED, down),
        (TransitionKind.RESOLVED, up),
    ]


def test_link_flapping_by_traps_is_held_firing_and_notified_once() -> None:
    rules = RULES.replace(
        "  resolve_after: 1h\n",
        "  resolve_after: 1h\n  flapping: {changes: 4, within: 10m, stable_for: 5m}\n",
        1,
    )
    tl = Timeline(rules, every="30s")
    for minute in range(6):  # down at 0, 1, 2, ...; up at 0m30, 1m30, ...
        tl.at(f"{minute}m").trap("linkDown", "sw-1", if_index=3)
        tl.at(f"{minute}m30s").trap("linkUp", "sw-1", if_index=3)
    tl.run(until="15m")

    assert tl.kinds() == [
        (0.0, "fired"),
        (30.0, "resolved"),
        (60.0, "fired"),
        (90.0, "flapping_started"),  # the 4th change in 10 minutes
        (630.0, "flapping_stopped"),  # 5 minutes after the last linkUp at 5m30
        (630.0, "resolved"),
    ]
    notified = [s for s in tl.seen() if s.transition.notify]
    assert [s.transition.kind.value for s in notified] == [
        "fired",
        "resolved",
        "fired",
        "flapping_started",
        "resolved",
    ]


def test_config_and_host_key_events_fire_with_their_fields_and_expire() -> None:
    tl = Timeline(RULES, every="5m")
    tl.at("0s").event(lambda now: ConfigChanged(now, "r-440100", 7, 3, 1, changed_by="admin"))
    tl.at("10m").event(lambda now: ConfigChanged(now, "r-440100", 8, 1, 0))
    tl.at("0s").event(
        lambda now: HostKeyChanged(now, "10.0.0.1:22", "r-440100", "SHA256:old", "SHA256:new")
    )
    tl.run(until="1h")

    assert tl.kinds("config-changed") == [(0.0, "fired"), (2400.0, "resolved")]
    summary = tl.alert("config-changed").annotations["summary"]
    assert summary == "r-440100 changed: +1 -0 (by {changed_by})"  # the latest event; no author
    host_key = tl.alert("host-key-changed")
    assert host_key.labels["endpoint"] == "10.0.0.1:22"
    assert host_key.status.value == "firing"


def test_events_of_an_unknown_device_still_fire_with_the_labels_they_have() -> None:
    engine = AlertEngine(rules_from_yaml(RULES))
    now = datetime.fromisoformat("2026-03-02T08:00:00+00:00")
    snapshot = StateSnapshot(devices=(DeviceFact("known", "up", region="440100"),))
    result = engine.evaluate(now, no_metrics(), snapshot, [trap(now, "linkDown", "x", 1)])
    alert = result.alerts[result.transitions[0].fingerprint]
    assert alert.labels["device"] == "x"
    assert "region" not in alert.labels


def test_a_terminal_psam_failure_fires_and_its_recovery_clears_it() -> None:
    tl = Timeline(load_default_rules(), every="30s")

    def psam(status: str) -> Callable[[datetime], Event]:
        return lambda now: TerminalPsamChanged(
            now, "T440103-0007", "440103", "440103", "440100", status
        )

    tl.at("1m").event(psam("missing"))
    tl.at("5m").event(psam("ok"))
    tl.run(until="10m")
    assert tl.kinds("terminal-psam-failed") == [(60.0, "fired"), (300.0, "resolved")]
    alert = tl.engine.find("terminal-psam-failed")[0]
    assert (alert.labels["region"], alert.labels["terminal_id"]) == ("440103", "T440103-0007")
    assert alert.annotations["summary"] == (
        "PSAM of card terminal T440103-0007 is missing (county 440103)"
    )
