"""Routing state over SNMP: real recordings read as LibreNMS reads them (OSPF neighbours, BGP
peers, interface addresses), tables an agent lacks reported as "not reported", malformed rows
skipped with their reason, and the lab's own routing data read back exactly."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from collectors.snmp.fake_transport import FakeTransport, RecordedAgent
from collectors.snmp.routing_state import (
    BGP_PEER,
    IP_ADDR,
    OSPF_ADMIN_STAT,
    OSPF_NBR,
    VRRP_NODE_VERSION,
    VRRP_OPER,
    RoutingResult,
    collect_routing,
    ip_text,
    local_interface,
)
from collectors.snmp.snmprec import load_snmprec, parse_snmprec
from collectors.snmp.transport import SnmpTarget, VarBind
from core.clock import FakeClock
from core.credentials import SnmpV2cCredential
from core.errors import DeviceAuthError
from core.model import DeviceRole
from core.state.routing import (
    BgpPeerState,
    InterfaceAddress,
    OspfNeighbourState,
    VrrpState,
)
from lab.divisions import load_divisions
from lab.model import Province
from lab.province import build_province
from lab.snmprec import render
from lab.snmprec_writer import device_records

HOST, PORT = "127.0.0.1", 161


def target(name: str = "r1") -> SnmpTarget:
    return SnmpTarget(HOST, PORT, SnmpV2cCredential(community=SecretStr("public")), 1.0, 0, name)


def serve(varbinds: list[VarBind]) -> FakeTransport:
    return FakeTransport({f"{HOST}:{PORT}": RecordedAgent(varbinds)})


async def collect(varbinds: list[VarBind], name: str = "r1") -> RoutingResult:
    result = await collect_routing(serve(varbinds), target(name), clock=FakeClock())
    assert result.ok, result.error
    return result


def recording(shared_dir: Path, name: str) -> list[VarBind]:
    return load_snmprec(shared_dir / "snmprec" / "recordings" / f"{name}.snmprec")


def expected(shared_dir: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (shared_dir / "snmprec" / "expected" / f"{name}.json").read_text()
    )
    return data


# --------------------------------------------------------------------------- real recordings


@pytest.mark.parametrize("name", ["ios", "iosxe"])
async def test_ospf_neighbours_are_those_librenms_expects(shared_dir: Path, name: str) -> None:
    ospf = expected(shared_dir, name)["ospf"]["poller"]
    result = await collect(recording(shared_dir, name), name)
    assert result.report is not None
    assert result.report.ospf is not None
    assert result.reading is not None
    assert result.reading.skipped == ()
    assert result.report.ospf_router_id == ospf["ospf_instances"][0]["ospfRouterId"]
    assert sorted(
        (n.neighbour_address, n.address_less_index, n.router_id, n.state.value)
        for n in result.report.ospf
    ) == sorted(
        (n["ospfNbrIpAddr"], n["ospfNbrAddressLessIndex"], n["ospfNbrRtrId"], n["ospfNbrState"])
        for n in ospf["ospf_nbrs"]
    )


@pytest.mark.parametrize("name", ["vrp_5720", "comware", "ios_3560g"])
async def test_bgp_peers_are_those_librenms_polls(shared_dir: Path, name: str) -> None:
    peers = expected(shared_dir, name)["bgp-peers"]["poller"]["bgpPeers"]
    result = await collect(recording(shared_dir, name), name)
    report = result.report
    assert report is not None
    assert report.bgp is not None
    assert report.bgp_local_as == peers[0]["bgpLocalAs"]
    assert report.ospf is None  # these agents have no OSPF-MIB: no evidence, not "down"
    assert sorted(
        (p.remote_address, p.remote_as, p.state.value, p.local_address, p.admin_status)
        for p in report.bgp
    ) == sorted(
        (
            p["bgpPeerIdentifier"],  # LibreNMS keeps the peer's address under this name
            p["bgpPeerRemoteAs"],
            p["bgpPeerState"],
            p["bgpLocalAddr"],
            p["bgpPeerAdminStatus"],
        )
        for p in peers
    )


async def test_the_ne8000s_ipv4_peers_are_those_librenms_polls(shared_dir: Path) -> None:
    # LibreNMS also lists the IPv6 peers, from Huawei's own MIB: BGP4-MIB has only IPv4.
    peers = expected(shared_dir, "vrp_ne8000")["bgp-peers"]["poller"]["bgpPeers"]
    result = await collect(recording(shared_dir, "vrp_ne8000"), "vrp_ne8000")
    assert result.report is not None
    assert result.report.bgp is not None
    assert sorted((p.remote_address, p.remote_as, p.state.value) for p in result.report.bgp) == (
        sorted(
            (p["bgpPeerIdentifier"], p["bgpPeerRemoteAs"], p["bgpPeerState"])
            for p in peers
            if ":" not in p["bgpPeerIdentifier"]
        )
    )
    by_address = {p.remote_address: p for p in result.report.bgp}
    assert by_address["10.45.1.1"].identifier == "10.10.10.10"
    assert by_address["10.45.1.1"].local_address == "10.45.1.2"


async def test_a_router_with_fifty_mostly_idle_peers_and_no_remote_as_column(
    shared_dir: Path,
) -> None:
    varbinds = recording(shared_dir, "vrp_ne")
    states = {
        oid[len(BGP_PEER) + 3 :]: value
        for oid, value in varbinds
        if oid.startswith(f"{BGP_PEER}.2.")
    }
    result = await collect(varbinds, "vrp_ne")
    assert result.report is not None
    assert result.report.bgp is not None
    assert result.reading is not None
    assert result.reading.skipped == ()
    assert len(result.report.bgp) == len(states) == 50
    assert {p.state for p in result.report.bgp} == {
        BgpPeerState.IDLE,
        BgpPeerState.ACTIVE,
        BgpPeerState.ESTABLISHED,
    }
    assert all(p.remote_as is None for p in result.report.bgp)


@pytest.mark.parametrize("name", ["vrp_5720", "comware"])
async def test_interface_addresses_are_those_librenms_expects(shared_dir: Path, name: str) -> None:
    wanted = expected(shared_dir, name)["ipv4-addresses"]["discovery"]["ipv4_addresses"]
    result = await collect(recording(shared_dir, name), name)
    assert result.report is not None
    assert sorted(
        (a.address, a.prefix_length, a.if_index) for a in result.report.addresses
    ) == sorted((a["ipv4_address"], a["ipv4_prefixlen"], a["ifIndex"]) for a in wanted)


async def test_tables_an_agent_lacks_are_not_reported(shared_dir: Path) -> None:
    linux = await collect(recording(shared_dir, "linux"), "linux")
    assert linux.report is not None
    assert (linux.report.ospf, linux.report.bgp, linux.report.vrrp) == (None, None, None)
    # BGP running (a local AS) with no peer: reported, with none.
    withvrf = await collect(recording(shared_dir, "vrp_ce12804-withvrf"), "ce12804")
    assert withvrf.report is not None
    assert (withvrf.report.bgp, withvrf.report.bgp_local_as) == ((), 1)


# --------------------------------------------------------------------------- agents' quirks


def nbr(
    address: str, state: int, router_id: str = "192.0.2.9", unnumbered: int = 0
) -> list[VarBind]:
    index = f"{address}.{unnumbered}"
    return [(f"{OSPF_NBR}.3.{index}", router_id), (f"{OSPF_NBR}.6.{index}", state)]


def addr(address: str, if_index: int, mask: str) -> list[VarBind]:
    return [(f"{IP_ADDR}.2.{address}", if_index), (f"{IP_ADDR}.3.{address}", mask)]


async def test_a_neighbour_is_placed_on_the_interface_whose_subnet_holds_it() -> None:
    result = await collect(
        [
            *addr("10.250.0.1", 7, "255.255.255.252"),
            *addr("10.250.0.0", 9, "255.255.0.0"),  # a wider subnet: the /30 is preferred
            *addr("192.0.2.1", 5, "255.255.255.255"),  # a loopback places nothing
            *nbr("10.250.0.2", 8),
            *nbr("10.250.9.9", 3),
            *nbr("172.16.0.1", 2),  # on no subnet of this device
            *nbr("0.0.0.0", 8, unnumbered=12),  # unnumbered: the index names the interface
        ]
    )
    assert result.report is not None
    assert result.report.ospf is not None
    placed = {n.neighbour_address: (n.local_if_index, n.state) for n in result.report.ospf}
    assert placed == {
        "0.0.0.0": (12, OspfNeighbourState.FULL),
        "10.250.0.2": (7, OspfNeighbourState.FULL),
        "10.250.9.9": (9, OspfNeighbourState.INIT),
        "172.16.0.1": (None, OspfNeighbourState.ATTEMPT),
    }


async def test_malformed_rows_are_skipped_with_their_reason_and_the_rest_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    result = await collect(
        [
            *nbr("10.0.0.2", 8),
            *nbr("10.0.0.3", 9),  # no such ospfNbrState
            (f"{OSPF_NBR}.6.10.0.0.4", 8),  # no address-less index
            (f"{BGP_PEER}.2.10.0.0.9", 6),
            (f"{BGP_PEER}.2.10.0.0.10", b"established"),  # a state that is not a number
            (f"{BGP_PEER}.2.300.0.0.1", 6),  # not an address
            (f"{VRRP_OPER}.3.5.1", 3),
            (f"{VRRP_OPER}.3.5", 3),  # no vrId
            (f"{VRRP_OPER}.7.5.1", bytes([10, 0, 0, 1])),  # an IpAddress as four octets
        ],
        "gz-core1",
    )
    report, reading = result.report, result.reading
    assert report is not None
    assert reading is not None
    assert [n.neighbour_address for n in report.ospf or ()] == ["10.0.0.2"]
    assert [p.remote_address for p in report.bgp or ()] == ["10.0.0.9"]
    assert [(v.if_index, v.vr_id, v.state, v.master_address) for v in report.vrrp or ()] == [
        (5, 1, VrrpState.MASTER, "10.0.0.1")
    ]
    assert reading.skipped == (
        "gz-core1: ospfNbrTable row 10.0.0.3.0 skipped: ospfNbrState 9 is not 1–8",
        "gz-core1: ospfNbrTable row 10.0.0.4 skipped: "
        "its index is not ospfNbrIpAddr.ospfNbrAddressLessIndex",
        "gz-core1: bgpPeerTable row 10.0.0.10 skipped: bgpPeerState b'established' is not 1–6",
        "gz-core1: bgpPeerTable row 300.0.0.1 skipped: its index is not bgpPeerRemoteAddr",
        "gz-core1: vrrpOperTable row 5 skipped: its index is not ifIndex.vrrpOperVrId",
    )
    assert [r.getMessage() for r in caplog.records] == list(reading.skipped)


async def test_protocols_answered_but_idle_are_reported_with_nothing() -> None:
    result = await collect([(OSPF_ADMIN_STAT, 1), (VRRP_NODE_VERSION, 2)])
    assert result.report is not None
    assert (result.report.ospf, result.report.vrrp, result.report.bgp) == ((), (), None)
    disabled = await collect([(OSPF_ADMIN_STAT, 2)])
    assert disabled.report is not None
    assert disabled.report.ospf is None


async def test_a_silent_or_refusing_device_is_a_result_not_a_raise() -> None:
    silent = await collect_routing(FakeTransport(), target("gone"), clock=FakeClock())
    assert not silent.ok
    assert silent.report is None
    assert silent.error is not None
    assert "no answer" in silent.error
    transport = serve([])
    transport.agents[f"{HOST}:{PORT}"].failure = DeviceAuthError("r1", "wrong community")
    refused = await collect_routing(transport, target(), clock=FakeClock())
    assert refused.error == "wrong community"


def test_ip_addresses_are_read_however_the_transport_gives_them() -> None:
    assert ip_text("10.0.0.1") == "10.0.0.1"
    assert ip_text(bytes([192, 0, 2, 1])) == "192.0.2.1"
    assert ip_text(b"192.0.2.7") == "192.0.2.7"
    assert ip_text(b"\xff\xfe") is None
    assert ip_text(7) is None
    assert ip_text(None) is None
    assert local_interface("10.0.0.2", [InterfaceAddress("10.0.0.1", 3, None)]) is None


# --------------------------------------------------------------------------- the lab's own


@pytest.fixture(scope="module")
def small(shared_dir: Path) -> Province:
    divisions = load_divisions(shared_dir / "data" / "guangdong_divisions.json")
    return build_province(divisions, "small", seed=3)


async def test_the_labs_routing_reads_back_exactly(small: Province) -> None:
    devices = small.device_by_id()
    routers = {d.id for d in small.devices if d.is_network_device}
    for device in small.devices:
        varbinds = parse_snmprec(render(device_records(device, small)))
        result = await collect(varbinds, device.id)
        report = result.report
        assert report is not None
        assert result.reading is not None
        assert result.reading.skipped == ()
        ports = {i.if_index: i.name for i in device.interfaces}
        if device.id not in routers:
            assert report.ospf is None
            continue
        assert report.ospf_router_id == device.address
        assert sorted(
            (n.router_id, ports[n.local_if_index or 0], n.state) for n in report.ospf or ()
        ) == sorted(
            (devices[n.device].address, n.interface, OspfNeighbourState.FULL)
            for n in device.neighbours
            if n.device in routers
        )
        if device.role is DeviceRole.CORE:
            assert report.vrrp is not None
            assert len(report.vrrp) == 1
        else:
            assert report.vrrp is None
