"""What a newcomer does, end to end: `ssnoc lab up`, `ssnoc serve`, then the API and the console.

Real processes, real agents, a real HTTP server; the console drives the server over HTTP as
`ssnoc up` makes it do. The poll interval is short so the test does not wait long; what it checks
is the promise of `make run`: within one polling interval every region has a live status and every
device's linked interfaces have live rates.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.credentials import SnmpV2cCredential, load_credentials
from core.inventory import load_inventory
from tests.support.noc_process import lab_users, login, running_noc, ssnoc, wait_for
from tests.unit.tui.pilot_support import settle
from tui.app import NocConsole
from tui.client import NocApiClient
from tui.screens.device import DeviceScreen
from tui.widgets.device_table import DeviceTable
from tui.widgets.interface_table import InterfaceTable
from tui.widgets.region_tree import RegionTree

# One lab and one server for the module: its tests run on one xdist worker, in order.
pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.xdist_group("e2e-province")]

INTERVAL_S = 4.0


_AUTH: dict[str, str] = {}
"""The lab administrator's bearer header, once the server fixture has logged in."""


def get(url: str, **options: Any) -> httpx.Response:
    return httpx.get(url, headers=_AUTH, **options)


def post(url: str, **options: Any) -> httpx.Response:
    return httpx.post(url, headers=_AUTH, **options)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    interval = str(INTERVAL_S)
    data_dir = tmp_path_factory.mktemp("var")
    with running_noc(
        data_dir, SSNOC_POLL__INTERVAL_S=interval, SSNOC_SSH__INTERVAL_S=interval
    ) as noc:
        _AUTH.update(noc.admin)
        yield noc.url, noc.env


def test_within_one_interval_every_region_is_live_and_links_have_rates(
    server: tuple[str, dict[str, str]],
) -> None:
    url, _ = server
    started = time.monotonic()

    def all_polled_with_rates() -> list[dict[str, Any]] | None:
        devices = get(f"{url}/api/v1/devices", timeout=5).json()
        details = [get(f"{url}/api/v1/devices/{d['id']}", timeout=5).json() for d in devices]
        for detail in details:
            linked = [i for i in detail["interfaces"] if i["link"]]
            if detail["status"] != "up" or not linked:
                return None
            if any(i["in_bps"] is None for i in linked):
                return None
        return details

    details = wait_for(all_polled_with_rates, 3 * INTERVAL_S + 10, "rates on every linked port")
    assert time.monotonic() - started < 3 * INTERVAL_S + 10
    assert len(details) == 10
    assert all(d["identity"]["os"] for d in details)
    tree = get(f"{url}/api/v1/regions", timeout=5).json()
    (province,) = tree
    assert province["status"] == "up"
    assert province["devices"]["up"] == 10
    assert all(city["status"] == "up" for city in province["children"])
    # A metric range over the last minute exists for a linked port.
    detail = details[0]
    port = next(i for i in detail["interfaces"] if i["link"])
    series = get(
        f"{url}/api/v1/metrics/query_range",
        params={
            "name": "interface_in_bps",
            "match": [f"device:{detail['id']}", f"if_index:{port['if_index']}"],
            "start": str(time.time() - 120),
            "end": str(time.time() + 1),
            "step": "5",
        },
        timeout=5,
    )
    assert series.status_code == 200, series.text
    assert series.json()["series"][0]["points"]


def test_lab_status_inventory_check_and_a_probe_of_a_lab_device(
    server: tuple[str, dict[str, str]],
) -> None:
    _, env = server
    status = ssnoc("lab", "status", env=env)
    assert status.returncode == 0, status.stdout + status.stderr
    assert "10 devices" in status.stdout
    inventory_check = ssnoc("inventory", "check", env=env)
    assert inventory_check.returncode == 0, inventory_check.stderr
    assert "10 devices to poll" in inventory_check.stdout

    inventory = load_inventory(Path(env["SSNOC_DATA_DIR"]) / "lab" / "inventory.yaml")
    credentials = load_credentials(Path(env["SSNOC_DATA_DIR"]) / "lab" / "credentials.yaml")
    device = inventory.devices[0]
    assert device.snmp is not None
    credential = credentials.snmp(device.snmp.credential)
    assert isinstance(credential, SnmpV2cCredential)
    probe_env = dict(env, SSNOC_SNMP_COMMUNITY=credential.community.get_secret_value())
    probe = ssnoc("snmp", "probe", f"{device.address}:{device.snmp.port}", "--json", env=probe_env)
    assert probe.returncode == 0, probe.stderr
    report = json.loads(probe.stdout)
    assert report["device"]["sysName"] == device.name
    assert report["device"]["os"] == "vrp"
    assert any(i["ifHCInOctets"] for i in report["interfaces"])


