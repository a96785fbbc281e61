"""The topology routes over the toy province in a real state DB, for callers of three scopes:
the province's administrator, Foshan's network engineer and Liwan's field technician."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from core.security.permissions import Role
from core.security.principal import Grant, Principal
from tests.unit.api.auth_fakes import ADMIN, ADMIN_TOKEN, FakeAuthenticator
from tests.unit.api.fakes import FakeMetricStore
from tests.unit.api.scenario import open_stores, services
from tests.unit.topology.networks import (
    CHANCHENG_ACC,
    DC1,
    FS,
    FS_CORE,
    GZ,
    GZ_CORE,
    LIWAN,
    LIWAN_ACC,
    NANHAI,
    NANHAI_ACC,
    YUEXIU_ACC,
)
from tests.unit.topology.toy_state import ToyState

TECH = Principal(user_id=2, name="tech", grants=(Grant(Role.FIELD_TECHNICIAN, LIWAN),))
FOSHAN = Principal(user_id=3, name="foshan", grants=(Grant(Role.NETWORK_ENGINEER, FS),))
TOKENS = {ADMIN_TOKEN: ADMIN, "tech-token": TECH, "foshan-token": FOSHAN}
ROUTES = (
    "/api/v1/topology/regions/440100",
    "/api/v1/topology/paths",
    "/api/v1/topology/spof",
    "/api/v1/topology/failover",
    "/api/v1/topology/impact?device=gz-core1",
    "/api/v1/topology/root-causes",
    "/api/v1/topology/discovery",
)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[ToyState]:
    state = ToyState(tmp_path)
    yield state
    state.close()


def _client(world: ToyState, *, with_topology: bool = True) -> httpx.AsyncClient:
    base = services(
        world.state,
        FakeMetricStore(),
        open_stores(world.engine),
        auth=FakeAuthenticator(TOKENS),
    )
    api = dataclasses.replace(base, topology=world.monitor() if with_topology else None)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(api)), base_url="http://test"
    )


@pytest.fixture
async def http(world: ToyState) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(world) as client:
        yield client


async def get(http: httpx.AsyncClient, path: str, token: str = ADMIN_TOKEN) -> httpx.Response:
    return await http.get(path, headers={"Authorization": f"Bearer {token}"})


async def body(http: httpx.AsyncClient, path: str, token: str = ADMIN_TOKEN) -> Any:
    response = await get(http, path, token)
    assert response.status_code == 200, response.text
    return response.json()


async def test_every_route_answers_503_without_a_monitor(world: ToyState) -> None:
    async with _client(world, with_topology=False) as http:
        for path in ROUTES:
            response = await get(http, path)
            assert response.status_code == 503, path
            error = response.json()["error"]
            assert error["code"] == "topology_unavailable"
            assert "does not follow the topology" in error["message"]


async def test_a_region_view(world: ToyState, http: httpx.AsyncClient) -> None:
    world.poll(down_interfaces=[world.end_of("gz-liwan-primary", LIWAN_ACC)])
    view = await body(http, "/api/v1/topology/regions/440100")
    assert view["region"] == {"code": GZ, "name": "广州市", "level": "city"}
    assert view["as_of"] == "2026-03-02T08:00:00Z"
    nodes = {n["device_id"]: n for n in view["nodes"]}
    assert set(nodes) == {
        GZ_CORE,
        LIWAN_ACC,
        YUEXIU_ACC,
        DC1,
        "gd-dc2-core1",
        FS_CORE,
        CHANCHENG_ACC,
    }
    assert nodes[LIWAN_ACC] == {
        "device_id": LIWAN_ACC,
        "name": "GZ-LIWAN-ACC1",
        "role": "access",
        "region": LIWAN,
        "region_name": "荔湾区",
        "site_id": "gz-liwan",
        "status": "degraded",
        "failover": "on_backup",
        "vrrp": None,
    }
    assert nodes[DC1]["failover"] is None
    links = {lk["id"]: lk for lk in view["links"]}
    assert links["gz-liwan-primary"]["status"] == "down"
    assert links["gz-liwan-primary"]["role"] == "primary"
    assert set(links["gz-liwan-primary"]) == {
        "id", "a_device", "a_interface", "b_device", "b_interface", "tier", "role", "status",
        "utilisation_percent",
    }  # fmt: skip
    assert [(c["code"], c["failover"], c["devices"]) for c in view["children"]] == [
        (LIWAN, "on_backup", 1),
        ("440104", "on_primary", 1),
    ]


async def test_a_region_outside_ones_scope_is_not_found(http: httpx.AsyncClient) -> None:
    assert (await get(http, "/api/v1/topology/regions/440100", "tech-token")).status_code == 404
    own = await body(http, "/api/v1/topology/regions/440103", "tech-token")
    # Where Liwan hangs from is part of its picture: its uplinks' far ends.
    assert [n["device_id"] for n in own["nodes"]] == [LIWAN_ACC, GZ_CORE, FS_CORE]
    assert (await get(http, "/api/v1/topology/regions/449999")).status_code == 404
    assert (await get(http, "/api/v1/topology/regions/44")).status_code == 422


async def test_paths_of_ones_scope(http: httpx.AsyncClient) -> None:
    everything = await body(http, "/api/v1/topology/paths")
    assert len(everything) == 6
    mine = await body(http, "/api/v1/topology/paths", "tech-token")
    assert [p["device_id"] for p in mine] == [LIWAN_ACC]
    assert mine[0]["primary"]["link_ids"] == ["gz-dc1", "gz-liwan-primary"]
    assert mine[0]["backup"]["link_ids"] == ["fs-dc2", "gz-liwan-backup"]
    foshan = await body(http, "/api/v1/topology/paths?region=440600")
    assert [p["device_id"] for p in foshan] == [FS_CORE, CHANCHENG_ACC, NANHAI_ACC]
    refused = await get(http, "/api/v1/topology/paths?region=440100", "tech-token")
    assert refused.status_code == 404


async def test_single_points_of_failure_concerning_a_region(http: httpx.AsyncClient) -> None:
    nanhai = await body(http, f"/api/v1/topology/spof?region={NANHAI}")
    assert {(f["kind"], f["element"]["id"]) for f in nanhai} >= {
        ("bridge", "fs-nanhai-primary"),
        ("articulation_point", FS_CORE),
    }
    assert all("explanation" in f for f in nanhai)
    mine = await body(http, "/api/v1/topology/spof", "tech-token")
    assert all(LIWAN in {f["region"], *f["affected_region_codes"]} for f in mine)
    assert (await get(http, f"/api/v1/topology/spof?region={FS}", "tech-token")).status_code == 404


async def test_the_failover_board_by_scope(world: ToyState, http: httpx.AsyncClient) -> None:
    world.poll(down_interfaces=[world.end_of("gz-liwan-primary", LIWAN_ACC)])
    board = await body(http, "/api/v1/topology/failover")
    assert board["counts"] == {"on_primary": 5, "on_backup": 1, "isolated": 0}
    [liwan] = board["sites"]
    assert (liwan["device_id"], liwan["state"], liwan["since"]) == (
        LIWAN_ACC,
        "on_backup",
        "2026-03-02T08:00:00Z",
    )
    assert (liwan["region_name"], liwan["device_name"]) == ("荔湾区", "GZ-LIWAN-ACC1")
    mine = await body(http, "/api/v1/topology/failover", "tech-token")
    assert [s["device_id"] for s in mine["sites"]] == [LIWAN_ACC]
    assert mine["counts"] == {"on_primary": 0, "on_backup": 1, "isolated": 0}
    foshan = await body(http, "/api/v1/topology/failover", "foshan-token")
    assert foshan["sites"] == []
    assert foshan["counts"] == {"on_primary": 3, "on_backup": 0, "isolated": 0}
    every = await body(http, "/api/v1/topology/failover?all=true", "foshan-token")
    assert [s["device_id"] for s in every["sites"]] == [FS_CORE, CHANCHENG_ACC, NANHAI_ACC]
    refused = await get(http, "/api/v1/topology/failover?region=440100", "foshan-token")
    assert refused.status_code == 404


@pytest.mark.parametrize(
    "query", ["", "?device=gz-core1&link=gz-dc1", "?device=", "?other=gz-core1"]
)
async def test_impact_needs_exactly_one_element(http: httpx.AsyncClient, query: str) -> None:
    response = await get(http, f"/api/v1/topology/impact{query}")
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_parameter"


async def test_impact_what_if_and_scope(http: httpx.AsyncClient) -> None:
    report = await body(http, "/api/v1/topology/impact?link=fs-nanhai-primary")
    assert report["failed_now"] is False
    assert report["cut_off"]["device_ids"] == [NANHAI_ACC]
    assert report["explanation"].startswith("If link fs-nanhai-primary")
    city = await body(http, "/api/v1/topology/impact?device=fs-core1", "foshan-token")
    assert city["element"] == {"kind": "device", "id": FS_CORE}
    assert NANHAI_ACC in city["cut_off"]["device_ids"]
    other_city = await get(http, "/api/v1/topology/impact?device=gz-core1", "foshan-token")
    assert other_city.status_code == 404
    # Liwan's technician may ask about Liwan's own uplink (its lower end), not the city router.
    own = await get(http, "/api/v1/topology/impact?link=gz-liwan-primary", "tech-token")
    assert own.status_code == 200
    router = await get(http, "/api/v1/topology/impact?device=gz-core1", "tech-token")
    assert router.status_code == 404
    unknown = await get(http, "/api/v1/topology/impact?device=nowhere-acc1")
    assert unknown.status_code == 404


async def test_root_causes_by_scope(world: ToyState, http: httpx.AsyncClient) -> None:
    world.poll(down_devices=[GZ_CORE, YUEXIU_ACC])
    [cause] = await body(http, "/api/v1/topology/root-causes")
    assert cause["element"] == {"kind": "device", "id": GZ_CORE}
    assert cause["consequence_device_ids"] == [YUEXIU_ACC]
    assert await body(http, "/api/v1/topology/root-causes", "tech-token") == []
    assert await body(http, "/api/v1/topology/root-causes", "foshan-token") == []


async def test_discovery_without_neighbours(http: httpx.AsyncClient) -> None:
    view = await body(http, "/api/v1/topology/discovery", "tech-token")
    assert (view["findings"], view["matched"]) == ([], 0)
    assert view["as_of"] == "2026-03-02T08:00:00Z"
    refused = await get(http, "/api/v1/topology/discovery?region=440600", "tech-token")
    assert refused.status_code == 404


async def test_an_unauthenticated_caller_is_refused(http: httpx.AsyncClient) -> None:
    for path in ROUTES:
        assert (await http.get(path)).status_code == 401, path
