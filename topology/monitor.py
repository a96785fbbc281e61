"""The topology as it is now: read from the state DB every few seconds, failover tracked, queried.

:class:`TopologyMonitor` turns what the collectors stored (link states from the interfaces of both
ends, device statuses) into a :class:`~topology.graph.Topology` on every :meth:`~TopologyMonitor.
refresh`, feeds it to a :class:`~topology.failover.FailoverTracker` (which publishes
``LinkFailedOver``, ``SiteIsolated`` and ``SiteRestored`` on the bus), groups what is down by
root cause, and keeps the result as one immutable :class:`TopologySnapshot`. Readers (the API,
the CLI) only ever see a whole snapshot, never one half built.

What depends on the inventory alone — the named paths of every node, the primary-path tree and
the single points of failure of the network as built — is computed once per inventory. A refresh
costs a few milliseconds for the province (two short queries, one graph, one failover pass).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from sqlalchemy import Engine

from core.clock import Clock
from core.events import EventBus
from core.model import Inventory, Status
from core.state.link_states import read_link_states
from core.state.neighbours import NeighbourRepository
from core.state.repository import StateRepository
from core.state.routing import RoutingRepository
from topology.discovery import match_links
from topology.failover import FailoverTracker, SiteFailover
from topology.graph import Topology, build_topology
from topology.impact import ImpactAnalyser, ImpactReport
from topology.model import ElementRef, NetworkPath
from topology.paths import SitePaths, primary_paths, site_paths
from topology.redundancy import RedundancyFinding, RedundancyReport, find_single_points_of_failure
from topology.root_cause import RootCause, RootCauseReport, find_root_causes
from topology.views import (
    DiscoveryView,
    FailoverBoard,
    RegionFilter,
    RegionIndex,
    RegionTopology,
    discovery_view,
    failover_board,
    keep,
    region_topology,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InventoryFacts:
    """What follows from the inventory alone: computed once per inventory, shared by snapshots."""

    inventory: Inventory
    paths: tuple[SitePaths, ...]
    """Primary and backup path of every city and county node."""
    primary: Mapping[str, NetworkPath]
    """The primary-path tree (root causes walk it)."""
    redundancy: RedundancyReport
    """Single points of failure of the network as built."""
    regions: RegionIndex

    @classmethod
    def of(cls, topology: Topology) -> InventoryFacts:
        primary = primary_paths(topology)
        paths = site_paths(topology, primary)
        return cls(
            inventory=topology.inventory,
            paths=paths,
            primary=primary,
            redundancy=find_single_points_of_failure(topology, paths),
            regions=RegionIndex(topology.inventory),
        )


@dataclass(frozen=True)
class TopologySnapshot:
    """One observation of the network and everything derived from it. Never changed once made."""

    as_of: datetime
    topology: Topology
    failover: tuple[SiteFailover, ...]
    """Every city and county node's state, with since when (by region, then device id)."""
    root_causes: RootCauseReport
    """The devices unreachable and the links down at ``as_of``, grouped by cause."""
    facts: InventoryFacts
    terminals_per_county: Mapping[str, int] = field(default_factory=dict)
    vrrp_roles: Mapping[str, str] = field(default_factory=dict)
    """Device id → its VRRP role (master, backup, initialize, mixed) where it runs VRRP."""

    @property
    def redundancy(self) -> RedundancyReport:
        return self.facts.redundancy

    @property
    def paths(self) -> tuple[SitePaths, ...]:
        return self.facts.paths

    @cached_property
    def impact(self) -> ImpactAnalyser:
        """Built on first use: most snapshots are never asked an impact question."""
        return ImpactAnalyser(self.topology, self.terminals_per_county)

    @cached_property
    def failover_states(self) -> dict[str, SiteFailover]:
        return {site.device_id: site for site in self.failover}


