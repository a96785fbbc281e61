"""Routing state per device: OSPF adjacencies, BGP sessions, VRRP groups and interface addresses.

The types are what a collector reports (:class:`RoutingReport`, one per device and collection)
and what the state DB gives back. :class:`RoutingRepository` replaces one device's rows as a whole
in one transaction on every collection (a neighbour no longer reported is deleted; one whose
state did not change keeps ``since``) and reads everything back for the console, the API and
:mod:`core.state.link_states`. A failed collection stores nothing: the last picture stays, with
its age (``collected_at``).

"Not reported" is not "down": a protocol whose MIB the agent does not implement, or that the
device does not run, is ``None`` in a report — no evidence at all — where a protocol reported with
no neighbour is an empty tuple.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal, TypeVar, cast

from sqlalchemy import Engine, Select, delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from core.errors import StoreError
from core.state.routing_tables import (
    InterfaceAddressRow,
    RoutingAdjacencyRow,
    RoutingReportRow,
    VrrpRouterRow,
)


class OspfNeighbourState(StrEnum):
    """ospfNbrState (OSPF-MIB): 1 down … 8 full."""

    DOWN = "down"
    ATTEMPT = "attempt"
    INIT = "init"
    TWO_WAY = "twoWay"
    EXCHANGE_START = "exchangeStart"
    EXCHANGE = "exchange"
    LOADING = "loading"
    FULL = "full"


class BgpPeerState(StrEnum):
    """bgpPeerState (BGP4-MIB): 1 idle … 6 established."""

    IDLE = "idle"
    CONNECT = "connect"
    ACTIVE = "active"
    OPEN_SENT = "opensent"
    OPEN_CONFIRM = "openconfirm"
    ESTABLISHED = "established"


class VrrpState(StrEnum):
    """vrrpOperState (VRRP-MIB): 1 initialize, 2 backup, 3 master."""

    INITIALIZE = "initialize"
    BACKUP = "backup"
    MASTER = "master"


OSPF_STATES: dict[int, OspfNeighbourState] = dict(enumerate(OspfNeighbourState, start=1))
BGP_STATES: dict[int, BgpPeerState] = dict(enumerate(BgpPeerState, start=1))
VRRP_STATES: dict[int, VrrpState] = dict(enumerate(VrrpState, start=1))

VrrpRole = Literal["master", "backup", "initialize", "mixed"]
"""A device's part in VRRP as one word (``mixed``: master of some groups, not of others)."""


@dataclass(frozen=True, slots=True)
class OspfNeighbour:
    """One row of ospfNbrTable."""

    neighbour_address: str
    """ospfNbrIpAddr: the neighbour's address on the shared link."""
    state: OspfNeighbourState
    router_id: str | None = None
    address_less_index: int = 0
    local_if_index: int | None = None
    """The local interface it was learnt on (the interface whose subnet holds its address)."""
    since: datetime | None = None
    """When the state DB first saw it in this state (None in a fresh collection)."""


@dataclass(frozen=True, slots=True)
class BgpPeer:
    """One row of bgpPeerTable."""

    remote_address: str
    state: BgpPeerState
    remote_as: int | None = None
    local_address: str | None = None
    identifier: str | None = None
    """bgpPeerIdentifier: the peer's BGP router id (0.0.0.0 until established)."""
    admin_status: Literal["start", "stop"] | None = None
    since: datetime | None = None


@dataclass(frozen=True, slots=True)
class VrrpRouter:
    """One row of vrrpOperTable: this device's part in one virtual router."""

    if_index: int
    vr_id: int
    state: VrrpState
    master_address: str | None = None
    priority: int | None = None
    since: datetime | None = None


@dataclass(frozen=True, slots=True)
class InterfaceAddress:
    """One row of ipAddrTable."""

    address: str
    if_index: int
    prefix_length: int | None = None


@dataclass(frozen=True, slots=True)
class RoutingReport:
    """What one device's agent said of its routing in one collection."""

    ospf: tuple[OspfNeighbour, ...] | None = None
    """None: OSPF not reported (no OSPF-MIB, or OSPF disabled)."""
    ospf_router_id: str | None = None
    bgp: tuple[BgpPeer, ...] | None = None
    """None: BGP not reported."""
    bgp_local_as: int | None = None
    vrrp: tuple[VrrpRouter, ...] | None = None
    """None: VRRP not reported."""
    addresses: tuple[InterfaceAddress, ...] = ()


@dataclass(frozen=True, slots=True)
class StoredRouting:
    """One device's routing report as the state DB keeps it."""

    device_id: str
    collected_at: datetime
    report: RoutingReport

    @property
    def vrrp_role(self) -> VrrpRole | None:
        """The device's part in VRRP, for people; None when it reports no virtual router."""
        if not self.report.vrrp:
            return None
        return _vrrp_role({router.state.value for router in self.report.vrrp})


