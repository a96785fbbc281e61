"""The silence, maintenance and on-call routes over the small inventory's alert pipeline, and the
scope rule a scoped user's silences and windows must pass (see :mod:`api.alert_scope`).

The world (tests/unit/api/security_scenario) starts at 2026-03-01 08:00:30 UTC, a Sunday (16:00
in Shanghai), with a silence, a maintenance window tomorrow and an on-call schedule per region.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from alerts.matchers import parse_matchers
from api.alert_scope import silence_region
from core.security.audit_trail import AuditOutcome
from tests.unit.api.test_alert_routes import GZ_CORE, LIWAN_ACC, Api, alert_api

LATER = "2026-03-01T10:00:00Z"
DEVICE_REGIONS = {LIWAN_ACC: "440103", GZ_CORE: "440100"}


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async with alert_api(tmp_path) as opened:
        yield opened


# --- the scope rule --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("matchers", "region"),
    [
        ('{region="440103"}', "440103"),
        ('{county="440103", alertname="county-link-down"}', "440103"),
        ('{city="440100"}', "440100"),
        ('{region=~"4401.*"}', "440100"),
        ('{region=~"44010.*"}', "440100"),
        ('{region=~"440103.*"}', "440103"),
        ('{region=~"440103"}', "440103"),
        ('{province=~"44.*"}', "440000"),
        (f'{{device="{LIWAN_ACC}"}}', "440103"),
        (f'{{region=~"4401.*", device="{LIWAN_ACC}"}}', "440103"),  # the deepest pin holds
        ('{region=~"4.*"}', None),  # every province: nothing smaller holds it
        ('{region=~"440103|440104"}', None),
        ('{region=~"44010[34]"}', None),
        ('{region!="440103"}', None),
        ('{alertname="backup-failed"}', None),
        ('{device="nowhere"}', None),
        ('{site="440103"}', None),
    ],
)
def test_where_matchers_pin_a_silence(matchers: str, region: str | None) -> None:
    assert silence_region(parse_matchers(matchers), DEVICE_REGIONS) == region


# --- silences --------------------------------------------------------------------------------


async def test_a_silence_is_created_listed_and_expired(api: Api) -> None:
    created = await api.ok(
        "POST",
        "/silences",
        matchers='alertname="backup-failed", region=~"4401.*"',
        ends_at=LATER,
        comment="backup server moves",
    )
    assert created["matchers"] == '{alertname="backup-failed", region=~"4401.*"}'
    assert (created["region"], created["state"], created["created_by"]) == (
        "440100",
        "active",
        "admin",
    )
    assert created["id"] in {s["id"] for s in await api.ok("GET", "/silences")}
    (event,) = api.audited("silence_create")
    assert (event.outcome, event.target, event.region_code) == (
        AuditOutcome.OK,
        created["id"],
        "440100",
    )
    assert event.after is not None
    assert event.after["comment"] == "backup server moves"

    expired = await api.ok("DELETE", f"/silences/{created['id']}", "wang")
    assert (expired["state"], expired["end_reason"]) == ("expired", "expired by wang")
    (ended,) = api.audited("silence_expire")
    assert ended.before is not None
    assert ended.after is not None
    assert (ended.before["ends_at"], ended.after["ends_at"]) == (
        "2026-03-01T10:00:00+00:00",
        "2026-03-01T08:00:30+00:00",
    )
    assert (await api.call("DELETE", "/silences/no-such-silence")).status_code == 404


async def test_a_silence_until_resolved_needs_no_end(api: Api) -> None:
    created = await api.ok(
        "POST",
        "/silences",
        "zhao",
        matchers=f'{{device="{LIWAN_ACC}"}}',
        until_resolved=True,
        comment="the fibre is being spliced",
    )
    assert (created["ends_at"], created["until_resolved"]) == (None, True)


async def test_the_alerts_say_which_silence_mutes_them(api: Api) -> None:
    fingerprint = api.alerts.alert_of[GZ_CORE]
    assert (await api.ok("GET", f"/alerts/{fingerprint}"))["muted_by"] == []
    created = await api.ok(
        "POST",
        "/silences",
        matchers=f'{{device="{GZ_CORE}"}}',
        ends_at=LATER,
        comment="router swap",
    )
    listed = {a["fingerprint"]: a["muted_by"] for a in await api.ok("GET", "/alerts")}
    assert listed[fingerprint] == [f"silence {created['id']}"]
    assert listed[api.alerts.alert_of[LIWAN_ACC]] == []
    detail = await api.ok("GET", f"/alerts/{fingerprint}")
    assert detail["muted_by"] == [f"silence {created['id']}"]


SCOPED_SILENCES: list[tuple[str, str, bool]] = [
    ("zhao", '{region="440103"}', True),
    ("zhao", '{county="440103", alertname="backup-failed"}', True),
    ("zhao", f'{{device="{LIWAN_ACC}"}}', True),
    ("zhao", '{region=~"4401.*"}', False),
    ("zhao", f'{{device="{GZ_CORE}"}}', False),
    ("zhao", '{alertname="backup-failed"}', False),
    ("zhao", '{region=~"440103|440104"}', False),
    ("wang", '{region=~"4401.*"}', True),
    ("wang", f'{{device="{GZ_CORE}"}}', True),
    ("wang", '{region="440000"}', False),
    ("admin", '{alertname="backup-failed"}', True),
]
"""(who, matchers, whether they may create it)"""


async def test_a_scoped_user_silences_only_what_is_pinned_to_their_regions(api: Api) -> None:
    for who, matchers, allowed in SCOPED_SILENCES:
        body = {"matchers": matchers, "ends_at": LATER, "comment": "planned"}
        response = await api.call("POST", "/silences", who, body)
        event = api.audited("silence_create")[-1]
        case = (who, matchers, response.text)
        if allowed:
            assert response.status_code == 201, case
            assert event.outcome is AuditOutcome.OK, case
            continue
        assert response.status_code == 403, case
        message = response.json()["error"]["message"]
        assert message.startswith(f"{who} may silence alerts only in their regions"), case
        assert 'region="<code>"' in message
        assert (event.outcome, event.detail) == (AuditOutcome.DENIED, message), case


BAD_SILENCES: list[tuple[dict[str, Any], str]] = [
    ({"matchers": '{region="440103"'}, "unbalanced braces"),
    ({"matchers": 'region~"440103"'}, "not a matcher"),
    ({"matchers": 'alertname=~"("'}, "invalid regular expression"),
    ({"matchers": 'alertname=~".*"'}, "would match every alert"),
    ({"matchers": 'region="440103"', "ends_at": None}, "needs an end time"),
    ({"matchers": 'region="440103"', "ends_at": "2026-03-01T08:00:00Z"}, "after now"),
    (
        {"matchers": 'region="440103"', "starts_at": "2026-03-01T11:00:00Z"},
        "after the start",
    ),
    ({"matchers": 'region="440103"', "ends_at": "2026-03-01T10:00:00"}, "timezone"),
    ({"matchers": 'region="440103"', "comment": ""}, "at least 1 character"),
]
"""(what differs from a good body, what the answer says)"""


async def test_a_silence_that_makes_no_sense_is_422(api: Api) -> None:
    for body, complaint in BAD_SILENCES:
        full = {"ends_at": LATER, "comment": "planned", **body}
        response = await api.call("POST", "/silences", body=full)
        assert response.status_code == 422, (body, response.text)
        assert complaint in response.json()["error"]["message"], (body, response.text)


async def test_silences_above_ones_regions_are_shown_but_not_ended(api: Api) -> None:
    city = api.alerts.silence_of["440100"]
    shown = {s["id"]: s["manageable"] for s in await api.ok("GET", "/silences", "zhao")}
    assert shown[city] is False
    assert api.alerts.silence_of["440104"] not in shown  # beside Liwan: not shown
    assert (await api.call("DELETE", f"/silences/{city}", "zhao")).status_code == 404
    (event,) = api.audited("silence_expire")
    assert event.outcome is AuditOutcome.FAILED


# --- maintenance -----------------------------------------------------------------------------


async def test_a_one_off_window_pauses_collection_while_open(api: Api) -> None:
    window = await api.ok(
        "POST",
        "/maintenance",
        "zhao",
        regions=["440103"],
        starts_at="2026-03-01T09:00:00Z",
        ends_at=LATER,
        pause_collection=True,
        comment="replacing the access switch",
    )
    assert (window["kind"], window["regions"], window["open_now"]) == ("one_off", ["440103"], False)
    assert window["next_opening"] == {"starts_at": "2026-03-01T09:00:00Z", "ends_at": LATER}
    service = api.alerts.service
    assert not service.collection_paused(LIWAN_ACC, "440103")
    api.alerts.clock.advance(3600)
    assert service.collection_paused(LIWAN_ACC, "440103")
    assert not service.collection_paused(GZ_CORE, "440100")
    listed = {w["id"]: w for w in await api.ok("GET", "/maintenance", "zhao")}
    assert listed[window["id"]]["open_now"] is True
    (event,) = api.audited("maintenance_create")
    assert (event.outcome, event.target, event.region_code) == (
        AuditOutcome.OK,
        window["id"],
        "440103",
    )

    cancelled = await api.ok("DELETE", f"/maintenance/{window['id']}", "zhao")
    assert cancelled["id"] == window["id"]
    assert not service.collection_paused(LIWAN_ACC, "440103")
    assert window["id"] not in {w["id"] for w in await api.ok("GET", "/maintenance")}
    assert (await api.call("DELETE", f"/maintenance/{window['id']}")).status_code == 404
    assert [e.outcome for e in api.audited("maintenance_cancel")] == [
        AuditOutcome.OK,
        AuditOutcome.FAILED,
    ]


async def test_a_recurring_window_opens_every_week(api: Api) -> None:
    window = await api.ok(
        "POST",
        "/maintenance",
        "wang",
        devices=[GZ_CORE],
        recurrence="weekly Sun 02:00-04:00 Asia/Shanghai",
        comment="weekly reload",
    )
    assert (window["kind"], window["devices"], window["regions"]) == ("recurring", [GZ_CORE], [])
    assert window["recurrence"] == "weekly Sun 02:00-04:00 Asia/Shanghai"
    # Sunday 02:00 in Shanghai is Saturday 18:00 UTC; this Sunday's has passed.
    assert window["next_opening"] == {
        "starts_at": "2026-03-07T18:00:00Z",
        "ends_at": "2026-03-07T20:00:00Z",
    }
    assert window["manageable"] is True


BAD_WINDOWS: list[tuple[dict[str, Any], str]] = [
    ({"recurrence": "fortnightly Sun 02:00-04:00 UTC"}, "not a recurrence"),
    ({"recurrence": "weekly Funday 02:00-04:00 UTC"}, "not a day of the week"),
    ({"recurrence": "weekly Sun 02:00-04:00 Mars/Olympus"}, "unknown timezone"),
    ({"recurrence": "daily 25:00-26:00 UTC"}, "not a time of day"),
    ({"recurrence": "daily 01:00-02:00 UTC", "starts_at": LATER}, "not both"),
    ({}, "not both"),
    ({"starts_at": LATER}, "needs both"),
    ({"starts_at": LATER, "ends_at": "2026-03-01T09:00:00Z"}, "must end after it starts"),
    ({"starts_at": "2026-03-01T06:00:00Z", "ends_at": "2026-03-01T07:00:00Z"}, "over"),
    (
        {"starts_at": "2026-03-01T09:00:00Z", "ends_at": LATER, "until": LATER},
        "only for a recurring window",
    ),
    ({"regions": ["440199"], "recurrence": "daily 01:00-02:00 UTC"}, "no region 440199"),
    ({"regions": ["4401"], "recurrence": "daily 01:00-02:00 UTC"}, "match pattern"),
    ({"devices": ["gz-core9"], "recurrence": "daily 01:00-02:00 UTC"}, "no device"),
    ({"regions": [], "recurrence": "daily 01:00-02:00 UTC"}, "covers no region"),
]
"""(what differs from a good body, what the answer says)"""


async def test_a_window_that_makes_no_sense_is_422(api: Api) -> None:
    for body, complaint in BAD_WINDOWS:
        full = {"regions": ["440103"], "comment": "work", **body}
        response = await api.call("POST", "/maintenance", body=full)
        assert response.status_code == 422, (body, response.text)
        assert complaint in response.json()["error"]["message"], (body, response.text)


async def test_a_scoped_user_plans_maintenance_only_in_their_regions(api: Api) -> None:
    recurring = {"recurrence": "daily 01:00-02:00 UTC", "comment": "work"}
    city = await api.call("POST", "/maintenance", "zhao", {"regions": ["440100"], **recurring})
    assert city.status_code == 403
    assert api.audited("maintenance_create")[-1].outcome is AuditOutcome.DENIED
    # A device outside one's regions is answered as one that does not exist.
    core = await api.call("POST", "/maintenance", "zhao", {"devices": [GZ_CORE], **recurring})
    assert core.status_code == 422
    assert core.json()["error"]["message"] == "body field 'devices': no device 'gz-core1'"
    windows = {w["id"]: w["manageable"] for w in await api.ok("GET", "/maintenance", "zhao")}
    assert windows == {"mw-440000": False, "mw-440100": False, "mw-440103": True}
    assert (await api.call("DELETE", "/maintenance/mw-440100", "zhao")).status_code == 404


# --- on call ---------------------------------------------------------------------------------


async def test_the_schedules_say_who_is_on_call(api: Api) -> None:
    now = {s["name"]: s["on_call"] for s in await api.ok("GET", "/oncall")}
    assert now == {
        "oncall-440000": "sun",
        "oncall-440100": "li",
        "oncall-440103": "victim",
        "oncall-440104": "li",
    }
    # Monday 10:00 in Shanghai: the weekly rotation has handed over at 09:00.
    monday = await api.ok("GET", "/oncall?at=2026-03-02T02:00:00Z")
    assert {s["name"]: s["on_call"] for s in monday}["oncall-440100"] == "wang"
    assert (await api.call("GET", "/oncall?at=2026-03-02T02:00:00")).status_code == 422


async def test_an_override_puts_someone_else_on_call(api: Api) -> None:
    updated = await api.ok(
        "POST",
        "/oncall/oncall-440103/overrides",
        "zhao",
        user="zhao",
        starts_at="2026-03-01T16:00:00+08:00",  # kept and shown in UTC
        ends_at=LATER,
    )
    assert updated["on_call"] == "zhao"
    assert updated["overrides"] == [
        {"user": "zhao", "starts_at": "2026-03-01T08:00:00Z", "ends_at": LATER}
    ]
    (event,) = api.audited("oncall_override")
    assert (event.outcome, event.target, event.region_code) == (
        AuditOutcome.OK,
        "oncall-440103",
        "440103",
    )
    assert event.after == {
        "user": "zhao",
        "starts_at": "2026-03-01T08:00:00+00:00",
        "ends_at": "2026-03-01T10:00:00+00:00",
    }
    api.alerts.clock.advance(2 * 3600)
    schedules = {s["name"]: s for s in await api.ok("GET", "/oncall", "zhao")}
    assert (schedules["oncall-440103"]["on_call"], schedules["oncall-440103"]["overrides"]) == (
        "victim",
        [],
    )


REFUSED_OVERRIDES: list[tuple[str, str, dict[str, Any], int]] = [
    ("zhao", "oncall-440100", {}, 404),  # above Liwan: shown, not changed
    ("admin", "oncall-9", {}, 404),
    ("guest", "oncall-440103", {}, 403),
    ("admin", "oncall-440103", {"user": "Zhao Wei"}, 422),
    ("admin", "oncall-440103", {"ends_at": "2026-03-01T08:10:00Z"}, 422),
    ("admin", "oncall-440103", {"ends_at": "2026-03-01T08:00:10Z"}, 422),
]
"""(who, schedule, what differs from a good body, the answer's status)"""


async def test_an_override_that_cannot_be_is_refused(api: Api) -> None:
    for who, schedule, body, status in REFUSED_OVERRIDES:
        full = {"user": "li", "starts_at": "2026-03-01T08:20:00Z", "ends_at": LATER, **body}
        response = await api.call("POST", f"/oncall/{schedule}/overrides", who, full)
        assert response.status_code == status, (who, schedule, body, response.text)
