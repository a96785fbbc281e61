"""Routing state end to end: the small lab over snmpsim, walked through the real transports and
stored in the state DB — an OSPF adjacency at both ends of every routed link, VRRP on the cores;
a failed link loses its adjacency at both ends on the next collection (and the link state says
why), a recovered one is full again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from collectors.snmp.gufo_transport import GufoTransport
from collectors.snmp.pysnmp_transport import PysnmpTransport
from collectors.snmp.routing_cycle import RoutingCollector, RoutingStoreSink
from collectors.snmp.transport import SnmpTransport
from core.clock import SystemClock
from core.credentials import load_credentials
from core.inventory import load_inventory
from core.model import DeviceRole, Platform
from core.settings import PollSettings, Settings
from core.state.db import migrate_to_head, open_state_engine
from core.state.link_states import read_link_states
from core.state.repository import StateRepository
from core.state.routing import OspfNeighbourState, RoutingRepository
from lab.control import lab_down, lab_up
from lab.fault_control import fail_link, recover_link
from lab.files import read_province
from lab.model import Province
from lab.state import LabOptions, LabState
from ssnoc.wiring import poll_targets
from tests.conftest import SHARED
from tests.support.addresses import fresh_block

pytestmark = pytest.mark.integration

Adjacency = tuple[str, str]
"""(device, the neighbour's router id)."""


@pytest.fixture(scope="module")
def small_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabState]:
    options = LabOptions(
        data_dir=tmp_path_factory.mktemp("lab"),
        size="small",
        seed=7,
        network=fresh_block(),
        divisions_path=SHARED / "data" / "guangdong_divisions.json",
        ssh=False,
    )
    state = lab_up(options)
    try:
        yield state
    finally:
        lab_down(options.data_dir)


def routed_links(province: Province) -> set[Adjacency]:
    """Both ends of every link between two routers, as (device, far end's router id)."""
    devices = province.device_by_id()
    found = set()
    for link in province.links:
        a, b = devices[link.a.device], devices[link.b.device]
        if Platform.LINUX not in (a.platform, b.platform):
            found |= {(a.id, b.address), (b.id, a.address)}
    return found


def full_adjacencies(repository: RoutingRepository) -> set[Adjacency]:
    return {
        (device_id, neighbour.router_id or "")
        for device_id, stored in repository.routing().items()
        for neighbour in stored.report.ospf or ()
        if neighbour.state is OspfNeighbourState.FULL
    }


@pytest.mark.parametrize("transport_kind", ["gufo", "pysnmp"])
async def test_routing_from_the_lab_follows_a_failed_and_recovered_link(
    small_lab: LabState, tmp_path: Path, transport_kind: str
) -> None:
    inventory = load_inventory(small_lab.inventory_path)
    credentials = load_credentials(small_lab.credentials_path)
    province = read_province(small_lab.province_path)
    targets, skipped = poll_targets(
        inventory, credentials, Settings(poll=PollSettings(timeout_s=2.0, retries=1))
    )
    assert skipped == {}
    engine = open_state_engine(f"sqlite:///{tmp_path / 'state.db'}")
    transport: SnmpTransport = GufoTransport() if transport_kind == "gufo" else PysnmpTransport()
    link = next(lk for lk in province.links if lk.id.endswith("-primary"))
    devices = province.device_by_id()
    lost = {
        (link.a.device, devices[link.b.device].address),
        (link.b.device, devices[link.a.device].address),
    }
    try:
        migrate_to_head(engine)
        StateRepository(engine).sync_inventory(inventory)
        repository = RoutingRepository(engine)
        collector = RoutingCollector(transport, RoutingStoreSink(repository), SystemClock())
        collector.set_targets(targets)

        report = await collector.collect_once()
        assert report.failed == {}
        assert report.collected == len(inventory.devices)
        assert full_adjacencies(repository) == routed_links(province)
        roles = repository.vrrp_roles()
        cores = sorted(d.id for d in province.devices if d.role is DeviceRole.CORE)
        assert roles == {cores[0]: "master", cores[1]: "backup"}
        servers = {d.id for d in province.devices if d.role is DeviceRole.SERVER}
        assert {k: o.status for k, o in read_link_states(engine).items()} == {
            # Nothing polled the interfaces: OSPF alone says the routed links are up.
            lk.id: "unknown" if {lk.a.device, lk.b.device} & servers else "up"
            for lk in province.links
        }

        fail_link(small_lab.options.data_dir, link.a.device, link.b.device)
        try:
            await collector.collect_once()
            # Gone at both ends; the interfaces were never polled here, so routing alone says so.
            assert full_adjacencies(repository) == routed_links(province) - lost
            observed = read_link_states(engine)[link.id]
            assert (observed.status, observed.reason) == ("down", "OSPF adjacency not full")
        finally:
            recover_link(small_lab.options.data_dir, link.a.device, link.b.device)
        await collector.collect_once()
        assert full_adjacencies(repository) == routed_links(province)
        assert read_link_states(engine)[link.id].status == "up"
    finally:
        await transport.close()
        engine.dispose()
