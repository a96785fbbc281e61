"""What one failure does: who loses connectivity, and who is left hanging on a single path.

The same question serves an element that has failed ("what did this cost us?") and a what-if
("what would this cost us?"): the network *without* the failure is compared with the network
*with* it, every other element as it is now. Without means: as now, but with this element working
(for an element that is down now); with means: as now, plus this element failed.

- **cut off**: devices reachable from a core without the failure and not with it; regions left
  with no reachable device at all (the failed device counts as unreachable), with their card
  terminals; service hosts among the devices; business services left with no reachable host.
- **loses redundancy**: devices still reachable, but through one path only where they had two
  (some single device or link now separates them from every core); their regions and terminals.

Each answer is one search of :mod:`topology.cuts` (well under a millisecond on the province);
:class:`ImpactAnalyser` keeps the current network's search, so asking for every link costs one
search per link.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from pydantic import Field

from core.model import DeviceRole
from topology.cuts import ElementGraph, Reachability
from topology.graph import Topology
from topology.model import ElementKind, ElementRef, Result
from topology.wording import agree, capital, count, names


class ImpactScope(Result):
    """One side of an impact: the devices, regions, hosts and terminals concerned."""

    device_ids: tuple[str, ...] = ()
    region_codes: tuple[str, ...] = ()
    service_host_ids: tuple[str, ...] = ()
    terminals: int = 0
    """Card terminals of the county regions in ``region_codes``."""
    terminals_by_county: dict[str, int] = Field(default_factory=dict)


class ImpactReport(Result):
    element: ElementRef
    region: str | None = Field(description="Where the element is (a link: its lower end)")
    failed_now: bool = Field(description="The element is down now (else: a what-if)")
    cut_off: ImpactScope = Field(description="Reachable without the failure, not with it")
    loses_redundancy: ImpactScope = Field(description="Still reachable, but over one path only")
    services_unavailable: tuple[str, ...] = Field(description="Business services left no host")
    services_degraded: tuple[str, ...] = Field(description="Still served, by fewer hosts")
    explanation: str


class ImpactAnalyser:
    """Answers impact questions about one topology, keeping what every answer shares."""

    def __init__(
        self, topology: Topology, terminals_per_county: Mapping[str, int] | None = None
    ) -> None:
        """``terminals_per_county``: card terminals by county region code (missing: none)."""
        self._topology = topology
        self._terminals = dict(terminals_per_county or {})
        self._graph = ElementGraph(topology)
        self._failed = self._graph.failures(topology.failed_elements())
        self._now = self._graph.search(self._failed)
        by_region: dict[str, list[int]] = defaultdict(list)
        hosts: dict[str, list[int]] = defaultdict(list)
        for index, device_id in enumerate(self._graph.device_ids):
            by_region[topology.region_of(device_id)].append(index)
            for service in topology.devices[device_id].services:
                hosts[service].append(index)
        self._by_region = {code: tuple(v) for code, v in sorted(by_region.items())}
        self._hosts = {service: tuple(v) for service, v in sorted(hosts.items())}
        self._ones = int.from_bytes(b"\x01" * (self._graph.root + 1), "big")

    def impact_of(self, element: ElementRef) -> ImpactReport:
        """The impact of ``element`` failing (or of its failure, when it is down now)."""
        self._topology.check(element)
        failed_now = self._graph.is_failed(self._failed, element)
        changed = self._failed.copy()
        self._graph.mark(changed, element, not failed_now)
        if failed_now:
            before, after = self._graph.search(changed), self._now
        else:
            before, after = self._now, self._graph.search(changed)
        return self._report(element, failed_now, before, after)

    def impact_of_each_link(self) -> tuple[ImpactReport, ...]:
        """The impact of every link of the inventory, one at a time, by link id."""
        return tuple(self.impact_of(ElementRef.link(k)) for k in sorted(self._topology.links))

    def _report(
        self, element: ElementRef, failed_now: bool, before: Reachability, after: Reachability
    ) -> ImpactReport:
        own = (
            self._graph.device_index.get(element.id) if element.kind is ElementKind.DEVICE else None
        )
        # Per-device flags are 0/1 bytes: as integers, one & per question answers every device
        # at once, and bytes.find walks only the (few) devices that changed.
        was, was_exposed = self._bits(before.reached), self._bits(before.exposed)
        now, now_exposed = self._bits(after.reached), self._bits(after.exposed)
        lost = [i for i in self._positions(was & ~now & self._ones) if i != own]
        exposed = self._positions(now & now_exposed & was & ~was_exposed & self._ones)

        def reached_after(i: int) -> bool:
            return i != own and bool(after.reached[i])

        touched = {self._topology.region_of(self._graph.device_ids[i]) for i in lost}
        if own is not None:
            touched.add(self._topology.region_of(element.id))
        cut_regions = sorted(
            code
            for code in touched
            if any(before.reached[i] for i in self._by_region[code])
            and not any(map(reached_after, self._by_region[code]))
        )
        exposed_regions = sorted(
            {self._topology.region_of(self._graph.device_ids[i]) for i in exposed}
            - set(cut_regions)
        )
        unavailable, degraded = [], []
        for service, members in self._hosts.items():
            had = sum(1 for i in members if before.reached[i])
            has = sum(1 for i in members if reached_after(i))
            if had and not has:
                unavailable.append(service)
            elif has < had:
                degraded.append(service)
        report = ImpactReport(
            element=element,
            region=self._topology.element_region(element),
            failed_now=failed_now,
            cut_off=self._scope(lost, cut_regions),
            loses_redundancy=self._scope(exposed, exposed_regions),
            services_unavailable=tuple(unavailable),
            services_degraded=tuple(degraded),
            explanation="",
        )
        return report.model_copy(update={"explanation": self._explain(report)})

    def _bits(self, flags: bytearray) -> int:
        return int.from_bytes(flags, "big")

    def _positions(self, bits: int) -> list[int]:
        """Indices of the 1 bytes of ``bits`` (as made by :meth:`_bits`), in order."""
        data = bits.to_bytes(self._graph.root + 1, "big")
        found = []
        position = data.find(1)
        while position >= 0:
            found.append(position)
            position = data.find(1, position + 1)
        return found

    def _scope(self, vertices: list[int], regions: list[str]) -> ImpactScope:
        devices = [self._graph.device_ids[i] for i in vertices]
        terminals = {code: self._terminals[code] for code in regions if self._terminals.get(code)}
        return ImpactScope(
            device_ids=tuple(devices),
            region_codes=tuple(regions),
            service_host_ids=tuple(d for d in devices if _is_host(self._topology, d)),
            terminals=sum(terminals.values()),
            terminals_by_county=terminals,
        )

    def _explain(self, report: ImpactReport) -> str:
        what = self._topology.describe(report.element)
        head = f"{capital(what)} is down now" if report.failed_now else f"If {what} fails"
        cut, risky = report.cut_off, report.loses_redundancy
        if cut.device_ids or cut.region_codes:
            lost = len(cut.device_ids)
            parts = []
            if lost:
                parts.append(
                    f"{count(lost, 'device')} {agree(lost, 'loses', 'lose')} connectivity "
                    f"({names(cut.device_ids)})"
                )
            if cut.region_codes:
                regions = [self._topology.region_name(c) for c in cut.region_codes]
                parts.append(f"{names(regions)} {agree(len(regions), 'is', 'are')} cut off")
            if cut.terminals:
                it = agree(len(cut.region_codes), "it", "them")
                parts.append(f"{count(cut.terminals, 'card terminal')} with {it}")
            text = ", ".join(parts)
        else:
            text = "nothing loses connectivity"
        if report.services_unavailable:
            text += f"; business services unavailable: {names(report.services_unavailable)}"
        if report.services_degraded:
            text += f"; business services losing hosts: {names(report.services_degraded)}"
        if risky.device_ids:
            exposed = len(risky.device_ids)
            text += (
                f"; {count(exposed, 'device')} in {count(len(risky.region_codes), 'region')} "
                f"{agree(exposed, 'loses', 'lose')} redundancy, left on one path "
                f"({names(risky.device_ids)})"
            )
        else:
            text += "; nothing loses redundancy"
        return f"{head}: {text}."


def impact_of(
    topology: Topology,
    element: ElementRef,
    terminals_per_county: Mapping[str, int] | None = None,
) -> ImpactReport:
    """The impact of one element's failure (see :class:`ImpactAnalyser` for many questions)."""
    return ImpactAnalyser(topology, terminals_per_county).impact_of(element)


def _is_host(topology: Topology, device_id: str) -> bool:
    device = topology.devices[device_id]
    return device.role is DeviceRole.SERVER or bool(device.services)
