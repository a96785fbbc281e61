"""The registry routes over a real fleet (tests/unit/api/fleet_scenario): registering one terminal
or a CSV file, lists and one terminal with its latest heartbeat, history, provisioning with the
credential shown once, re-issuing it, life states, releasing a lost terminal's PSAM; scoping
(a county's technician, a city's engineer), audit records and a server without a fleet."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.security.audit_trail import AuditOutcome
from tests.unit.api.fleet_scenario import (
    ACCEPTANCE,
    FleetApi,
    fleet_api,
    template_fixture,
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return template_fixture(tmp_path_factory)


@pytest.fixture
async def api(tmp_path: Path, template: Path) -> AsyncIterator[FleetApi]:
    async with fleet_api(tmp_path, template) as opened:
        yield opened


def ids(terminals: list[dict[str, object]]) -> list[object]:
    return [terminal["id"] for terminal in terminals]


# --- registering and reading -----------------------------------------------------------------


async def test_a_terminal_is_registered_read_and_has_a_history(api: FleetApi) -> None:
    body = {
        "serial": "YT2026K90001",
        "model": "YT-K9",
        "kind": "kiosk",
        "site": "荔湾区社保局一楼大厅",
        "county": "440103",
        "firmware_version": "3.2.1",
    }
    response = await api.call("POST", "/terminals", "liwan_tech", body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created == {
        "id": "T440103-0001",
        "serial": "YT2026K90001",
        "model": "YT-K9",
        "kind": "kiosk",
        "site": "荔湾区社保局一楼大厅",
        "county": "440103",
        "city": "440100",
        "state": "registered",
        "psam_terminal_number": None,
        "firmware_version": "3.2.1",
        "parameter_version": None,
        "has_credential": False,
        "registered_at": "2026-03-01T08:00:00Z",
        "updated_at": "2026-03-01T08:00:00Z",
        "status": None,
    }
    assert await api.ok("GET", "/terminals/T440103-0001", "liwan_tech") == created
    history = await api.ok("GET", "/terminals/T440103-0001/history", "guest")
    assert [(e["kind"], e["by"], e["before"], e["after"]) for e in history] == [
        ("registered", "liwan_tech", None, "registered")
    ]
    (event,) = api.audited("terminal_register")
    assert (event.actor, event.outcome, event.target, event.region_code) == (
        "liwan_tech",
        AuditOutcome.OK,
        "T440103-0001",
        "440103",
    )


async def test_registering_refusals_are_answered_and_audited(api: FleetApi) -> None:
    await api.register("SN-1")
    again = await api.call(
        "POST",
        "/terminals",
        body={"serial": "SN-1", "model": "m", "kind": "kiosk", "site": "s", "county": "440103"},
    )
    assert again.status_code == 409
    assert "already registered" in again.json()["error"]["message"]
    elsewhere = await api.call(
        "POST",
        "/terminals",
        "liwan_tech",
        {"serial": "SN-2", "model": "m", "kind": "kiosk", "site": "s", "county": "440104"},
    )
    assert elsewhere.status_code == 403
    bad_kind = await api.call(
        "POST",
        "/terminals",
        body={"serial": "SN-3", "model": "m", "kind": "atm", "site": "s", "county": "440103"},
    )
    assert bad_kind.status_code == 422
    assert "kind" in bad_kind.json()["error"]["message"]
    outcomes = [(e.actor, e.outcome) for e in api.audited("terminal_register")]
    assert outcomes == [
        ("admin", AuditOutcome.OK),
        ("admin", AuditOutcome.FAILED),
        ("liwan_tech", AuditOutcome.DENIED),
    ]


async def test_lists_hold_the_callers_terminals_and_filter(api: FleetApi) -> None:
    liwan = await api.register("LW-1", "440103")
    await api.register("LW-2", "440103")
    yuexiu = await api.register("YX-1", "440104")
    nanshan = await api.register("NS-1", "440305")
    await api.provision(liwan)

    assert ids(await api.ok("GET", "/terminals", "liwan_tech")) == [liwan, "T440103-0002"]
    assert ids(await api.ok("GET", "/terminals", "gz_engineer")) == [
        liwan,
        "T440103-0002",
        yuexiu,
    ]
    assert ids(await api.ok("GET", "/terminals")) == [liwan, "T440103-0002", yuexiu, nanshan]
    assert ids(await api.ok("GET", "/terminals?county=440104")) == [yuexiu]
    assert ids(await api.ok("GET", "/terminals?city=440300")) == [nanshan]
    assert ids(await api.ok("GET", "/terminals?state=provisioned")) == [liwan]
    assert ids(await api.ok("GET", "/terminals?kind=pharmacy")) == []
    assert ids(await api.ok("GET", "/terminals?q=ns-")) == [nanshan]
    assert ids(await api.ok("GET", "/terminals?q=T440104")) == [yuexiu]
    # A city above one's county narrows nothing; a county beside it does not exist.
    assert ids(await api.ok("GET", "/terminals?city=440100", "liwan_tech")) == [
        liwan,
        "T440103-0002",
    ]
    assert (await api.call("GET", "/terminals?county=440104", "liwan_tech")).status_code == 404
    assert (await api.call("GET", "/terminals?city=440300", "gz_engineer")).status_code == 404


async def test_a_terminal_outside_ones_regions_does_not_exist(api: FleetApi) -> None:
    yuexiu = await api.register("YX-1", "440104")
    for method, path, body in (
        ("GET", f"/terminals/{yuexiu}", None),
        ("GET", f"/terminals/{yuexiu}/history", None),
        ("GET", "/terminals/T440104-9999", None),
        (
            "POST",
            f"/terminals/{yuexiu}/provision",
            {"psam_terminal_number": "440100000001", "acceptance": ACCEPTANCE},
        ),
        ("POST", f"/terminals/{yuexiu}/suspend", {"reason": "nosy"}),
    ):
        response = await api.call(method, path, "liwan_tech", body)
        assert response.status_code == 404, f"{method} {path}: {response.text}"
    assert (await api.call("GET", f"/terminals/{yuexiu}", "gz_tech")).status_code == 200
    (provision,) = api.audited("terminal_provision")
    assert (provision.outcome, provision.detail) == (AuditOutcome.FAILED, f"no terminal {yuexiu}")
    assert api.fleet.registry.get(yuexiu).psam_terminal_number is None


# --- provisioning and credentials ------------------------------------------------------------


async def test_provisioning_shows_the_credential_once_and_never_records_it(
    api: FleetApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    terminal_id = await api.register("LW-1")
    body = {"psam_terminal_number": "440100000001", "acceptance": ACCEPTANCE}
    response = await api.call("POST", f"/terminals/{terminal_id}/provision", "liwan_tech", body)
    assert response.status_code == 201, response.text
    answer = response.json()
    token = answer["credential"]
    assert token.startswith(f"sst_{terminal_id}_")
    assert answer["note"].startswith("shown once")
    terminal = answer["terminal"]
    assert (terminal["state"], terminal["psam_terminal_number"], terminal["has_credential"]) == (
        "provisioned",
        "440100000001",
        True,
    )
    assert token not in (await api.call("GET", f"/terminals/{terminal_id}")).text
    assert token not in (await api.call("GET", f"/terminals/{terminal_id}/history")).text
    (event,) = api.audited("terminal_provision")
    assert (event.outcome, event.region_code) == (AuditOutcome.OK, "440103")
    assert event.after == {
        "state": "provisioned",
        "psam_terminal_number": "440100000001",
        "has_credential": True,
    }
    assert "3.00" in (event.detail or "")
    secret = token.rsplit("_", 1)[-1]
    for recorded in (repr(api.audit.events), caplog.text):
        assert token not in recorded
        assert secret not in recorded

    again = await api.call("POST", f"/terminals/{terminal_id}/provision", body=body)
    assert again.status_code == 409
    assert "only a registered terminal" in again.json()["error"]["message"]


async def test_provisioning_refuses_holder_data_and_a_psam_bound_elsewhere(api: FleetApi) -> None:
    first, second = await api.register("LW-1"), await api.register("LW-2")
    with_holder = {**ACCEPTANCE, "citizen_id_masked": "440106********1235"}
    refused = await api.call(
        "POST",
        f"/terminals/{first}/provision",
        body={"psam_terminal_number": "440100000001", "acceptance": with_holder},
    )
    assert refused.status_code == 422
    assert "citizen_id_masked" in refused.json()["error"]["message"]

    body = {"psam_terminal_number": "440100000001", "acceptance": ACCEPTANCE}
    assert (await api.call("POST", f"/terminals/{first}/provision", body=body)).status_code == 201
    taken = await api.call("POST", f"/terminals/{second}/provision", body=body)
    assert taken.status_code == 409
    assert f"already bound to terminal {first}" in taken.json()["error"]["message"]
    assert api.fleet.registry.get(second).state.value == "registered"


async def test_the_station_looks_a_psam_up(api: FleetApi) -> None:
    liwan, yuexiu = await api.register("LW-1"), await api.register("YX-1", "440104")
    await api.provision(liwan)  # 440100000001
    await api.provision(yuexiu)  # 440100000002
    found = await api.ok("GET", "/terminals/by-psam/440100000001", "liwan_tech")
    assert found["id"] == liwan
    free = await api.call("GET", "/terminals/by-psam/440100000099", "liwan_tech")
    assert free.status_code == 404
    elsewhere = await api.call("GET", "/terminals/by-psam/440100000002", "liwan_tech")
    assert elsewhere.status_code == 409
    assert "outside your regions" in elsewhere.json()["error"]["message"]
    assert (await api.call("GET", "/terminals/by-psam/440100000001", "guest")).status_code == 403


async def test_a_reissued_credential_replaces_the_old_one(api: FleetApi) -> None:
    terminal_id, old = await api.active("LW-1")
    answer = await api.ok("POST", f"/terminals/{terminal_id}/credential", "liwan_tech")
    new = answer["credential"]
    assert new != old
    assert answer["note"].startswith("shown once")
    assert (await api.beat(old)).status_code == 401
    assert (await api.beat(new)).status_code == 200
    assert new not in repr(api.audit.events)
    unprovisioned = await api.register("LW-2")
    refused = await api.call("POST", f"/terminals/{unprovisioned}/credential")
    assert refused.status_code == 409
    assert "holds no credential" in refused.json()["error"]["message"]


# --- life states -----------------------------------------------------------------------------


async def test_suspend_resume_lost_and_retire(api: FleetApi) -> None:
    terminal_id, token = await api.active("LW-1")
    path = f"/terminals/{terminal_id}"
    suspended = await api.ok("POST", f"{path}/suspend", "liwan_tech", {"reason": "moved"})
    assert suspended["state"] == "suspended"
    assert (await api.beat(token)).status_code == 401
    resumed = await api.ok("POST", f"{path}/resume", "liwan_tech", {"reason": "back"})
    assert resumed["state"] == "active"
    refused = await api.call("POST", f"{path}/resume", "liwan_tech", {"reason": "again"})
    assert refused.status_code == 409
    assert refused.json()["error"]["message"] == (
        f"terminal {terminal_id} is active: it cannot become active"
    )
    lost = await api.ok("POST", f"{path}/lost", "liwan_tech", {"reason": "stolen"})
    assert (lost["state"], lost["has_credential"], lost["psam_terminal_number"]) == (
        "lost",
        False,
        "440100000001",
    )
    retired = await api.ok("POST", f"{path}/retire", "liwan_tech", {"reason": "written off"})
    assert (retired["state"], retired["psam_terminal_number"]) == ("retired", None)
    missing_reason = await api.call("POST", f"{path}/suspend", "liwan_tech", {})
    assert missing_reason.status_code == 422
    assert "reason" in missing_reason.json()["error"]["message"]
    changes = [e for e in api.audit.events if e.target == terminal_id]
    actions = [(e.action, e.outcome, e.detail) for e in changes if e.action != "terminal_heartbeat"]
    assert actions[-5:] == [
        ("terminal_suspend", AuditOutcome.OK, "moved"),
        ("terminal_resume", AuditOutcome.OK, "back"),
        ("terminal_resume", AuditOutcome.FAILED, refused.json()["error"]["message"]),
        ("terminal_lost", AuditOutcome.OK, "stolen"),
        ("terminal_retire", AuditOutcome.OK, "written off"),
    ]
    lost_event = next(e for e in api.audit.events if e.action == "terminal_lost")
    assert lost_event.before == {
        "state": "active",
        "psam_terminal_number": "440100000001",
        "has_credential": True,
    }


async def test_only_a_security_officer_releases_a_lost_terminals_psam(api: FleetApi) -> None:
    terminal_id, _ = await api.active("LW-1")
    path = f"/terminals/{terminal_id}"
    await api.ok("POST", f"{path}/lost", "liwan_tech", {"reason": "stolen"})
    refused = await api.call("POST", f"{path}/release-psam", "liwan_tech", {"reason": "found"})
    assert refused.status_code == 403
    denied = [e for e in api.audit.events if e.outcome is AuditOutcome.DENIED]
    assert [(e.actor, e.action) for e in denied] == [
        ("liwan_tech", f"POST /api/v1{path}/release-psam")
    ]
    released = await api.ok("POST", f"{path}/release-psam", "security", {"reason": "recovered"})
    assert (released["state"], released["psam_terminal_number"]) == ("lost", None)
    twice = await api.call("POST", f"{path}/release-psam", "security", {"reason": "again"})
    assert twice.status_code == 409
    (event, _) = api.audited("terminal_psam_release")
    assert (event.actor, event.outcome, event.detail) == ("security", AuditOutcome.OK, "recovered")
    history = await api.ok("GET", f"{path}/history")
    assert history[-1]["kind"] == "psam_released"
    assert history[-1]["by"] == "security"


# --- CSV import ------------------------------------------------------------------------------

CSV = (
    "serial,model,kind,site,county\r\n"
    "CSV-1,YT-K9,kiosk,荔湾一楼,440103\r\n"
    'CSV-2,YT-K9,counter,"南山\r\n二楼",440305\r\n'
    "CSV-3,YT-K9,atm,荔湾二楼,440103\r\n"
    "CSV-1,YT-K9,kiosk,荔湾三楼,440103\r\n"
    "CSV-5,YT-K9,pharmacy,大药房,440103\r\n"
)


async def test_a_csv_import_registers_the_good_rows_in_scope(api: FleetApi) -> None:
    response = await api.call(
        "POST",
        "/terminals/import",
        "gz_tech",
        content=CSV.encode("gbk"),
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["added"] == ["T440103-0001", "T440103-0002"]
    assert [(e["line"], e["column"]) for e in result["errors"]] == [
        (3, "county"),
        (5, "kind"),
        (6, "serial"),
    ]
    assert result["errors"][0]["reason"] == "440305 is outside your regions"
    assert result["errors"][2]["reason"] == "'CSV-1' is already on line 2"
    assert api.fleet.registry.get("T440103-0002").serial == "CSV-5"
    (event,) = api.audited("terminal_import")
    assert (event.outcome, event.region_code, event.detail) == (
        AuditOutcome.OK,
        "440103",
        "2 terminals added, 3 rows refused",
    )


async def test_a_csv_import_must_be_csv_and_readable(api: FleetApi) -> None:
    as_json = await api.call("POST", "/terminals/import", body={"csv": CSV})
    assert as_json.status_code == 415
    headers = {"Content-Type": "text/csv; charset=utf-8"}
    unreadable = await api.call(
        "POST", "/terminals/import", content=b"serial,colour\r\nX,red\r\n", headers=headers
    )
    assert unreadable.status_code == 422
    assert "colour" in unreadable.json()["error"]["message"]
    outcomes = [e.outcome for e in api.audited("terminal_import")]
    assert outcomes == [AuditOutcome.FAILED, AuditOutcome.FAILED]


# --- a server without a fleet ----------------------------------------------------------------


async def test_a_server_without_a_fleet_says_so(tmp_path: Path, template: Path) -> None:
    async with fleet_api(tmp_path, template, with_fleet=False) as api:
        listed = await api.call("GET", "/terminals")
        assert listed.status_code == 503
        assert listed.json()["error"]["code"] == "fleet_unavailable"
        body = {"serial": "S", "model": "m", "kind": "kiosk", "site": "s", "county": "440103"}
        assert (await api.call("POST", "/terminals", body=body)).status_code == 503
        assert [e.outcome for e in api.audited("terminal_register")] == [AuditOutcome.UNAVAILABLE]
