"""Rollouts over the API: created, started, paused, resumed and rolled back, with the targets the
terminals hear in their heartbeat replies; plans that make no sense, states that refuse an
action, scopes (a city's engineer manages the city's rollouts only), audit records."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from core.security.audit_trail import AuditOutcome
from tests.unit.api.fleet_scenario import FleetApi, fleet_api, template_fixture


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return template_fixture(tmp_path_factory)


@pytest.fixture
async def api(tmp_path: Path, template: Path) -> AsyncIterator[FleetApi]:
    async with fleet_api(tmp_path, template) as opened:
        yield opened


def plan(**changes: Any) -> dict[str, Any]:
    return {
        "component": "firmware",
        "target_version": "3.3.0",
        "previous_version": "3.2.1",
        "regions": ["440103"],
        "pilot_size": 1,
        "waves": [50, {"percent": 100, "regions": ["440103"]}],
        "gate": {"soak_s": 600, "min_back_pct": 90},
        **changes,
    }


async def test_a_rollout_is_created_started_paused_resumed_and_rolled_back(
    api: FleetApi,
) -> None:
    terminal_id, token = await api.active("LW-1")
    response = await api.call("POST", "/rollouts", "gz_engineer", plan())
    assert response.status_code == 201, response.text
    created = response.json()
    assert created == {
        "id": "RO-0001",
        "component": "firmware",
        "target_version": "3.3.0",
        "previous_version": "3.2.1",
        "regions": ["440103"],
        "pilot_terminal_ids": [],
        "pilot_size": 1,
        "planned_waves": [
            {"number": 0, "label": "pilot", "percent": None, "regions": []},
            {"number": 1, "label": "50 %", "percent": 50.0, "regions": []},
            {"number": 2, "label": "100 % of 440103", "percent": 100.0, "regions": ["440103"]},
        ],
        "gate": {
            "soak_s": 600,
            "min_back_pct": 90.0,
            "max_failure_rate_increase_points": 2.0,
            "max_psam_failures": 0,
            "online_within_s": 600,
        },
        "state": "draft",
        "created_by": "gz_engineer",
        "created_at": "2026-03-01T08:00:00Z",
        "started_at": None,
        "finished_at": None,
        "reason": None,
        "waves": [],
    }
    assert (await api.beat(token)).json()["target_firmware_version"] is None

    started = await api.ok("POST", "/rollouts/RO-0001/start", "gz_engineer", {"reason": "go"})
    assert (started["state"], started["started_at"]) == ("running", "2026-03-01T08:00:00Z")
    assert started["waves"] == [
        {
            "number": 0,
            "label": "pilot",
            "percent": None,
            "opened_at": "2026-03-01T08:00:00Z",
            "members": 1,
            "judged_at": None,
            "outcome": None,
            "passed": None,
            "summary": None,
        }
    ]
    assert (await api.beat(token)).json()["target_firmware_version"] == "3.3.0"

    paused = await api.ok("POST", "/rollouts/RO-0001/pause", "gz_engineer", {"reason": "lunch"})
    assert (paused["state"], paused["reason"]) == ("paused", "paused by gz_engineer: lunch")
    resumed = await api.ok("POST", "/rollouts/RO-0001/resume", "admin", {"reason": "fed"})
    assert (resumed["state"], resumed["reason"]) == ("running", None)
    rolled = await api.ok("POST", "/rollouts/RO-0001/rollback", "admin", {"reason": "bad"})
    assert rolled["state"] == "rolled_back"
    assert rolled["finished_at"] == "2026-03-01T08:00:00Z"
    reply = (await api.beat(token, firmware_version="3.3.0")).json()
    assert reply["target_firmware_version"] == "3.2.1"

    history = await api.ok("GET", "/rollouts/RO-0001/history", "liwan_tech")
    assert [(h["change"], h["by"], h["wave"]) for h in history] == [
        ("created", "gz_engineer", None),
        ("started", "gz_engineer", None),
        ("wave_opened", "gz_engineer", 0),
        ("paused", "gz_engineer", None),
        ("resumed", "admin", None),
        ("rolled_back", "admin", None),
    ]
    assert history[-1]["message"].startswith("rolled back by admin: bad (1 terminals pointed")
    assert [(await api.ok("GET", "/rollouts/RO-0001", "guest"))["state"]] == ["rolled_back"]
    assert [(e.action, e.outcome, e.target) for e in api.audit.events if "rollout" in e.action] == [
        ("rollout_create", AuditOutcome.OK, "RO-0001"),
        ("rollout_start", AuditOutcome.OK, "RO-0001"),
        ("rollout_pause", AuditOutcome.OK, "RO-0001"),
        ("rollout_resume", AuditOutcome.OK, "RO-0001"),
        ("rollout_rollback", AuditOutcome.OK, "RO-0001"),
    ]
    start = api.audited("rollout_start")[0]
    assert (start.region_code, start.detail, start.before, start.after) == (
        "440103",
        "go",
        {"state": "draft", "waves_opened": 0},
        {"state": "running", "waves_opened": 1},
    )
    assert [m.terminal_id for m in api.fleet.rollouts.members("RO-0001")] == [terminal_id]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"waves": [150]}, "every wave's percent must be in (0, 100]"),
        ({"previous_version": "3.3.0"}, "the previous version is the target version"),
        ({"pilot_terminal_ids": ["T440103-0001"]}, "either as terminal ids or as a size"),
        ({"waves": [], "pilot_size": 0}, "a rollout needs a pilot or at least one wave"),
    ],
)
async def test_a_plan_that_makes_no_sense_is_a_422(
    api: FleetApi, changes: dict[str, Any], message: str
) -> None:
    response = await api.call("POST", "/rollouts", body=plan(**changes))
    assert response.status_code == 422
    assert message in response.json()["error"]["message"]
    (event,) = api.audited("rollout_create")
    assert event.outcome is AuditOutcome.FAILED
    assert api.fleet.rollouts.list() == []


async def test_a_state_that_refuses_the_action_is_a_409(api: FleetApi) -> None:
    await api.ok("POST", "/rollouts", body=plan())
    paused = await api.call("POST", "/rollouts/RO-0001/pause", body={"reason": "early"})
    assert paused.status_code == 409
    assert paused.json()["error"]["message"] == (
        "rollout RO-0001 is draft: it may be paused only when running"
    )
    assert (await api.call("POST", "/rollouts/RO-0001/start")).status_code == 200
    again = await api.call("POST", "/rollouts/RO-0001/start")
    assert again.status_code == 409
    await api.ok("POST", "/rollouts", body=plan(target_version="3.4.0"))
    overlapping = await api.call("POST", "/rollouts/RO-0002/start")
    assert overlapping.status_code == 409
    assert "RO-0001 (running) already moves" in overlapping.json()["error"]["message"]
    missing = await api.call("POST", "/rollouts/RO-0404/pause", body={"reason": "x"})
    assert missing.status_code == 404
    assert (await api.call("GET", "/rollouts/RO-0404")).status_code == 404
    outcomes = [(e.action, e.outcome) for e in api.audit.events if "rollout" in e.action]
    assert outcomes == [
        ("rollout_create", AuditOutcome.OK),
        ("rollout_pause", AuditOutcome.FAILED),
        ("rollout_start", AuditOutcome.OK),
        ("rollout_start", AuditOutcome.FAILED),
        ("rollout_create", AuditOutcome.OK),
        ("rollout_start", AuditOutcome.FAILED),
        ("rollout_pause", AuditOutcome.FAILED),
    ]


async def test_a_city_engineer_manages_the_citys_rollouts_only(api: FleetApi) -> None:
    await api.ok("POST", "/rollouts", body=plan(regions=["440305"]))  # RO-0001, Shenzhen
    await api.ok("POST", "/rollouts", body=plan(regions=[]))  # RO-0002, the whole fleet
    whole = await api.call("POST", "/rollouts", "gz_engineer", plan(regions=[]))
    assert whole.status_code == 403
    assert "for the province" in whole.json()["error"]["message"]
    beside = await api.call("POST", "/rollouts", "gz_engineer", plan(regions=["440305"]))
    assert beside.status_code == 403
    mine = await api.ok("POST", "/rollouts", "gz_engineer", plan(regions=["440100"]))
    assert mine["id"] == "RO-0003"

    assert [r["id"] for r in await api.ok("GET", "/rollouts", "gz_engineer")] == [
        "RO-0002",
        "RO-0003",
    ]
    assert [r["id"] for r in await api.ok("GET", "/rollouts", "guest")] == [
        "RO-0001",
        "RO-0002",
        "RO-0003",
    ]
    assert (await api.call("GET", "/rollouts/RO-0001", "gz_engineer")).status_code == 404
    assert (await api.call("POST", "/rollouts/RO-0001/start", "gz_engineer")).status_code == 404
    province_wide = await api.call("POST", "/rollouts/RO-0002/start", "gz_engineer")
    assert province_wide.status_code == 403
    assert (await api.call("POST", "/rollouts", "liwan_tech", plan())).status_code == 403
    refusals = [(e.action, e.outcome) for e in api.audit.events if e.actor == "gz_engineer"]
    assert refusals == [
        ("rollout_create", AuditOutcome.DENIED),
        ("rollout_create", AuditOutcome.DENIED),
        ("rollout_create", AuditOutcome.OK),
        ("rollout_start", AuditOutcome.FAILED),
        ("rollout_start", AuditOutcome.DENIED),
    ]


async def test_pilot_terminals_beyond_the_callers_regions_are_not_shown(api: FleetApi) -> None:
    liwan, _ = await api.active("LW-1")
    nanshan, _ = await api.active("NS-1", "440305")
    body = plan(regions=[], pilot_size=0, pilot_terminal_ids=[liwan, nanshan])
    await api.ok("POST", "/rollouts", body=body)
    assert (await api.ok("GET", "/rollouts/RO-0001"))["pilot_terminal_ids"] == [liwan, nanshan]
    shown = await api.ok("GET", "/rollouts/RO-0001", "liwan_tech")
    assert shown["pilot_terminal_ids"] == [liwan]
    started = await api.ok("POST", "/rollouts/RO-0001/start")
    assert started["waves"][0]["members"] == 2


async def test_a_server_without_a_fleet_answers_503(tmp_path: Path, template: Path) -> None:
    async with fleet_api(tmp_path, template, with_fleet=False) as api:
        assert (await api.call("GET", "/rollouts")).status_code == 503
        assert (await api.call("POST", "/rollouts", body=plan())).status_code == 503
        assert [e.outcome for e in api.audited("rollout_create")] == [AuditOutcome.UNAVAILABLE]
