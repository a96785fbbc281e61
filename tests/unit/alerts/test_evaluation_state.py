"""State rules as timelines: device unreachable, backbone link down, site failover, backups."""

from __future__ import annotations

from datetime import timedelta

from alerts.model import AlertStatus, DeviceFact, LinkFact
from alerts.rules import load_default_rules
from tests.unit.alerts.timeline import T0, Timeline

RULES = """
- name: device-unreachable
  fact: device
  state: down
  for: 2m
  severity: critical
  annotations:
    summary: "{device} does not answer"
    description: "down since {since}: {reason}"
  flapping: false
- name: backbone-link-down
  fact: link
  matchers: {tier: [province_city, city_county]}
  state: down
  severity: critical
  annotations: {summary: "{link} ({a_device} - {b_device}) is {state}"}
- name: site-degraded
  fact: site
  state: [on_backup, isolated]
  severity: major
  annotations: {summary: "{site} is {state}"}
- name: backup-missing
  fact: backup
  older_than: 24h
  severity: minor
  annotations: {summary: "no backup of {device} for {age}"}
"""


def county_and_city(tl: Timeline) -> None:
    def act(t: Timeline, _now: object) -> None:
        t.world.devices["sw-440103"] = DeviceFact(
            "sw-440103", "up", region="440103", site="s-440103"
        )
        t.world.devices["r-440100"] = DeviceFact("r-440100", "up", region="440100", site="s-440100")

    tl.at("0s").do(act)


def test_device_unreachable_fires_after_for_and_resolves_when_it_answers() -> None:
    tl = Timeline(RULES, every="30s")
    county_and_city(tl)
    tl.at("1m").device("sw-440103", "down", reason="timeout after 2 retries")
    tl.at("2m59s").check()
    tl.at("10m").device("sw-440103", "up")
    tl.run(until="12m")

    assert tl.kinds("device-unreachable") == [
        (60.0, "pending"),
        (180.0, "fired"),
        (600.0, "resolved"),
    ]
    alert = tl.alert("device-unreachable")
    assert alert.status is AlertStatus.RESOLVED
    assert alert.ends_at == tl.time("10m")
    assert alert.labels["county"] == "440103"
    assert alert.labels["site"] == "s-440103"
    assert alert.annotations["summary"] == "sw-440103 does not answer"
    assert alert.annotations["description"] == (
        "down since 2026-03-02T08:01:00+00:00: timeout after 2 retries"
    )
    tl.expect_none(rule="device-unreachable", device="r-440100")


def test_a_device_that_leaves_the_snapshot_resolves_its_alert() -> None:
    tl = Timeline(RULES.replace("for: 2m", "for: 0s"), every="1m")
    tl.at("0s").device("gz-core1", "down")
    tl.at("2m").do(lambda t, _now: t.world.devices.pop("gz-core1"))
    tl.run(until="3m")
    assert tl.kinds("device-unreachable") == [(0.0, "fired"), (120.0, "resolved")]


def test_backbone_link_down_carries_the_lower_level_end_as_its_region() -> None:
    tl = Timeline(RULES, every="1m")
    county_and_city(tl)
    link = LinkFact(
        "l-440103-a", "city_county", "primary", "r-440100", "GE1/0/7", "sw-440103", "GE0/0/1", "up"
    )
    dc = LinkFact("dc-1", "dc_interconnect", "primary", "core1", "GE1", "core2", "GE1", "down")
    tl.at("0s").link(link).link(dc)
    tl.at("2m").link_state("l-440103-a", "down")
    tl.at("5m").link_state("l-440103-a", "up")
    tl.run(until="6m")

    assert tl.kinds("backbone-link-down") == [(120.0, "fired"), (300.0, "resolved")]  # not dc-1
    labels = tl.alert("backbone-link-down").labels
    assert labels["device"] == "sw-440103"  # the county end, whose people get the alert
    assert labels["county"] == "440103"
    assert labels["tier"] == "city_county"
    assert labels["link_role"] == "primary"
    summary = tl.alert("backbone-link-down").annotations["summary"]
    assert summary == "l-440103-a (r-440100 - sw-440103) is down"


