"""Configuration versions and diffs through the HTTP API, from real repositories."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from tests.unit.api.scenario import T0
from tests.unit.api.ssh_scenario import CORE_V3


async def test_versions_newest_first_without_texts(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/devices/gz-core1/configs")
    assert response.status_code == 200
    versions = response.json()
    assert [v["id"] for v in versions] == [3, 2, 1]
    newest = versions[0]
    assert newest["device_id"] == "gz-core1"
    assert newest["changed_by"] == "liming"
    assert (newest["lines_added"], newest["lines_removed"]) == (4, 1)
    assert newest["lines"] == len(CORE_V3.splitlines())
    assert "text" not in newest
    assert versions[1]["changed_by"] == "zhangwei"
    assert versions[2]["changed_by"] is None  # the baseline


async def test_a_device_never_backed_up_has_no_versions(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/devices/gz-liwan-acc1/configs")
    assert response.status_code == 200
    assert response.json() == []


async def test_one_version_with_its_text(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/configs/3")
    assert response.status_code == 200
    body = response.json()
    assert body["text"] == CORE_V3
    assert body["id"] == 3
    assert "cipher ******" in body["text"]  # stored scrubbed; served as stored


async def test_diff_between_two_versions(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/configs/diff", params={"from": 2, "to": 3})
    assert response.status_code == 200
    diff = response.json()
    assert (diff["device_id"], diff["from_id"], diff["to_id"]) == ("gz-core1", 2, 3)
    assert (diff["lines_added"], diff["lines_removed"]) == (4, 1)
    kinds = {(line["kind"], line["text"]) for line in diff["lines"]}
    assert ("removed", " port trunk permit vlan 1 100 200") in kinds
    assert ("added", " port trunk permit vlan 100 200") in kinds
    assert ("added", " ntp-service unicast-server 10.44.0.1") in kinds
    assert diff["lines"][0]["kind"] == "hunk"
    assert diff["lines"][0]["text"].startswith("@@ ")


async def test_diff_context_is_a_parameter(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/configs/diff", params={"from": 2, "to": 3, "context": 0})
    assert {line["kind"] for line in response.json()["lines"]} == {"hunk", "added", "removed"}


async def test_diff_across_devices_is_400_naming_both(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/configs/diff", params={"from": 3, "to": 4})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "bad_request"
    assert "3 (gz-core1)" in error["message"]
    assert "4 (gd-dc1-core1)" in error["message"]
    assert "different devices" in error["message"]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/api/v1/configs/99", "no configuration version 99"),
        ("/api/v1/configs/diff?from=2&to=99", "no configuration version 99"),
        ("/api/v1/devices/gz-core9/configs", "no device 'gz-core9'"),
    ],
)
async def test_unknown_versions_and_devices_are_404(
    client: httpx.AsyncClient, path: str, message: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": message}}


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/configs/diff?to=3", "query parameter 'from'"),
        ("/api/v1/configs/diff?from=2", "query parameter 'to'"),
        ("/api/v1/configs/diff?from=x&to=3", "query parameter 'from'"),
        ("/api/v1/configs/diff?from=2&to=3&context=-1", "query parameter 'context'"),
        ("/api/v1/configs/latest", "path parameter 'version_id'"),
        ("/api/v1/configs/0", "path parameter 'version_id'"),
    ],
)
async def test_bad_parameters_are_named(
    client: httpx.AsyncClient, path: str, parameter: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_parameter"
    assert parameter in response.json()["error"]["message"]


async def test_times_are_utc(client: httpx.AsyncClient) -> None:
    (newest, *_) = (await client.get("/api/v1/devices/gz-core1/configs")).json()
    assert newest["collected_at"] == (T0 - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
