"""The permission matrix: every API route × every role × in-scope and out-of-scope objects.

Generated from the app's own route table, so a new route is covered the day it is added — and
the test fails when a route declares no permission (nor ``public()`` / ``authenticated()``), or
when it has no example request below. Users are real (the user directory over the state DB,
argon2 with cheap parameters); every request goes through real login tokens.

What each cell expects:

- a role without the route's permission → 403;
- a role with it, on an object in its scope → neither 401, 403 nor 404;
- a role with it, on an object outside its scope → 404, the same as a missing object;
- lists return only objects in scope (checked on the device list, the region tree, metric
  series, the topology's paths, failover board and root causes, alerts, silences, maintenance
  windows, on-call schedules, escalations and notifications).

The alert routes' objects (alerts, silences, maintenance windows, schedules) are those of the
device's region in :mod:`tests.unit.api.security_scenario`'s alert world. The card fleet's
(terminals, PSAM bindings, rollouts) lie in a county of that region, in a fleet of their own
(:func:`tests.unit.api.fleet_scenario.fill_matrix_fleet`); the terminals' heartbeat route has a
credential of its own and is declared public.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from api.app import create_app
from api.deps import AuthenticatedCheck, PermissionCheck, PublicRoute
from core.security.permissions import ROLE_PERMISSIONS, Permission, Role
from core.security.principal import Grant
from tests.unit.api.fleet_scenario import (
    FLEET_BODIES,
    MatrixFleet,
    open_matrix_world,
    template_fixture,
)
from tests.unit.api.security_scenario import SecurityWorld, open_world, schedule_name, window_id

PASSWORD = "Matrix-Passw0rd!"

# (scope, an in-scope device, an out-of-scope device, in-scope config version, out-of-scope one)
SCOPES = {
    "province": ("440000", "gz-core1", None, 3, None),
    "city": ("440100", "gz-core1", "gd-dc1-core1", 3, 4),
    "county": ("440103", "gz-liwan-acc1", "gz-core1", None, 3),
}


@dataclass(frozen=True)
class Declared:
    kind: str  # "permission" | "authenticated" | "public"
    permission: Permission | None = None


def _walk(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _walk(sub)


@dataclass(frozen=True)
class Route:
    """A route as served: its full path, methods and the APIRoute behind it."""

    path: str
    methods: frozenset[str]
    api_route: APIRoute


def declared(route: Route) -> Declared | None:
    """What the route declares, found in its dependency tree."""
    found: list[Declared] = []
    for call in _walk(route.api_route.dependant):
        if isinstance(call, PermissionCheck):
            found.append(Declared("permission", call.permission))
        elif isinstance(call, AuthenticatedCheck):
            found.append(Declared("authenticated"))
        elif isinstance(call, PublicRoute):
            found.append(Declared("public"))
    if len(set(found)) != 1:
        return None
    return found[0]


def api_routes(app: FastAPI) -> list[Route]:
    """Every API route with its full path (FastAPI keeps included routers unflattened)."""
    found = [
        Route(str(context.path), frozenset(context.methods or ()), context.original_route)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
    ]
    assert len(found) > 30, "the route table could not be read"
    return found


# Example requests per route: (method, path template) → request body (None: none; a string: a
# text/csv file).
BODIES: dict[tuple[str, str], dict[str, Any] | str | None] = {
    ("POST", "/api/v1/auth/login"): {"username": "victim", "password": "wrong-one"},
    ("POST", "/api/v1/auth/refresh"): {"refresh_token": "ssnoc_rt_not-a-real-one"},
    ("POST", "/api/v1/auth/logout"): None,
    ("POST", "/api/v1/auth/password"): {"old_password": "nope", "new_password": "nope"},
    ("POST", "/api/v1/auth/tokens"): {"name": "matrix", "days": 7},
    ("DELETE", "/api/v1/auth/tokens/{token_id}"): None,
    ("POST", "/api/v1/devices/{device_id}/backup"): None,
    ("POST", "/api/v1/users"): {"username": "new.one", "grants": []},
    ("POST", "/api/v1/users/{username}/disable"): None,
    ("POST", "/api/v1/users/{username}/enable"): None,
    ("POST", "/api/v1/users/{username}/unlock"): None,
    ("POST", "/api/v1/users/{username}/reset-password"): None,
    ("POST", "/api/v1/users/{username}/grants"): {"role": "viewer", "scope": "440103"},
    ("DELETE", "/api/v1/users/{username}/grants/{role}/{scope}"): None,
    ("DELETE", "/api/v1/users/{username}/tokens/{token_id}"): None,
    ("POST", "/api/v1/audit/console"): {"action": "open_configs", "target": "gz-core1"},
    ("POST", "/api/v1/reports/reviews"): None,
    ("POST", "/api/v1/alerts/{fingerprint}/ack"): {"note": "matrix"},
    ("POST", "/api/v1/alerts/{fingerprint}/unack"): {"reason": "matrix"},
    ("POST", "/api/v1/silences"): {
        "matchers": '{region="440103", alertname="matrix"}',
        "ends_at": "2026-03-01T12:00:00Z",
        "comment": "matrix",
    },
    ("DELETE", "/api/v1/silences/{silence_id}"): None,
    ("POST", "/api/v1/maintenance"): {
        "regions": ["440103"],
        "recurrence": "weekly Sun 02:00-04:00 Asia/Shanghai",
        "comment": "matrix",
    },
    ("DELETE", "/api/v1/maintenance/{window_id}"): None,
    ("POST", "/api/v1/oncall/{schedule}/overrides"): {
        "user": "victim",
        "starts_at": "2026-03-01T09:00:00Z",
        "ends_at": "2026-03-01T12:00:00Z",
    },
    **FLEET_BODIES,
}
QUERIES: dict[str, str] = {
    "/api/v1/metrics/query_range": "?name=device_up",
    "/api/v1/configs/diff": "?from={version}&to={version}",
    "/api/v1/audit/export": "?since=2026-01-01T00:00:00Z&until=2026-02-01T00:00:00Z",
    "/api/v1/topology/impact": "?device={device_id}",
}
LAST = ("/api/v1/auth/logout",)
"""Routes that end the caller's session: asked last."""


