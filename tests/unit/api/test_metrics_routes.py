"""Series and range queries through the HTTP API, with their parameter checks."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from api.app import create_app
from core.clock import to_epoch_s
from core.state.repository import StateRepository
from tests.unit.api.auth_fakes import ADMIN_HEADERS
from tests.unit.api.fakes import FakeMetricStore
from tests.unit.api.scenario import NOW, T0, SshStores, services

START = (T0 - timedelta(minutes=10)).isoformat()
END = T0.isoformat()


async def test_series_by_name_and_device(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/v1/metrics/series", params={"name": "device_cpu_percent", "device": "gz-core1"}
    )
    assert response.status_code == 200
    assert response.json() == [
        {"name": "device_cpu_percent", "labels": {"device": "gz-core1", "region": "440100"}}
    ]


async def test_all_series(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/metrics/series")
    assert {s["name"] for s in response.json()} == {"device_cpu_percent", "interface_in_bps"}
    assert len(response.json()) == 3


async def test_query_range_returns_points_per_step(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/v1/metrics/query_range",
        params={
            "name": "device_cpu_percent",
            "match": "device:gd-dc1-core1",
            "start": START,
            "end": END,
            "step": 300,
            "aggregate": "max",
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["step_s"] == 300
    assert body["aggregate"] == "max"
    (series,) = body["series"]
    assert series["labels"] == {"device": "gd-dc1-core1", "region": "440000"}
    first = to_epoch_s(T0) - 600
    # Samples were 20..29 one a minute; max of each five-minute step.
    assert series["points"] == [[first, 24.0], [first + 300, 29.0]]


async def test_query_range_accepts_epoch_seconds_and_repeated_matchers(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(
        "/api/v1/metrics/query_range",
        params=[
            ("name", "interface_in_bps"),
            ("match", "device:gz-core1"),
            ("match", "if_name:GigabitEthernet1/0/3"),
            ("start", str(int(to_epoch_s(T0) - 120))),
            ("end", str(int(to_epoch_s(T0)))),
            ("step", "60"),
        ],
    )
    assert response.status_code == 200
    (series,) = response.json()["series"]
    assert [value for _, value in series["points"]] == [45.2e6, 45.2e6]


async def test_query_range_defaults_to_the_last_hour(
    state: StateRepository, stores: SshStores, client: httpx.AsyncClient
) -> None:
    response = await client.get("/api/v1/metrics/query_range", params={"name": "device_up"})
    assert response.status_code == 200
    body = response.json()
    assert body["series"] == []
    assert (body["start"], body["end"], body["step_s"]) == (
        iso(NOW - timedelta(hours=1)),
        iso(NOW),
        60.0,
    )
    # …and the defaults are what the store is asked for.
    fake = FakeMetricStore()
    app = create_app(services(state, fake, stores))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test", headers=ADMIN_HEADERS
    ) as http:
        await http.get("/api/v1/metrics/query_range", params={"name": "device_up"})
    (_, _, start, end, step) = fake.queries[-1]
    assert (start, end, step) == (NOW - timedelta(hours=1), NOW, 60.0)


def iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


async def test_device_shorthand_contradicting_a_matcher(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/v1/metrics/series", params={"device": "a", "match": "device:b"}
    )
    assert response.status_code == 422
    assert "'device'" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"name": "x", "start": END, "end": START}, "start"),
        ({"name": "x", "start": START, "end": START}, "start"),
        ({"name": "x", "start": START, "end": END, "step": 0}, "step"),
        ({"name": "x", "start": START, "end": END, "step": -5}, "step"),
        ({"name": "x", "start": "2026-01-01T00:00:00Z", "end": END, "step": 1}, "step"),
        ({"name": "x", "aggregate": "median"}, "aggregate"),
        ({"name": "x", "start": "yesterday"}, "start"),
        ({"name": "x", "start": "2026-03-01T08:00:00"}, "start"),  # no zone: ambiguous
        ({"name": "x", "match": "device=gz-core1"}, "match"),
        ({"name": "bad name!"}, "name"),
        ({}, "name"),
    ],
)
async def test_query_range_rejects_bad_parameters(
    client: httpx.AsyncClient, params: dict[str, str | int], parameter: str
) -> None:
    response = await client.get("/api/v1/metrics/query_range", params=params)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_parameter"
    assert f"query parameter '{parameter}" in error["message"]


async def test_too_many_points_says_how_many(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/v1/metrics/query_range",
        params={"name": "x", "start": "2026-02-28T08:00:00Z", "end": END, "step": 1},
    )
    assert response.status_code == 422
    assert "86400 points per series; at most 11000" in response.json()["error"]["message"]


async def test_metric_store_failure_is_503(state: StateRepository, stores: SshStores) -> None:
    failing = FakeMetricStore()
    failing.failing = True
    app = create_app(services(state, failing, stores))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test", headers=ADMIN_HEADERS
    ) as http:
        response = await http.get("/api/v1/metrics/series")
    assert response.status_code == 503
    assert response.json() == {
        "error": {"code": "store_unavailable", "message": "metric store: disk I/O error"}
    }
