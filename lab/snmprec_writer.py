"""One .snmprec file per simulated device: everything its agent answers, in numeric OID order.

The file is named after the device's community, which is how snmpsim picks a device's data (it
cannot select by the agent's address: TRAPS.md). Its content is a pure function of the province:
system group, IF-MIB, ENTITY-MIB, the vendor's CPU and memory objects, LLDP-MIB, and routing
(IP-MIB's addresses, OSPF-MIB, VRRP-MIB: :mod:`lab.agent_routing`).
"""

from __future__ import annotations

from pathlib import Path

from lab.agent_interfaces import interface_records
from lab.agent_lldp import lldp_records
from lab.agent_routing import routing_records
from lab.agent_system import entity_records, health_records, system_records
from lab.catalogue import HardwareModel, model_named
from lab.model import LabDevice, Province
from lab.snmprec import Record, render

SNMPREC_SUFFIX = ".snmprec"


def device_records(device: LabDevice, province: Province) -> list[Record]:
    devices = province.device_by_id()
    model = model_named(device.platform, device.model)
    peers: dict[str, tuple[LabDevice, HardwareModel]] = {}
    for neighbour in device.neighbours:
        peer = devices[neighbour.device]
        peers[peer.id] = (peer, model_named(peer.platform, peer.model))
    return [
        *system_records(device, model),
        *interface_records(device),
        *entity_records(device, model),
        *health_records(device, model),
        *lldp_records(device, model, peers),
        *routing_records(device, province),
    ]


def data_file_name(device: LabDevice) -> str:
    return f"{device.community}{SNMPREC_SUFFIX}"


def write_device_file(directory: Path, device: LabDevice, province: Province) -> int:
    """Write ``device``'s data file into ``directory``; returns how many varbinds it holds."""
    records = device_records(device, province)
    (directory / data_file_name(device)).write_text(render(records), encoding="latin-1")
    return len(records)
