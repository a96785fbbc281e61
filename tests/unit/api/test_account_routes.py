"""Accounts per device and across the fleet, and what SSH says about a device."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from core.state.host_keys import fingerprint_sha256
from tests.unit.api.scenario import T0
from tests.unit.api.ssh_scenario import KEY_CORE, LOGIN_FAILED, PINNED_AT


async def test_accounts_of_one_device_by_name(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/devices/gz-core1/accounts")
    assert response.status_code == 200
    accounts = response.json()
    assert [a["name"] for a in accounts] == ["admin", "noc-ro", "test", "zhangwei"]
    admin = accounts[0]
    assert admin["privileged"] is True
    assert admin["privilege"] == "network-admin"
    assert admin["origin"] == "local-user"
    assert admin["password_type"] == "hash"
    assert admin["service_types"] == ["ssh", "terminal"]
    assert admin["device_id"] == "gz-core1"
    assert [a["privileged"] for a in accounts] == [True, False, False, True]
    # How a password is kept, and how old it is: never the password or its hash.
    assert {k for k in admin if "password" in k} == {
        "password_type",
        "password_changed_at",
        "password_max_age_days",
    }


async def test_a_device_never_collected_has_no_accounts(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/devices/gz-liwan-acc1/accounts")
    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {},
            [
                ("gd-dc1-core1", "admin"),
                ("gd-dc1-core1", "noc"),
                ("gz-core1", "admin"),
                ("gz-core1", "noc-ro"),
                ("gz-core1", "test"),
                ("gz-core1", "zhangwei"),
                ("gz-yuexiu-acc1", "admin"),
                ("gz-yuexiu-acc1", "backup"),
            ],
        ),
        (
            {"privileged": "true"},
            [
                ("gd-dc1-core1", "admin"),
                ("gz-core1", "admin"),
                ("gz-core1", "zhangwei"),
                ("gz-yuexiu-acc1", "admin"),
            ],
        ),
        (
            {"q": "ADM"},
            [("gd-dc1-core1", "admin"), ("gz-core1", "admin"), ("gz-yuexiu-acc1", "admin")],
        ),
        ({"q": "yuexiu"}, [("gz-yuexiu-acc1", "admin"), ("gz-yuexiu-acc1", "backup")]),
        ({"device": "gd-dc1-core1"}, [("gd-dc1-core1", "admin"), ("gd-dc1-core1", "noc")]),
        ({"device": "gz-core1", "privileged": "true", "q": "zh"}, [("gz-core1", "zhangwei")]),
        ({"origin": "username"}, [("gz-yuexiu-acc1", "admin"), ("gz-yuexiu-acc1", "backup")]),
        ({"device": "gz-core1", "origin": "username"}, []),
        ({"q": "nobody-like-this"}, []),
    ],
)
async def test_fleet_search(
    client: httpx.AsyncClient, params: dict[str, str], expected: list[tuple[str, str]]
) -> None:
    response = await client.get("/api/v1/accounts", params=params)
    assert response.status_code == 200
    assert [(a["device_id"], a["name"]) for a in response.json()] == expected


async def test_fleet_search_for_an_unknown_device_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/accounts", params={"device": "gz-core9"})
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "no device 'gz-core9'"


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"origin": "ldap"}, "origin"),
        ({"privileged": "perhaps"}, "privileged"),
        ({"device": ""}, "device"),
    ],
)
async def test_fleet_search_rejects_bad_parameters(
    client: httpx.AsyncClient, params: dict[str, str], parameter: str
) -> None:
    response = await client.get("/api/v1/accounts", params=params)
    assert response.status_code == 422
    assert f"query parameter '{parameter}'" in response.json()["error"]["message"]


async def test_ssh_facts_host_units_and_pinned_key(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/devices/gz-core1/ssh")
    assert response.status_code == 200
    body = response.json()
    assert body["device_id"] == "gz-core1"
    facts = body["facts"]
    assert (facts["hostname"], facts["model"]) == ("GZ-CORE1", "S12508")
    assert facts["details"] == {"lldp_neighbours": 2}
    assert facts["last_success_at"] == (T0 - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert facts["last_error"] is None
    assert body["host_units"] == []
    (key,) = body["host_keys"]
    assert key["endpoint"] == "127.0.0.12:22"
    assert key["fingerprint_sha256"] == fingerprint_sha256(KEY_CORE)
    assert key["first_seen_at"] == PINNED_AT.isoformat().replace("+00:00", "Z")


async def test_ssh_of_a_failing_device_keeps_the_error(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/v1/devices/gd-dc1-core1/ssh")).json()
    assert body["facts"]["last_error"] == LOGIN_FAILED
    assert body["facts"]["last_success_at"] is None
    assert body["host_keys"] == []


async def test_ssh_of_a_device_never_reached_is_empty(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/v1/devices/gz-liwan-acc1/ssh")).json()
    assert body == {"device_id": "gz-liwan-acc1", "facts": None, "host_units": [], "host_keys": []}


@pytest.mark.parametrize(
    "path", ["/api/v1/devices/gz-core9/accounts", "/api/v1/devices/gz-core9/ssh"]
)
async def test_unknown_device_is_404(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "no device 'gz-core9'"}}
