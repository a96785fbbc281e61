"""What people look at: one region's part of the graph, the failover board, LLDP findings.

View models over one observation (a :class:`~topology.graph.Topology` and the failover state of
its nodes), built by pure functions; :class:`topology.monitor.TopologyMonitor` serves them. Every
list can be narrowed to the regions at or below one region (``within``, from
:class:`RegionIndex`) and to those a reader may see (``visible``: a region code, or ``None`` for
something province-wide, → whether it may be shown), so the API's scope rules need no second
pass over the results.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from pydantic import Field

from core.errors import NotFound
from core.model import DeviceRole, Inventory, LinkRole, LinkTier, Region, RegionLevel, Status
from topology.discovery import DiscoveryReport, IntendedNotSeen, PortMismatch, SeenNotIntended
from topology.failover import SiteFailover
from topology.graph import Topology
from topology.model import ElementRef, FailoverState, LinkStatus, Result

RegionFilter = Callable[[str | None], bool]
"""Whether a region (``None``: something province-wide) may be shown to the reader."""

FAILOVER_SEVERITY: Mapping[FailoverState, int] = MappingProxyType(
    {FailoverState.ON_PRIMARY: 0, FailoverState.ON_BACKUP: 1, FailoverState.ISOLATED: 2}
)
"""Worse states weigh more: a region shows the worst state of the nodes in it."""


class RegionRef(Result):
    code: str
    name: str
    level: RegionLevel


class TopologyNode(Result):
    """A device of the region's view, with its observed status and failover state."""

    device_id: str
    name: str
    role: DeviceRole
    region: str
    region_name: str
    site_id: str
    status: Status
    failover: FailoverState | None = Field(description="None for cores and service hosts")
    vrrp: str | None = Field(
        default=None,
        description="VRRP role where it runs virtual routers: master, backup, initialize, mixed",
    )


class TopologyLink(Result):
    id: str
    a_device: str
    a_interface: str
    b_device: str
    b_interface: str
    tier: LinkTier
    role: LinkRole
    status: LinkStatus
    utilisation_percent: float | None = Field(description="Higher of in and out over capacity")


class ChildRegion(Result):
    """A region directly below the viewed one, summed up over everything in and below it."""

    code: str
    name: str
    level: RegionLevel
    failover: FailoverState | None = Field(description="The worst state of its nodes, if any")
    devices: int = Field(description="Devices in it and below it")


class RegionTopology(Result):
    """One region's devices and links, with where they hang from outside it."""

    region: RegionRef
    as_of: datetime
    nodes: tuple[TopologyNode, ...] = Field(
        description="Devices in the region and below it, then the far ends of their links"
    )
    links: tuple[TopologyLink, ...] = Field(description="Links with an end among its devices")
    children: tuple[ChildRegion, ...] = ()


class FailoverCounts(Result):
    on_primary: int = 0
    on_backup: int = 0
    isolated: int = 0


class FailoverEntry(SiteFailover):
    """A node's failover state, with the names people read."""

    region_name: str
    device_name: str


class FailoverBoard(Result):
    """Which city and county nodes run on backup or are cut off, worst first."""

    as_of: datetime
    counts: FailoverCounts = Field(description="Every node in the board's regions, by state")
    sites: tuple[FailoverEntry, ...] = Field(
        description="Isolated first, then on backup, each by when it left its primary path"
    )


class DiscoveryFindingKind(StrEnum):
    SEEN_NOT_INTENDED = "seen_not_intended"
    INTENDED_NOT_SEEN = "intended_not_seen"
    PORT_MISMATCH = "port_mismatch"


class DiscoveryFinding(Result):
    """One difference between the inventory's links and what LLDP reports."""

    kind: DiscoveryFindingKind
    region: str | None = Field(description="Where it is: a link's lower end, else the reporter")
    device_ids: tuple[str, ...] = Field(description="Inventory devices it concerns")
    link_id: str | None = None
    explanation: str
    detail: SeenNotIntended | IntendedNotSeen | PortMismatch


class DiscoveryView(Result):
    as_of: datetime
    findings: tuple[DiscoveryFinding, ...] = ()
    matched: int = Field(description="Inventory links LLDP confirms")


