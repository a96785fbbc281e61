"""Threshold rules as timelines: ``for``, hysteresis, keep_firing_for, stale series, derived
utilisation, one fingerprint per fault."""

from __future__ import annotations

from alerts.model import AlertStatus, DeviceFact, LinkFact
from core.errors import StoreError
from tests.unit.alerts.timeline import Timeline

CPU = "device_cpu_percent"
GZ = {"device": "gz-core1", "region": "440100"}

CPU_RULE = """
- name: cpu-high
  metric: device_cpu_percent
  op: ">"
  threshold: 90
  for: 5m
  severity: major
  labels: {team: "network-{region}"}
  annotations:
    summary: "{device} CPU at {value:.0f}% (over {threshold:.0f}%)"
  runbook_url: runbooks/device-cpu-high
  flapping: false
"""

UPLINK_RULE = """
- name: uplink-hot
  metric: interface_utilisation_percent
  matchers: {tier: city_county}
  op: ">"
  threshold: 80
  clear_threshold: 70
  for: 1m
  severity: major
  annotations: {summary: "{device} {if_name} at {value:.0f}%"}
  flapping: false
"""


def test_condition_held_for_4m59_is_pending_and_5m_fires() -> None:
    tl = Timeline(CPU_RULE, every="1m")
    tl.at("0s").metric(CPU, GZ, 95)
    tl.at("4m59s").check()
    tl.run(until="10m")

    tl.expect("pending", "cpu-high", between=("0s", "0s"), device="gz-core1")
    tl.expect_none("fired", between=("0s", "4m59s"))
    fired = tl.expect("fired", "cpu-high", between=("5m", "5m"), device="gz-core1")[0]
    assert fired.transition.before is AlertStatus.PENDING
    assert fired.transition.reason == "condition held for 5m"
    assert tl.kinds() == [(0.0, "pending"), (300.0, "fired")]  # and nothing more till 10m

    alert = tl.alert("cpu-high")
    assert alert.status is AlertStatus.FIRING
    assert alert.starts_at == tl.time("5m")
    assert alert.pending_since == tl.time("0s")
    assert alert.labels["alertname"] == "cpu-high"
    assert alert.labels["severity"] == "major"
    assert alert.labels["team"] == "network-440100"
    assert alert.annotations["summary"] == "gz-core1 CPU at 95% (over 90%)"
    assert alert.annotations["runbook_url"] == "runbooks/device-cpu-high"
    assert alert.value == 95


def test_a_dip_before_for_elapsed_cancels_the_pending_alert_and_forgets_it() -> None:
    tl = Timeline(CPU_RULE, every="1m")
    tl.at("0s").metric(CPU, GZ, 95)
    tl.at("3m").metric(CPU, GZ, 50)
    tl.at("4m").metric(CPU, GZ, 95)
    tl.run(until="12m")

    assert tl.kinds() == [
        (0.0, "pending"),
        (180.0, "pending_cancelled"),
        (240.0, "pending"),
        (540.0, "fired"),  # 5 minutes after the pending that held
    ]
    cancelled = tl.expect("pending_cancelled")[0]
    assert cancelled.transition.after is None  # never fired: forgotten
    assert len({s.transition.fingerprint for s in tl.seen()}) == 1


def test_hysteresis_fires_above_80_and_resolves_only_below_70() -> None:
    tl = Timeline(UPLINK_RULE, every="1m")
    end = {"device": "sw-440103", "if_index": "3", "if_name": "GE0/0/1"}
    tl.at("0s").link(
        LinkFact(
            "l-440103-a",
            "city_county",
            "primary",
            "sw-440103",
            "GE0/0/1",
            "r-440100",
            "GE1/0/7",
            "up",
            capacity_bps=1_000_000_000,
        )
    )
    tl.at("0s").metric("interface_in_bps", end, 850_000_000).metric("interface_out_bps", end, 1e6)
    tl.at("3m").metric("interface_in_bps", end, 750_000_000)  # 75 %: below 80, above 70
    tl.at("5m").metric("interface_in_bps", end, 690_000_000)  # 69 %: below 70
    tl.at("7m").metric("interface_in_bps", end, 780_000_000)  # 78 %: not above 80, stays quiet
    tl.run(until="10m")

    assert tl.kinds() == [(0.0, "pending"), (60.0, "fired"), (300.0, "resolved")]
    alert = tl.alert("uplink-hot")
    assert alert.labels["tier"] == "city_county"
    assert alert.labels["link"] == "l-440103-a"
    assert alert.labels["peer_device"] == "r-440100"
    assert alert.annotations["summary"] == "sw-440103 GE0/0/1 at 85%"


def test_without_clear_threshold_a_fall_below_the_threshold_resolves() -> None:
    tl = Timeline(UPLINK_RULE.replace("  clear_threshold: 70\n", ""), every="1m")
    end = {"device": "sw-440103", "if_index": "3", "if_name": "GE0/0/1"}
    tl.at("0s").link(
        LinkFact(
            "l1",
            "city_county",
            "primary",
            "sw-440103",
            "GE0/0/1",
            "r-440100",
            "GE1/0/7",
            capacity_bps=1_000_000_000,
        )
    )
    tl.at("0s").metric("interface_in_bps", end, 850_000_000)
    tl.at("3m").metric("interface_in_bps", end, 750_000_000)
    tl.run(until="5m")
    assert tl.kinds() == [(0.0, "pending"), (60.0, "fired"), (180.0, "resolved")]


