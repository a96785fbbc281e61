"""Fleet health over the API: every area's figures, only the areas in the caller's regions,
narrowed to a region, the last computation or a fresh one, and a server without a fleet."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.unit.api.fleet_scenario import FleetApi, fleet_api, template_fixture


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return template_fixture(tmp_path_factory)


@pytest.fixture
async def api(tmp_path: Path, template: Path) -> AsyncIterator[FleetApi]:
    async with fleet_api(tmp_path, template) as opened:
        yield opened


async def health(api: FleetApi, who: str = "admin", query: str = "?fresh=true") -> Any:
    return await api.ok("GET", f"/fleet/health{query}", who)


def codes(answer: Any) -> list[str]:
    return [area["code"] for area in answer["areas"]]


async def a_small_fleet(api: FleetApi) -> dict[str, str]:
    """Two active terminals in Liwan (one on older firmware, one with its PSAM missing), one in
    Yuexiu that falls silent, one in Nanshan, and a registered one in Liwan."""
    liwan_1, _ = await api.active("LW-1")
    liwan_2, token = await api.active("LW-2")
    yuexiu, _ = await api.active("YX-1", "440104")
    nanshan, nanshan_token = await api.active("NS-1", "440305")
    await api.register("LW-3")
    api.clock.advance(200)  # the first Liwan terminal and Yuexiu's beat no more
    changed = await api.beat(token, firmware_version="3.1.0", psam_status="missing")
    assert changed.status_code == 200
    assert (await api.beat(nanshan_token)).status_code == 200
    api.clock.advance(150)
    return {"liwan_1": liwan_1, "liwan_2": liwan_2, "yuexiu": yuexiu, "nanshan": nanshan}


async def test_every_area_is_shown_to_the_province(api: FleetApi) -> None:
    fleet = await a_small_fleet(api)
    answer = await health(api)
    assert answer["computed_at"] == "2026-03-01T08:05:50Z"
    assert answer["silent_after_s"] == 300
    assert codes(answer) == ["440000", "440100", "440103", "440104", "440300", "440305"]
    liwan = next(area for area in answer["areas"] if area["code"] == "440103")
    assert liwan == {
        "code": "440103",
        "level": "county",
        "city": "440100",
        "terminals_by_state": {
            "registered": 1,
            "provisioned": 0,
            "active": 2,
            "suspended": 0,
            "retired": 0,
            "lost": 0,
        },
        "active": 2,
        "online": 1,
        "online_share": 0.5,
        "silent": 1,
        "silent_terminals": [
            {"terminal_id": fleet["liwan_1"], "last_seen_at": "2026-03-01T08:00:00Z"}
        ],
        "card_reads": 36,
        "card_read_failures": 3,
        "read_failure_rate": 3 / 39,
        "outliers": [],
        "psam_missing": 1,
        "psam_error": 0,
        "majority_firmware": "3.2.1",
        "majority_parameter": "P2026.03",
        "firmware_drift": 1,
        "parameter_drift": 0,
        "off_target": 0,
        "firmware_versions": {"3.2.1": 1, "3.1.0": 1},
        "parameter_versions": {"P2026.03": 2},
    }
    province = answer["areas"][0]
    assert (province["level"], province["city"], province["active"], province["online"]) == (
        "province",
        None,
        4,
        2,
    )
    assert [s["terminal_id"] for s in province["silent_terminals"]] == [
        fleet["liwan_1"],
        fleet["yuexiu"],
    ]


async def test_only_the_callers_areas_are_shown(api: FleetApi) -> None:
    await a_small_fleet(api)
    assert codes(await health(api, "liwan_tech")) == ["440103"]
    assert codes(await health(api, "gz_engineer")) == ["440100", "440103", "440104"]
    assert codes(await health(api, "guest")) == [
        "440000",
        "440100",
        "440103",
        "440104",
        "440300",
        "440305",
    ]


async def test_a_region_narrows_the_areas(api: FleetApi) -> None:
    await a_small_fleet(api)
    assert codes(await health(api, query="?region=440100")) == ["440100", "440103", "440104"]
    assert codes(await health(api, query="?region=440305")) == ["440305"]
    # Above one's county: narrows nothing. Beside it: no such region.
    assert codes(await health(api, "liwan_tech", "?region=440100")) == ["440103"]
    beside = await api.call("GET", "/fleet/health?region=440104", "liwan_tech")
    assert beside.status_code == 404
    bad = await api.call("GET", "/fleet/health?region=44")
    assert bad.status_code == 422
    assert "region" in bad.json()["error"]["message"]


async def test_the_last_computation_is_served_unless_fresh_is_asked(api: FleetApi) -> None:
    await api.active("LW-1")
    first = await health(api, query="")
    assert first["areas"][0]["active"] == 1
    await api.active("LW-2")
    assert await health(api, query="") == first
    fresh = await health(api, query="?fresh=true")
    assert fresh["areas"][0]["active"] == 2
    assert await health(api, query="") == fresh


async def test_a_server_without_a_fleet_answers_503(tmp_path: Path, template: Path) -> None:
    async with fleet_api(tmp_path, template, with_fleet=False) as api:
        response = await api.call("GET", "/fleet/health")
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "fleet_unavailable"
