"""Paths from the province core to every city and county node, with the primary and backup named.

Costs make the choice: a primary link costs 1, a backup link 1000, so a path takes a backup link
only where no all-primary path exists. A backup link costs 1 more per tier below the core (1001
between core and city, 1002 between city and county): when two ways round are otherwise even, a
county keeps its own primary link and the failover happens as high up as it can — what the
routers' metrics do in the province. The cores are one root (a virtual vertex joined to each at
cost 0): a path may start at any core, and two paths ending on different cores, or on the same
one, are equally independent — a core's own failure is the redundancy report's business.

- The **primary path** of a device is its cheapest path with every link up.
- Its **backup path** is the cheapest path that shares no link and no device with the primary one
  (besides the cores and the device itself); when there is none, the cheapest that shares no link;
  when there is none either, the cheapest that avoids the device's own primary link (the site
  leaves over another link, as its backup link is meant to). What such a path still shares with
  the primary one is reported in :class:`SitePaths` (``shared_device_ids``, ``shared_link_ids``):
  one failure there takes both. When every path uses the primary link, there is no backup path.
- The **current path** (:func:`current_paths`) is the cheapest path over usable links now.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from itertools import pairwise
from types import MappingProxyType
from typing import Any

import networkx as nx

from core.model import LinkRole, LinkTier
from topology.graph import Topology
from topology.model import NetworkPath, Result

PRIMARY_LINK_COST = 1
BACKUP_LINK_COST = 1000
_TIER_BELOW_CORE: Mapping[LinkTier, int] = MappingProxyType(
    {
        LinkTier.DC_INTERCONNECT: 0,
        LinkTier.PROVINCE_CITY: 1,
        LinkTier.SERVER_ACCESS: 1,
        LinkTier.CITY_COUNTY: 2,
    }
)
_ROOT = "\x00root"  # not a valid device id, so it cannot collide with one


class SitePaths(Result):
    """The named paths of one city or county node."""

    region: str
    site_id: str
    device_id: str
    primary: NetworkPath | None = None
    """``None``: the inventory gives the device no path to any core."""
    backup: NetworkPath | None = None
    """``None``: no path avoids the primary path's links."""
    shared_device_ids: tuple[str, ...] = ()
    """Devices (not cores) on both paths: one failure there takes both."""
    shared_link_ids: tuple[str, ...] = ()


def primary_paths(topology: Topology) -> dict[str, NetworkPath]:
    """The primary path of every device the inventory connects to a core (cores: just the core)."""
    return _tree(topology, _Rules(topology))


def current_paths(topology: Topology) -> dict[str, NetworkPath]:
    """The cheapest path of every device over usable links now; a device missing is isolated."""
    return _tree(topology, _Rules(topology, usable_only=True))


def site_paths(
    topology: Topology, primary: Mapping[str, NetworkPath] | None = None
) -> tuple[SitePaths, ...]:
    """The primary and backup path of every city and county node, by region then device id.

    ``primary``: :func:`primary_paths` of the same topology, when the caller already has them.
    """
    primary = primary_paths(topology) if primary is None else primary
    routing = _routing_graph(topology)
    cores = set(topology.core_ids)
    result = []
    for device_id in topology.tracked_device_ids:
        device = topology.devices[device_id]
        found = primary.get(device_id)
        backup = None
        if found is not None and found.link_ids:
            links = set(found.link_ids)
            transit = set(found.device_ids[:-1]) - cores
            backup = (
                _cheapest(routing, topology, device_id, links, transit)
                or _cheapest(routing, topology, device_id, links, ())
                or _cheapest(routing, topology, device_id, found.link_ids[-1:], ())
            )
        shared_devices: tuple[str, ...] = ()
        shared_links: tuple[str, ...] = ()
        if found is not None and backup is not None:
            shared_devices = tuple(
                d for d in found.device_ids[:-1] if d in backup.device_ids and d not in cores
            )
            shared_links = tuple(k for k in found.link_ids if k in backup.link_ids)
        result.append(
            SitePaths(
                region=topology.region_of(device_id),
                site_id=device.site,
                device_id=device_id,
                primary=found,
                backup=backup,
                shared_device_ids=shared_devices,
                shared_link_ids=shared_links,
            )
        )
    return tuple(result)


