"""The alerting configuration file: a complete example loads; every mistake names file, line,
path and what is wrong."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from alerts.alerting_config import AlertingConfigError, load_alerting_config, parse_duration
from alerts.escalation import OnCallTarget, ScheduleTarget, UserTarget
from alerts.maintenance import MaintenanceCalendar, OneOff, Recurrence
from alerts.oncall import OnCallDirectory, RotationPeriod
from alerts.routing import ChannelKind
from core.errors import ConfigError
from core.security.scope import ScopeLevel

DATA = Path(__file__).resolve().parents[2] / "data" / "alerts"


def test_the_example_loads_completely() -> None:
    config = load_alerting_config(DATA / "routing.yaml")

    noc = config.receivers["noc"]
    assert [(c.kind, c.target) for c in noc.channels] == [
        (ChannelKind.WEBHOOK, "https://noc.example.org/hooks/alerts"),
        (ChannelKind.EMAIL, "noc@example.org"),
    ]
    assert config.send_resolved("noc") is True  # the webhook wants them
    assert config.send_resolved("duty-sms") is False

    root = config.route
    assert (root.receiver, root.group_by, root.escalation) == (
        "noc",
        ("alertname", "city"),
        "network",
    )
    assert root.group_wait == timedelta(seconds=30)
    critical, guangzhou, systems = root.routes
    assert critical.continue_matching
    assert critical.group_by_all
    assert guangzhou.repeat_interval == timedelta(hours=1)
    core = guangzhou.routes[0]
    assert (core.receiver, core.group_wait, core.repeat_interval) == (
        "guangzhou-network",
        timedelta(seconds=10),
        timedelta(hours=1),
    )
    assert systems.escalation == "systems"
    labels = {"severity": "critical", "region": "440103", "role": "core", "alertname": "LinkDown"}
    assert [r.receiver for r in root.match(labels)] == ["duty-sms", "guangzhou-network"]

    directory = OnCallDirectory(config.schedules)
    gz = directory.get("network-440100")
    assert gz.rotation.period is RotationPeriod.WEEKLY
    assert gz.rotation.handoff == time(9, 0)
    assert (
        directory.who_is_on_call("network-440100", datetime(2026, 3, 7, 12, tzinfo=UTC)) == "chen"
    )
    assert directory.get("network-440000").region == "440000"  # unquoted in the file

    network = config.escalation_policies["network"]
    assert network.repeat == 1
    assert [s.targets for s in network.steps] == [
        (OnCallTarget("network", ScopeLevel.CITY),),
        (OnCallTarget("duty", ScopeLevel.PROVINCE),),
    ]
    assert config.escalation_policies["systems"].steps[1].targets == (
        ScheduleTarget("duty-440000"),
        UserTarget("noc-manager"),
    )

    weekly, swap = config.maintenance
    assert isinstance(weekly.schedule, Recurrence)
    assert weekly.schedule.describe() == "weekly Sun 02:00-04:00 Asia/Shanghai"
    assert isinstance(swap.schedule, OneOff)
    calendar = MaintenanceCalendar(config.maintenance)
    assert calendar.collection_paused("sz-core-1", "440300", datetime(2026, 3, 10, 15, tzinfo=UTC))


def test_an_unknown_receiver_is_named_with_file_line_and_path() -> None:
    path = DATA / "routing_unknown_receiver.yaml"
    with pytest.raises(AlertingConfigError) as caught:
        load_alerting_config(path)
    error = caught.value
    assert isinstance(error, ConfigError)
    assert (error.path, error.line, error.field) == (str(path), 13, "route.routes[1].receiver")
    assert str(error) == (
        f"{path}:13: route.routes[1].receiver: no receiver 'guangzhou-network' (known: noc)"
    )


def test_a_bad_duration_is_named_with_file_line_and_path() -> None:
    path = DATA / "routing_bad_duration.yaml"
    with pytest.raises(AlertingConfigError) as caught:
        load_alerting_config(path)
    assert caught.value.line == 11
    assert caught.value.field == "route.routes[0].group_interval"
    assert "not a duration" in caught.value.reason


BASE = """
receivers:
  - name: noc
    channels: [{kind: email, target: noc@example.org}]
route:
  receiver: noc
"""

SCHEDULE = """
schedules:
  - name: gz
    team: network
    region: "440100"
    rotation: {users: [wang], start: 2026-03-02, handoff: "09:00", period: daily, timezone: UTC}
