"""The state of every inventory link, read from what the collectors stored about its two ends.

Read-only. A link is

- ``down`` when either end device is down (does not answer) or either end's interface reports an
  oper status of ``down`` (also ``lowerLayerDown`` and ``notPresent``: no traffic passes), or when
  the routing evidence below says so although the interfaces say up;
- ``up`` when, short of that, at least one end's interface reports ``up``, or an OSPF adjacency
  over it is full, or a BGP session over it is established;
- ``unknown`` otherwise: neither end has been polled, or neither has the interface.

An end's interface is the one whose ifName (else ifDescr) is the inventory's interface name. Rates
are as seen from end ``a`` (``in_bps`` arriving at a); from end ``b``'s counters, swapped, when a
has none. :class:`LinkObservation` has the shape ``topology`` takes as a link state.

**Routing evidence** (:mod:`core.state.routing`; ignored while an end device does not answer, its
routing state being as old as its last answer). The inventory names no interface addresses, so an
adjacency is placed on a link by what the devices report, the first rule that applies:

1. its neighbour address is one the far end reports (ipAddrTable) — on the link's far interface
   or not;
2. the near end learnt it on an interface it reports (the subnet holding the neighbour's address,
   or a BGP session's local address) — the link's near interface or not;
3. OSPF: the neighbour's router id is the far device's inventory address (the lab's routers use
   their loopback, which is that address); it then counts for every link between the two.

A link whose two ends both report OSPF is ``down`` — reason ``OSPF adjacency not full`` — when
neither end has a full adjacency over it (none at all, or one stuck in init, 2-way, …): every
backbone link of this network is a routed /30 carrying OSPF. An end that does not report OSPF is
no evidence. BGP alike, for sessions placed by rules 1–2 or whose remote address is the far
device's own address (when the two share only that link): a link with such sessions, none of
them administratively stopped and none established, is ``down`` — ``BGP session not
established``. VRRP is a device fact (:meth:`core.state.routing.RoutingRepository.vrrp_roles`)
with no effect on links.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from core.errors import StoreError
from core.model import Status
from core.state.routing import (
    BgpPeerState,
    OspfNeighbourState,
    StoredRouting,
    read_routing,
)
from core.state.tables import DeviceRow, DeviceStateRow, InterfaceRow, LinkRow

LinkObservedStatus = Literal["up", "down", "unknown"]
_NOT_PASSING = frozenset({"down", "lowerLayerDown", "notPresent"})


@dataclass(frozen=True, slots=True)
class LinkObservation:
    """One inventory link as its two ends were last seen."""

    link_id: str
    status: LinkObservedStatus
    reason: str | None = None
    """Why it is down, for people: which device does not answer, which interface is down."""
    in_bps: float | None = None
    out_bps: float | None = None


@dataclass(frozen=True, slots=True)
class _Port:
    oper_status: str | None
    in_bps: float | None
    out_bps: float | None


def read_link_states(engine: Engine) -> dict[str, LinkObservation]:
    """Every inventory link's observed state, by link id."""
    try:
        with Session(engine) as session:
            links = list(session.scalars(select(LinkRow).order_by(LinkRow.id)))
            statuses = {
                device_id: status
                for device_id, status in session.execute(
                    select(DeviceStateRow.device_id, DeviceStateRow.status)
                )
            }
            ends = sorted({lk.a_device for lk in links} | {lk.b_device for lk in links})
            rows = session.execute(
                select(
                    InterfaceRow.device_id,
                    InterfaceRow.if_index,
                    InterfaceRow.name,
                    InterfaceRow.descr,
                    InterfaceRow.oper_status,
                    InterfaceRow.in_bps,
                    InterfaceRow.out_bps,
                ).where(InterfaceRow.device_id.in_(ends))
            ).all()
            addresses = {
                device_id: address
                for device_id, address in session.execute(
                    select(DeviceRow.id, DeviceRow.address).where(DeviceRow.id.in_(ends))
                )
            }
            routing = read_routing(session, ends)
    except SQLAlchemyError as exc:
        raise StoreError(f"state DB: cannot read link states: {exc}") from exc
    ports: dict[tuple[str, str], _Port] = {}
    names: dict[tuple[str, int], set[str]] = defaultdict(set)
    for row in rows:  # ifDescr first, so that an ifName of the same text wins
        if row.descr:
            ports[(row.device_id, row.descr)] = _Port(row.oper_status, row.in_bps, row.out_bps)
            names[(row.device_id, row.if_index)].add(row.descr)
    for row in rows:
        if row.name:
            ports[(row.device_id, row.name)] = _Port(row.oper_status, row.in_bps, row.out_bps)
            names[(row.device_id, row.if_index)].add(row.name)
    evidence = _RoutingEvidence(
        routing,
        names,
        addresses,
        Counter(frozenset((lk.a_device, lk.b_device)) for lk in links),
    )
    observed = {}
    for link in links:
        a = (statuses.get(link.a_device), ports.get((link.a_device, link.a_interface)))
        b = (statuses.get(link.b_device), ports.get((link.b_device, link.b_interface)))
        answering = Status.DOWN.value not in (a[0], b[0])
        verdict = evidence.of(link) if answering else _Verdict()
        observed[link.id] = _observe(link, a, b, verdict)
    return observed


