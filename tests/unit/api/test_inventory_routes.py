"""Health, regions and devices, read through the HTTP API from a real state DB."""

from __future__ import annotations

import httpx
import pytest

from tests.unit.api.scenario import NOW


async def test_health_counts_every_device_by_status(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["version"] == "9.9.9-test"
    assert body["time"] == NOW.isoformat().replace("+00:00", "Z")
    assert body["devices"] == {"up": 2, "degraded": 1, "down": 1, "unknown": 0}


async def test_region_tree_rolls_up_the_worst_status(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/regions")
    assert response.status_code == 200
    (province,) = response.json()
    assert (province["code"], province["name"], province["status"]) == ("440000", "广东省", "down")
    (city,) = province["children"]
    assert (city["name"], city["status"]) == ("广州市", "down")
    assert city["devices"] == {"up": 1, "degraded": 1, "down": 1, "unknown": 0}
    counties = {c["code"]: c["status"] for c in city["children"]}
    assert counties == {"440103": "down", "440104": "up"}


async def test_one_region_with_its_children(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/regions/440100")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "广州市"
    assert [c["name"] for c in body["children"]] == ["荔湾区", "越秀区"]


async def test_unknown_region_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/regions/449999")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "no region 449999"}}


async def test_malformed_region_code_names_the_parameter(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/regions/guangzhou")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_parameter"
    assert "path parameter 'code'" in error["message"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["gd-dc1-core1", "gz-core1", "gz-liwan-acc1", "gz-yuexiu-acc1"]),
        ("?region=440100", ["gz-core1", "gz-liwan-acc1", "gz-yuexiu-acc1"]),
        ("?region=440104", ["gz-yuexiu-acc1"]),
        ("?status=down", ["gz-liwan-acc1"]),
        ("?status=up&region=440100", ["gz-yuexiu-acc1"]),
        ("?q=越秀", ["gz-yuexiu-acc1"]),
        ("?q=ne40e", ["gd-dc1-core1"]),
        ("?q=nothing-like-this", []),
    ],
)
async def test_device_list_filters(
    client: httpx.AsyncClient, query: str, expected: list[str]
) -> None:
    response = await client.get(f"/api/v1/devices{query}")
    assert response.status_code == 200
    assert [d["id"] for d in response.json()] == expected


async def test_device_summary_carries_state(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/devices", params={"region": "440000", "q": "gd-dc1"})
    (core,) = response.json()
    assert core["status"] == "up"
    assert core["platform"] == "huawei_vrp"
    assert core["cpu_percent"] == 23.5
    assert core["region_name"] == "广东省"


async def test_bad_status_is_rejected_naming_the_parameter(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/devices", params={"status": "sideways"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_parameter"
    assert error["message"].startswith("query parameter 'status'")
    assert "'up'" in error["message"]


async def test_device_list_of_unknown_region_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/devices", params={"region": "449999"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_device_detail(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/devices/gz-core1")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["identity"]["vendor"] == "H3C"
    ten_gig = body["interfaces"][0]
    assert ten_gig["name"] == "Ten-GigabitEthernet1/0/1"
    assert ten_gig["in_bps"] == 2.4e9
    assert ten_gig["utilisation_percent"] == pytest.approx(24.0)
    assert ten_gig["link"] == "dc1-gz"
    assert [lk["id"] for lk in body["links"]] == ["dc1-gz", "gz-liwan-primary", "gz-yuexiu-primary"]


async def test_unreachable_device_shows_its_error(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/v1/devices/gz-liwan-acc1")).json()
    assert body["status"] == "down"
    assert body["last_error"] == "no answer after 2 retries"
    assert body["consecutive_failures"] == 1


async def test_device_interfaces(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/devices/gd-dc1-core1/interfaces")
    assert response.status_code == 200
    interfaces = response.json()
    assert [i["if_index"] for i in interfaces] == [1, 2, 3]
    assert interfaces[1]["admin_status"] == "down"
    assert interfaces[0]["utilisation_percent"] == pytest.approx(51.2)


@pytest.mark.parametrize(
    "path", ["/api/v1/devices/gz-core9", "/api/v1/devices/gz-core9/interfaces"]
)
async def test_unknown_device_is_404(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "no device 'gz-core9'"}}
