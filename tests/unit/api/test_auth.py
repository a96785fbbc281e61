"""The token seam: with a token configured every route needs it; without one, the local operator
may do everything."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from api.app import create_app
from api.deps import Principal, current_principal
from core.metrics.store import MetricStore
from core.state.repository import StateRepository
from tests.unit.api.scenario import SshStores, services

TOKEN = "s3cret-token"
ROUTES = [
    "/api/v1/health",
    "/api/v1/regions",
    "/api/v1/regions/440100",
    "/api/v1/devices",
    "/api/v1/devices/gz-core1",
    "/api/v1/devices/gz-core1/interfaces",
    "/api/v1/metrics/series",
    "/api/v1/metrics/query_range?name=device_up",
    "/api/v1/devices/gz-core1/configs",
    "/api/v1/configs/3",
    "/api/v1/configs/diff?from=2&to=3",
    "/api/v1/devices/gz-core1/backup",
    "/api/v1/backups?stale=true",
    "/api/v1/devices/gz-core1/accounts",
    "/api/v1/accounts?privileged=true",
    "/api/v1/devices/gz-core1/ssh",
]
ACTIONS = ["/api/v1/devices/gz-core1/backup"]
"""POST routes: they change something (and answer 503 here: the tests wire no collector)."""


@pytest.fixture
async def guarded(
    state: StateRepository, metrics: MetricStore, stores: SshStores
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(services(state, metrics, stores, token=TOKEN))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as http:
        yield http


@pytest.mark.parametrize("path", ROUTES)
async def test_no_token_is_401(guarded: httpx.AsyncClient, path: str) -> None:
    response = await guarded.get(path)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "unauthorized"
    assert "missing API token" in response.json()["error"]["message"]


@pytest.mark.parametrize("path", ACTIONS)
async def test_actions_need_the_token_too(guarded: httpx.AsyncClient, path: str) -> None:
    response = await guarded.post(path)
    assert response.status_code == 401
    admitted = await guarded.post(path, headers={"Authorization": f"Bearer {TOKEN}"})
    assert admitted.status_code == 503


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/devices/gz-core9/backup"),
        ("GET", "/api/v1/devices/gz-core9/backup"),
        ("GET", "/api/v1/devices/gz-core9/configs"),
        ("GET", "/api/v1/devices/gz-core9/accounts"),
        ("GET", "/api/v1/devices/gz-core9/ssh"),
    ],
)
async def test_who_asks_is_checked_before_the_device_is_looked_up(
    guarded: httpx.AsyncClient, method: str, path: str
) -> None:
    # 401, not 404: a stranger must not learn which devices exist.
    assert (await guarded.request(method, path)).status_code == 401


@pytest.mark.parametrize(
    "header", [f"Bearer {TOKEN}x", "Bearer s3cret", f"Basic {TOKEN}", TOKEN, "Bearer "]
)
async def test_wrong_token_is_401(guarded: httpx.AsyncClient, header: str) -> None:
    response = await guarded.get("/api/v1/devices", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("path", ROUTES)
async def test_right_token_is_admitted(guarded: httpx.AsyncClient, path: str) -> None:
    response = await guarded.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200


async def test_401_names_no_secret(guarded: httpx.AsyncClient) -> None:
    response = await guarded.get("/api/v1/devices", headers={"Authorization": "Bearer guess"})
    assert TOKEN not in response.text
    assert "guess" not in response.text


@pytest.mark.parametrize("path", ROUTES)
async def test_no_token_configured_means_the_local_operator(
    client: httpx.AsyncClient, path: str
) -> None:
    assert (await client.get(path)).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"), [("GET", p) for p in ROUTES] + [("POST", p) for p in ACTIONS]
)
async def test_every_route_checks_a_permission(
    state: StateRepository, metrics: MetricStore, stores: SshStores, method: str, path: str
) -> None:
    # A principal with no permission at all (what a role-less user will be) is refused anywhere.
    app = create_app(services(state, metrics, stores))
    app.dependency_overrides[current_principal] = lambda: Principal("nobody", frozenset())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as http:
        response = await http.request(method, path)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    verb = "read_" if method == "GET" else "backup_devices"
    assert response.json()["error"]["message"].startswith(f"nobody may not {verb}")


def test_openapi_lists_exactly_the_guarded_routes(
    state: StateRepository, metrics: MetricStore, stores: SshStores
) -> None:
    paths = create_app(services(state, metrics, stores)).openapi()["paths"]
    operations = [(m.upper(), p) for p, ops in paths.items() for m in ops]
    assert len(operations) == len(ROUTES) + len(ACTIONS)