class RegionIndex:
    """The inventory's region tree: which regions lie at or below which."""

    def __init__(self, inventory: Inventory) -> None:
        self.regions: Mapping[str, Region] = inventory.region_by_code()
        children: dict[str, list[Region]] = defaultdict(list)
        for region in sorted(inventory.regions, key=lambda r: r.code):
            if region.parent is not None:
                children[region.parent].append(region)
        self._children = {code: tuple(kids) for code, kids in children.items()}
        self._under: dict[str, frozenset[str]] = {}

    def get(self, code: str) -> Region:
        try:
            return self.regions[code]
        except KeyError:
            raise NotFound(f"no region {code}") from None

    def children(self, code: str) -> tuple[Region, ...]:
        return self._children.get(self.get(code).code, ())

    def under(self, code: str) -> frozenset[str]:
        """``code`` and every region below it; :class:`NotFound` for a region not known."""
        found = self._under.get(code)
        if found is None:
            codes = {self.get(code).code}
            stack = [code]
            while stack:
                for child in self._children.get(stack.pop(), ()):
                    codes.add(child.code)
                    stack.append(child.code)
            found = self._under[code] = frozenset(codes)
        return found

    def within(self, code: str | None) -> frozenset[str] | None:
        """:meth:`under` ``code``; ``None`` (no narrowing) when ``code`` is ``None``."""
        return None if code is None else self.under(code)


def keep(
    codes: Iterable[str | None], within: Collection[str] | None, visible: RegionFilter | None
) -> bool:
    """Whether something concerning ``codes`` is shown: one of them lies ``within`` and one of
    them is ``visible``."""
    codes = tuple(codes)
    if within is not None and not any(c in within for c in codes if c is not None):
        return False
    return visible is None or any(visible(c) for c in codes)


def worst(states: Iterable[FailoverState]) -> FailoverState | None:
    return max(states, key=FAILOVER_SEVERITY.__getitem__, default=None)


# --------------------------------------------------------------------------- region view


def region_topology(
    topology: Topology,
    failover: Mapping[str, FailoverState],
    index: RegionIndex,
    code: str,
    as_of: datetime,
    vrrp_roles: Mapping[str, str] | None = None,
) -> RegionTopology:
    """The view of region ``code``: its devices and their links (see :class:`RegionTopology`)."""
    region = index.get(code)
    under = index.under(code)

    def by_region(device_id: str) -> tuple[str, str]:
        return topology.region_of(device_id), device_id

    inside = sorted((d for d in topology.devices if topology.region_of(d) in under), key=by_region)
    members = set(inside)
    link_ids = sorted({k for d in inside for k in topology.links_of(d)})
    far = sorted({e for k in link_ids for e in topology.ends(k)} - members, key=by_region)
    return RegionTopology(
        region=RegionRef(code=region.code, name=region.name, level=region.level),
        as_of=as_of,
        nodes=tuple(
            _node(topology, index, failover, d, (vrrp_roles or {}).get(d)) for d in (*inside, *far)
        ),
        links=tuple(_link(topology, k) for k in link_ids),
        children=tuple(_child(topology, index, failover, child) for child in index.children(code)),
    )


def _node(
    topology: Topology,
    index: RegionIndex,
    failover: Mapping[str, FailoverState],
    device_id: str,
    vrrp: str | None = None,
) -> TopologyNode:
    device = topology.devices[device_id]
    region = topology.region_of(device_id)
    known = index.regions.get(region)
    return TopologyNode(
        device_id=device_id,
        name=device.name,
        role=device.role,
        region=region,
        region_name=known.name if known else region,
        site_id=device.site,
        status=topology.device_status(device_id),
        failover=failover.get(device_id),
        vrrp=vrrp,
    )


def _link(topology: Topology, link_id: str) -> TopologyLink:
    link = topology.links[link_id]
    edge = topology.graph.edges[link.a.device, link.b.device, link_id]
    return TopologyLink(
        id=link_id,
        a_device=link.a.device,
        a_interface=link.a.interface,
        b_device=link.b.device,
        b_interface=link.b.interface,
        tier=link.tier,
        role=link.role,
        status=topology.link_status(link_id),
        utilisation_percent=edge["utilisation_percent"],
    )