@pytest.fixture
def polled(server: tuple[str, dict[str, str]]) -> str:
    """The server's URL once its first device has been polled twice (interfaces with rates:
    a rate needs two polls, and this test may run alone)."""
    url, _ = server
    first = get(f"{url}/api/v1/devices", timeout=5).json()[0]["id"]
    wait_for(
        lambda: any(
            i["in_bps"] is not None
            for i in get(f"{url}/api/v1/devices/{first}", timeout=5).json()["interfaces"]
        ),
        3 * INTERVAL_S + 10,
        f"{first}'s interface rates in the API",
    )
    return url


async def test_the_console_over_http_shows_the_live_province(polled: str) -> None:
    url = polled
    async with httpx.AsyncClient(base_url=url, timeout=10, headers=_AUTH) as http:
        app = NocConsole(NocApiClient(http), refresh_interval_s=3600)
        async with app.run_test(size=(160, 40)) as pilot:
            await settle(pilot)
            regions = app.province.query_one(RegionTree)
            assert regions.node_for("440000") is not None
            table = app.province.query_one(DeviceTable)
            assert len(table.shown_keys) == 10
            await pilot.press("enter")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, DeviceScreen)
            interfaces = screen.query_one(InterfaceTable)
            assert interfaces.shown_keys
            rates = [interfaces.get_cell(key, "in") for key in interfaces.shown_keys]
            assert any(str(getattr(r, "plain", r)).endswith("b/s") for r in rates)


def test_ssh_collection_backs_up_configs_and_lists_accounts(
    server: tuple[str, dict[str, str]],
) -> None:
    url, env = server

    def backed_up() -> list[dict[str, Any]] | None:
        devices = get(f"{url}/api/v1/devices", timeout=5).json()
        network = [d for d in devices if d["platform"] != "linux"]
        for device in network:
            if not get(f"{url}/api/v1/devices/{device['id']}/configs", timeout=5).json():
                return None
        return network

    network = wait_for(backed_up, 6 * INTERVAL_S + 30, "a config version of every network device")
    device = network[0]["id"]
    (version,) = get(f"{url}/api/v1/devices/{device}/configs", timeout=5).json()
    text = get(f"{url}/api/v1/configs/{version['id']}", timeout=5).json()["text"]
    assert "<removed>" in text  # secrets scrubbed before storage
    stale = get(f"{url}/api/v1/backups", params={"stale": "true"}, timeout=5).json()
    assert [s["device_id"] for s in stale] == []
    accounts = get(f"{url}/api/v1/devices/{device}/accounts", timeout=5).json()
    assert any(a["privileged"] for a in accounts)
    # On demand: nothing changed since the last cycle, so no new version.
    again = post(f"{url}/api/v1/devices/{device}/backup", timeout=60).json()
    assert again["error"] is None
    assert again["changed"] is False
    assert again["current_version_id"] == version["id"]
    # The engineer's command line reaches the same device through the inventory.
    collected = ssnoc("ssh", "collect", device, "--json", env=env)
    assert collected.returncode == 0, collected.stderr
    report = json.loads(collected.stdout)
    assert report["device"] == device
    assert report["ok"] is True
    assert report["accounts"]
    # The lab's secrets never reach the engineer's screen.
    credentials = load_credentials(Path(env["SSNOC_DATA_DIR"]) / "lab" / "credentials.yaml")
    password = credentials.ssh("lab-network").password
    assert password is not None
    assert password.get_secret_value() not in collected.stdout


def test_linux_hosts_are_collected_over_real_openssh(server: tuple[str, dict[str, str]]) -> None:
    url, _ = server
    hosts = [
        d["id"] for d in get(f"{url}/api/v1/devices", timeout=5).json() if d["platform"] == "linux"
    ]
    assert hosts

    def host_facts() -> dict[str, Any] | None:
        ssh = get(f"{url}/api/v1/devices/{hosts[0]}/ssh", timeout=5).json()
        return ssh if ssh.get("facts") and ssh["facts"].get("last_success_at") else None

    ssh = wait_for(host_facts, 6 * INTERVAL_S + 30, f"SSH facts of {hosts[0]}")
    assert ssh["host_keys"]
    accounts = get(f"{url}/api/v1/devices/{hosts[0]}/accounts", timeout=5).json()
    assert any(a["name"] == "root" for a in accounts)


