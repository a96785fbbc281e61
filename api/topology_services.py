"""What the topology routes serve from (:class:`topology.monitor.TopologyMonitor` is one).

Every method is blocking (it may read the state DB): routes call them from a worker thread.
``visible`` narrows lists to the regions the caller may see (a region code, or ``None`` for
something province-wide → whether it may be shown); ``region`` to the regions at or below one.
An unknown region or element raises :class:`~core.errors.NotFound`.
"""

from __future__ import annotations

from typing import Protocol

from topology.impact import ImpactReport
from topology.model import ElementRef
from topology.paths import SitePaths
from topology.redundancy import RedundancyFinding
from topology.root_cause import RootCause
from topology.views import DiscoveryView, FailoverBoard, RegionFilter, RegionTopology


class TopologyService(Protocol):
    def region_topology(self, code: str) -> RegionTopology: ...

    def paths(
        self, region: str | None = None, *, visible: RegionFilter | None = None
    ) -> tuple[SitePaths, ...]: ...

    def spof(
        self, region: str | None = None, *, visible: RegionFilter | None = None
    ) -> tuple[RedundancyFinding, ...]: ...

    def failover_board(
        self,
        region: str | None = None,
        include_all: bool = False,
        *,
        visible: RegionFilter | None = None,
    ) -> FailoverBoard: ...

    def impact(self, element: ElementRef) -> ImpactReport: ...

    def root_causes(self, *, visible: RegionFilter | None = None) -> tuple[RootCause, ...]: ...

    def discovery(
        self, region: str | None = None, *, visible: RegionFilter | None = None
    ) -> DiscoveryView: ...
