"""The console's alert models and the pure parts of the alert screens: reading silences'
matchers as the API writes them, the silence draft, durations, the order and
folding of the rows; the client's alert calls over the real API; the commands and the help."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.binding import Binding

from alerts.matchers import format_matchers as server_format
from alerts.matchers import parse_matchers as server_parse
from tests.unit.topology.networks import DC1, LIWAN_ACC
from tests.unit.tui.alert_world import ADMIN, TECHNICIAN, AlertWorld, open_world
from tui.alert_models import (
    AlertInfo,
    AlertStatus,
    Severity,
    SilenceInfo,
    SilenceState,
    parse_matchers,
    silence_draft,
)
from tui.commands import USAGE, Command, Verb, parse_command
from tui.screens.alert_detail import AlertDetailScreen
from tui.screens.alert_forms import AckScreen, SilenceScreen, UnackScreen, parse_duration
from tui.screens.alerts import AlertsScreen
from tui.screens.help import KEYS
from tui.screens.province import ProvinceScreen
from tui.screens.silences import MaintenanceScreen, OnCallScreen, SilencesScreen
from tui.widgets.alert_history_table import HistoryTable
from tui.widgets.alert_table import AlertTable, alert_lines

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def alert(
    fingerprint: str,
    severity: Severity = Severity.MAJOR,
    status: AlertStatus = AlertStatus.FIRING,
    caused_by: str | None = None,
    at_s: float = 0,
    **labels: str,
) -> AlertInfo:
    when = T0 + timedelta(seconds=at_s)
    return AlertInfo(
        fingerprint=fingerprint,
        rule=f"rule-{fingerprint}",
        severity=severity,
        status=status,
        region=labels.get("region"),
        labels={"alertname": f"rule-{fingerprint}", **labels},
        starts_at=when,
        pending_since=when,
        ends_at=when,
        caused_by=caused_by,
    )


def silence(matchers: str, state: SilenceState = SilenceState.ACTIVE) -> SilenceInfo:
    return SilenceInfo(id="s1", matchers=matchers, state=state, starts_at=T0)


# --- matchers and muting ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '{region="440103", alertname="site-isolated"}',
        '{region=~"4401.*", severity!="info", device!~"gz-.*"}',
        '{summary="say \\"hi\\", then\\\\ go\\nhome"}',
        '{link="a,b"}',
    ],
)
def test_matchers_read_as_the_server_reads_what_it_writes(text: str) -> None:
    written = server_format(server_parse(text))
    ours = parse_matchers(written)
    theirs = server_parse(written)
    assert [(m.name, m.op, m.value) for m in ours] == [
        (m.name, m.type.value, m.value) for m in theirs
    ]
    assert "{" + ", ".join(str(m) for m in ours) + "}" == written


def test_the_silence_draft_names_the_fault_and_pins_its_region() -> None:
    link = alert("l", region="440103", device=LIWAN_ACC, link="gz-liwan-primary", tier="x")
    assert silence_draft(link) == (
        '{alertname="rule-l", region="440103", device="gz-liwan-acc1", link="gz-liwan-primary"}'
    )
    trap = alert("t", source_address="10.0.0.9", kind="authenticationFailure")
    assert silence_draft(trap) == '{alertname="rule-t", source_address="10.0.0.9"}'
    assert server_parse(silence_draft(link))  # the server reads it


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30m", 1800), ("2h", 7200), ("1d", 86400), ("1h30m", 5400), (" 2H ", 7200), ("", None)],
)
def test_durations_as_people_type_them(text: str, seconds: float | None) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["soon", "30", "0m", "2h-1m", "m"])
def test_what_is_not_a_duration(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


# --- the order and the folding ---------------------------------------------------------------


def test_rows_worst_first_with_nested_causes_and_resolved_on_request() -> None:
    root = alert("root", Severity.CRITICAL, at_s=0)
    mid = alert("mid", Severity.MAJOR, caused_by="root")
    leaf = alert("leaf", Severity.CRITICAL, caused_by="mid")
    newer = alert("newer", Severity.MINOR, at_s=60)
    older = alert("older", Severity.MINOR, at_s=0)
    pending = alert("pending", Severity.CRITICAL, AlertStatus.PENDING)
    gone = alert("gone", Severity.CRITICAL, AlertStatus.RESOLVED)
    ring_a, ring_b = alert("ra", caused_by="rb"), alert("rb", caused_by="ra")
    alerts = [older, newer, leaf, mid, root, pending, gone, ring_a, ring_b]
    muted = {"older": ("silence s1",)}

    folded = alert_lines(alerts, set(), muted)
    assert [(line.alert.fingerprint, line.depth) for line in folded] == [
        ("root", 0),
        ("newer", 0),
        ("pending", 0),
        ("older", 0),  # muted: quiet, with the held
        ("ra", 0),  # a ring of causes: shown on its own, not lost
    ]
    assert folded[0].consequences == 2
    assert folded[3].muted_by == ("silence s1",)

    unfolded = alert_lines(alerts, {"root", "mid"}, muted, show_resolved=True)
    assert [(line.alert.fingerprint, line.depth) for line in unfolded][:3] == [
        ("root", 0),
        ("mid", 1),
        ("leaf", 2),
    ]
    assert [line.alert.fingerprint for line in unfolded][-2:] == ["gone", "ra"]  # rings last
    every = alert_lines(alerts, set(), muted, unfold_all=True)
    assert {line.alert.fingerprint for line in every} >= {"mid", "leaf"}


# --- the client over the real API ------------------------------------------------------------


@pytest.fixture
def world(tmp_path: Path) -> Iterator[AlertWorld]:
    with open_world(tmp_path) as opened:
        yield opened


async def test_the_client_filters_alerts_and_reads_the_logs(world: AlertWorld) -> None:
    client = await world.logged_in(ADMIN)
    links = await client.alerts(labels={"alertname": "county-link-down"})
    assert {a.labels["link"] for a in links} == {
        "gz-liwan-primary",
        "gz-liwan-backup",
        "fs-chancheng-primary",
        "gz-yuexiu-backup",
    }
    two = await client.alerts(labels={"alertname": "county-link-down", "region": "440103"})
    assert len(two) == 2
    critical = await client.alerts(severity=Severity.CRITICAL, status=AlertStatus.FIRING)
    assert {a.rule for a in critical} == {"site-isolated", "device-unreachable"}
    assert await client.alerts(region="440600", status=AlertStatus.PENDING) == []
    held = await client.alert(world.alert("backup-failed", device=DC1).fingerprint)
    assert held.acknowledgement is not None
    assert [t.kind for t in held.history][-1] == "acknowledged"
    escalations = await client.escalations()
    assert escalations
    assert all(e.policy == "network" for e in escalations)
    await world.deliver()
    sent = await client.notifications(limit=20)
    assert {(d.channel, d.state) for d in sent} == {
        ("noc/webhook-1", "delivered"),
        ("wang/sms-1", "delivered"),
    }
    assert "gz-liwan is cut off from the province core" in {d.headline for d in sent}
    paged = [e for e in escalations if "site-isolated" in e.group_key]
    assert [p.user for e in paged for p in e.pages] == ["wang"]
    technician = await world.logged_in(TECHNICIAN)
    assert {a.region for a in await technician.alerts()} == {"440103"}


# --- commands and help -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "verb"),
    [
        ("alerts", Verb.ALERTS),
        ("al", Verb.ALERTS),
        (":alert", Verb.ALERTS),
        ("silences", Verb.SILENCES),
        ("sil", Verb.SILENCES),
        ("maintenance", Verb.MAINTENANCE),
        ("mw", Verb.MAINTENANCE),
        ("oncall", Verb.ONCALL),
        ("oc", Verb.ONCALL),
    ],
)
def test_the_alert_commands_and_their_aliases(line: str, verb: Verb) -> None:
    assert parse_command(line) == Command(verb)
    assert verb.value in {usage.split()[0] for usage, _ in USAGE}


def test_help_lists_every_key_of_the_alert_screens() -> None:
    listed = {key for _, rows in KEYS for keys, _ in rows for key in keys.split()}
    names = {"exclamation_mark": "!", "slash": "/"}
    owners: list[Any] = [
        ProvinceScreen,
        AlertsScreen,
        AlertTable,
        AlertDetailScreen,
        HistoryTable,
        AckScreen,
        UnackScreen,
        SilenceScreen,
        SilencesScreen,
        MaintenanceScreen,
        OnCallScreen,
    ]
    for owner in owners:
        ours = [c for c in owner.__mro__ if c.__module__.startswith("tui.")]  # not Textual's
        for binding in (b for c in ours for b in c.__dict__.get("BINDINGS", [])):
            assert isinstance(binding, Binding)
            for key in binding.key.split(","):
                assert names.get(key, key) in listed, f"{owner.__name__}: '{key}' not in help"