class TopologyMonitor:
    """Follows the network's topology from the state DB and answers questions about it.

    Thread-safe: :meth:`refresh` runs in a worker thread (one at a time), readers take the latest
    snapshot. ``max_age_s``: when set, a reader finding the latest snapshot older than this
    refreshes first — for a process that does not run :meth:`run` (a command, an in-process
    console).
    """

    def __init__(
        self,
        inventory: Inventory,
        engine: Engine,
        state: StateRepository,
        clock: Clock,
        bus: EventBus | None = None,
        *,
        terminals_per_county: Mapping[str, int] | None = None,
        max_age_s: float | None = None,
    ) -> None:
        self._inventory = inventory
        self._engine = engine
        self._state = state
        self._clock = clock
        self._neighbours = NeighbourRepository(engine)
        self._routing = RoutingRepository(engine)
        self._tracker = FailoverTracker(clock, bus)
        self._terminals = dict(terminals_per_county or {})
        self._max_age_s = max_age_s
        self._facts: InventoryFacts | None = None
        self._snapshot: TopologySnapshot | None = None
        self._lock = threading.Lock()

    @property
    def inventory(self) -> Inventory:
        return self._inventory

    # ------------------------------------------------------------------ observing

    def refresh(self) -> TopologySnapshot:
        """Read the state DB, observe failover (events go out on the bus) and keep a new snapshot.

        Blocking (SQL): call it from a worker thread in async code. A store failure raises
        :class:`~core.errors.StoreError` and keeps the previous snapshot."""
        with self._lock:
            links = read_link_states(self._engine)
            statuses = {d.id: d.status for d in self._state.devices()}
            topology = build_topology(self._inventory, links.values(), statuses)
            facts = self._facts_for(topology)
            as_of = self._clock.now()
            self._tracker.observe(topology)
            unreachable = [
                d for d in topology.devices if statuses.get(d) is Status.DOWN
            ]  # the state DB may know devices this inventory does not: they are not its concern
            failed = [
                k for k, seen in links.items() if seen.status == "down" and k in topology.links
            ]
            snapshot = TopologySnapshot(
                as_of=as_of,
                topology=topology,
                failover=self._tracker.status(),
                root_causes=find_root_causes(topology, unreachable, failed, facts.primary),
                facts=facts,
                terminals_per_county=self._terminals,
                vrrp_roles={d: str(role) for d, role in self._routing.vrrp_roles().items()},
            )
            self._snapshot = snapshot
            return snapshot

    def _facts_for(self, topology: Topology) -> InventoryFacts:
        facts = self._facts
        if facts is None or facts.inventory is not topology.inventory:
            facts = self._facts = InventoryFacts.of(topology)
        return facts

    def snapshot(self) -> TopologySnapshot:
        """The latest snapshot (refreshed first when there is none yet, or it is too old)."""
        latest = self._snapshot
        if latest is None:
            return self.refresh()
        if self._max_age_s is not None:
            age_s = (self._clock.now() - latest.as_of).total_seconds()
            if age_s > self._max_age_s:
                return self.refresh()
        return latest

    async def run(self, stop: asyncio.Event, interval_s: float) -> None:
        """Refresh every ``interval_s`` until ``stop`` is set. A refresh that fails is logged and
        tried again at the next turn: the loop itself never ends on an error."""
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.refresh)
            except Exception:  # a task boundary: the next turn may well succeed
                log.exception("topology refresh failed; next attempt in %g s", interval_s)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval_s)

    # ------------------------------------------------------------------ questions

    def region_topology(self, code: str) -> RegionTopology:
        """Region ``code``'s devices and links (:class:`~core.errors.NotFound`: no such region)."""
        now = self.snapshot()
        states = {d: s.state for d, s in now.failover_states.items()}
        return region_topology(
            now.topology, states, now.facts.regions, code, now.as_of, now.vrrp_roles
        )

    def paths(
        self, region: str | None = None, *, visible: RegionFilter | None = None
    ) -> tuple[SitePaths, ...]:
        """Named paths of the city and county nodes at or below ``region`` (None: all)."""
        now = self.snapshot()
        within = now.facts.regions.within(region)
        return tuple(p for p in now.paths if keep((p.region,), within, visible))

    def spof(
        self, region: str | None = None, *, visible: RegionFilter | None = None
    ) -> tuple[RedundancyFinding, ...]:
        """Single points of failure concerning ``region``: where the element is, or what it
        puts at risk."""
        now = self.snapshot()
        within = now.facts.regions.within(region)
        return tuple(
            f
            for f in now.redundancy.findings
            if keep((f.region, *f.affected_region_codes), within, visible)
        )

    def failover_board(
        self,
        region: str | None = None,
        include_all: bool = False,
        *,
        visible: RegionFilter | None = None,
    ) -> FailoverBoard:
        """Nodes on backup or isolated (``include_all``: every node), worst first."""
        now = self.snapshot()
        return failover_board(
            now.topology,
            now.failover,
            now.as_of,
            within=now.facts.regions.within(region),
            visible=visible,
            include_all=include_all,
        )

    def impact(self, element: ElementRef) -> ImpactReport:
        """What ``element`` failing costs (or costs now, when it is down); NotFound: unknown."""
        return self.snapshot().impact.impact_of(element)

    def root_causes(self, *, visible: RegionFilter | None = None) -> tuple[RootCause, ...]:
        """Causes of what is down now, topmost first."""
        causes = self.snapshot().root_causes.causes
        return tuple(c for c in causes if visible is None or visible(c.region))

    def discovery(
        self, region: str | None = None, *, visible: RegionFilter | None = None
    ) -> DiscoveryView:
        """Inventory links against the LLDP neighbours stored (read now: they change slowly, and
        are asked for seldom). A device counts as collected when it reported any neighbour."""
        now = self.snapshot()
        within = now.facts.regions.within(region)
        report = match_links(self._inventory, self._neighbours.neighbours())
        return discovery_view(now.topology, report, now.as_of, within=within, visible=visible)