def test_site_on_backup_then_isolated_is_one_alert() -> None:
    tl = Timeline(RULES, every="1m")
    county_and_city(tl)
    tl.at("1m").site("s-440103", "sw-440103", "on_backup")
    tl.at("3m").site("s-440103", "sw-440103", "isolated")
    tl.at("6m").site("s-440103", "sw-440103", "primary")
    tl.run(until="7m")
    assert tl.kinds("site-degraded") == [(60.0, "fired"), (360.0, "resolved")]
    assert tl.alert("site-degraded").labels["city"] == "440100"


def test_backup_missing_fires_when_the_last_success_is_older_than_24h() -> None:
    tl = Timeline(RULES, every="1h")
    tl.at("0s").backup("r-440100", T0 - timedelta(hours=20))
    tl.at("0s").backup("sw-never", None)  # never backed up: fires at once
    tl.at("7h").backup("r-440100", T0 + timedelta(hours=7))
    tl.run(until="8h")

    never = tl.expect("fired", "backup-missing", device="sw-never")[0]
    assert never.offset_s == 0
    assert never.alert.annotations["summary"] == "no backup of sw-never for never"
    assert tl.kinds("backup-missing", device="r-440100") == [
        (18000.0, "fired"),
        (25200.0, "resolved"),
    ]
    fired = tl.expect("fired", "backup-missing", device="r-440100")[0]
    assert fired.alert.annotations["summary"] == "no backup of r-440100 for 1d1h"


def test_the_shipped_rules_on_a_county_that_loses_its_primary_link() -> None:
    tl = Timeline(load_default_rules(), every="30s")
    county_and_city(tl)
    primary = LinkFact(
        "l-440103-a",
        "city_county",
        "primary",
        "r-440100",
        "GE1/0/7",
        "sw-440103",
        "GE0/0/1",
        "up",
        capacity_bps=10**9,
    )
    tl.at("0s").link(primary)
    tl.at("1m").link_state("l-440103-a", "down").site("s-440103", "sw-440103", "on_backup")
    tl.at("1m").trap("linkDown", "sw-440103", if_index=1, if_name="GE0/0/1")
    tl.at("10m").link_state("l-440103-a", "up").site("s-440103", "sw-440103", "primary")
    tl.at("10m").trap("linkUp", "sw-440103", if_index=1)
    tl.run(until="12m")

    assert tl.kinds("county-link-down") == [
        (60.0, "pending"),
        (120.0, "fired"),
        (600.0, "resolved"),
    ]
    assert tl.kinds("site-on-backup") == [(60.0, "pending"), (120.0, "fired"), (600.0, "resolved")]
    assert tl.kinds("interface-down-trap") == [(60.0, "fired"), (600.0, "resolved")]
    site = tl.seen("fired", "site-on-backup")[0].alert
    assert site.annotations["summary"] == "s-440103 runs on its backup link"
    assert site.annotations["runbook_url"] == "runbooks/site-on-backup"
    assert site.labels["county"] == "440103"


def test_a_silent_county_fleet_fires_once_with_its_site_and_resolves_when_heard_again() -> None:
    tl = Timeline(load_default_rules(), every="30s")
    tl.at("0s").terminal_fleet("440103", "ok", active=40, online=40, site="s-440103")
    tl.at("1m").terminal_fleet("440103", "silent", active=40, silent=40, site="s-440103")
    tl.at("2m").terminal_fleet("440104", "partly_silent", active=10, online=7, silent=3)
    tl.at("8m").terminal_fleet("440103", "ok", active=40, online=40, site="s-440103")
    tl.run(until="15m")

    assert tl.kinds("county-terminals-silent") == [
        (60.0, "pending"),
        (180.0, "fired"),
        (480.0, "resolved"),
    ]
    alert = tl.engine.find("county-terminals-silent")[0]
    assert (alert.labels["county"], alert.labels["city"], alert.labels["site"]) == (
        "440103",
        "440100",
        "s-440103",
    )
    assert alert.annotations["description"].startswith("40 of 40 active terminals silent since")
    # A partly silent county waits its 10 minutes before it is news.
    assert tl.kinds("county-terminals-partly-silent") == [(120.0, "pending"), (720.0, "fired")]
