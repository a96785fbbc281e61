"""The terminals' own route: a heartbeat with the credential issued at provisioning is accepted on
the event loop, answered exactly, and shown as the terminal's status; a refused credential
(unknown, malformed, missing, revoked, suspended) is a generic 401, audited with the terminal it
claims to be and never the credential; a bad body is a 422 naming the field; no user login is
involved."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from api.app import create_app
from api.deps import PublicRoute, current_principal
from core.security.audit_trail import AuditEvent, AuditOutcome
from tests.unit.api.fleet_scenario import BEAT, FleetApi, fleet_api, template_fixture
from tests.unit.card_fleet.registry_scenarios import T0

UNKNOWN = "sst_T440103-0404_" + "A" * 43
"""A well-formed credential of a terminal nobody registered."""
REFUSED = {"error": {"code": "unauthorized", "message": "terminal credential refused"}}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return template_fixture(tmp_path_factory)


@pytest.fixture
async def api(tmp_path: Path, template: Path) -> AsyncIterator[FleetApi]:
    async with fleet_api(tmp_path, template) as opened:
        yield opened


def refusals(api: FleetApi) -> list[AuditEvent]:
    return api.audited("terminal_heartbeat")


async def test_a_heartbeat_is_accepted_and_answered_exactly(api: FleetApi) -> None:
    terminal_id = await api.register("LW-1")
    token = await api.provision(terminal_id)
    response = await api.beat(token)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "target_firmware_version": None,
        "target_parameter_version": None,
        "next_heartbeat_s": 60,
    }
    assert api.fleet.flush().activated == (terminal_id,)
    assert (await api.ok("GET", f"/terminals/{terminal_id}"))["state"] == "active"
    assert not refusals(api)


async def test_the_status_is_the_latest_heartbeat(api: FleetApi) -> None:
    terminal_id, _ = await api.active("LW-1")
    status = (await api.ok("GET", f"/terminals/{terminal_id}"))["status"]
    assert status == {
        "last_seen_at": "2026-03-01T08:00:00Z",
        "online": True,
        "reader_present": True,
        "psam_status": "ok",
        "firmware_version": "3.2.1",
        "parameter_version": "P2026.03",
        "blacklist_version": "B20260301",
        "uptime_s": 3600,
        "free_storage_mb": 900,
        "unsent_transactions": 0,
        "window_reads": 12,
        "window_failures": 1,
        "failure_rate": 1 / 13,
    }
    api.clock.advance(301)
    (listed,) = await api.ok("GET", "/terminals?state=active")
    assert listed["status"]["online"] is False
    assert listed["firmware_version"] == "3.2.1"


async def test_the_heartbeat_is_taken_on_the_event_loop(
    api: FleetApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal_id = await api.register("LW-1")
    token = await api.provision(terminal_id)
    threads: list[int] = []
    take = api.fleet.heartbeat_from

    def recording(terminal: Any, body: Any) -> Any:
        threads.append(threading.get_ident())
        return take(terminal, body)

    monkeypatch.setattr(api.fleet, "heartbeat_from", recording)
    assert (await api.beat(token)).status_code == 200
    assert threads == [threading.get_ident()]  # no worker-thread hop


def _calls(route: APIRoute) -> Iterator[Any]:
    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        yield dependency.call
        pending.extend(dependency.dependencies)


async def test_no_user_login_is_asked_for(api: FleetApi) -> None:
    app = create_app(api.services)
    # FastAPI keeps included routers unflattened: walk them as the permission matrix does.
    (route,) = [
        context.original_route
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        and str(context.path) == "/api/v1/terminals/heartbeat"
    ]
    calls = list(_calls(route))
    assert [type(call) for call in calls] == [PublicRoute]
    assert current_principal not in calls
    user = await api.beat("admin")  # a user's token is no terminal credential
    assert (user.status_code, user.json()) == (401, REFUSED)
    assert user.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("authorization", "target", "detail"),
    [
        (f"Bearer {UNKNOWN}", "T440103-0404", "unknown terminal"),
        ("Bearer sst_short", None, "malformed token"),
        ("Basic dXNlcjpwYXNz", None, "no credential sent"),
        (None, None, "no credential sent"),
    ],
)
async def test_a_refused_credential_is_a_generic_401_and_audited(
    api: FleetApi, authorization: str | None, target: str | None, detail: str
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await api.http.post("/api/v1/terminals/heartbeat", json=BEAT, headers=headers)
    assert (response.status_code, response.json()) == (401, REFUSED)
    (event,) = refusals(api)
    assert (event.outcome, event.target, event.detail) == (AuditOutcome.DENIED, target, detail)
    assert event.actor == (f"terminal {target}" if target else "anonymous")
    if authorization is not None:
        assert authorization.split()[-1] not in repr(event)


async def test_a_lost_terminals_credential_is_refused_at_once(api: FleetApi) -> None:
    terminal_id, token = await api.active("LW-1")
    await api.ok("POST", f"/terminals/{terminal_id}/lost", "liwan_tech", {"reason": "stolen"})
    response = await api.beat(token)
    assert (response.status_code, response.json()) == (401, REFUSED)
    (event,) = refusals(api)
    assert (event.target, event.detail) == (
        terminal_id,
        "the terminal holds no credential (revoked)",
    )
    assert token not in repr(api.audit.events)
    assert token.rsplit("_", 1)[-1] not in repr(api.audit.events)


async def test_a_suspended_terminal_is_refused_until_resumed(api: FleetApi) -> None:
    terminal_id, token = await api.active("LW-1")
    await api.ok("POST", f"/terminals/{terminal_id}/suspend", "liwan_tech", {"reason": "moved"})
    assert (await api.beat(token)).status_code == 401
    assert [e.detail for e in refusals(api)] == ["the terminal is suspended"]
    await api.ok("POST", f"/terminals/{terminal_id}/resume", "liwan_tech", {"reason": "back"})
    assert (await api.beat(token)).status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({**BEAT, "card_reads": -1}, "body field 'card_reads': -1 is outside 0..100000"),
        ({**BEAT, "uptime_s": "3600"}, "body field 'uptime_s': must be a whole number"),
        ({**BEAT, "psam_status": "lost"}, "body field 'psam_status': must be one of ok, missing"),
        ({k: v for k, v in BEAT.items() if k != "reader_present"}, "'reader_present': missing"),
        ({**BEAT, "terminal_id": "T440104-0001"}, "'terminal_id': not a heartbeat field"),
        ([BEAT], "body: must be a JSON object"),
    ],
)
async def test_a_bad_body_is_a_422_naming_the_field(api: FleetApi, body: Any, message: str) -> None:
    _, token = await api.active("LW-1")
    response = await api.beat(token, body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], message in error["message"]) == ("invalid_parameter", True), error


async def test_a_body_that_is_no_json_is_a_422(api: FleetApi) -> None:
    _, token = await api.active("LW-1")
    response = await api.http.post(
        "/api/v1/terminals/heartbeat",
        content=b"reader_present=1",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["message"] == "body: not a JSON document"


async def test_the_credential_is_checked_before_the_body(api: FleetApi) -> None:
    response = await api.beat(UNKNOWN, {"nonsense": True})
    assert response.status_code == 401
    assert [e.detail for e in refusals(api)] == ["unknown terminal"]


async def test_a_server_without_a_fleet_answers_503(tmp_path: Path, template: Path) -> None:
    async with fleet_api(tmp_path, template, with_fleet=False) as api:
        response = await api.beat(UNKNOWN)
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "fleet_unavailable"


async def test_a_flood_of_refusals_is_audited_once_a_minute_with_its_count(api: FleetApi) -> None:
    for _ in range(50):
        assert (await api.beat(UNKNOWN)).status_code == 401
    assert [e.detail for e in refusals(api)] == ["unknown terminal"]
    api.clock.advance(61)
    assert (await api.beat(UNKNOWN)).status_code == 401
    assert [e.detail for e in refusals(api)][1:] == [
        f"unknown terminal (and 49 more refused since {T0:%H:%M:%S} UTC)"
    ]
    assert (await api.beat("sst_short")).status_code == 401  # another kind: told at once
    assert [e.detail for e in refusals(api)][2:] == ["malformed token"]