def _observe(
    link: LinkRow,
    a: tuple[str | None, _Port | None],
    b: tuple[str | None, _Port | None],
    routing: _Verdict,
) -> LinkObservation:
    reasons = []
    for (status, port), device, interface in (
        (a, link.a_device, link.a_interface),
        (b, link.b_device, link.b_interface),
    ):
        if status == Status.DOWN.value:
            reasons.append(f"{device} does not answer")
        elif port is not None and port.oper_status in _NOT_PASSING:
            reasons.append(f"{interface} on {device} is {port.oper_status}")
    reasons += routing.down
    in_bps, out_bps = _rates(a[1], b[1])
    if reasons:
        return LinkObservation(link.id, "down", "; ".join(reasons), in_bps, out_bps)
    seen_up = routing.up or any(port is not None and port.oper_status == "up" for _, port in (a, b))
    return LinkObservation(link.id, "up" if seen_up else "unknown", None, in_bps, out_bps)


# --------------------------------------------------------------------------- routing evidence


@dataclass(frozen=True, slots=True)
class _Verdict:
    """What routing says of one link: reasons it is down, or that it carries an adjacency."""

    down: list[str] = field(default_factory=list)
    up: bool = False


@dataclass(frozen=True, slots=True)
class _End:
    device: str
    interface: str


class _RoutingEvidence:
    """The end devices' routing state, and the rules that place an adjacency on a link."""

    def __init__(
        self,
        routing: dict[str, StoredRouting],
        names: dict[tuple[str, int], set[str]],
        device_addresses: dict[str, str],
        links_between: Counter[frozenset[str]],
    ) -> None:
        self._routing = routing
        self._names = names
        self._device_addresses = device_addresses
        self._links_between = links_between
        self._address_ports = {
            device: {a.address: a.if_index for a in stored.report.addresses}
            for device, stored in routing.items()
        }

    def of(self, link: LinkRow) -> _Verdict:
        a, b = _End(link.a_device, link.a_interface), _End(link.b_device, link.b_interface)
        down: list[str] = []
        up = False
        for verdict in (self._ospf(a, b), self._bgp(a, b)):
            if verdict is True:
                up = True
            elif verdict is not None:
                down.append(verdict)
        return _Verdict(down, up)

    def _ospf(self, a: _End, b: _End) -> Literal[True] | str | None:
        """True: a full adjacency over the link; a reason: none; None: no evidence."""
        reports = [self._routing.get(a.device), self._routing.get(b.device)]
        if any(r is None or r.report.ospf is None for r in reports):
            return None
        seen: list[str] = []
        for near, far in ((a, b), (b, a)):
            for neighbour in self._routing[near.device].report.ospf or ():
                placed = self._by_interface(
                    neighbour.neighbour_address, neighbour.local_if_index, near, far
                )
                if placed is None:
                    placed = neighbour.router_id == self._device_addresses.get(far.device)
                if not placed:
                    continue
                if neighbour.state is OspfNeighbourState.FULL:
                    return True
                seen.append(f"{near.device} sees {neighbour.state.value}")
        return "OSPF adjacency not full" + (f" ({', '.join(seen)})" if seen else "")

    def _bgp(self, a: _End, b: _End) -> Literal[True] | str | None:
        """True: an established session over the link; a reason: sessions, none up; None."""
        seen: list[str] = []
        for near, far in ((a, b), (b, a)):
            stored = self._routing.get(near.device)
            for peer in (stored.report.bgp or ()) if stored is not None else ():
                if peer.admin_status == "stop":
                    continue  # shut down on purpose: says nothing of the link
                if peer.remote_address == self._device_addresses.get(far.device):
                    placed: bool | None = self._links_between[frozenset((a.device, b.device))] == 1
                else:
                    local = self._address_ports.get(near.device, {}).get(peer.local_address or "")
                    placed = self._by_interface(peer.remote_address, local, near, far)
                if not placed:
                    continue
                if peer.state is BgpPeerState.ESTABLISHED:
                    return True
                seen.append(f"{near.device} → {peer.remote_address}: {peer.state.value}")
        return f"BGP session not established ({', '.join(seen)})" if seen else None

    def _by_interface(
        self, neighbour_address: str, local_if_index: int | None, near: _End, far: _End
    ) -> bool | None:
        """Rules 1 and 2: on the link, off it, or None when the addresses do not tell."""
        far_port = self._address_ports.get(far.device, {}).get(neighbour_address)
        if far_port is not None and (far.device, far_port) in self._names:
            return far.interface in self._names[(far.device, far_port)]
        if local_if_index is not None and (near.device, local_if_index) in self._names:
            return near.interface in self._names[(near.device, local_if_index)]
        return None


def _rates(a: _Port | None, b: _Port | None) -> tuple[float | None, float | None]:
    if a is not None and (a.in_bps is not None or a.out_bps is not None):
        return a.in_bps, a.out_bps
    if b is not None and (b.in_bps is not None or b.out_bps is not None):
        return b.out_bps, b.in_bps
    return None, None
