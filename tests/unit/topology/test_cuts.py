"""The one-search reachability analysis agrees with removing each element and looking again."""

from __future__ import annotations

import random

import networkx as nx
import pytest

from core.model import DeviceRole, LinkRole, Region, RegionLevel
from tests.unit.topology.networks import make_inventory
from topology.cuts import ElementGraph
from topology.graph import Topology, build_topology
from topology.model import ElementRef

PROVINCE = (Region(code="440000", name="广东省", level=RegionLevel.PROVINCE),)


def random_topology(seed: int) -> Topology:
    rng = random.Random(seed)
    size = rng.randint(3, 14)
    cores = rng.randint(1, 2)
    devices = {
        f"d{i:02d}": (DeviceRole.CORE if i < cores else DeviceRole.ACCESS, "s", "440000", ())
        for i in range(size)
    }
    names = sorted(devices)
    links = {}
    for n in range(rng.randint(size - 2, size * 2)):
        a, b = rng.sample(names, 2)
        links[f"l{n:02d}"] = (a, b, LinkRole.PRIMARY)  # repeats make parallel links
    return build_topology(make_inventory(devices, links, PROVINCE))


def brute_force_reached(topology: Topology, failed: set[ElementRef]) -> set[str]:
    graph: nx.MultiGraph[str] = nx.MultiGraph()
    alive = [d for d in topology.devices if ElementRef.device(d) not in failed]
    graph.add_nodes_from(alive)
    for link_id in topology.links:
        a, b = topology.ends(link_id)
        if ElementRef.link(link_id) not in failed and a in graph and b in graph:
            graph.add_edge(a, b, key=link_id)
    reached: set[str] = set()
    for core in topology.core_ids:
        if core in graph:
            reached |= nx.node_connected_component(graph, core)
    return reached


@pytest.mark.parametrize("seed", range(60))
def test_reached_and_exposed_match_brute_force(seed: int) -> None:
    topology = random_topology(seed)
    rng = random.Random(seed)
    elements = [ElementRef.device(d) for d in topology.devices]
    elements += [ElementRef.link(k) for k in topology.links]
    failed = set(rng.sample(elements, rng.randint(0, 2)))
    graph = ElementGraph(topology)
    search = graph.search(graph.failures(failed))
    reached = brute_force_reached(topology, failed)
    assert {d for d in topology.devices if search.reached[graph.device_index[d]]} == reached
    exposed = set()
    for device_id in reached:
        mine = ElementRef.device(device_id)
        for element in elements:
            if element == mine or element in failed:
                continue
            if device_id not in brute_force_reached(topology, failed | {element}):
                exposed.add(device_id)
                break
    assert {d for d in reached if search.exposed[graph.device_index[d]]} == exposed


@pytest.mark.parametrize("seed", range(30))
def test_what_each_cut_separates_matches_brute_force(seed: int) -> None:
    topology = random_topology(seed)
    graph = ElementGraph(topology)
    search = graph.search(graph.failures(), separations=True)
    everything = brute_force_reached(topology, set())
    found = {
        cut: {graph.device_ids[v] for v in cut_off} for cut, cut_off in search.separated.items()
    }
    expected = {}
    for element in [ElementRef.device(d) for d in topology.devices] + [
        ElementRef.link(k) for k in topology.links
    ]:
        lost = everything - brute_force_reached(topology, {element}) - {element.id}
        if lost:
            expected[element] = lost
    assert {k: v for k, v in found.items() if v} == expected