def fill(template: str, device: str, version: int, world: SecurityWorld, fleet: MatrixFleet) -> str:
    region = world.region_of[device]
    return (
        template.replace("{device_id}", device)
        .replace("{terminal_id}", fleet.terminal_of[region])
        .replace("{number}", fleet.psam_of[region])
        .replace("{rollout_id}", fleet.rollout_of[region])
        .replace("{fingerprint}", world.alerts.alert_of[device])
        .replace("{silence_id}", world.alerts.silence_of[region])
        .replace("{window_id}", window_id(region))
        .replace("{schedule}", schedule_name(region))
        .replace("{version_id}", str(version))
        .replace("{version}", str(version))
        .replace("{code}", region)
        .replace("{username}", "victim")
        .replace("{token_id}", str(world.victim_token_id))
        .replace("{role}", "viewer")
        .replace("{scope}", "440103")
    )


OBJECTS = (
    "{device_id}",
    "{version_id}",
    "{code}",
    "{fingerprint}",
    "{silence_id}",
    "{window_id}",
    "{schedule}",
    "{terminal_id}",
    "{rollout_id}",
)
"""Path parameters naming an object that lies in a region. A PSAM's ``{number}`` is not one: a
PSAM bound outside the caller's regions answers 409 (the station must not bind it), not 404."""


def takes_object(template: str) -> bool:
    return any(p in template for p in OBJECTS)


@pytest.fixture(scope="module")
def fleet_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return template_fixture(tmp_path_factory)


def test_every_route_declares_a_permission(tmp_path: Path) -> None:
    with open_world(tmp_path) as world:
        app = create_app(world.services)
        missing = [f"{sorted(r.methods)} {r.path}" for r in api_routes(app) if declared(r) is None]
        assert not missing, f"routes without exactly one declared permission: {missing}"
        unknown = [
            f"{m} {r.path}"
            for r in api_routes(app)
            for m in r.methods
            if m in ("POST", "PUT", "PATCH", "DELETE") and (m, r.path) not in BODIES
        ]
        assert not unknown, f"state-changing routes without an example request: {unknown}"


@pytest.mark.parametrize("scope_name", list(SCOPES))
@pytest.mark.parametrize("role", list(Role))
async def test_matrix(tmp_path: Path, fleet_template: Path, role: Role, scope_name: str) -> None:
    scope, inside, outside, version_in, version_out = SCOPES[scope_name]
    with open_matrix_world(tmp_path, fleet_template) as (world, fleet):
        world.users.create_user("caller", PASSWORD, grants=(Grant(role, scope),), created_by="test")
        app = create_app(world.services)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as http:
            login = await http.post(
                "/api/v1/auth/login", json={"username": "caller", "password": PASSWORD}
            )
            assert login.status_code == 200, login.text
            http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
            failures = await _run_matrix(
                http, app, world, fleet, role, inside, outside, version_in, version_out
            )
    assert not failures, "\n".join(failures)


