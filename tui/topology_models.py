"""The console's copies of what the API answers under ``/topology``: a region's nodes and links,
the failover board, what-if impacts, single points of failure, root causes, paths.

The console reads the API's JSON, not the topology package (as every other screen does): these
mirror the contract's shapes. Like :mod:`tui.api_models` they ignore fields they do not know, so
a newer server does not break an older console; a field they need and do not get is an error.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from core.model import DeviceRole, LinkRole, Status
from core.security.scope import scope_covers


class _Answer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class FailoverState(StrEnum):
    """How a city or county node reaches the province core right now."""

    ON_PRIMARY = "on_primary"
    ON_BACKUP = "on_backup"
    """Reaches the core, but not over its primary path."""
    ISOLATED = "isolated"
    """No working path to any core."""

    @property
    def words(self) -> str:
        """``on backup``: as people say it."""
        return self.value.replace("_", " ")


FAILOVER_ORDER = (FailoverState.ISOLATED, FailoverState.ON_BACKUP, FailoverState.ON_PRIMARY)
"""Worst first."""


class LinkStatus(StrEnum):
    UP = "up"
    DOWN = "down"
    UNKNOWN = "unknown"
    """Never observed."""


class RegionRef(_Answer):
    code: str
    name: str
    level: str


class TopologyNode(_Answer):
    """A device of the region (or one its links reach from outside, such as a core)."""

    device_id: str
    name: str = ""
    role: DeviceRole
    region: str
    region_name: str = ""
    site_id: str = ""
    status: Status = Status.UNKNOWN
    failover: FailoverState | None = None
    """``None`` for cores and service hosts (only city and county nodes fail over)."""
    vrrp: str | None = None
    """Its VRRP role (master, backup, …) where it runs virtual routers: the data-centre cores."""


class TopologyLink(_Answer):
    id: str
    a_device: str
    a_interface: str = ""
    b_device: str
    b_interface: str = ""
    tier: str = ""
    role: LinkRole = LinkRole.PRIMARY
    status: LinkStatus = LinkStatus.UNKNOWN
    utilisation_percent: float | None = None

    def far_end(self, device_id: str) -> str:
        """The device at the other end from ``device_id``."""
        return self.b_device if self.a_device == device_id else self.a_device

    def touches(self, device_id: str) -> bool:
        return device_id in (self.a_device, self.b_device)


class ChildRegion(_Answer):
    code: str
    name: str
    level: str = ""
    failover: FailoverState | None = None
    """The worst state of the nodes in it (``None``: it has none that fail over)."""
    devices: int = 0


class RegionTopology(_Answer):
    """``GET /topology/regions/{code}``: a region's devices and links, and its child regions.

    ``nodes`` holds the devices in the region and below it, and those its links reach from
    outside (the cores, a neighbouring city's node); ``links`` every link with an end among the
    region's devices."""

    region: RegionRef
    as_of: datetime
    nodes: list[TopologyNode] = Field(default_factory=list)
    links: list[TopologyLink] = Field(default_factory=list)
    children: list[ChildRegion] = Field(default_factory=list)

    def node(self, device_id: str) -> TopologyNode | None:
        return next((n for n in self.nodes if n.device_id == device_id), None)

    def nodes_in(self, code: str, exactly: bool = True) -> list[TopologyNode]:
        """Devices of region ``code`` (``exactly=False``: and of every region below it)."""
        return [
            n
            for n in self.nodes
            if n.region == code or (not exactly and scope_covers(code, n.region))
        ]

    def links_of(self, device_id: str) -> list[TopologyLink]:
        return [link for link in self.links if link.touches(device_id)]

    def region_names(self) -> dict[str, str]:
        """Every region this answer names, code → name (for reading impacts)."""
        names = {n.region: n.region_name for n in self.nodes if n.region_name}
        names.update({c.code: c.name for c in self.children})
        names[self.region.code] = self.region.name
        return names


class NetworkPath(_Answer):
    """A path from a province core (first device) to a device (last)."""

    device_ids: tuple[str, ...] = ()
    link_ids: tuple[str, ...] = ()
    cost: int = 0


class SitePaths(_Answer):
    """``GET /topology/paths``: the primary and backup path of one city or county node."""

    region: str
    site_id: str
    device_id: str
    primary: NetworkPath | None = None
    backup: NetworkPath | None = None
    shared_device_ids: tuple[str, ...] = ()
    shared_link_ids: tuple[str, ...] = ()


class SiteFailover(_Answer):
    """How one city or county node reaches the province core, with names for people."""

    region: str
    region_name: str = ""
    site_id: str = ""
    device_id: str
    device_name: str = ""
    state: FailoverState
    primary_link_ids: tuple[str, ...] = ()
    failed_link_ids: tuple[str, ...] = ()
    """Unusable links of its primary and backup paths."""
    current_path: NetworkPath | None = None
    since: datetime | None = None
    """When it entered ``state``."""
    left_primary_at: datetime | None = None
    """On backup or isolated: when it left its primary path."""
    explanation: str = ""


class FailoverCounts(_Answer):
    on_primary: int = 0
    on_backup: int = 0
    isolated: int = 0


class FailoverBoard(_Answer):
    """``GET /topology/failover``: the counts over every site seen, and the sites asked for
    (without ``all``: those on backup or isolated, worst first)."""

    as_of: datetime
    counts: FailoverCounts = Field(default_factory=FailoverCounts)
    sites: list[SiteFailover] = Field(default_factory=list)


class ElementRef(_Answer):
    """A device or a link, by id."""

    kind: str
    """``device`` or ``link``."""
    id: str

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"


class ImpactScope(_Answer):
    """One side of an impact: the devices, regions, hosts and terminals concerned."""

    device_ids: tuple[str, ...] = ()
    region_codes: tuple[str, ...] = ()
    service_host_ids: tuple[str, ...] = ()
    terminals: int = 0
    terminals_by_county: dict[str, int] = Field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.device_ids or self.region_codes or self.terminals)


class ImpactReport(_Answer):
    """``GET /topology/impact``: what the element's failure costs (``failed_now``: it is down,
    and this is what it costs now; else a what-if)."""

    element: ElementRef
    region: str | None = None
    failed_now: bool = False
    cut_off: ImpactScope = Field(default_factory=ImpactScope)
    """Reachable without the failure, not with it."""
    loses_redundancy: ImpactScope = Field(default_factory=ImpactScope)
    """Still reachable, but over one path only."""
    services_unavailable: tuple[str, ...] = ()
    services_degraded: tuple[str, ...] = ()
    explanation: str = ""


class RedundancyFinding(_Answer):
    """``GET /topology/spof``: one single point of failure and what it puts at risk."""

    kind: str
    """``articulation_point``, ``bridge``, ``shared_path``, ``no_backup_path``, ``unconnected``."""
    element: ElementRef
    region: str | None = None
    affected_device_ids: tuple[str, ...] = ()
    affected_region_codes: tuple[str, ...] = ()
    explanation: str = ""


class RootCause(_Answer):
    """``GET /topology/root-causes``: one topmost failed element and what failed only because
    of it."""

    element: ElementRef
    region: str | None = None
    consequence_device_ids: tuple[str, ...] = ()
    symptom_link_ids: tuple[str, ...] = ()
    explanation: str = ""


class DiscoveryFindings(_Answer):
    """``GET /topology/discovery``: LLDP seen against intended (findings kept as the server
    words them: their kinds differ in shape)."""

    as_of: datetime
    findings: list[dict[str, Any]] = Field(default_factory=list)
    matched: int = 0
