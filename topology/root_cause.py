"""Root causes for alerting: which failed elements explain the rest, so each cause alerts once.

Given the devices that do not answer (and the links seen down), :func:`find_root_causes` splits
them into causes — the topmost failed elements — each with the devices unreachable only because
of it and the failed links it explains. The rules, in order:

1. **A failed link touching an unreachable device is that device's symptom** (its far end loses
   carrier when the device dies): it joins the device's group, never a group of its own. A failed
   link whose two ends both answer is a cause by itself.
2. **An unreachable device is a consequence** when both hold: (a) it would be unreachable even if
   it worked — every path from a core to it crosses another unreachable device or a failed link
   (its own links included: a link seen down is evidence); and (b) its primary path (see
   :mod:`topology.paths`) is broken *upstream* of it, at another unreachable device or at a failed
   link not touching it. Otherwise it is a cause: it answers to nothing around it that failed.
3. **A consequence belongs to the first failure on its primary path**, walking from the core:
   that device's group (or, if that device is itself a consequence, its cause's group), or that
   link (a failed link with both ends answering).

So a city router that dies while its counties still answer over their backup links is one cause
with no consequences; when the counties' backup paths are down too (the backup city's router, or
the backup links themselves), the counties are consequences of the city router — the failure on
their primary path — and the alert names the rest in its explanation. A county that cannot be
reached while its city router answers is a cause of its own (its links down with it: the device
or its links failed; the network cannot tell which).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping

from topology.cuts import ElementGraph
from topology.graph import Topology
from topology.model import ElementKind, ElementRef, NetworkPath, Result
from topology.paths import primary_paths
from topology.wording import agree, capital, count, names

_UNCONNECTED = float("inf")


class RootCause(Result):
    """One topmost failed element and everything that failed only because of it."""

    element: ElementRef
    region: str | None
    consequence_device_ids: tuple[str, ...] = ()
    """Unreachable only because of this cause, nearest the core first."""
    symptom_link_ids: tuple[str, ...] = ()
    """Failed links this cause explains."""
    explanation: str


class RootCauseReport(Result):
    causes: tuple[RootCause, ...] = ()
    """Topmost first (nearest the core), then by id."""

    def cause_of(self, device_id: str) -> RootCause | None:
        """The cause whose group holds ``device_id`` (as cause or consequence)."""
        for cause in self.causes:
            mine = cause.element.kind is ElementKind.DEVICE and cause.element.id == device_id
            if mine or device_id in cause.consequence_device_ids:
                return cause
        return None


def find_root_causes(
    topology: Topology,
    unreachable_device_ids: Iterable[str],
    failed_link_ids: Iterable[str] = (),
    primary: Mapping[str, NetworkPath] | None = None,
) -> RootCauseReport:
    """Group the unreachable devices and failed links by root cause (rules in the module doc).

    Only the structure of ``topology`` is used, not its observed state. Ids the inventory does
    not know are causes of their own, so nothing given is lost. ``primary``: exactly
    :func:`primary_paths` of the same topology, when the caller already has it (the grouping
    relies on its paths forming one tree from the core).
    """
    return _Grouping(topology, primary).group(set(unreachable_device_ids), set(failed_link_ids))


class _Grouping:
    def __init__(self, topology: Topology, primary: Mapping[str, NetworkPath] | None) -> None:
        self.topology = topology
        self.primary = primary_paths(topology) if primary is None else primary
        self._elements: ElementGraph | None = None

    def depth(self, device_id: str) -> float:
        path = self.primary.get(device_id)
        return _UNCONNECTED if path is None else path.cost + len(path.device_ids) / 1e6

    def group(self, unreachable: set[str], failed: set[str]) -> RootCauseReport:
        topology = self.topology
        strangers = [ElementRef.device(d) for d in sorted(unreachable - set(topology.devices))]
        strangers += [ElementRef.link(k) for k in sorted(failed - set(topology.links))]
        down = unreachable & set(topology.devices)
        cut = failed & set(topology.links)
        answering = self._answering(down, cut)
        cause_of: dict[str, ElementRef] = {}  # unreachable device → its group's cause
        members: dict[ElementRef, list[str]] = {}
        for device_id in sorted(down, key=lambda d: (self.depth(d), d)):
            upstream = self._upstream_failure(device_id, down, cut)
            if upstream is not None and not self._reachable_if_working(device_id, answering, cut):
                cause = upstream
                if upstream.kind is ElementKind.DEVICE:
                    cause = cause_of[upstream.id]  # nearer the core: grouped already
                cause_of[device_id] = cause
                members.setdefault(cause, []).append(device_id)
            else:
                cause = ElementRef.device(device_id)
                cause_of[device_id] = cause
                members.setdefault(cause, [])
        symptoms: dict[ElementRef, list[str]] = {}
        for link_id in sorted(cut):
            ends = [e for e in topology.ends(link_id) if e in down]
            if ends:
                cause = cause_of[min(ends, key=lambda d: (self.depth(d), d))]
            else:
                cause = ElementRef.link(link_id)
                members.setdefault(cause, [])
                continue
            symptoms.setdefault(cause, []).append(link_id)
        causes = [
            self._cause(cause, tuple(devices), tuple(symptoms.get(cause, ())))
            for cause, devices in members.items()
        ]
        causes.sort(key=lambda c: (self._element_depth(c.element), c.element.kind, c.element.id))
        causes += [_stranger(element) for element in strangers]
        return RootCauseReport(causes=tuple(causes))

    def _answering(self, down: set[str], cut: set[str]) -> set[str]:
        """Devices a working core reaches avoiding every unreachable device and failed link."""
        topology = self.topology
        seen = {c for c in topology.core_ids if c not in down}
        queue = deque(seen)
        while queue:
            device_id = queue.popleft()
            for link_id in topology.links_of(device_id):
                if link_id in cut:
                    continue
                for other in topology.ends(link_id):
                    if other not in seen and other not in down:
                        seen.add(other)
                        queue.append(other)
        return seen

    def _reachable_if_working(self, device_id: str, answering: set[str], cut: set[str]) -> bool:
        if device_id in self.topology.core_ids:
            return True
        return any(
            other in answering
            for link_id in self.topology.links_of(device_id)
            if link_id not in cut
            for other in self.topology.ends(link_id)
        )

    def _upstream_failure(self, device_id: str, down: set[str], cut: set[str]) -> ElementRef | None:
        """The first failure on the device's primary path, walking from the core, that is not the
        device itself or one of its own links."""
        path = self.primary.get(device_id)
        if path is None:
            return None
        for position, hop in enumerate(path.device_ids[:-1]):
            if hop in down:
                return ElementRef.device(hop)
            link_id = path.link_ids[position]
            far = path.device_ids[position + 1]
            if link_id in cut and far != device_id and far not in down:
                return ElementRef.link(link_id)
        return None

    def _element_depth(self, element: ElementRef) -> float:
        if element.kind is ElementKind.DEVICE:
            return self.depth(element.id)
        return min(self.depth(d) for d in self.topology.ends(element.id))

    def _cause(
        self,
        cause: ElementRef,
        consequences: tuple[str, ...],
        symptoms: tuple[str, ...],
    ) -> RootCause:
        topology = self.topology
        what = capital(topology.describe(cause))
        if cause.kind is ElementKind.LINK:
            text = f"{what} is down while both its ends answer"
        elif cause.id not in self.primary:
            text = f"{what} is unreachable: the inventory gives it no path to the province core"
        else:
            text = f"{what} is unreachable"
        if symptoms:
            text += f"; links down with it: {names(symptoms)}"
        if consequences:
            text += (
                f"; {count(len(consequences), 'device')} unreachable because of it: "
                f"{names(consequences)}"
            )
            rerouted = self._with_another_path(cause, consequences)
            if rerouted:
                text += (
                    f" ({names(rerouted)} {agree(len(rerouted), 'has', 'have')} another path, "
                    "down as well)"
                )
        else:
            text += "; nothing else is unreachable because of it"
        return RootCause(
            element=cause,
            region=topology.element_region(cause),
            consequence_device_ids=consequences,
            symptom_link_ids=symptoms,
            explanation=text + ".",
        )

    def _with_another_path(self, cause: ElementRef, consequences: tuple[str, ...]) -> list[str]:
        """Consequences the cause alone would not have cut off: a second failure took the rest."""
        if self._elements is None:
            self._elements = ElementGraph(self.topology)
        elements = self._elements
        alone = elements.search(elements.failures([cause]))
        return [d for d in consequences if alone.reached[elements.device_index[d]]]


def _stranger(element: ElementRef) -> RootCause:
    return RootCause(
        element=element,
        region=None,
        explanation=f"{capital(str(element))} is not in the topology; reported as it came.",
    )