async def _run_matrix(
    http: httpx.AsyncClient,
    app: FastAPI,
    world: SecurityWorld,
    fleet: MatrixFleet,
    role: Role,
    inside: str,
    outside: str | None,
    version_in: int | None,
    version_out: int | None,
) -> list[str]:
    failures: list[str] = []
    held = ROLE_PERMISSIONS[role]
    routes = sorted(api_routes(app), key=lambda r: r.path in LAST)
    for route in routes:
        what = declared(route)
        assert what is not None
        for method in sorted(route.methods - {"HEAD"}):
            cases = [("in", inside, version_in)]
            if takes_object(route.path + QUERIES.get(route.path, "")) and outside is not None:
                cases.append(("out", outside, version_out))
            for where, device, version in cases:
                if "{version" in route.path + QUERIES.get(route.path, "") and version is None:
                    continue
                path = fill(route.path, device, version or 1, world, fleet)
                path += fill(QUERIES.get(route.path, ""), device, version or 1, world, fleet)
                body = BODIES.get((method, route.path))
                if isinstance(body, str):
                    headers = {"Content-Type": "text/csv"}
                    response = await http.request(method, path, content=body, headers=headers)
                else:
                    response = await http.request(method, path, json=body)
                status = response.status_code
                cell = f"{role.value} {method} {path} ({where}): {status} {response.text[:160]}"
                if what.kind == "public":
                    if status in (403,):
                        failures.append(f"public route refused: {cell}")
                    continue
                if status == 401:
                    failures.append(f"logged-in caller got 401: {cell}")
                    continue
                if what.kind == "authenticated":
                    if status == 403:
                        failures.append(f"authenticated route refused: {cell}")
                    continue
                assert what.permission is not None
                if what.permission not in held:
                    if status != 403:
                        failures.append(f"expected 403 without {what.permission}: {cell}")
                    continue
                if status == 403 and _scope_refusal(response):
                    continue  # the role holds it, but not province-wide where that is needed
                if where == "in" and status in (403, 404):
                    failures.append(f"expected access in scope: {cell}")
                if where == "out" and status != 404:
                    failures.append(f"expected 404 out of scope: {cell}")
    return failures


def _scope_refusal(response: httpx.Response) -> bool:
    """A 403 for holding the permission in too narrow a scope (province-wide actions)."""
    message = str(response.json().get("error", {}).get("message", ""))
    return "for the province" in message or "may not grant roles in" in message


async def test_lists_hold_only_what_is_in_scope(tmp_path: Path) -> None:
    with open_world(tmp_path) as world:
        world.users.create_user(
            "tech", PASSWORD, grants=(Grant(Role.FIELD_TECHNICIAN, "440103"),), created_by="t"
        )
        app = create_app(world.services)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as http:
            login = await http.post(
                "/api/v1/auth/login", json={"username": "tech", "password": PASSWORD}
            )
            http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
            devices = (await http.get("/api/v1/devices")).json()
            tree = (await http.get("/api/v1/regions")).json()
            series = (await http.get("/api/v1/metrics/series")).json()
            paths = (await http.get("/api/v1/topology/paths")).json()
            board = (await http.get("/api/v1/topology/failover?all=true")).json()
            causes = (await http.get("/api/v1/topology/root-causes")).json()
    assert [d["id"] for d in devices] == ["gz-liwan-acc1"]
    assert [p["device_id"] for p in paths] == ["gz-liwan-acc1"]
    assert [s["device_id"] for s in board["sites"]] == ["gz-liwan-acc1"]
    assert {c["region"] for c in causes} <= {"440103"}
    assert [node["code"] for node in tree] == ["440103"]
    assert all(s["labels"].get("device") == "gz-liwan-acc1" for s in series)


async def test_alert_lists_hold_what_concerns_the_caller(tmp_path: Path) -> None:
    """Liwan's on-call sees Liwan's alerts, escalations and notifications only; silences,
    windows and schedules of Liwan and above it (the city's, the province's), never Yuexiu's
    beside it — and may end only Liwan's."""
    with open_world(tmp_path) as world:
        await world.alerts.cycle(30)  # the groups' wait is over: notices sent, on-call paged
        world.users.create_user(
            "liwan", PASSWORD, grants=(Grant(Role.ONCALL, "440103"),), created_by="t"
        )
        app = create_app(world.services)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as http:
            login = await http.post(
                "/api/v1/auth/login", json={"username": "liwan", "password": PASSWORD}
            )
            http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
            alerts = (await http.get("/api/v1/alerts")).json()
            silences = (await http.get("/api/v1/silences")).json()
            windows = (await http.get("/api/v1/maintenance")).json()
            schedules = (await http.get("/api/v1/oncall")).json()
            escalations = (await http.get("/api/v1/escalations")).json()
            sent = (await http.get("/api/v1/notifications")).json()
    assert alerts
    assert {a["region"] for a in alerts} == {"440103"}
    liwan = {a["fingerprint"] for a in alerts}
    assert world.alerts.alert_of["gz-liwan-acc1"] in liwan
    assert {(s["region"], s["manageable"]) for s in silences} == {
        ("440000", False),
        ("440100", False),
        ("440103", True),
    }
    assert [(w["id"], w["manageable"]) for w in windows] == [
        ("mw-440000", False),
        ("mw-440100", False),
        ("mw-440103", True),
    ]
    assert [(s["name"], s["manageable"]) for s in schedules] == [
        ("oncall-440000", False),
        ("oncall-440100", False),
        ("oncall-440103", True),
    ]
    assert escalations
    assert all(set(e["fingerprints"]) <= liwan for e in escalations)
    notice = f"silence:{world.alerts.silence_of['440103']}"  # its start, announced
    assert {fp for d in sent for fp in d["fingerprints"]} == {*liwan, notice} - {
        world.alerts.alert_of["gz-liwan-acc1"]  # folded under the site's isolation: not told
    } - {a["fingerprint"] for a in alerts if a["status"] == "pending"}
