"""Reachability and single points of failure, devices and links alike, in one depth-first search.

Devices are vertices, links are edges (parallel links stay apart: each has its own id), and one
extra vertex — the root — joins every core by an edge that never fails. Tarjan's low-link search
from the root, in O(devices + links), then answers for every element at once:

- a device is *reached* when the search gets to it without crossing a failed device or link;
- a reached device is *exposed* when some other single device or link separates it from the
  root — it hangs on one path somewhere. For a tree edge ``p → c`` with ``low(c) >= disc(p)``
  (``p`` not the root), ``p`` separates ``c``'s whole subtree; a bridge ``p – c``
  (``low(c) > disc(p)``) separates the same subtree, so it needs no marking of its own. A subtree
  is a contiguous range of the search's preorder: every range is marked at once with a
  difference array.

One search costs about half a millisecond on the province (153 devices, 295 links), so the impact of
every single failure is one search per failure rather than a path computation per device.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from topology.graph import Topology
from topology.model import ElementKind, ElementRef


@dataclass(frozen=True, slots=True)
class Failures:
    """Which devices and links to treat as failed, by index (see :class:`ElementGraph`)."""

    devices: bytearray
    links: bytearray

    def copy(self) -> Failures:
        return Failures(bytearray(self.devices), bytearray(self.links))


@dataclass(frozen=True, slots=True)
class Reachability:
    """One search's answer, by device index (the root's index included: always reached)."""

    reached: bytearray
    exposed: bytearray
    """Reached, but some other single device or link separates it from every core."""
    separated: dict[ElementRef, list[int]]
    """Device or link → the devices its failure cuts off (only when asked for)."""


class ElementGraph:
    """A topology's devices and links as indices and adjacency lists, for fast searches."""

    def __init__(self, topology: Topology) -> None:
        self.device_ids: tuple[str, ...] = tuple(sorted(topology.devices))
        # A link from a device to itself joins nothing: it can never cut anything off.
        self.link_ids: tuple[str, ...] = tuple(
            sorted(k for k in topology.links if len(set(topology.ends(k))) == 2)
        )
        self.device_index = {d: i for i, d in enumerate(self.device_ids)}
        self.link_index = {k: i for i, k in enumerate(self.link_ids)}
        self.root = len(self.device_ids)
        adjacency: list[list[tuple[int, int]]] = [[] for _ in range(self.root + 1)]
        for index, link_id in enumerate(self.link_ids):
            a, b = (self.device_index[d] for d in topology.ends(link_id))
            adjacency[a].append((b, index))
            adjacency[b].append((a, index))
        # The root's edges get indices past the links': never failed, never reported.
        for n, core in enumerate(topology.core_ids):
            vertex, edge = self.device_index[core], len(self.link_ids) + n
            adjacency[self.root].append((vertex, edge))
            adjacency[vertex].append((self.root, edge))
        self._adjacency = adjacency
        self._edges = len(self.link_ids) + len(topology.core_ids)

    @property
    def device_count(self) -> int:
        return len(self.device_ids)

    def failures(self, elements: Iterable[ElementRef] = ()) -> Failures:
        """``elements`` as failed (links from a device to itself are ignored)."""
        failed = Failures(bytearray(self.root + 1), bytearray(self._edges))
        for element in elements:
            self.mark(failed, element, True)
        return failed

    def mark(self, failures: Failures, element: ElementRef, failed: bool) -> None:
        if element.kind is ElementKind.DEVICE:
            failures.devices[self.device_index[element.id]] = failed
        elif element.id in self.link_index:
            failures.links[self.link_index[element.id]] = failed

    def is_failed(self, failures: Failures, element: ElementRef) -> bool:
        if element.kind is ElementKind.DEVICE:
            return bool(failures.devices[self.device_index[element.id]])
        index = self.link_index.get(element.id)
        return index is not None and bool(failures.links[index])

    def search(self, failures: Failures, *, separations: bool = False) -> Reachability:
        """Which devices the root reaches without the failed elements, and which are exposed;
        with ``separations``, also what each single device or link would cut off."""
        return _search(self, self._adjacency, failures, separations)


def _search(
    graph: ElementGraph,
    adjacency: list[list[tuple[int, int]]],
    failures: Failures,
    separations: bool,
) -> Reachability:
    root = graph.root
    failed_devices, failed_links = failures.devices, failures.links
    size = root + 1
    disc = [-1] * size
    low = [0] * size
    order = [root]
    disc[root] = 0
    counter = 1
    marks = [0] * (size + 1)
    device_cuts: dict[int, list[tuple[int, int]]] = {}
    link_cuts: dict[int, list[tuple[int, int]]] = {}
    links = len(graph.link_ids)
    # Iterative (a long chain of sites must not hit Python's recursion limit); each frame keeps
    # its own neighbour iterator, so a vertex resumes where it left off after a child returns.
    stack = [(root, -1, iter(adjacency[root]))]
    while stack:
        v, parent_edge, neighbours = stack[-1]
        for w, edge in neighbours:
            if edge == parent_edge or failed_links[edge] or failed_devices[w]:
                continue
            seen = disc[w]
            if seen < 0:
                disc[w] = low[w] = counter
                counter += 1
                order.append(w)
                stack.append((w, edge, iter(adjacency[w])))
                break
            if seen < low[v]:  # noqa: PLR1730 - the hot loop: a comparison costs less than min()
                low[v] = seen
        else:
            stack.pop()
            if not stack:
                break
            p = stack[-1][0]
            below = low[v]
            low[p] = min(low[p], below)
            if p != root and below >= disc[p]:
                # p (and, if below > disc[p], the link p–v) separates v's subtree: preorder
                # positions disc[v] .. counter - 1.
                marks[disc[v]] += 1
                marks[counter] -= 1
                if separations:
                    device_cuts.setdefault(p, []).append((disc[v], counter))
                    if below > disc[p] and parent_edge < links:
                        link_cuts.setdefault(parent_edge, []).append((disc[v], counter))
    reached = bytearray(size)
    exposed = bytearray(size)
    running = 0
    for position, vertex in enumerate(order):
        reached[vertex] = 1
        running += marks[position]
        if running > 0:
            exposed[vertex] = 1
    separated: dict[ElementRef, list[int]] = {}
    for cuts, ids, kind in (
        (device_cuts, graph.device_ids, ElementKind.DEVICE),
        (link_cuts, graph.link_ids, ElementKind.LINK),
    ):
        for cut, ranges in cuts.items():
            cut_off = [order[i] for start, end in ranges for i in range(start, end)]
            separated[ElementRef(kind=kind, id=ids[cut])] = cut_off
    return Reachability(reached, exposed, separated)
