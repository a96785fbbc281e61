"""The network as a graph: a region's devices and links, named paths, single points of failure,
the failover board, what one failure costs, root causes of what is down, LLDP against intent.

Everything is read from the server's topology monitor, which follows the state DB every few
seconds (``as_of`` says when). Scopes bound every answer: lists hold what concerns the regions the
caller may read; a region or an element outside them answers 404, as one that does not exist.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import Access, Permission, ServicesDep, require
from api.errors import InvalidParameter, ServiceUnavailable, error_responses
from api.topology_services import TopologyService
from core.errors import NotFound
from topology.impact import ImpactReport
from topology.model import ElementRef
from topology.paths import SitePaths
from topology.redundancy import RedundancyFinding
from topology.root_cause import RootCause
from topology.views import DiscoveryView, FailoverBoard, RegionTopology

router = APIRouter(prefix="/topology", tags=["topology"])

NO_TOPOLOGY = (
    "this server does not follow the topology (it is built by `ssnoc serve`): "
    "no failover, paths or impact here"
)

ReadInventory = Annotated[Access, require(Permission.READ_INVENTORY)]
RegionCodePath = Annotated[
    str, Path(pattern=r"^\d{6}$", description="GB/T 2260 division code", examples=["440100"])
]
RegionQuery = Annotated[
    str | None,
    Query(
        pattern=r"^\d{6}$",
        description="Region code: it and every region below it (default: all the caller sees)",
        examples=["440100"],
    ),
]
ElementId = Annotated[str | None, Query(min_length=1, max_length=96)]


def topology_of(services: ServicesDep) -> TopologyService:
    if services.topology is None:
        raise ServiceUnavailable("topology_unavailable", NO_TOPOLOGY)
    return services.topology


def _visible_region(access: Access, region: str | None) -> str | None:
    """``region`` once the caller may see it (404 otherwise, as for a region that is not)."""
    if region is not None and not access.sees(region):
        raise NotFound(f"no region {region}")
    return region


@router.get(
    "/regions/{code}",
    summary="A region's devices and links, with where it hangs from outside",
    response_model=RegionTopology,
    responses=error_responses(401, 403, 404, 422, 503),
)
def region_topology(
    code: RegionCodePath, access: ReadInventory, services: ServicesDep
) -> RegionTopology:
    """Nodes: the devices in the region and below it, then the far ends of their links (the
    cores, a backup city), each with its status and failover state. Links: every link with an end
    among the region's devices. Children: the regions directly below, each with the worst
    failover state of its nodes."""
    topology = topology_of(services)
    _visible_region(access, code)
    return topology.region_topology(code)


@router.get(
    "/paths",
    summary="Primary and backup paths of the city and county nodes",
    response_model=list[SitePaths],
    responses=error_responses(401, 403, 404, 422, 503),
)
def paths(
    access: ReadInventory, services: ServicesDep, region: RegionQuery = None
) -> list[SitePaths]:
    """By region, then device id. ``shared_*`` name what both paths pass through."""
    topology = topology_of(services)
    return list(topology.paths(_visible_region(access, region), visible=access.sees))


@router.get(
    "/spof",
    summary="Single points of failure, each explained",
    response_model=list[RedundancyFinding],
    responses=error_responses(401, 403, 404, 422, 503),
)
def single_points_of_failure(
    access: ReadInventory, services: ServicesDep, region: RegionQuery = None
) -> list[RedundancyFinding]:
    """Of the network as built: those where the element is, or whose failure puts the region at
    risk. Cut-offs first, the largest first."""
    topology = topology_of(services)
    return list(topology.spof(_visible_region(access, region), visible=access.sees))


@router.get(
    "/failover",
    summary="The failover board: nodes on backup or isolated, worst first",
    response_model=FailoverBoard,
    responses=error_responses(401, 403, 404, 422, 503),
)
def failover(
    access: ReadInventory,
    services: ServicesDep,
    region: RegionQuery = None,
    include_all: Annotated[
        bool, Query(alias="all", description="Also the nodes on their primary path (last)")
    ] = False,
) -> FailoverBoard:
    """Isolated nodes first, then those on backup, each by when it left its primary path, the
    oldest first. ``counts`` counts every node of the board's regions."""
    topology = topology_of(services)
    within = _visible_region(access, region)
    return topology.failover_board(within, include_all, visible=access.sees)


@router.get(
    "/impact",
    summary="What one device or link failing costs (or costs now, when it is down)",
    response_model=ImpactReport,
    responses=error_responses(401, 403, 404, 422, 503),
)
def impact(
    access: ReadInventory,
    services: ServicesDep,
    device: Annotated[ElementId, Query(description="A device id", examples=["gz-core1"])] = None,
    link: Annotated[ElementId, Query(description="A link id", examples=["dc1-gz"])] = None,
) -> ImpactReport:
    """Exactly one of ``device`` and ``link``. For an element that works, a what-if; for one
    that is down, its cost now."""
    topology = topology_of(services)
    if (device is None) == (link is None):
        raise InvalidParameter("device", "give exactly one of 'device' and 'link'")
    element = ElementRef.device(device) if device is not None else ElementRef.link(link or "")
    report = topology.impact(element)
    if not access.sees(report.region):
        raise NotFound(f"no {element}")
    return report


@router.get(
    "/root-causes",
    summary="What is down now, grouped by root cause",
    response_model=list[RootCause],
    responses=error_responses(401, 403, 503),
)
def root_causes(access: ReadInventory, services: ServicesDep) -> list[RootCause]:
    """Topmost first: each cause with the devices unreachable only because of it and the links
    down with it. Only causes in the regions the caller sees."""
    topology = topology_of(services)
    return list(topology.root_causes(visible=access.sees))


@router.get(
    "/discovery",
    summary="Inventory links against what LLDP neighbours report",
    response_model=DiscoveryView,
    responses=error_responses(401, 403, 404, 422, 503),
)
def discovery(
    access: ReadInventory, services: ServicesDep, region: RegionQuery = None
) -> DiscoveryView:
    """Findings: links seen but not intended, intended but not seen (only when both ends' LLDP
    was collected), and links on other ports than intended; ``matched``: links LLDP confirms."""
    topology = topology_of(services)
    return topology.discovery(_visible_region(access, region), visible=access.sees)