class RoutingRepository:
    """Routing state per device: replaced per device on every collection, read whole."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def replace_routing(self, device_id: str, report: RoutingReport, at: datetime) -> None:
        """Make ``device_id``'s (an inventory device's) stored routing state exactly ``report``;
        a neighbour, peer or group whose state is unchanged keeps the time it entered it."""
        if at.tzinfo is None:
            raise ValueError("at must be timezone-aware")
        try:
            with self._sessions.begin() as session:
                session.merge(_report_row(device_id, report, at))
                _replace_adjacencies(session, device_id, report, at)
                _replace_vrrp(session, device_id, report.vrrp or (), at)
                session.execute(
                    delete(InterfaceAddressRow).where(InterfaceAddressRow.device_id == device_id)
                )
                addresses = {a.address: a for a in report.addresses}  # given twice: the later
                session.add_all(
                    InterfaceAddressRow(
                        device_id=device_id,
                        address=a.address,
                        if_index=a.if_index,
                        prefix_length=a.prefix_length,
                        last_seen_at=at,
                    )
                    for a in addresses.values()
                )
        except SQLAlchemyError as exc:
            raise StoreError(
                f"state DB: cannot store the routing state of {device_id}: {exc}"
            ) from exc

    def routing(self, device_ids: Collection[str] | None = None) -> dict[str, StoredRouting]:
        """Every stored report (of ``device_ids``, or all), by device id."""
        try:
            with self._sessions() as session:
                return read_routing(session, device_ids)
        except SQLAlchemyError as exc:
            raise StoreError(f"state DB: cannot read routing state: {exc}") from exc

    def vrrp_roles(self, device_ids: Collection[str] | None = None) -> dict[str, VrrpRole]:
        """Device id → master, backup, initialize or mixed, for devices with virtual routers.

        Reads the VRRP rows alone: the topology monitor asks on every refresh, and the whole
        routing state (adjacencies, peers, addresses) is not needed for this."""
        query = select(VrrpRouterRow.device_id, VrrpRouterRow.state)
        if device_ids is not None:
            query = query.where(VrrpRouterRow.device_id.in_(list(device_ids)))
        states: dict[str, set[str]] = defaultdict(set)
        try:
            with self._sessions() as session:
                for device_id, state in session.execute(query):
                    states[device_id].add(state)
        except SQLAlchemyError as exc:
            raise StoreError(f"state DB: cannot read VRRP roles: {exc}") from exc
        return {device_id: _vrrp_role(found) for device_id, found in states.items()}


def read_routing(
    session: Session, device_ids: Collection[str] | None = None
) -> dict[str, StoredRouting]:
    """Stored reports read within ``session`` (SQLAlchemy errors pass through)."""
    wanted = None if device_ids is None else list(device_ids)
    ospf: dict[str, list[OspfNeighbour]] = defaultdict(list)
    bgp: dict[str, list[BgpPeer]] = defaultdict(list)
    vrrp: dict[str, list[VrrpRouter]] = defaultdict(list)
    addresses: dict[str, list[InterfaceAddress]] = defaultdict(list)
    for adjacency in session.scalars(
        _of_devices(select(RoutingAdjacencyRow), RoutingAdjacencyRow.device_id, wanted).order_by(
            RoutingAdjacencyRow.device_id,
            RoutingAdjacencyRow.protocol,
            RoutingAdjacencyRow.neighbour_address,
            RoutingAdjacencyRow.address_less_index,
        )
    ):
        if adjacency.protocol == "ospf":
            ospf[adjacency.device_id].append(_ospf(adjacency))
        else:
            bgp[adjacency.device_id].append(_bgp(adjacency))
    for router in session.scalars(
        _of_devices(select(VrrpRouterRow), VrrpRouterRow.device_id, wanted).order_by(
            VrrpRouterRow.device_id, VrrpRouterRow.if_index, VrrpRouterRow.vr_id
        )
    ):
        vrrp[router.device_id].append(_vrrp(router))
    for address in session.scalars(
        _of_devices(select(InterfaceAddressRow), InterfaceAddressRow.device_id, wanted).order_by(
            InterfaceAddressRow.device_id, InterfaceAddressRow.address
        )
    ):
        addresses[address.device_id].append(
            InterfaceAddress(address.address, address.if_index, address.prefix_length)
        )
    result: dict[str, StoredRouting] = {}
    for row in session.scalars(
        _of_devices(select(RoutingReportRow), RoutingReportRow.device_id, wanted).order_by(
            RoutingReportRow.device_id
        )
    ):
        device = row.device_id
        report = RoutingReport(
            ospf=tuple(ospf[device]) if row.ospf_reported else None,
            ospf_router_id=row.ospf_router_id,
            bgp=tuple(bgp[device]) if row.bgp_reported else None,
            bgp_local_as=row.bgp_local_as,
            vrrp=tuple(vrrp[device]) if row.vrrp_reported else None,
            addresses=tuple(addresses[device]),
        )
        result[device] = StoredRouting(device, row.collected_at, report)
    return result


_Selected = TypeVar("_Selected")


def _of_devices(
    query: Select[_Selected], column: InstrumentedAttribute[str], device_ids: list[str] | None
) -> Select[_Selected]:
    return query if device_ids is None else query.where(column.in_(device_ids))


# --------------------------------------------------------------------------- rows


def _report_row(device_id: str, report: RoutingReport, at: datetime) -> RoutingReportRow:
    return RoutingReportRow(
        device_id=device_id,
        collected_at=at,
        ospf_reported=report.ospf is not None,
        ospf_router_id=report.ospf_router_id,
        bgp_reported=report.bgp is not None,
        bgp_local_as=report.bgp_local_as,
        vrrp_reported=report.vrrp is not None,
    )


_AdjacencyKey = tuple[str, str, int]


def _replace_adjacencies(
    session: Session, device_id: str, report: RoutingReport, at: datetime
) -> None:
    wanted: dict[_AdjacencyKey, RoutingAdjacencyRow] = {}
    for neighbour in report.ospf or ():
        key = ("ospf", neighbour.neighbour_address, neighbour.address_less_index)
        wanted[key] = RoutingAdjacencyRow(
            device_id=device_id,
            protocol="ospf",
            neighbour_address=neighbour.neighbour_address,
            address_less_index=neighbour.address_less_index,
            state=neighbour.state.value,
            router_id=neighbour.router_id,
            local_if_index=neighbour.local_if_index,
        )
    for peer in report.bgp or ():
        wanted[("bgp", peer.remote_address, 0)] = RoutingAdjacencyRow(
            device_id=device_id,
            protocol="bgp",
            neighbour_address=peer.remote_address,
            address_less_index=0,
            state=peer.state.value,
            router_id=peer.identifier,
            local_address=peer.local_address,
            remote_as=peer.remote_as,
            admin_status=peer.admin_status,
        )
    query = select(RoutingAdjacencyRow).where(RoutingAdjacencyRow.device_id == device_id)
    for row in session.scalars(query):
        fresh = wanted.pop((row.protocol, row.neighbour_address, row.address_less_index), None)
        if fresh is None:
            session.delete(row)
            continue
        if fresh.state != row.state:
            row.state, row.state_since = fresh.state, at
        row.router_id, row.local_if_index = fresh.router_id, fresh.local_if_index
        row.local_address, row.remote_as = fresh.local_address, fresh.remote_as
        row.admin_status, row.last_seen_at = fresh.admin_status, at
    for fresh in wanted.values():
        fresh.state_since = fresh.first_seen_at = fresh.last_seen_at = at
        session.add(fresh)


def _replace_vrrp(
    session: Session, device_id: str, routers: Iterable[VrrpRouter], at: datetime
) -> None:
    wanted = {(r.if_index, r.vr_id): r for r in routers}
    for row in session.scalars(select(VrrpRouterRow).where(VrrpRouterRow.device_id == device_id)):
        fresh = wanted.pop((row.if_index, row.vr_id), None)
        if fresh is None:
            session.delete(row)
            continue
        if fresh.state.value != row.state:
            row.state, row.state_since = fresh.state.value, at
        row.master_address, row.priority = fresh.master_address, fresh.priority
        row.last_seen_at = at
    session.add_all(
        VrrpRouterRow(
            device_id=device_id,
            if_index=r.if_index,
            vr_id=r.vr_id,
            state=r.state.value,
            master_address=r.master_address,
            priority=r.priority,
            state_since=at,
            last_seen_at=at,
        )
        for r in wanted.values()
    )


def _ospf(row: RoutingAdjacencyRow) -> OspfNeighbour:
    return OspfNeighbour(
        neighbour_address=row.neighbour_address,
        state=OspfNeighbourState(row.state),
        router_id=row.router_id,
        address_less_index=row.address_less_index,
        local_if_index=row.local_if_index,
        since=row.state_since,
    )


_ADMIN_STATUSES: dict[str, Literal["start", "stop"]] = {"start": "start", "stop": "stop"}


def _bgp(row: RoutingAdjacencyRow) -> BgpPeer:
    return BgpPeer(
        remote_address=row.neighbour_address,
        state=BgpPeerState(row.state),
        remote_as=row.remote_as,
        local_address=row.local_address,
        identifier=row.router_id,
        admin_status=_ADMIN_STATUSES.get(row.admin_status or ""),
        since=row.state_since,
    )


def _vrrp(row: VrrpRouterRow) -> VrrpRouter:
    return VrrpRouter(
        if_index=row.if_index,
        vr_id=row.vr_id,
        state=VrrpState(row.state),
        master_address=row.master_address,
        priority=row.priority,
        since=row.state_since,
    )


def _vrrp_role(states: set[str]) -> VrrpRole:
    """One device's part in VRRP from the states of its virtual routers (not empty)."""
    if len(states) == 1:
        (state,) = states
        return cast(VrrpRole, state)
    return "mixed"