def _child(
    topology: Topology,
    index: RegionIndex,
    failover: Mapping[str, FailoverState],
    region: Region,
) -> ChildRegion:
    under = index.under(region.code)
    devices = [d for d in topology.devices if topology.region_of(d) in under]
    return ChildRegion(
        code=region.code,
        name=region.name,
        level=region.level,
        failover=worst(failover[d] for d in devices if d in failover),
        devices=len(devices),
    )


# --------------------------------------------------------------------------- failover board


def failover_board(
    topology: Topology,
    sites: Iterable[SiteFailover],
    as_of: datetime,
    *,
    within: Collection[str] | None = None,
    visible: RegionFilter | None = None,
    include_all: bool = False,
) -> FailoverBoard:
    """The nodes of ``sites`` in the board's regions, counted by state; listed: those on backup
    or isolated (with ``include_all``, those on primary too, last)."""
    shown = [s for s in sites if keep((s.region,), within, visible)]
    counts = FailoverCounts(
        **{state.value: sum(1 for s in shown if s.state is state) for state in FailoverState}
    )
    listed = [s for s in shown if include_all or s.state is not FailoverState.ON_PRIMARY]
    listed.sort(key=_worst_first)
    regions = topology.regions
    return FailoverBoard(
        as_of=as_of,
        counts=counts,
        sites=tuple(
            FailoverEntry(
                **dict(site),
                region_name=regions[site.region].name if site.region in regions else site.region,
                device_name=topology.devices[site.device_id].name,
            )
            for site in listed
        ),
    )


def _worst_first(site: SiteFailover) -> tuple[int, bool, datetime | str, str, str]:
    left = site.left_primary_at
    return (
        -FAILOVER_SEVERITY[site.state],
        left is None,
        left if left is not None else "",
        site.region,
        site.device_id,
    )


# --------------------------------------------------------------------------- discovery


def discovery_view(
    topology: Topology,
    report: DiscoveryReport,
    as_of: datetime,
    *,
    within: Collection[str] | None = None,
    visible: RegionFilter | None = None,
) -> DiscoveryView:
    """``report``'s findings and matched links concerning the regions shown."""
    findings = [
        *(_unintended(topology, f) for f in report.seen_not_intended),
        *(_not_seen(topology, f) for f in report.intended_not_seen),
        *(_mismatch(topology, f) for f in report.port_mismatch),
    ]
    matched = [m for m in report.matched if _link_kept(topology, m.link_id, within, visible)]
    return DiscoveryView(
        as_of=as_of,
        findings=tuple(
            f
            for f in findings
            if keep((topology.region_of(d) for d in f.device_ids), within, visible)
        ),
        matched=len(matched),
    )


def _link_kept(
    topology: Topology,
    link_id: str,
    within: Collection[str] | None,
    visible: RegionFilter | None,
) -> bool:
    if link_id not in topology.links:
        return False
    return keep((topology.region_of(d) for d in topology.ends(link_id)), within, visible)


def _unintended(topology: Topology, finding: SeenNotIntended) -> DiscoveryFinding:
    devices = [finding.device_id]
    if finding.remote_device_id is not None:
        devices.append(finding.remote_device_id)
    known = tuple(d for d in dict.fromkeys(devices) if d in topology.devices)
    return DiscoveryFinding(
        kind=DiscoveryFindingKind.SEEN_NOT_INTENDED,
        region=topology.region_of(finding.device_id) if finding.device_id in known else None,
        device_ids=known,
        explanation=finding.explanation,
        detail=finding,
    )


def _linked(
    topology: Topology,
    kind: DiscoveryFindingKind,
    finding: IntendedNotSeen | PortMismatch,
) -> DiscoveryFinding:
    return DiscoveryFinding(
        kind=kind,
        region=topology.element_region(ElementRef.link(finding.link_id)),
        device_ids=tuple(dict.fromkeys((finding.a_device, finding.b_device))),
        link_id=finding.link_id,
        explanation=finding.explanation,
        detail=finding,
    )


def _not_seen(topology: Topology, finding: IntendedNotSeen) -> DiscoveryFinding:
    return _linked(topology, DiscoveryFindingKind.INTENDED_NOT_SEEN, finding)


def _mismatch(topology: Topology, finding: PortMismatch) -> DiscoveryFinding:
    return _linked(topology, DiscoveryFindingKind.PORT_MISMATCH, finding)
