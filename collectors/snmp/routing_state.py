"""Routing state over SNMP: OSPF neighbours, BGP peers and VRRP groups, read as real agents serve
them, with the interface addresses that place a neighbour on a link.

Tables read (each column walked on its own, the state column first, so that a device without the
table costs one request per table):

=================  ===========================  ==============================================
table              index                        columns read
=================  ===========================  ==============================================
ospfNbrTable       ospfNbrIpAddr.               3 ospfNbrRtrId, 6 ospfNbrState (1 down … 8 full)
(OSPF-MIB)         ospfNbrAddressLessIndex
bgpPeerTable       bgpPeerRemoteAddr            1 bgpPeerIdentifier, 2 bgpPeerState (1 idle …
(BGP4-MIB)                                      6 established), 3 bgpPeerAdminStatus,
                                                5 bgpPeerLocalAddr, 9 bgpPeerRemoteAs
vrrpOperTable      ifIndex.vrrpOperVrId         3 vrrpOperState (1 initialize, 2 backup,
(VRRP-MIB)                                      3 master), 5 vrrpOperPriority,
                                                7 vrrpOperMasterIpAddr
ipAddrTable        ipAdEntAddr                  2 ipAdEntIfIndex, 3 ipAdEntNetMask
(IP-MIB)
=================  ===========================  ==============================================

The addresses are the index, not a column: some agents leave bgpPeerRemoteAddr (7) and
ospfNbrIpAddr (1) out (a Catalyst 3560G answers bgpPeerTable without column 7). An OSPF
neighbour is placed on the local interface whose subnet holds its address (longest prefix), or on
the ifIndex an unnumbered neighbour's ospfNbrAddressLessIndex names.

A table the agent does not implement is *not reported* — ``None`` in the
:class:`~core.state.routing.RoutingReport`, no evidence either way — never "down": OSPF counts as
reported when ospfAdminStat says enabled or neighbours are listed, BGP when bgpLocalAs is set or
peers are listed, VRRP when vrrpNodeVersion answers or routers are listed. A row that cannot be
read (an index that is not an address, a state outside the MIB's range) is skipped with its
reason logged, naming the device and the row; the device's other rows still count.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from ipaddress import IPv4Address, IPv4Network, ip_address
from typing import Literal, TypeVar

from collectors.snmp.transport import SnmpTarget, SnmpTransport, SnmpValue, VarBind, is_under
from core.clock import Clock, SystemClock
from core.errors import DeviceError
from core.state.routing import (
    BGP_STATES,
    OSPF_STATES,
    VRRP_STATES,
    BgpPeer,
    InterfaceAddress,
    OspfNeighbour,
    RoutingReport,
    VrrpRouter,
)

log = logging.getLogger(__name__)

OSPF_ROUTER_ID = "1.3.6.1.2.1.14.1.1.0"
OSPF_ADMIN_STAT = "1.3.6.1.2.1.14.1.2.0"
OSPF_NBR = "1.3.6.1.2.1.14.10.1"
BGP_LOCAL_AS = "1.3.6.1.2.1.15.2.0"
BGP_PEER = "1.3.6.1.2.1.15.3.1"
VRRP_NODE_VERSION = "1.3.6.1.2.1.68.1.1.0"
VRRP_OPER = "1.3.6.1.2.1.68.1.3.1"
IP_ADDR = "1.3.6.1.2.1.4.20.1"

_ENABLED = 1
_ADMIN_STATUS: dict[int, Literal["start", "stop"]] = {1: "stop", 2: "start"}

_State = TypeVar("_State")
Rows = dict[tuple[int, ...], dict[int, SnmpValue]]
"""A table's rows: index (as numbers) → column → value."""


@dataclass(frozen=True, slots=True)
class RoutingReading:
    """What one device's agent said of its routing, and the rows left out."""

    report: RoutingReport
    skipped: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RoutingResult:
    """One device's routing collection: its report, or why there is none."""

    device_id: str
    collected_at: datetime
    duration_s: float
    reading: RoutingReading | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.reading is not None

    @property
    def report(self) -> RoutingReport | None:
        return self.reading.report if self.reading is not None else None


async def collect_routing(
    transport: SnmpTransport,
    target: SnmpTarget,
    *,
    device_id: str | None = None,
    clock: Clock | None = None,
    budget_s: float | None = None,
) -> RoutingResult:
    """One device's routing state as a result, never a raise (a fleet task boundary).

    ``budget_s`` bounds the whole collection (default: twenty request timeouts with retries).
    """
    clock = clock or SystemClock()
    device = device_id or target.label
    budget = budget_s or target.timeout_s * (target.retries + 1) * 20
    started, at = clock.monotonic(), clock.now()
    try:
        reading = await asyncio.wait_for(
            read_routing_state(transport, target, device), timeout=budget
        )
        return RoutingResult(device, at, clock.monotonic() - started, reading=reading)
    except TimeoutError:
        error = f"no complete routing answer within {budget:g} s"
    except DeviceError as exc:
        error = exc.reason
    except Exception as exc:  # task boundary: one device, one result
        log.exception("routing collection of %s failed unexpectedly", device)
        error = f"internal error: {type(exc).__name__}: {exc}"
    return RoutingResult(device, at, clock.monotonic() - started, error=error)