def test_matchers_select_series_by_the_context_the_snapshot_gives() -> None:
    tl = Timeline(UPLINK_RULE, every="1m")
    backbone = {"device": "r-440100", "if_index": "1", "if_name": "GE1/0/1"}
    unlinked = {"device": "sw-440103", "if_index": "9", "if_name": "GE0/0/9"}
    tl.at("0s").link(
        LinkFact(
            "l2",
            "province_city",
            "primary",
            "r-440100",
            "GE1/0/1",
            "core1",
            "GE2/0/1",
            capacity_bps=1_000_000_000,
        )
    )
    tl.at("0s").metric("interface_in_bps", backbone, 950_000_000)  # other tier
    tl.at("0s").metric("interface_in_bps", unlinked, 950_000_000)  # no link, no capacity
    tl.run(until="5m")
    assert tl.seen() == []


def test_keep_firing_for_holds_an_alert_through_a_short_clear() -> None:
    rule = CPU_RULE.replace("for: 5m", "for: 0s\n  keep_firing_for: 2m")
    tl = Timeline(rule, every="1m")
    tl.at("0s").metric(CPU, GZ, 95)
    tl.at("1m").metric(CPU, GZ, 50)
    tl.at("2m").metric(CPU, GZ, 95)  # back within 2m: the alert never resolved
    tl.at("4m").metric(CPU, GZ, 50)
    tl.at("5m59s").check()
    tl.run(until="8m")
    assert tl.kinds() == [(0.0, "fired"), (360.0, "resolved")]  # 2m after the clear at 4m


def test_resolve_and_refire_keep_one_fingerprint_and_count_episodes() -> None:
    tl = Timeline(CPU_RULE.replace("for: 5m", "for: 1m"), every="1m")
    tl.at("0s").metric(CPU, GZ, 95)
    tl.at("3m").metric(CPU, GZ, 40)
    tl.at("6m").metric(CPU, GZ, 97)
    tl.run(until="9m")

    assert tl.kinds() == [
        (0.0, "pending"),
        (60.0, "fired"),
        (180.0, "resolved"),
        (360.0, "pending"),
        (420.0, "fired"),
    ]
    assert len({s.transition.fingerprint for s in tl.seen()}) == 1
    alert = tl.alert("cpu-high")
    assert alert.times_fired == 2
    assert alert.starts_at == tl.time("7m")
    assert alert.ends_at is None
    assert alert.annotations["summary"] == "gz-core1 CPU at 97% (over 90%)"  # rendered on re-fire
    history = tl.engine.history(alert.fingerprint)
    assert [h.kind.value for h in history] == ["pending", "fired", "resolved", "pending", "fired"]
    assert all(h.by == "system" for h in history)


def test_two_series_are_two_alerts_and_the_fingerprint_ignores_context_labels() -> None:
    tl = Timeline(CPU_RULE.replace("for: 5m", "for: 0s"), every="1m")
    tl.at("0s").metric(CPU, GZ, 95).metric(CPU, {"device": "sz-core1", "region": "440300"}, 99)
    tl.at("0s").device("gz-core1", "up", region="440100")
    tl.at("2m").device("gz-core1", "up", region="440100", site="gz-dc")  # context changes
    tl.run(until="3m")
    fired = tl.expect("fired", count=2)
    assert {s.alert.labels["device"] for s in fired} == {"gz-core1", "sz-core1"}
    assert len({s.transition.fingerprint for s in fired}) == 2
    assert tl.alert("cpu-high", device="gz-core1").labels["province"] == "440000"


def test_a_series_that_goes_stale_resolves_its_alert() -> None:
    tl = Timeline(CPU_RULE.replace("for: 5m", "for: 0s"), every="1m")
    tl.at("0s").metric(CPU, GZ, 95)
    tl.at("2m").do(lambda t, _now: t.metrics.freeze(CPU, GZ))  # the device stops answering
    tl.run(until="9m")
    # the newest point is from 2m; 5 minutes later (max_sample_age_s=300) it no longer counts
    assert tl.kinds() == [(0.0, "fired"), (480.0, "resolved")]


def test_a_store_failure_skips_the_rule_and_keeps_its_alerts() -> None:
    tl = Timeline(CPU_RULE.replace("for: 5m", "for: 0s"), every="1m")
    tl.at("0s").metric(CPU, GZ, 95)
    tl.at("1m").do(lambda t, _now: t.metrics.fail(StoreError("metrics.db is locked")))
    tl.at("3m").do(lambda t, _now: t.metrics.fail(None))
    tl.run(until="4m")
    assert tl.kinds() == [(0.0, "fired")]
    failures = [f for _, r in tl.results for f in r.failures]
    assert len(failures) == 2  # at 1m and 2m
    assert failures[0].source == "cpu-high"
    assert failures[0].reason == "metrics.db is locked"
    assert tl.alert("cpu-high").status is AlertStatus.FIRING


def test_device_context_gives_region_levels_and_site() -> None:
    tl = Timeline(CPU_RULE.replace("for: 5m", "for: 0s"), every="1m")
    county = {"device": "sw-440103", "region": "440103"}
    tl.at("0s").do(
        lambda t, _now: t.world.devices.__setitem__(
            "sw-440103",
            DeviceFact("sw-440103", "up", region="440103", site="s-440103", role="access"),
        )
    )
    tl.at("0s").metric(CPU, county, 99)
    tl.run(until="0s")
    labels = tl.alert("cpu-high").labels
    assert (labels["province"], labels["city"], labels["county"]) == ("440000", "440100", "440103")
    assert labels["region"] == "440103"
    assert labels["site"] == "s-440103"
    assert labels["role"] == "access"
