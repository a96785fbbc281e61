"""LLDP-MIB (IEEE 802.1AB, 1.0.8802.1.1.2) for one simulated device, matching the links exactly.

Each device announces its base MAC as chassis id (subtype 4, macAddress) and its ports by name
(subtype 5, interfaceName). lldpLocPortNum is the ifIndex, as on Huawei and H3C, so a collector
maps a neighbour to an interface through lldpLocPortTable. There is one lldpRemTable row per link
end — nothing is learnt that the links do not say — with the neighbour's port name, description,
system name and management address, indexed ``timeMark.localPortNum.remIndex``.
"""

from __future__ import annotations

from ipaddress import IPv4Address

from core.model import Platform
from lab.catalogue import HardwareModel
from lab.model import LabDevice
from lab.snmprec import Record, integer, mac_octets, object_id, octets

LLDP = "1.0.8802.1.1.2.1"
LOC = f"{LLDP}.3"
LOC_PORT = f"{LLDP}.3.7.1"
REM = f"{LLDP}.4.1.1"
REM_MAN_ADDR = f"{LLDP}.4.2.1"
CHASSIS_SUBTYPE_MAC = 4
PORT_SUBTYPE_NAME = 5
MAN_ADDR_IPV4 = 1
MAN_ADDR_IF_INDEX = 2
# LldpSystemCapabilitiesMap bits, first bit the most significant: bridge(2), router(4), station(7).
_SWITCH_CAPABILITIES = bytes([0b0010_1000])
_STATION_CAPABILITIES = bytes([0b0000_0001])
_TIME_MARK = 0


def capabilities(device: LabDevice) -> bytes:
    return _STATION_CAPABILITIES if device.platform is Platform.LINUX else _SWITCH_CAPABILITIES


def lldp_records(
    device: LabDevice, model: HardwareModel, peers: dict[str, tuple[LabDevice, HardwareModel]]
) -> list[Record]:
    """``peers`` maps each neighbour's id to the neighbour and its model."""
    caps = capabilities(device)
    records = [
        integer(f"{LOC}.1.0", CHASSIS_SUBTYPE_MAC),
        mac_octets(f"{LOC}.2.0", device.mac),
        octets(f"{LOC}.3.0", device.name),
        octets(f"{LOC}.4.0", model.identity(device.name)),
        octets(f"{LOC}.5.0", caps),
        octets(f"{LOC}.6.0", caps),
    ]
    for interface in device.interfaces:
        if interface.lldp:
            port = interface.if_index
            records += [
                integer(f"{LOC_PORT}.2.{port}", PORT_SUBTYPE_NAME),
                octets(f"{LOC_PORT}.3.{port}", interface.name),
                octets(f"{LOC_PORT}.4.{port}", interface.alias or interface.descr),
            ]
    local = device.interface_by_name()
    for neighbour in device.neighbours:
        peer, peer_model = peers[neighbour.device]
        remote = peer.interface_by_name()[neighbour.remote_interface]
        index = f"{_TIME_MARK}.{local[neighbour.interface].if_index}.1"
        peer_caps = capabilities(peer)
        records += [
            integer(f"{REM}.4.{index}", CHASSIS_SUBTYPE_MAC),
            mac_octets(f"{REM}.5.{index}", peer.mac),
            integer(f"{REM}.6.{index}", PORT_SUBTYPE_NAME),
            octets(f"{REM}.7.{index}", remote.name),
            octets(f"{REM}.8.{index}", remote.alias or remote.descr),
            octets(f"{REM}.9.{index}", peer.name),
            octets(f"{REM}.10.{index}", peer_model.identity(peer.name)),
            octets(f"{REM}.11.{index}", peer_caps),
            octets(f"{REM}.12.{index}", peer_caps),
        ]
        address = ".".join(str(b) for b in IPv4Address(peer.address).packed)
        man = f"{index}.{MAN_ADDR_IPV4}.4.{address}"
        records += [
            integer(f"{REM_MAN_ADDR}.3.{man}", MAN_ADDR_IF_INDEX),
            integer(f"{REM_MAN_ADDR}.4.{man}", 0),
            object_id(f"{REM_MAN_ADDR}.5.{man}", "0.0"),
        ]
    return records