async def read_routing_state(
    transport: SnmpTransport, target: SnmpTarget, device_id: str
) -> RoutingReading:
    """Read and interpret one device's routing tables; transport errors pass through."""
    scalars = await transport.get(
        target, [OSPF_ROUTER_ID, OSPF_ADMIN_STAT, BGP_LOCAL_AS, VRRP_NODE_VERSION]
    )
    skipped: list[str] = []
    addresses = read_addresses(device_id, await _table(transport, target, IP_ADDR, (2, 3)), skipped)
    ospf_rows = await _table(transport, target, OSPF_NBR, (6, 3))
    bgp_rows = await _table(transport, target, BGP_PEER, (2, 1, 3, 5, 9))
    vrrp_rows = await _table(transport, target, VRRP_OPER, (3, 5, 7))

    ospf: tuple[OspfNeighbour, ...] | None = read_ospf(device_id, ospf_rows, addresses, skipped)
    if not ospf and scalars.get(OSPF_ADMIN_STAT) != _ENABLED:
        ospf = None  # no OSPF-MIB, or OSPF disabled: no evidence either way
    local_as = scalars.get(BGP_LOCAL_AS)
    bgp: tuple[BgpPeer, ...] | None = read_bgp(device_id, bgp_rows, skipped)
    if not bgp and not (isinstance(local_as, int) and local_as > 0):
        bgp = None
    vrrp: tuple[VrrpRouter, ...] | None = read_vrrp(device_id, vrrp_rows, skipped)
    if not vrrp and VRRP_NODE_VERSION not in scalars:
        vrrp = None
    for reason in skipped:
        log.warning("%s", reason)
    report = RoutingReport(
        ospf=ospf,
        ospf_router_id=ip_text(scalars.get(OSPF_ROUTER_ID)) if ospf is not None else None,
        bgp=bgp,
        bgp_local_as=local_as if isinstance(local_as, int) and bgp is not None else None,
        vrrp=vrrp,
        addresses=addresses,
    )
    return RoutingReading(report, tuple(skipped))


async def _table(
    transport: SnmpTransport, target: SnmpTarget, entry: str, columns: Sequence[int]
) -> Rows:
    """The table's ``columns``, walked one by one; the first decides whether there are rows."""
    rows: Rows = {}
    for position, column in enumerate(columns):
        varbinds = await transport.walk(target, f"{entry}.{column}")
        if position == 0 and not varbinds:
            return {}
        for index, value in column_values(varbinds, f"{entry}.{column}").items():
            rows.setdefault(index, {})[column] = value
    return rows


def column_values(varbinds: Sequence[VarBind], root: str) -> dict[tuple[int, ...], SnmpValue]:
    """Index → value of one walked column (indexes that are not numbers are kept out)."""
    values: dict[tuple[int, ...], SnmpValue] = {}
    for oid, value in varbinds:
        if is_under(oid, root):
            parts = oid[len(root) + 1 :].split(".")
            if all(part.isdigit() for part in parts):
                values[tuple(int(part) for part in parts)] = value
    return values


# --------------------------------------------------------------------------- tables


def read_addresses(
    device_id: str, rows: Mapping[tuple[int, ...], Mapping[int, SnmpValue]], skipped: list[str]
) -> tuple[InterfaceAddress, ...]:
    """ipAddrTable: the address is the index, 2 its ifIndex, 3 its netmask."""
    addresses = []
    for index, row in sorted(rows.items()):
        address = _index_address(index)
        if_index = row.get(2)
        if address is None or not isinstance(if_index, int):
            skipped.append(f"{device_id}: ipAddrTable row {_dotted(index)} skipped: not an address")
            continue
        addresses.append(InterfaceAddress(address, if_index, _prefix_length(row.get(3))))
    return tuple(addresses)


