"""The alert routes over the small inventory's alert pipeline (tests/unit/api/security_scenario):
listing and filtering by scope, one alert's history, taking and giving back, escalations, the
notification log, and a server without alerts.

Callers: the province's administrator, Guangzhou's network engineer, Liwan's on-call and a
province-wide viewer. Every device failed its backup at the start, so each has a firing
``backup-failed`` alert; Liwan's access switch is also unreachable and its site cut off.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from alerts.model import TransitionKind
from api.app import create_app
from api.deps import ApiServices
from core.clock import FakeClock
from core.events import EventBus
from core.inventory import load_inventory
from core.security.audit_trail import AuditEvent, AuditOutcome
from core.security.permissions import Role
from core.security.principal import Grant, Principal
from tests.unit.api.auth_fakes import FakeAuditSink, FakeAuthenticator
from tests.unit.api.fakes import FakeMetricStore
from tests.unit.api.scenario import DATA, NOW, open_state, open_stores, services
from tests.unit.api.security_scenario import AlertWorld, open_alerts
from topology.monitor import TopologyMonitor

PRINCIPALS = {
    "admin": Principal(user_id=1, name="admin", grants=(Grant(Role.ADMIN, "440000"),)),
    "wang": Principal(user_id=2, name="wang", grants=(Grant(Role.NETWORK_ENGINEER, "440100"),)),
    "zhao": Principal(user_id=3, name="zhao", grants=(Grant(Role.ONCALL, "440103"),)),
    "guest": Principal(user_id=4, name="guest", grants=(Grant(Role.VIEWER, "440000"),)),
}
LIWAN_ACC = "gz-liwan-acc1"
GZ_CORE = "gz-core1"


@dataclass
class Api:
    """An API client that asks as one of :data:`PRINCIPALS`, and what was audited."""

    http: httpx.AsyncClient
    alerts: AlertWorld
    audit: FakeAuditSink

    async def call(
        self, method: str, path: str, who: str = "admin", body: dict[str, Any] | None = None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {who}"}
        return await self.http.request(method, f"/api/v1{path}", json=body, headers=headers)

    async def ok(self, method: str, path: str, who: str = "admin", **body: Any) -> Any:
        response = await self.call(method, path, who, body or None)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def audited(self, action: str) -> list[AuditEvent]:
        return [event for event in self.audit.events if event.action == action]


def client(services: ApiServices) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(services)), base_url="http://test"
    )


@asynccontextmanager
async def alert_api(tmp_path: Path, *, with_alerts: bool = True) -> AsyncIterator[Api]:
    """The API over the small inventory and its alert world (no users DB: fixed tokens)."""
    engine, state = open_state(tmp_path)
    try:
        clock = FakeClock(NOW)
        bus = EventBus()
        monitor = TopologyMonitor(
            load_inventory(DATA / "small_inventory.yaml"), engine, state, clock, bus
        )
        alerts = open_alerts(tmp_path, engine, state, clock, monitor, bus)
        audit = FakeAuditSink()
        base = services(
            state,
            FakeMetricStore(),
            open_stores(engine),
            audit=audit,
            auth=FakeAuthenticator(dict(PRINCIPALS)),
        )
        api = dataclasses.replace(
            base, clock=clock, topology=monitor, alerts=alerts.service if with_alerts else None
        )
        async with client(api) as http:
            yield Api(http, alerts, audit)
    finally:
        engine.dispose()


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async with alert_api(tmp_path) as opened:
        yield opened


def fingerprints(alerts: list[dict[str, Any]]) -> set[str]:
    return {alert["fingerprint"] for alert in alerts}


# --- listing ---------------------------------------------------------------------------------


async def test_the_list_is_filtered_by_status_severity_region_and_labels(api: Api) -> None:
    everything = await api.ok("GET", "/alerts")
    assert {a["labels"]["device"] for a in everything} == {
        "gd-dc1-core1",
        GZ_CORE,
        LIWAN_ACC,
        "gz-yuexiu-acc1",
    }
    firing = await api.ok("GET", "/alerts?status=firing")
    assert {a["status"] for a in firing} == {"firing"}
    assert {a["rule"] for a in await api.ok("GET", "/alerts?status=pending")} == {
        "device-unreachable",
        "county-link-down",
    }
    critical = await api.ok("GET", "/alerts?severity=critical")
    assert {a["rule"] for a in critical} == {"site-isolated", "device-unreachable"}
    city = await api.ok("GET", "/alerts?region=440100&label=alertname=backup-failed")
    assert {a["region"] for a in city} == {"440100", "440103", "440104"}
    one = await api.ok("GET", "/alerts?label=alertname=backup-failed&label=device=gz-core1")
    assert fingerprints(one) == {api.alerts.alert_of[GZ_CORE]}
    assert one[0]["summary"] == "configuration backup of gz-core1 failed: ssh: timed out"


async def test_each_caller_sees_the_alerts_of_their_regions_only(api: Api) -> None:
    city = await api.ok("GET", "/alerts", "wang")
    assert {a["region"] for a in city} == {"440100", "440103", "440104"}
    liwan = await api.ok("GET", "/alerts", "zhao")
    assert {a["region"] for a in liwan} == {"440103"}
    # Above one's scope the filter narrows to what one sees; beside it, nothing is there.
    assert fingerprints(await api.ok("GET", "/alerts?region=440100", "zhao")) == fingerprints(liwan)
    beside = await api.call("GET", "/alerts?region=440104", "zhao")
    assert beside.status_code == 404


async def test_a_bad_filter_is_422(api: Api) -> None:
    for query in (
        "status=burning",
        "severity=awful",
        "region=4401",
        "label=alertname",
        "label=9x=y",
    ):
        response = await api.call("GET", f"/alerts?{query}")
        assert response.status_code == 422, (query, response.text)
        assert response.json()["error"]["code"] == "invalid_parameter"


async def test_one_alert_comes_with_its_history(api: Api) -> None:
    fingerprint = api.alerts.alert_of[LIWAN_ACC]
    alert = await api.ok("GET", f"/alerts/{fingerprint}", "zhao")
    assert alert["rule"] == "backup-failed"
    assert alert["labels"]["device"] == LIWAN_ACC
    assert [t["kind"] for t in alert["history"]] == ["fired", "cause_attached"]
    assert alert["caused_by"] is not None  # folded under the site's isolation


async def test_an_unknown_or_out_of_scope_alert_is_404(api: Api) -> None:
    for fingerprint, who in (("0123456789abcdef", "admin"), (api.alerts.alert_of[GZ_CORE], "zhao")):
        assert (await api.call("GET", f"/alerts/{fingerprint}", who)).status_code == 404
        taking = await api.call("POST", f"/alerts/{fingerprint}/ack", who, {"note": "mine"})
        assert taking.status_code == 404
        attempt = api.audited("alert_acknowledge")[-1]
        assert (attempt.outcome, attempt.actor) == (AuditOutcome.FAILED, who)


# --- taking and giving back --------------------------------------------------------------------


async def test_an_acknowledgement_with_an_expiry_runs_out(api: Api) -> None:
    fingerprint = api.alerts.alert_of[GZ_CORE]
    expires = "2026-03-01T09:00:00Z"
    taken = await api.ok(
        "POST", f"/alerts/{fingerprint}/ack", "wang", note="reloading it", expires_at=expires
    )
    ack = taken["acknowledgement"]
    assert (ack["by"], ack["note"], ack["expires_at"]) == ("wang", "reloading it", expires)
    assert taken["history"][-1]["kind"] == "acknowledged"
    (event,) = api.audited("alert_acknowledge")
    assert (event.outcome, event.target, event.region_code) == (
        AuditOutcome.OK,
        fingerprint,
        "440100",
    )
    assert event.before == {"status": "firing", "acknowledged_by": None, "expires_at": None}
    assert event.after == {
        "status": "firing",
        "acknowledged_by": "wang",
        "expires_at": "2026-03-01T09:00:00+00:00",
    }

    api.alerts.clock.advance(3600)
    api.alerts.step()
    after = await api.ok("GET", f"/alerts/{fingerprint}")
    assert after["acknowledgement"] is None
    assert after["history"][-1]["kind"] == TransitionKind.ACK_EXPIRED.value


async def test_an_alert_is_given_back(api: Api) -> None:
    fingerprint = api.alerts.alert_of[LIWAN_ACC]
    await api.ok("POST", f"/alerts/{fingerprint}/ack", "zhao", note="driving there")
    given = await api.ok("POST", f"/alerts/{fingerprint}/unack", "zhao", reason="shift over")
    assert given["acknowledgement"] is None
    last = given["history"][-1]
    assert (last["kind"], last["by"], last["reason"]) == ("unacknowledged", "zhao", "shift over")
    (event,) = api.audited("alert_unacknowledge")
    assert event.before is not None
    assert event.before["acknowledged_by"] == "zhao"

    again = await api.call("POST", f"/alerts/{fingerprint}/unack", "zhao", {"reason": "x"})
    assert again.status_code == 409
    assert "not acknowledged" in again.json()["error"]["message"]
    assert api.audited("alert_unacknowledge")[-1].outcome is AuditOutcome.FAILED


BAD_ACKNOWLEDGEMENTS: list[dict[str, Any]] = [
    {"note": ""},
    {"note": "x", "expires_at": "2026-03-01T07:00:00Z"},  # in the past
    {"note": "x", "expires_at": "2026-03-01T12:00:00"},  # no offset
    {"note": "x", "until": "tomorrow"},
]


async def test_a_bad_acknowledgement_is_422(api: Api) -> None:
    path = f"/alerts/{api.alerts.alert_of[GZ_CORE]}/ack"
    for body in BAD_ACKNOWLEDGEMENTS:
        response = await api.call("POST", path, body=body)
        assert response.status_code == 422, (body, response.text)


async def test_acknowledging_needs_the_permission(api: Api) -> None:
    response = await api.call(
        "POST", f"/alerts/{api.alerts.alert_of[GZ_CORE]}/ack", "guest", {"note": "mine"}
    )
    assert response.status_code == 403
    assert api.audit.events[-1].outcome is AuditOutcome.DENIED


# --- escalations and notifications -------------------------------------------------------------


async def test_escalations_name_their_alerts_and_pages(api: Api) -> None:
    await api.alerts.cycle(30)
    running = await api.ok("GET", "/escalations")
    by_key = {e["group_key"]: e for e in running}
    liwan = by_key['{}:{alertname="site-isolated", region="440103"}']
    assert liwan["policy"] == "network"
    assert liwan["next_step"] == 2
    assert [(p["user"], p["step"], p["target"]) for p in liwan["pages"]] == [
        ("victim", 1, "network on-call (county)")
    ]
    mine = await api.ok("GET", "/escalations", "zhao")
    assert [e["group_key"] for e in mine] == [liwan["group_key"]]


async def test_the_notification_log_is_newest_first_and_scoped(api: Api) -> None:
    await api.alerts.cycle(30)  # the groups' first notices
    await api.alerts.cycle(15 * 60)  # nobody took them: the provincial duty engineer is paged
    sent = await api.ok("GET", "/notifications")
    assert len(sent) >= 5
    assert [d["created_at"] for d in sent] == sorted((d["created_at"] for d in sent), reverse=True)
    assert {d["state"] for d in sent} == {"delivered"}
    assert await api.ok("GET", "/notifications?limit=2") == sent[:2]
    pages = await api.ok("GET", "/notifications?channel=sun/sms-1")
    assert {(d["receiver"], d["reason"]) for d in pages} == {("sun", "escalation")}
    assert len(pages) == 4  # one page per group: a region's backup, and Liwan's isolation

    liwan = await api.ok("GET", "/notifications", "zhao")
    assert liwan
    shown = {fp for d in liwan for fp in d["fingerprints"]}
    theirs = fingerprints(await api.ok("GET", "/alerts", "zhao"))
    assert shown <= theirs | {f"silence:{api.alerts.silence_of['440103']}"}
    assert (await api.call("GET", "/notifications", "guest")).status_code == 403
    assert (await api.call("GET", "/notifications?limit=0")).status_code == 422


# --- without alerts ----------------------------------------------------------------------------


async def test_a_server_without_alerts_answers_503_and_audits_attempts(tmp_path: Path) -> None:
    async with alert_api(tmp_path, with_alerts=False) as api:
        for path in ("/alerts", "/silences", "/maintenance", "/oncall", "/notifications"):
            response = await api.call("GET", path)
            assert response.status_code == 503, path
            assert response.json()["error"]["code"] == "alerts_unavailable"
            assert "runs no alert pipeline" in response.json()["error"]["message"]
        body = {"matchers": '{region="440103"}', "comment": "x", "until_resolved": True}
        assert (await api.call("POST", "/silences", body=body)).status_code == 503
    (event,) = api.audit.events
    assert (event.action, event.outcome) == ("silence_create", AuditOutcome.UNAVAILABLE)
