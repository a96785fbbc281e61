"""LLDP discovery end to end: the small lab over snmpsim, walked through the real transports, stored
in the state DB, and matched against the lab's inventory — every link seen, nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from collectors.snmp.gufo_transport import GufoTransport
from collectors.snmp.lldp_cycle import LldpCollector, NeighbourStoreSink
from collectors.snmp.pysnmp_transport import PysnmpTransport
from collectors.snmp.transport import SnmpTransport
from core.clock import SystemClock
from core.credentials import load_credentials
from core.inventory import load_inventory
from core.settings import PollSettings, Settings
from core.state.db import migrate_to_head, open_state_engine
from core.state.neighbours import NeighbourRepository
from core.state.repository import StateRepository
from lab.control import lab_down, lab_up
from lab.files import read_province
from lab.state import LabOptions, LabState
from ssnoc.wiring import poll_targets
from tests.conftest import SHARED
from tests.support.addresses import fresh_block
from topology.discovery import match_links

pytestmark = pytest.mark.integration


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


@pytest.mark.parametrize("transport_kind", ["gufo", "pysnmp"])
async def test_lldp_from_the_lab_equals_its_links(
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
    try:
        migrate_to_head(engine)
        StateRepository(engine).sync_inventory(inventory)
        repository = NeighbourRepository(engine)
        collector = LldpCollector(transport, NeighbourStoreSink(repository), SystemClock())
        collector.set_targets(targets)
        report = await collector.collect_once()
        stored = repository.neighbours()
    finally:
        await transport.close()
        engine.dispose()

    assert report.failed == {}
    assert report.collected == len(inventory.devices)
    devices = province.device_by_id()
    assert sorted(
        (n.device_id, n.local_port, n.remote_system_name, n.remote_port_id, n.remote_chassis_id,
         n.remote_management_address)
        for n in stored
    ) == sorted(
        (device.id, n.interface, n.remote_name, n.remote_interface, n.remote_mac,
         IPv4Address(n.remote_address))
        for device in province.devices
        for n in device.neighbours
    )  # fmt: skip
    assert collector.chassis_macs() == {d: devices[d].mac for d in devices}

    discovery = match_links(
        inventory, stored, collector.collected_device_ids(), chassis_macs=collector.chassis_macs()
    )
    assert discovery.matched_link_ids == {link.id for link in inventory.links}
    findings = [
        *(f.explanation for f in discovery.seen_not_intended),
        *(f.explanation for f in discovery.port_mismatch),
        *(f.explanation for f in discovery.intended_not_seen),
    ]
    assert findings == []