def read_ospf(
    device_id: str,
    rows: Mapping[tuple[int, ...], Mapping[int, SnmpValue]],
    addresses: Sequence[InterfaceAddress],
    skipped: list[str],
) -> tuple[OspfNeighbour, ...]:
    """ospfNbrTable, indexed ``ospfNbrIpAddr.ospfNbrAddressLessIndex``."""
    neighbours = []
    for index, row in sorted(rows.items()):
        where = f"{device_id}: ospfNbrTable row {_dotted(index)} skipped"
        address = _index_address(index[:4]) if len(index) == 5 else None
        if address is None:
            skipped.append(f"{where}: its index is not ospfNbrIpAddr.ospfNbrAddressLessIndex")
            continue
        state = _enumerated(row.get(6), OSPF_STATES)
        if state is None:
            skipped.append(f"{where}: ospfNbrState {row.get(6)!r} is not 1–8")
            continue
        unnumbered = index[4]
        neighbours.append(
            OspfNeighbour(
                neighbour_address=address,
                state=state,
                router_id=ip_text(row.get(3)),
                address_less_index=unnumbered,
                local_if_index=unnumbered or local_interface(address, addresses),
            )
        )
    return tuple(neighbours)


def read_bgp(
    device_id: str, rows: Mapping[tuple[int, ...], Mapping[int, SnmpValue]], skipped: list[str]
) -> tuple[BgpPeer, ...]:
    """bgpPeerTable, indexed ``bgpPeerRemoteAddr``."""
    peers = []
    for index, row in sorted(rows.items()):
        where = f"{device_id}: bgpPeerTable row {_dotted(index)} skipped"
        address = _index_address(index)
        if address is None:
            skipped.append(f"{where}: its index is not bgpPeerRemoteAddr")
            continue
        state = _enumerated(row.get(2), BGP_STATES)
        if state is None:
            skipped.append(f"{where}: bgpPeerState {row.get(2)!r} is not 1–6")
            continue
        admin, remote_as = row.get(3), row.get(9)
        peers.append(
            BgpPeer(
                remote_address=address,
                state=state,
                remote_as=remote_as if isinstance(remote_as, int) else None,
                local_address=ip_text(row.get(5)),
                identifier=ip_text(row.get(1)),
                admin_status=_ADMIN_STATUS.get(admin) if isinstance(admin, int) else None,
            )
        )
    return tuple(peers)


def read_vrrp(
    device_id: str, rows: Mapping[tuple[int, ...], Mapping[int, SnmpValue]], skipped: list[str]
) -> tuple[VrrpRouter, ...]:
    """vrrpOperTable, indexed ``ifIndex.vrrpOperVrId``."""
    routers = []
    for index, row in sorted(rows.items()):
        where = f"{device_id}: vrrpOperTable row {_dotted(index)} skipped"
        if len(index) != 2:
            skipped.append(f"{where}: its index is not ifIndex.vrrpOperVrId")
            continue
        state = _enumerated(row.get(3), VRRP_STATES)
        if state is None:
            skipped.append(f"{where}: vrrpOperState {row.get(3)!r} is not 1–3")
            continue
        priority = row.get(5)
        routers.append(
            VrrpRouter(
                if_index=index[0],
                vr_id=index[1],
                state=state,
                master_address=ip_text(row.get(7)),
                priority=priority if isinstance(priority, int) else None,
            )
        )
    return tuple(routers)


def local_interface(address: str, addresses: Sequence[InterfaceAddress]) -> int | None:
    """The ifIndex whose subnet holds ``address`` (the longest prefix wins); None if none does."""
    wanted = IPv4Address(address)
    best: tuple[int, int] | None = None
    for own in addresses:
        if own.prefix_length is None or own.prefix_length == 32:
            continue  # a host route (a loopback) is no link
        network = IPv4Network(f"{own.address}/{own.prefix_length}", strict=False)
        if wanted in network and (best is None or own.prefix_length > best[0]):
            best = (own.prefix_length, own.if_index)
    return best[1] if best is not None else None


# --------------------------------------------------------------------------- values


def ip_text(value: SnmpValue | None) -> str | None:
    """An IpAddress as dotted text, whichever way the transport gave it (text, or four octets)."""
    if isinstance(value, bytes):
        if len(value) == 4:
            return str(IPv4Address(value))
        try:
            value = value.decode("ascii")
        except UnicodeDecodeError:
            return None
    if not isinstance(value, str):
        return None
    try:
        return str(ip_address(value.strip()))
    except ValueError:
        return None


def _enumerated(value: SnmpValue | None, names: Mapping[int, _State]) -> _State | None:
    return names.get(value) if isinstance(value, int) else None


def _index_address(index: Sequence[int]) -> str | None:
    if len(index) != 4 or not all(0 <= part < 256 for part in index):
        return None
    return ".".join(str(part) for part in index)


def _prefix_length(mask: SnmpValue | None) -> int | None:
    text = ip_text(mask)
    if text is None:
        return None
    try:
        return IPv4Network(f"0.0.0.0/{text}").prefixlen
    except ValueError:  # not a contiguous mask
        return None


def _dotted(index: Sequence[int]) -> str:
    return ".".join(str(part) for part in index)
