"""Single points of failure: what one failure would cut off, and sites whose two paths meet.

Four kinds of finding, each with a sentence for people:

- ``articulation_point``: a device whose failure cuts other devices off from every core;
- ``bridge``: a link whose failure does (a site hanging on one link, a host on one uplink);
- ``shared_path``: a city or county node whose primary and backup paths pass through the same
  device or link (see :mod:`topology.paths`), so one failure there takes both;
- ``no_backup_path``: a city or county node every path of which uses its primary link;
- ``unconnected``: a device the inventory joins to no core at all.

Cut-offs are computed against the root made of all cores (see :mod:`topology.cuts`): an
articulation point or bridge here is one that separates something from *every* core.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from enum import StrEnum

from pydantic import Field

from topology.cuts import ElementGraph
from topology.graph import ROLE_WORDS, Topology
from topology.model import ElementKind, ElementRef, Result
from topology.paths import SitePaths, site_paths
from topology.wording import agree, capital, count, names


class FindingKind(StrEnum):
    ARTICULATION_POINT = "articulation_point"
    BRIDGE = "bridge"
    SHARED_PATH = "shared_path"
    NO_BACKUP_PATH = "no_backup_path"
    UNCONNECTED = "unconnected"


_KIND_ORDER = tuple(FindingKind)


class RedundancyFinding(Result):
    """One single point of failure, and what it puts at risk."""

    kind: FindingKind
    element: ElementRef = Field(description="The device or link that is the single point")
    region: str | None = Field(description="Region of the element (of a link: its lower end)")
    affected_device_ids: tuple[str, ...] = Field(description="What its failure cuts off")
    affected_region_codes: tuple[str, ...]
    explanation: str


class RedundancyReport(Result):
    findings: tuple[RedundancyFinding, ...] = ()

    def by_region(self) -> dict[str, tuple[RedundancyFinding, ...]]:
        """Findings listed under every region they concern: the element's and the affected."""
        grouped: dict[str, list[RedundancyFinding]] = defaultdict(list)
        for finding in self.findings:
            codes = {*finding.affected_region_codes, *([finding.region] if finding.region else [])}
            for code in codes:
                grouped[code].append(finding)
        return {code: tuple(grouped[code]) for code in sorted(grouped)}


def find_single_points_of_failure(
    topology: Topology, paths: Sequence[SitePaths] | None = None, *, current: bool = False
) -> RedundancyReport:
    """Every single point of failure of ``topology``: cut-offs first, the largest first.

    By default the network as built (every element working); with ``current``, the network as it
    is now — what one more failure would cut off. Path findings (shared, no backup) always concern
    the named paths of the network as built; ``paths``: :func:`site_paths`, if already computed.
    """
    elements = ElementGraph(topology)
    failed = elements.failures(topology.failed_elements() if current else ())
    search = elements.search(failed, separations=True)
    findings = [
        _cut_finding(topology, element, tuple(sorted(elements.device_ids[v] for v in cut_off)))
        for element, cut_off in search.separated.items()
    ]
    for vertex in range(elements.device_count):
        if not search.reached[vertex] and not failed.devices[vertex]:
            findings.append(_unconnected(topology, elements.device_ids[vertex], current))
    for site in site_paths(topology) if paths is None else paths:
        findings.extend(_path_findings(topology, site))
    return RedundancyReport(findings=tuple(sorted(findings, key=_largest_first)))


def _cut_finding(
    topology: Topology, element: ElementRef, devices: tuple[str, ...]
) -> RedundancyFinding:
    regions = _regions(topology, devices)
    kind = FindingKind.ARTICULATION_POINT
    if element.kind is ElementKind.LINK:
        kind = FindingKind.BRIDGE
    where = names([topology.region_name(r) for r in regions])
    explanation = (
        f"{capital(topology.describe(element))} is a single point of failure: if it fails, "
        f"{count(len(devices), 'device')} in {count(len(regions), 'region')} ({where}) "
        f"{agree(len(devices), 'is', 'are')} cut off from the province core: "
        f"{names(devices)}."
    )
    return RedundancyFinding(
        kind=kind,
        element=element,
        region=topology.element_region(element),
        affected_device_ids=devices,
        affected_region_codes=regions,
        explanation=explanation,
    )


def _unconnected(topology: Topology, device_id: str, current: bool) -> RedundancyFinding:
    role = ROLE_WORDS[topology.devices[device_id].role]
    reason = "no working path now" if current else "no path in the inventory"
    region = topology.region_of(device_id)
    return RedundancyFinding(
        kind=FindingKind.UNCONNECTED,
        element=ElementRef.device(device_id),
        region=region,
        affected_device_ids=(device_id,),
        affected_region_codes=(region,),
        explanation=f"{capital(role)} {device_id} in {topology.region_name(region)} has "
        f"{reason} to any province core.",
    )


def _path_findings(topology: Topology, site: SitePaths) -> list[RedundancyFinding]:
    if site.primary is None or not site.primary.link_ids:
        return []  # a device joined to no core: the search reports it
    where = f"{topology.region_name(site.region)} ({site.device_id})"
    if site.backup is None:
        own_link = ElementRef.link(site.primary.link_ids[-1])
        return [
            RedundancyFinding(
                kind=FindingKind.NO_BACKUP_PATH,
                element=own_link,
                region=topology.element_region(own_link),
                affected_device_ids=(site.device_id,),
                affected_region_codes=(site.region,),
                explanation=f"{where} has no backup path: every path to the province core uses "
                f"its primary link {own_link.id}.",
            )
        ]
    shared = [ElementRef.device(d) for d in site.shared_device_ids]
    shared += [ElementRef.link(k) for k in site.shared_link_ids]
    return [
        RedundancyFinding(
            kind=FindingKind.SHARED_PATH,
            element=element,
            region=topology.element_region(element),
            affected_device_ids=(site.device_id,),
            affected_region_codes=(site.region,),
            explanation=f"The primary and backup paths of {where} both pass through "
            f"{topology.describe(element)}.",
        )
        for element in shared
    ]


def _regions(topology: Topology, devices: Sequence[str]) -> tuple[str, ...]:
    return tuple(sorted({topology.region_of(d) for d in devices}))


def _largest_first(finding: RedundancyFinding) -> tuple[int, int, str, str]:
    return (
        _KIND_ORDER.index(finding.kind),
        -len(finding.affected_device_ids),
        finding.region or "",
        finding.element.id,
    )
