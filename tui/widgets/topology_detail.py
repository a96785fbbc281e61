"""What the line under the cursor stands for, in words: a region's failover explanation, a
device's state, a link's two ends, or a single point of failure's explanation."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from tui.palette import status_text, utilisation_text
from tui.topology_models import RedundancyFinding, RegionTopology, SiteFailover
from tui.units import MISSING, format_time
from tui.widgets.topology_palette import DIM, failover_words, link_status_text
from tui.widgets.topology_tree import ItemKind, TopologyItem


def _grid() -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style=DIM, no_wrap=True)
    grid.add_column()
    return grid


def _site_rows(grid: Table, site: SiteFailover, now: datetime | None) -> None:
    grid.add_row("failover", failover_words(site, now))
    if site.left_primary_at is not None:
        grid.add_row("left primary", format_time(site.left_primary_at))
    if site.failed_link_ids:
        grid.add_row("failed links", Text(", ".join(site.failed_link_ids), style="red"))
    grid.add_row("", Text(site.explanation or MISSING))


def describe(
    item: TopologyItem,
    topology: RegionTopology,
    sites: Mapping[str, SiteFailover],
    now: datetime | None,
) -> RenderableType:
    grid = _grid()
    if item.kind is ItemKind.LINK:
        link = next((k for k in topology.links if k.id == item.id), None)
        if link is None:
            return Text(MISSING, style=DIM)
        grid.add_row("link", Text(link.id, style="bold"))
        grid.add_row("a end", f"{link.a_device} {link.a_interface}")
        grid.add_row("b end", f"{link.b_device} {link.b_interface}")
        grid.add_row("tier · role", f"{link.tier} · {link.role.value}")
        grid.add_row("status", link_status_text(link.status))
        grid.add_row("utilisation", utilisation_text(link.utilisation_percent))
        return grid
    if item.kind is ItemKind.REGION:
        child = next((c for c in topology.children if c.code == item.id), None)
        name = child.name if child else topology.region.name
        grid.add_row("region", Text(f"{name} {item.id}", style="bold"))
        if child is not None:
            grid.add_row("devices", str(child.devices))
    device_id = item.id if item.kind is ItemKind.DEVICE else item.device_id
    device = topology.node(device_id) if device_id else None
    if device is not None:
        grid.add_row("device", Text.assemble((device.device_id, "bold"), " ", (device.name, DIM)))
        grid.add_row(
            "role · status", Text.assemble(f"{device.role.value} · ", status_text(device.status))
        )
        site = sites.get(device.device_id)
        if site is not None:
            _site_rows(grid, site, now)
    return grid


def describe_finding(finding: RedundancyFinding, names: Mapping[str, str]) -> RenderableType:
    """``names``: region names by code, where known."""
    grid = _grid()
    grid.add_row("single point", Text(str(finding.element), style="bold"))
    if finding.affected_region_codes:
        regions = [f"{names.get(c, '')} {c}".strip() for c in finding.affected_region_codes]
        grid.add_row("puts at risk", ", ".join(regions))
    grid.add_row("", Text(finding.explanation or MISSING))
    return grid


class TopologyDetail(Static):
    DEFAULT_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")
