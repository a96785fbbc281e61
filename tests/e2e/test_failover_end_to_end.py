"""Failover end to end: faults injected into the lab's agents, seen by the NOC's real collectors.

`ssnoc lab fail …` changes only what the simulated devices answer (ports down, traffic moved,
agents behind a failure silent); the server must notice through SNMP polling alone, within one
polling interval, and say which sites run on backup, which are isolated, and what the root cause is.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from core.inventory import load_inventory
from core.model import DeviceRole, Inventory, Link, LinkRole, LinkTier
from tests.support.noc_process import RunningNoc, running_noc, ssnoc, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.xdist_group("e2e-failover")]

INTERVAL_S = 4.0
REFRESH_S = 1.0
# One polling interval, plus the topology refresh, plus the time a poll of an unanswering device
# takes to give up (timeout × tries) — that is what "within one poll cycle" costs at most.
WITHIN_ONE_CYCLE_S = INTERVAL_S + REFRESH_S + 2 * 2.0 + 3.0


@pytest.fixture(scope="module")
def noc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningNoc]:
    with running_noc(
        tmp_path_factory.mktemp("var"),
        SSNOC_POLL__INTERVAL_S=str(INTERVAL_S),
        SSNOC_POLL__TIMEOUT_S="1",
        SSNOC_POLL__RETRIES="1",
        SSNOC_POLL__BACKOFF_MAX_S=str(INTERVAL_S),
        SSNOC_POLL__ROUTING_INTERVAL_S=str(INTERVAL_S),
        SSNOC_SSH__INTERVAL_S="3600",
        SSNOC_TOPOLOGY__REFRESH_S=str(REFRESH_S),
    ) as running:
        yield running


@pytest.fixture(scope="module")
def inventory(noc: RunningNoc) -> Inventory:
    return load_inventory(noc.data_dir / "lab" / "inventory.yaml")


def board(noc: RunningNoc) -> dict[str, Any]:
    answer = httpx.get(
        f"{noc.url}/api/v1/topology/failover", params={"all": "true"}, headers=noc.admin, timeout=5
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def states(noc: RunningNoc) -> dict[str, str]:
    return {site["device_id"]: site["state"] for site in board(noc)["sites"]}


def all_on_primary(noc: RunningNoc) -> dict[str, str] | None:
    now = states(noc)
    return now if now and set(now.values()) == {"on_primary"} else None


def lab(noc: RunningNoc, *args: str) -> str:
    done = ssnoc("lab", *args, env=noc.env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture
def healthy(noc: RunningNoc) -> Iterator[RunningNoc]:
    """Every device polled and every site on its primary path; faults taken back afterwards."""
    devices_up = lambda: all(  # noqa: E731 - a condition read once, here
        d["status"] == "up"
        for d in httpx.get(f"{noc.url}/api/v1/devices", headers=noc.admin, timeout=5).json()
    )
    wait_for(devices_up, 3 * INTERVAL_S + 20, "every lab device up")
    wait_for(lambda: all_on_primary(noc), 3 * INTERVAL_S, "every site on its primary path")
    try:
        yield noc
    finally:
        lab(noc, "recover", "all")


def county_primary(inventory: Inventory) -> tuple[Link, str]:
    """A county's primary link, and the county device."""
    roles = {d.id: d.role for d in inventory.devices}
    for link in inventory.links:
        if link.tier is LinkTier.CITY_COUNTY and link.role is LinkRole.PRIMARY:
            county = link.a.device if roles[link.a.device] is DeviceRole.ACCESS else link.b.device
            return link, county
    raise AssertionError("the lab has no county primary link")


def test_a_county_whose_primary_link_fails_is_on_backup_within_one_poll_cycle(
    healthy: RunningNoc, inventory: Inventory
) -> None:
    noc = healthy
    link, county = county_primary(inventory)
    printed = lab(noc, "fail", "link", link.a.device, link.b.device)
    assert "down" in printed
    failed_at = time.monotonic()

    def on_backup() -> dict[str, Any] | None:
        site = next((s for s in board(noc)["sites"] if s["device_id"] == county), None)
        return site if site and site["state"] == "on_backup" else None

    site = wait_for(on_backup, WITHIN_ONE_CYCLE_S, f"{county} on backup")
    assert time.monotonic() - failed_at <= WITHIN_ONE_CYCLE_S
    assert link.id in site["failed_link_ids"]
    assert site["left_primary_at"] is not None
    # Only that county left its primary path; the board without all=true lists it alone.
    assert {d for d, s in states(noc).items() if s != "on_primary"} == {county}
    failing = httpx.get(f"{noc.url}/api/v1/topology/failover", headers=noc.admin, timeout=5)
    assert [s["device_id"] for s in failing.json()["sites"]] == [county]
    # The change is on the audit trail, by the system.
    audit = httpx.get(
        f"{noc.url}/api/v1/audit", params={"action": "site_failed_over"}, headers=noc.admin
    )
    assert audit.status_code == 200, audit.text
    assert any(county in str(record) for record in audit.json())

    lab(noc, "recover", "all")
    wait_for(lambda: all_on_primary(noc), WITHIN_ONE_CYCLE_S, f"{county} restored")


def test_a_failed_city_core_puts_its_counties_on_backup_and_is_the_one_root_cause(
    healthy: RunningNoc, inventory: Inventory
) -> None:
    noc = healthy
    city_core = next(d for d in inventory.devices if d.role is DeviceRole.DISTRIBUTION)
    counties = {
        (link.a.device if link.b.device == city_core.id else link.b.device)
        for link in inventory.links
        if link.tier is LinkTier.CITY_COUNTY
        and link.role is LinkRole.PRIMARY
        and city_core.id in (link.a.device, link.b.device)
    }
    assert counties
    lab(noc, "fail", "device", city_core.id)

    # The lab dual-homes every county to a neighbouring city: none is isolated, the city is.
    # (Each end of each link is seen at its own device's poll: wait for the whole picture.)
    def city_isolated_counties_on_backup() -> dict[str, str] | None:
        now = states(noc)
        on_backup = all(now.get(c) == "on_backup" for c in counties)
        return now if on_backup and now.get(city_core.id) == "isolated" else None

    now = wait_for(
        city_isolated_counties_on_backup,
        WITHIN_ONE_CYCLE_S,
        "the city isolated and its counties on backup",
    )
    assert {d for d, s in now.items() if s != "on_primary"} == {city_core.id, *counties}

    # The links to the city are seen down (by its neighbours' polls) before the city's own poll
    # times out; once it has, the city core is the one cause and its links are its symptoms.
    expected = [{"kind": "device", "id": city_core.id}]

    def the_city_core_alone() -> list[dict[str, Any]] | None:
        answer = httpx.get(f"{noc.url}/api/v1/topology/root-causes", headers=noc.admin, timeout=5)
        causes = list(answer.json())
        return causes if [c["element"] for c in causes] == expected else None

    (cause,) = wait_for(the_city_core_alone, WITHIN_ONE_CYCLE_S, "the city core as the one cause")
    assert cause["consequence_device_ids"] == []  # every county still answers over its backup
    assert cause["symptom_link_ids"]

    lab(noc, "recover", "all")
    wait_for(lambda: all_on_primary(noc), 2 * WITHIN_ONE_CYCLE_S, "every site restored")
    restored = httpx.get(
        f"{noc.url}/api/v1/audit", params={"action": "site_restored"}, headers=noc.admin
    )
    assert restored.status_code == 200, restored.text
    assert any(city_core.id in str(record) for record in restored.json())