def _tree(topology: Topology, rules: _Rules) -> dict[str, NetworkPath]:
    routing = _routing_graph(topology)
    paths = nx.single_source_dijkstra_path(routing, _ROOT, weight=rules.weight)
    return {
        node: _network_path(routing, nodes, rules) for node, nodes in paths.items() if node != _ROOT
    }


def _routing_graph(topology: Topology) -> nx.Graph[str]:
    """Devices plus the root; each device pair's links listed cheapest first (ties by id)."""
    routing: nx.Graph[str] = nx.Graph()
    routing.add_nodes_from(sorted(topology.devices))
    for link_id in sorted(topology.links):
        a, b = topology.ends(link_id)
        if a == b:
            continue
        link = topology.links[link_id]
        cost = PRIMARY_LINK_COST
        if link.role is LinkRole.BACKUP:
            cost = BACKUP_LINK_COST + _TIER_BELOW_CORE.get(link.tier, 0)
        if routing.has_edge(a, b):
            routing[a][b]["links"] = sorted([*routing[a][b]["links"], (cost, link_id)])
        else:
            routing.add_edge(a, b, links=[(cost, link_id)])
    for core in topology.core_ids:
        routing.add_edge(_ROOT, core, core=core, links=[])
    return routing


@dataclass(frozen=True, slots=True)
class _Rules:
    """Which links a path may take; :meth:`weight` is the edge cost networkx asks for."""

    topology: Topology
    usable_only: bool = False
    excluded_links: Collection[str] = ()
    excluded_devices: Collection[str] = ()

    def best_link(self, u: str, v: str, data: dict[str, Any]) -> tuple[int, str] | None:
        """The cheapest allowed link between ``u`` and ``v`` (the root's edges: ``(0, "")``)."""
        if u in self.excluded_devices or v in self.excluded_devices:
            return None
        core = data.get("core")
        if core is not None:
            usable = not self.usable_only or self.topology.device_usable(core)
            return (0, "") if usable else None
        for cost, link_id in data["links"]:
            if link_id in self.excluded_links:
                continue
            if self.usable_only and not self.topology.link_usable(link_id):
                continue
            return cost, link_id
        return None

    def weight(self, u: str, v: str, data: dict[str, Any]) -> float | None:
        """networkx's convention: ``None`` hides the edge."""
        best = self.best_link(u, v, data)
        return None if best is None else float(best[0])


def _cheapest(
    routing: nx.Graph[str],
    topology: Topology,
    device_id: str,
    excluded_links: Collection[str],
    excluded_devices: Collection[str],
) -> NetworkPath | None:
    rules = _Rules(topology, excluded_links=excluded_links, excluded_devices=excluded_devices)
    try:
        _, nodes = nx.bidirectional_dijkstra(routing, _ROOT, device_id, weight=rules.weight)
    except nx.NetworkXNoPath:
        return None
    return _network_path(routing, nodes, rules)


def _network_path(routing: nx.Graph[str], nodes: list[str], rules: _Rules) -> NetworkPath:
    """The path through ``nodes`` (root first), with the link each hop takes under ``rules``."""
    devices = nodes[1:]
    links = []
    cost = 0
    for u, v in pairwise(devices):
        best = rules.best_link(u, v, routing[u][v])
        if best is None:  # pragma: no cover - Dijkstra only walks edges the rules allow
            raise AssertionError(f"no allowed link between {u} and {v}")
        cost += best[0]
        links.append(best[1])
    return NetworkPath(device_ids=tuple(devices), link_ids=tuple(links), cost=cost)
