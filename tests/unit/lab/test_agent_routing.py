"""The lab's routing records: an OSPF adjacency at both ends of every link between routers, the
interface addresses behind them, VRRP on the data-centre cores — and faults that take an
adjacency away and move VRRP mastership, as the agents then answer."""

from __future__ import annotations

from datetime import UTC, datetime
from ipaddress import IPv4Interface

from core.model import DeviceRole, Platform
from lab.agent_routing import (
    IP_ADDR,
    OSPF_GENERAL,
    OSPF_NBR,
    SERVER_GATEWAY,
    VRRP_ASSO_IP,
    VRRP_OPER,
    gateway_port,
    routing_records,
)
from lab.faults import Faults, apply_faults
from lab.model import Province
from lab.snmprec import Record

T0 = datetime(2026, 3, 1, tzinfo=UTC)
_FULL = "8"


def table(records: list[Record]) -> dict[str, tuple[str, str]]:
    return {r.oid: (r.tag, r.value) for r in records}


def adjacencies(province: Province) -> set[tuple[str, str, str]]:
    """(device, neighbour's router id, neighbour's address) of every full ospfNbrTable row."""
    found = set()
    for device in province.devices:
        data = table(routing_records(device, province))
        for oid, (_, state) in data.items():
            if oid.startswith(f"{OSPF_NBR}.6.") and state == _FULL:
                index = oid[len(f"{OSPF_NBR}.6.") :]
                address = index.rsplit(".", 1)[0]
                found.add((device.id, data[f"{OSPF_NBR}.3.{index}"][1], address))
    return found


def router_links(province: Province) -> set[tuple[str, str, str]]:
    """What :func:`adjacencies` must be: both ends of every link between two routers."""
    devices = province.device_by_id()
    wanted = set()
    for link in province.links:
        a, b = devices[link.a.device], devices[link.b.device]
        if a.platform is Platform.LINUX or b.platform is Platform.LINUX:
            continue
        for near, far, far_port in ((a, b, link.b.interface), (b, a, link.a.interface)):
            address = far.interface_by_name()[far_port].ipv4
            assert address is not None
            wanted.add((near.id, far.address, str(IPv4Interface(address).ip)))
    return wanted


def vrrp_states(province: Province) -> dict[str, tuple[str, str]]:
    """Each core's vrrpOperState and vrrpOperMasterIpAddr."""
    states = {}
    for device in province.devices:
        if device.role is DeviceRole.CORE:
            data = table(routing_records(device, province))
            index = f"{gateway_port(device, province)}.1"
            states[device.id] = (
                data[f"{VRRP_OPER}.3.{index}"][1],
                data[f"{VRRP_OPER}.7.{index}"][1],
            )
    return states


def test_every_link_between_routers_has_a_full_adjacency_at_both_ends(full: Province) -> None:
    assert adjacencies(full) == router_links(full)
    for device in full.devices:
        data = table(routing_records(device, full))
        if device.is_network_device:
            assert data[f"{OSPF_GENERAL}.1.0"] == ("64", device.address)  # router id: loopback
            assert data[f"{OSPF_GENERAL}.2.0"] == ("2", "1")  # enabled
        else:
            assert not any(oid.startswith("1.3.6.1.2.1.14.") for oid in data)


def test_every_configured_address_is_in_ip_addr_table(small: Province) -> None:
    for device in small.devices:
        data = table(routing_records(device, small))
        configured = [i for i in device.interfaces if i.ipv4]
        assert configured
        for interface in configured:
            address = IPv4Interface(interface.ipv4 or "")
            ip = str(address.ip)
            assert data[f"{IP_ADDR}.1.{ip}"] == ("64", ip)
            assert data[f"{IP_ADDR}.2.{ip}"] == ("2", str(interface.if_index))
            assert data[f"{IP_ADDR}.3.{ip}"] == ("64", str(address.netmask))


def test_a_failed_link_loses_its_adjacency_at_both_ends_and_recovery_brings_it_back(
    small: Province,
) -> None:
    link = next(lk for lk in small.links if lk.id.endswith("-primary"))
    failed = apply_faults(small, Faults().with_link(link.id, T0))
    lost = adjacencies(small) - adjacencies(failed)
    devices = small.device_by_id()
    assert {(near, far) for near, far, _ in lost} == {
        (link.a.device, devices[link.b.device].address),
        (link.b.device, devices[link.a.device].address),
    }
    assert adjacencies(failed) < adjacencies(small)
    assert adjacencies(apply_faults(small, Faults())) == adjacencies(small)


def test_the_first_core_is_vrrp_master_until_it_fails(small: Province) -> None:
    cores = sorted(d.id for d in small.devices if d.role is DeviceRole.CORE)
    first, second = (small.device_by_id()[c] for c in cores)
    first_gateway = first.interfaces[0]
    for interface in first.interfaces:
        if interface.if_index == gateway_port(first, small):
            first_gateway = interface
    assert vrrp_states(small) == {
        first.id: ("3", str(IPv4Interface(first_gateway.ipv4 or "").ip)),
        second.id: ("2", str(IPv4Interface(first_gateway.ipv4 or "").ip)),
    }
    data = table(routing_records(second, small))
    assert data[f"{VRRP_ASSO_IP}.2.{gateway_port(second, small)}.1.{SERVER_GATEWAY}"] == ("2", "1")

    failed = apply_faults(small, Faults().with_device(first.id, T0))
    states = vrrp_states(failed)
    assert states[second.id][0] == "3"  # master now
    assert states[first.id][0] == "1"  # what the silent core would say: initialize
    # A failed link elsewhere moves nothing; recovery gives mastership back (preempt).
    county_link = next(lk for lk in small.links if lk.id.endswith("-backup"))
    assert vrrp_states(apply_faults(small, Faults().with_link(county_link.id, T0))) == (
        vrrp_states(small)
    )
    assert vrrp_states(apply_faults(small, Faults())) == vrrp_states(small)


def test_the_core_that_takes_over_is_a_device_the_fault_rewrites(small: Province) -> None:
    # A running lab rewrites only the agents whose device changed (lab.fault_shards): the
    # surviving core must be one of them when the other fails, or its VRRP would not move.
    cores = sorted(d.id for d in small.devices if d.role is DeviceRole.CORE)
    failed = apply_faults(small, Faults().with_device(cores[0], T0))
    assert failed.device_by_id()[cores[1]] != small.device_by_id()[cores[1]]
