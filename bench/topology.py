"""How long the topology analyses take on the lab's full province and on one ten times larger.

Run: ``.venv/bin/python bench/topology.py`` (10 to 30 s, mostly the larger network's impact of
every failure; ``--scale`` sets its factor). One run of each figure, on a shared machine: expect
them to move by tens of percent between runs.

How the figures are taken (one run each, wall time of the call, results built as the API gets
them — pydantic models with their explanations):

- **full**: the lab's full province (``lab.province.build_province(size="full")``, its
  inventory): 2 cores, 8 service hosts, 21 cities, 122 counties, 295 links, every link observed
  up.
- **10x**: the same province with every city and county cloned ten times (region codes, sites,
  devices and links renamed per copy; each county's backup link goes to the copy of its backup
  city), on the same two cores and hosts: 210 cities, 1,220 counties.
- **build**: :func:`topology.graph.build_topology` from the inventory and one link state per link.
- **paths**: :func:`topology.paths.site_paths` — primary and backup path of every city and
  county node (a Dijkstra from the core, then one bidirectional search or two per node).
- **single points of failure**: :func:`topology.redundancy.find_single_points_of_failure` given
  those paths (articulation points and bridges in one search, plus the shared-path findings).
- **impact of every link**: :class:`topology.impact.ImpactAnalyser` built and asked about every
  link, one failure at a time (one search per link). Target (issue 5): under 2 s on the full
  province. Also every device, for comparison.
- **failover** (every node's state, with one city uplink down) and **root cause** (one city
  router and its counties' backup city router unreachable) — what each poll cycle would add.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

# Run as a script, this file's folder comes first on sys.path, and this file's name would hide
# the product's `topology` package: take the folder off the path before anything imports it.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

import networkx as nx  # noqa: E402

from core.model import DeviceRole, Inventory, LinkEnd, RegionLevel  # noqa: E402
from lab.divisions import default_divisions_path, load_divisions  # noqa: E402
from lab.province import build_province  # noqa: E402
from topology.failover import assess_failover  # noqa: E402
from topology.graph import Topology, build_topology  # noqa: E402
from topology.impact import ImpactAnalyser  # noqa: E402
from topology.model import ElementRef, FailoverState, LinkState, LinkStatus  # noqa: E402
from topology.paths import site_paths  # noqa: E402
from topology.redundancy import find_single_points_of_failure  # noqa: E402
from topology.root_cause import find_root_causes  # noqa: E402

IMPACT_TARGET_S = 2.0
T = TypeVar("T")


def scaled(inventory: Inventory, copies: int) -> Inventory:
    """``inventory`` with every city and county (their sites, devices, links) ``copies`` times."""
    levels = {r.code: r.level for r in inventory.regions}
    central = {s.id for s in inventory.sites if levels[s.region] is RegionLevel.PROVINCE}
    shared = {d.id for d in inventory.devices if d.site in central}
    regions = [r for r in inventory.regions if r.level is RegionLevel.PROVINCE]
    sites = [s for s in inventory.sites if s.id in central]
    devices = [d for d in inventory.devices if d.id in shared]
    links = [lk for lk in inventory.links if {lk.a.device, lk.b.device} <= shared]
    for copy in range(copies):

        def code(original: str, copy: int = copy) -> str:
            return f"{10 + copy}{original[2:]}"  # 440103 → 100103, 110103, …: unique per copy

        def rename(original: str, copy: int = copy) -> str:
            return original if original in shared else f"{original}-x{copy}"

        for region in inventory.regions:
            if region.level is RegionLevel.CITY:
                regions.append(region.model_copy(update={"code": code(region.code)}))
            elif region.level is RegionLevel.COUNTY:
                parent = code(region.parent or "")
                regions.append(
                    region.model_copy(update={"code": code(region.code), "parent": parent})
                )
        sites += [
            site.model_copy(update={"id": rename(site.id), "region": code(site.region)})
            for site in inventory.sites
            if site.id not in central
        ]
        devices += [
            device.model_copy(update={"id": rename(device.id), "site": rename(device.site)})
            for device in inventory.devices
            if device.id not in shared
        ]
        links += [
            link.model_copy(
                update={
                    "id": rename(link.id),
                    "a": LinkEnd(device=rename(link.a.device), interface=link.a.interface),
                    "b": LinkEnd(device=rename(link.b.device), interface=link.b.interface),
                }
            )
            for link in inventory.links
            if not {link.a.device, link.b.device} <= shared
        ]
    return Inventory(
        regions=tuple(regions), sites=tuple(sites), devices=tuple(devices), links=tuple(links)
    )


def timed(run: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = run()
    return result, time.perf_counter() - started


REFERENCE_SAMPLE = 300
"""Links the networkx reference is timed on (it is slow): its per-link cost times the links."""


def naive_impact_of_each_link(topology: Topology, sample: int | None = None) -> float:
    """The reference: what a straightforward networkx implementation does per failure — copy the
    graph without the link, find what still reaches a core, and find the new single points of
    failure (articulation points and bridges) of what is left. Returns seconds for every link
    (extrapolated from ``sample`` links when given)."""
    graph: nx.Graph[str] = nx.Graph()
    graph.add_node("<root>")
    graph.add_edges_from(("<root>", core) for core in topology.core_ids)
    edges = [(u, v, key) for u, v, key in topology.graph.edges(keys=True)]
    chosen = edges if sample is None else edges[:: max(1, len(edges) // sample)]
    started = time.perf_counter()
    for u, v, key in chosen:
        remaining: nx.MultiGraph[str] = nx.MultiGraph(topology.graph)
        remaining.remove_edge(u, v, key)
        simple: nx.Graph[str] = nx.Graph(remaining)
        simple.add_edges_from(graph.edges)
        reachable = nx.node_connected_component(simple, "<root>")
        component = simple.subgraph(reachable)
        set(nx.articulation_points(component))
        set(nx.bridges(component))
    elapsed = time.perf_counter() - started
    return elapsed * len(edges) / len(chosen)


def measure(inventory: Inventory) -> dict[str, float]:
    states = [LinkState(lk.id, LinkStatus.UP) for lk in inventory.links]
    topology, build_s = timed(lambda: build_topology(inventory, states))
    paths, paths_s = timed(lambda: site_paths(topology))
    report, spof_s = timed(lambda: find_single_points_of_failure(topology, paths))
    links, links_s = timed(lambda: ImpactAnalyser(topology).impact_of_each_link())
    sample = None if len(inventory.links) <= REFERENCE_SAMPLE else REFERENCE_SAMPLE
    naive_s = naive_impact_of_each_link(topology, sample)
    analyser = ImpactAnalyser(topology)
    _, devices_s = timed(
        lambda: [analyser.impact_of(ElementRef.device(d)) for d in sorted(topology.devices)]
    )
    # A county, its city router and its backup city's router, from its named paths.
    county = next(p for p in paths if topology.devices[p.device_id].role is DeviceRole.ACCESS)
    assert county.primary is not None
    assert county.backup is not None
    city, backup_city = county.primary.device_ids[-2], county.backup.device_ids[-2]
    uplink = next(p for p in paths if p.device_id == city).primary
    assert uplink is not None
    uplink_down = [LinkState(uplink.link_ids[-1], LinkStatus.DOWN)]
    degraded = build_topology(inventory, [*states, *uplink_down])
    failover, failover_s = timed(lambda: assess_failover(degraded, paths))
    unreachable = {city, backup_city, county.device_id}
    causes, causes_s = timed(lambda: find_root_causes(topology, unreachable))
    assert len(links) == len(inventory.links)
    assert sum(f.state is FailoverState.ON_BACKUP for f in failover) > 1
    assert len(causes.causes) == 2, causes
    return {
        "devices": len(inventory.devices),
        "links": len(inventory.links),
        "nodes": len(paths),
        "findings": len(report.findings),
        "build": build_s,
        "paths": paths_s,
        "spof": spof_s,
        "impact_links": links_s,
        "naive_links": naive_s,
        "impact_devices": devices_s,
        "failover": failover_s,
        "root_cause": causes_s,
    }


ROWS = (
    ("build the graph, ms", "build"),
    ("paths of every city and county, ms", "paths"),
    ("single points of failure, ms", "spof"),
    ("impact of every single link failure, ms", "impact_links"),
    ("  reference: networkx, copy + components + cuts per link, ms", "naive_links"),
    ("impact of every single device failure, ms", "impact_devices"),
    ("failover state of every node, ms", "failover"),
    ("root cause (city + backup city down), ms", "root_cause"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, default=10, help="Copies of the cities and counties.")
    args = parser.parse_args()
    full = build_province(load_divisions(default_divisions_path()), size="full").to_inventory()
    big = scaled(full, args.scale)
    figures = measure(full), measure(big)
    x = f"{args.scale}x"
    for label, f in zip(("full", x), figures, strict=True):
        print(
            f"{label}: {f['devices']:,.0f} devices, {f['links']:,.0f} links, "
            f"{f['nodes']:,.0f} city and county nodes, {f['findings']:.0f} redundancy findings"
        )
    rows = []
    for title, key in ROWS:
        target, verdict = "-", ""
        if key == "impact_links":
            target = f"< {IMPACT_TARGET_S * 1000:,.0f} (full)"
            verdict = "PASS" if figures[0][key] < IMPACT_TARGET_S else "FAIL"
        rows.append((title, *(f"{f[key] * 1000:,.1f}" for f in figures), target, verdict))
    header = ("figure", "full", x, "target", "")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = [
            cell.rjust(w) if i else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())
    speedups = [f["naive_links"] / f["impact_links"] for f in figures]
    print(
        f"single-link impact vs the networkx reference: {speedups[0]:.1f}x faster (full), "
        f"{speedups[1]:.1f}x ({x}; the reference timed on {REFERENCE_SAMPLE} links, scaled)"
    )
    per_link = [f["impact_links"] / f["links"] * 1000 for f in figures]
    print(
        f"impact per link: {per_link[0]:.2f} ms (full), {per_link[1]:.2f} ms ({x}) — one search of "
        "the whole network per failure, so every link's impact grows with the square of the size"
    )


if __name__ == "__main__":
    main()
