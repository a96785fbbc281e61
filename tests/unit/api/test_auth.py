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
from tests.unit.api.scenario import services

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
]


@pytest.fixture
async def guarded(state: StateRepository, metrics: MetricStore) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(services(state, metrics, token=TOKEN))
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


@pytest.mark.parametrize("path", ROUTES)
async def test_every_route_checks_a_permission(
    state: StateRepository, metrics: MetricStore, path: str
) -> None:
    # A principal with no permission at all (what a role-less user will be) is refused anywhere.
    app = create_app(services(state, metrics))
    app.dependency_overrides[current_principal] = lambda: Principal("nobody", frozenset())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as http:
        response = await http.get(path)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert response.json()["error"]["message"].startswith("nobody may not read_")


def test_openapi_lists_exactly_the_guarded_routes(
    state: StateRepository, metrics: MetricStore
) -> None:
    paths = create_app(services(state, metrics)).openapi()["paths"]
    assert len(paths) == len(ROUTES)
