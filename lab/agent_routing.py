"""Routing for one simulated device: IP-MIB's addresses, OSPF-MIB and VRRP-MIB, matching the links.

- **Addresses** (ipAddrTable, every device): each interface's configured IPv4 address
  (:mod:`lab.ip_plan`: the loopback, the management VLAN, a /30 per link), with its ifIndex and
  netmask — how a collector places an OSPF neighbour on one of its interfaces.
- **OSPF** (routers and switches, not the Linux hosts): one area, router id the device's own
  address (its loopback, what the inventory calls it). One ospfNbrTable row per link to another
  router that is up — the neighbour's address on the link, its router id, state 8 (full) —
  indexed ``ospfNbrIpAddr.0``. The rows follow the device's LLDP neighbours, which
  :func:`lab.faults.apply_faults` takes away over a link that is down: so a failed link loses its
  adjacency at both ends (the row is gone, as a real router forgets a dead neighbour).
- **VRRP** (the data-centre cores): one virtual router, the business-service hosts' gateway on the
  server VLAN stretched between both data centres, configured on each core's first server-facing
  port. The first core (``gd-dc1-core1``) has the higher priority and is master; the other is
  backup — until the master fails (every linked port of it down, which is what a failed device
  looks like in the faulted province), when the other becomes master. A failed core itself is
  silent; what it would answer says ``initialize``.
"""

from __future__ import annotations

from ipaddress import IPv4Interface

from core.model import DeviceRole
from lab.model import LabDevice, Province
from lab.snmprec import Record, counter32, gauge, integer, octets

IP_ADDR = "1.3.6.1.2.1.4.20.1"
OSPF_GENERAL = "1.3.6.1.2.1.14.1"
OSPF_NBR = "1.3.6.1.2.1.14.10.1"
VRRP = "1.3.6.1.2.1.68.1"
VRRP_OPER = f"{VRRP}.3.1"
VRRP_ASSO_IP = f"{VRRP}.4.1"

SERVER_GATEWAY = "10.200.0.1"
"""The virtual address the business-service hosts route through."""
VRRP_ID = 1
MASTER_PRIORITY, BACKUP_PRIORITY = 120, 100
_VIRTUAL_MAC = "00005e000101"  # 00-00-5E-00-01-{VRID}, RFC 3768
_IP_ADDRESS = "64"
_TRUE, _FALSE = 1, 2
_OSPF_FULL = 8
_VRRP_STATES = {"initialize": 1, "backup": 2, "master": 3}
_ACTIVE = 1
_NO_ADDRESS = "0.0.0.0"  # noqa: S104  (an IpAddress value, not a socket to bind)


def routing_records(device: LabDevice, province: Province) -> list[Record]:
    """Every routing record of ``device`` as the (faulted) ``province`` has it."""
    records = address_records(device)
    if device.is_network_device:
        records += ospf_records(device, province)
    if device.role is DeviceRole.CORE:
        records += vrrp_records(device, province)
    return records


def address_records(device: LabDevice) -> list[Record]:
    records = []
    for interface in device.interfaces:
        if interface.ipv4 is None:
            continue
        configured = IPv4Interface(interface.ipv4)
        address = str(configured.ip)
        records += [
            ip_address(f"{IP_ADDR}.1.{address}", address),
            integer(f"{IP_ADDR}.2.{address}", interface.if_index),
            ip_address(f"{IP_ADDR}.3.{address}", str(configured.netmask)),
            integer(f"{IP_ADDR}.4.{address}", 1),
            integer(f"{IP_ADDR}.5.{address}", 65535),
        ]
    return records