"""


@pytest.mark.parametrize(
    ("extra", "field", "complaint"),
    [
        ("  foo: 1\n", "route.foo", "Extra inputs are not permitted"),
        ("  matchers: ['a=b']\n", "route.matchers", "no matchers"),
        (
            "  routes: [{matchers: ['a=~\"(\"']}]\n",
            "route.routes[0].matchers",
            "invalid regular expression",
        ),
        (
            "  escalation: nope\n",
            "route.escalation",
            "no escalation policy 'nope' (known: none defined)",
        ),
        ("  group_by: ['...', region]\n", "route", "cannot be combined"),
        (
            "  group_wait: 0s\n  group_interval: 0s\n",
            "route",
            "group_interval and repeat_interval must be positive",
        ),
        (
            SCHEDULE.replace("09:00", "25:00"),
            "schedules[0].rotation.handoff",
            "not a time of day",
        ),
        (
            SCHEDULE.replace('"09:00"', "10:30"),
            "schedules[0].rotation.handoff",
            "not a time of day",
        ),
        (SCHEDULE.replace("UTC", "Mars/Olympus"), "schedules[0].rotation", "unknown timezone"),
        (SCHEDULE.replace('"440100"', '"4401"'), "schedules[0]", "region code"),
        (
            SCHEDULE + SCHEDULE.replace("schedules:\n", ""),
            "schedules[1].name",
            "'gz' is defined twice",
        ),
        (
            SCHEDULE + "    overrides: [{user: li, starts_at: 2026-03-02T10:00:00,"
            " ends_at: 2026-03-03T10:00:00Z}]\n",
            "schedules[0].overrides[0].starts_at",
            "timezone",
        ),
        (
            "escalation_policies:\n  - name: p\n    steps: [{targets: [{schedule: nope}]}]\n",
            "escalation_policies[0].steps[0].targets[0].schedule",
            "no schedule 'nope'",
        ),
        (
            "escalation_policies:\n  - name: p\n"
            "    steps: [{targets: [{on_call: city, team: nobody}]}]\n",
            "escalation_policies[0].steps[0].targets[0].team",
            "no schedule belongs to team 'nobody'",
        ),
        (
            "escalation_policies:\n  - name: p\n    steps: [{targets: [{user: a, schedule: b}]}]\n",
            "escalation_policies[0].steps[0].targets[0]",
            "a target is one of",
        ),
        (
            "escalation_policies:\n  - name: p\n    steps: [{targets: [{on_call: city}]}]\n",
            "escalation_policies[0].steps[0].targets[0]",
            "'team' goes with 'on_call'",
        ),
        (
            "escalation_policies:\n  - name: p\n    repeat: 1\n"
            "    steps: [{targets: [{user: a}]}]\n",
            "escalation_policies[0]",
            "escalate_after must be positive",
        ),
        (
            "maintenance:\n  - {id: m, regions: ['440100']}\n",
            "maintenance[0]",
            "give either 'recurrence' or both",
        ),
        (
            "maintenance:\n  - {id: m, recurrence: 'weekly Sun 02:00-04:00 UTC'}\n",
            "maintenance[0]",
            "covers no region and no device",
        ),
        (
            "maintenance:\n  - {id: m, devices: [x], recurrence: 'fortnightly'}\n",
            "maintenance[0]",
            "not a recurrence",
        ),
        (
            "maintenance:\n  - {id: m, devices: [x], starts_at: 2026-03-02T10:00:00Z,"
            " ends_at: 2026-03-02T09:00:00Z}\n",
            "maintenance[0]",
            "must end after it starts",
        ),
    ],
)
def test_mistakes_say_where_and_what(
    tmp_path: Path, extra: str, field: str, complaint: str
) -> None:
    path = tmp_path / "routing.yaml"
    path.write_text(BASE + extra, encoding="utf-8")
    with pytest.raises(AlertingConfigError) as caught:
        load_alerting_config(path)
    assert caught.value.field == field
    assert complaint in caught.value.reason
    assert caught.value.line is not None
    assert str(caught.value).startswith(f"{path}:{caught.value.line}: {field}: ")


@pytest.mark.parametrize(
    ("channel", "complaint"),
    [
        ("{kind: webhook, target: 'ftp://x'}", "http:// or https:// URL"),
        ("{kind: email, target: 'not-an-address'}", "address"),
        ("{kind: sms, target: 'call me'}", "phone number"),
        ("{kind: pigeon, target: 'x'}", "Input should be 'webhook', 'email' or 'sms'"),
    ],
)
def test_channel_targets_fit_their_kind(tmp_path: Path, channel: str, complaint: str) -> None:
    path = tmp_path / "routing.yaml"
    path.write_text(
        BASE.replace("{kind: email, target: noc@example.org}", channel), encoding="utf-8"
    )
    with pytest.raises(AlertingConfigError, match=r"receivers\[0\]\.channels\[0\]") as caught:
        load_alerting_config(path)
    assert complaint in caught.value.reason


def test_missing_files_and_bad_yaml_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(AlertingConfigError, match="file not found"):
        load_alerting_config(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("route: [\n", encoding="utf-8")
    with pytest.raises(AlertingConfigError, match="not valid YAML"):
        load_alerting_config(broken)
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(AlertingConfigError, match="receivers"):
        load_alerting_config(empty)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("5m", timedelta(minutes=5)),
        ("1h30m", timedelta(minutes=90)),
        ("1d", timedelta(days=1)),
        (90, timedelta(seconds=90)),
        (0.5, timedelta(seconds=0.5)),
    ],
)
def test_durations(given: object, expected: timedelta) -> None:
    assert parse_duration(given) == expected


@pytest.mark.parametrize("given", ["", "5 minutes", "m", -1, True, None, float("inf"), 10**30])
def test_not_durations(given: object) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(given)