def test_a_county_technician_sees_only_their_county_and_actions_are_audited(
    server: tuple[str, dict[str, str]],
) -> None:
    url, env = server
    users = lab_users(env)
    everyone = get(f"{url}/api/v1/devices", timeout=5).json()
    populated = {d["region"] for d in everyone}
    technician = next(
        u["username"]
        for u in get(f"{url}/api/v1/users", timeout=5).json()
        if u["username"].startswith("tech.") and u["grants"][0]["scope"] in populated
    )
    headers = login(url, technician, users[technician])
    me = httpx.get(f"{url}/api/v1/auth/me", headers=headers, timeout=5).json()
    (county,) = me["permissions"]["read_inventory"]
    devices = httpx.get(f"{url}/api/v1/devices", headers=headers, timeout=5).json()
    assert {d["region"] for d in devices} == {county}
    outside = next(d["id"] for d in everyone if d["region"] != county)
    assert (
        httpx.get(f"{url}/api/v1/devices/{outside}", headers=headers, timeout=5).status_code == 404
    )
    refused = httpx.post(f"{url}/api/v1/devices/{outside}/backup", headers=headers, timeout=5)
    assert refused.status_code == 403
    trail = get(f"{url}/api/v1/audit", params={"actor": technician}, timeout=5).json()
    assert [r["action"] for r in trail] == [f"POST /api/v1/devices/{outside}/backup", "login"]
    assert trail[0]["outcome"] == "denied"
    verified = get(f"{url}/api/v1/audit/verify", timeout=30).json()
    assert verified["ok"] is True, verified["problems"]
    # The command line says the same of the trail the server writes.
    cli = ssnoc("audit", "verify", env=env)
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert "audit trail intact" in cli.stdout


def test_the_account_audit_lists_the_labs_planted_accounts(
    server: tuple[str, dict[str, str]],
) -> None:
    url, env = server
    users = lab_users(env)
    officer = login(url, "chen.jing", users["chen.jing"])

    def findings() -> list[dict[str, Any]] | None:
        answer = httpx.get(f"{url}/api/v1/reports/accounts", headers=officer, timeout=30)
        assert answer.status_code == 200, answer.text
        found: list[dict[str, Any]] = answer.json()["findings"]
        return found if any(f["kind"] == "unknown_account" for f in found) else None

    found = wait_for(findings, 6 * INTERVAL_S + 30, "account findings from collected accounts")
    kinds = {f["kind"] for f in found}
    assert {"unknown_account", "privileged_not_in_policy"} <= kinds
    access = httpx.get(f"{url}/api/v1/reports/access", headers=officer, timeout=10).json()
    assert [h["username"] for h in access["can_manage_users"]] == ["liang.hua"]


def _lab_secrets(env: dict[str, str]) -> set[str]:
    """Every secret in the lab's credentials file (what the NOC was handed)."""
    credentials = load_credentials(Path(env["SSNOC_DATA_DIR"]) / "lab" / "credentials.yaml")
    found: set[str] = set()
    for name in credentials.snmp_names():
        snmp = credentials.snmp(name)
        for field in ("community", "auth_key", "priv_key"):
            value = getattr(snmp, field, None)
            if value is not None:
                found.add(value.get_secret_value())
    for name in credentials.ssh_names():
        ssh = credentials.ssh(name)
        for value in (ssh.password, ssh.enable_secret):
            if value is not None:
                found.add(value.get_secret_value())
    return {s for s in found if len(s) >= 6}


def test_the_labs_secrets_are_in_no_log_answer_backup_or_store(
    server: tuple[str, dict[str, str]],
) -> None:
    url, env = server
    data_dir = Path(env["SSNOC_DATA_DIR"])
    secrets = _lab_secrets(env)
    assert len(secrets) >= 10
    answers = [get(f"{url}/api/v1/devices", timeout=5).text]
    for device in get(f"{url}/api/v1/devices", timeout=5).json():
        for tail in ("", "/configs", "/accounts", "/ssh", "/backup"):
            answers.append(get(f"{url}/api/v1/devices/{device['id']}{tail}", timeout=5).text)
        for version in get(f"{url}/api/v1/devices/{device['id']}/configs", timeout=5).json():
            answers.append(get(f"{url}/api/v1/configs/{version['id']}", timeout=5).text)
    answers.append(get(f"{url}/api/v1/users", timeout=5).text)
    answers.append(
        get(
            f"{url}/api/v1/audit/export",
            params={"since": "2020-01-01T00:00:00Z", "until": "2030-01-01T00:00:00Z"},
            timeout=30,
        ).text
    )
    places = {"API answers": "\n".join(answers)}
    for path in sorted(data_dir.glob("*.log")) + sorted((data_dir / "log").glob("*")):
        places[str(path)] = path.read_text(errors="replace")
    # The stores themselves: the state DB (with its WAL) and the metric store, byte for byte.
    for path in sorted(data_dir.glob("*.db*")):
        places[str(path)] = path.read_bytes().decode("latin-1")
    assert any(p.endswith("state.db") for p in places)
    leaks = [(secret[:3] + "…", where) for secret in secrets for where, text in places.items()
             if secret in text]  # fmt: skip
    assert not leaks, f"lab secrets found: {leaks}"