def ospf_records(device: LabDevice, province: Province) -> list[Record]:
    devices = province.device_by_id()
    records = [
        ip_address(f"{OSPF_GENERAL}.1.0", device.address),
        integer(f"{OSPF_GENERAL}.2.0", _TRUE),  # ospfAdminStat enabled
        integer(f"{OSPF_GENERAL}.3.0", 2),  # version 2
        integer(f"{OSPF_GENERAL}.4.0", _FALSE),  # not an area border router
        integer(f"{OSPF_GENERAL}.5.0", _FALSE),  # not an AS boundary router
    ]
    local = device.interface_by_name()
    for neighbour in device.neighbours:
        peer = devices[neighbour.device]
        here = local[neighbour.interface]
        there = peer.interface_by_name()[neighbour.remote_interface]
        if not peer.is_network_device or not here.oper_up or not here.ipv4 or not there.ipv4:
            continue
        address = str(IPv4Interface(there.ipv4).ip)
        index = f"{address}.0"
        records += [
            ip_address(f"{OSPF_NBR}.1.{index}", address),
            integer(f"{OSPF_NBR}.2.{index}", 0),
            ip_address(f"{OSPF_NBR}.3.{index}", peer.address),
            integer(f"{OSPF_NBR}.4.{index}", 2),  # options: E bit
            integer(f"{OSPF_NBR}.5.{index}", 1),
            integer(f"{OSPF_NBR}.6.{index}", _OSPF_FULL),
            counter32(f"{OSPF_NBR}.7.{index}", 6, 0),  # events: the way up to full
            gauge(f"{OSPF_NBR}.8.{index}", 0),
            integer(f"{OSPF_NBR}.9.{index}", _ACTIVE),
            integer(f"{OSPF_NBR}.10.{index}", 2),  # dynamic: learnt from hellos
            integer(f"{OSPF_NBR}.11.{index}", _FALSE),
        ]
    return records


def vrrp_records(device: LabDevice, province: Province) -> list[Record]:
    cores = sorted((d for d in province.devices if d.role is DeviceRole.CORE), key=lambda d: d.id)
    gateways = {core.id: gateway_port(core, province) for core in cores}
    port = gateways[device.id]
    records = [integer(f"{VRRP}.1.0", 2)]  # vrrpNodeVersion
    if port is None:
        return records
    alive = [core for core in cores if _alive(core) and gateways[core.id] is not None]
    master = alive[0] if alive else None
    if device.id not in {core.id for core in alive}:
        state = "initialize"
    else:
        state = "master" if master is not None and master.id == device.id else "backup"
    priority = MASTER_PRIORITY if device.id == cores[0].id else BACKUP_PRIORITY
    own = _address(device, port)
    master_address = _address(master, gateways[master.id]) if master is not None else _NO_ADDRESS
    index = f"{port}.{VRRP_ID}"
    records += [
        octets(f"{VRRP_OPER}.2.{index}", bytes.fromhex(_VIRTUAL_MAC)),
        integer(f"{VRRP_OPER}.3.{index}", _VRRP_STATES[state]),
        integer(f"{VRRP_OPER}.4.{index}", 1),  # admin up
        integer(f"{VRRP_OPER}.5.{index}", priority),
        integer(f"{VRRP_OPER}.6.{index}", 1),  # one associated address
        ip_address(f"{VRRP_OPER}.7.{index}", master_address),
        ip_address(f"{VRRP_OPER}.8.{index}", own),
        integer(f"{VRRP_OPER}.10.{index}", 1),  # advertisement interval, s
        integer(f"{VRRP_OPER}.11.{index}", _TRUE),  # preempt
        integer(f"{VRRP_OPER}.15.{index}", _ACTIVE),
        integer(f"{VRRP_ASSO_IP}.2.{index}.{SERVER_GATEWAY}", _ACTIVE),
    ]
    return records


def gateway_port(core: LabDevice, province: Province) -> int | None:
    """The ifIndex of the core's first server-facing port (None: it has no service host)."""
    devices = province.device_by_id()
    names = set()
    for link in province.links:
        for here, there in ((link.a, link.b), (link.b, link.a)):
            if here.device == core.id and devices[there.device].role is DeviceRole.SERVER:
                names.add(here.interface)
    ports = [i.if_index for i in core.interfaces if i.name in names]
    return min(ports) if ports else None


def ip_address(oid: str, address: str) -> Record:
    """An IpAddress (tag 64), dotted."""
    return Record(oid, _IP_ADDRESS, address)


def _alive(device: LabDevice) -> bool:
    """Not failed: a failed device's every linked port is down in the faulted province."""
    return any(i.oper_up for i in device.interfaces if i.link is not None)


def _address(device: LabDevice, if_index: int | None) -> str:
    for interface in device.interfaces:
        if interface.if_index == if_index and interface.ipv4:
            return str(IPv4Interface(interface.ipv4).ip)
    return _NO_ADDRESS
