"""What the SSH simulator shows under faults: ports down, LLDP neighbours gone, CLI changes kept."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.model import Platform
from lab.fault_store import LabFaults, write_faults
from lab.faults import Faults, apply_faults
from lab.files import write_province
from lab.model import LabDevice, Province
from lab.ssh.device import Login, SimulatedDevice
from lab.ssh.dialects import DIALECTS
from lab.ssh.fault_views import FaultReader, acknowledge, acknowledged

SINCE = datetime(2026, 3, 1, tzinfo=UTC)
LLDP_COMMAND = {
    Platform.HUAWEI_VRP: "display lldp neighbor brief",
    Platform.HP_COMWARE: "display lldp neighbor-information list",
    Platform.CISCO_IOS: "show lldp neighbors detail",
    Platform.ZTE_ZXROS: "show lldp neighbor",
}


def simulated(device: LabDevice) -> SimulatedDevice:
    return SimulatedDevice(device.platform, device, device.name, {"noc": Login("x", 15)})


def output(device: SimulatedDevice, words: str) -> str:
    spec = next(s for s in DIALECTS[device.platform].commands if s.words == words)
    return device.output(spec)


def linked_device(province: Province, platform: Platform) -> LabDevice:
    return max(
        (d for d in province.devices if d.platform is platform), key=lambda d: len(d.neighbours)
    )


@pytest.mark.parametrize("platform", list(LLDP_COMMAND))
def test_a_failed_link_leaves_the_lldp_output_and_shows_the_port_down(
    full: Province, platform: Platform
) -> None:
    device = linked_device(full, platform)
    gone, kept = device.neighbours[0], device.neighbours[-1]
    faulted = apply_faults(full, Faults().with_link(gone.link, SINCE)).device_by_id()[device.id]
    cli = simulated(device)
    assert gone.remote_name in output(cli, LLDP_COMMAND[platform])
    cli.fault_view = faulted
    shown = output(cli, LLDP_COMMAND[platform])
    assert gone.remote_name not in shown
    assert kept.remote_name in shown
    port = cli.effective_state().interface_by_name()[gone.interface]
    assert not port.oper_up
    assert port.admin_up
    cli.fault_view = None
    assert cli.effective_state() == device


def test_changes_made_over_the_cli_show_through_the_faults(full: Province) -> None:
    device = linked_device(full, Platform.HUAWEI_VRP)
    failed, other = device.neighbours[0], device.neighbours[1]
    cli = simulated(device)
    cli.fault_view = apply_faults(full, Faults().with_link(failed.link, SINCE)).device_by_id()[
        device.id
    ]
    cli.configure([f"interface {other.interface}"], "description moved to the new rack")
    cli.configure([f"interface {other.interface}"], "shutdown")
    ports = cli.effective_state().interface_by_name()
    assert ports[other.interface].alias == "moved to the new rack"
    assert not ports[other.interface].oper_up
    assert not ports[other.interface].admin_up
    # `undo shutdown` on a failed link's port: enabled again, still no carrier.
    cli.configure([f"interface {failed.interface}"], "undo shutdown")
    assert not cli.effective_state().interface_by_name()[failed.interface].oper_up


def test_a_simulator_reads_the_faults_against_the_province(tmp_path: Path, small: Province) -> None:
    province_path = write_province(tmp_path, small)
    reader = FaultReader(province_path, tmp_path / "faults.json")
    assert reader.read().views == {}
    city = next(d for d in small.devices if d.id == "gz-core1")
    write_faults(tmp_path, LabFaults(generation=3, faults=Faults().with_device(city.id, SINCE)))
    views = reader.read()
    assert views.generation == 3
    assert views.silent == {city.id}
    peers = {n.device for n in city.neighbours}
    # The city, its neighbours (ports down), and the city taking its counties' traffic.
    assert set(views.views) == {city.id, "fs-core1"} | peers
    ack = tmp_path / "faults.ack"
    assert acknowledged(ack) is None
    acknowledge(ack, views.generation)
    assert acknowledged(ack) == 3
