"""The failover board's table: one row per site, worst first — its state and for how long, where
it is, its node, the links that failed and the links it runs over instead."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType

from tui.topology_models import SiteFailover
from tui.units import MISSING
from tui.widgets.keyed_table import Column, KeyedTable, Row
from tui.widgets.topology_palette import DIM, failover_text, off_primary_for

_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")


def _links(link_ids: Sequence[str], style: str) -> Text:
    return Text(", ".join(link_ids), style=style) if link_ids else Text(MISSING, style=DIM)


def backup_links_in_use(site: SiteFailover) -> tuple[str, ...]:
    """The links of the path in use that are not on the primary path."""
    in_use = site.current_path.link_ids if site.current_path else ()
    return tuple(k for k in in_use if k not in site.primary_link_ids)


def failover_row(site: SiteFailover, now: datetime | None) -> Row:
    return Row(
        key=site.device_id,
        cells=(
            failover_text(site.state),
            Text(off_primary_for(site, now), justify="right"),
            Text(site.region_name or MISSING),
            Text(site.region, style=DIM),
            Text(site.device_id),
            _links(site.failed_link_ids, "red"),
            _links(backup_links_in_use(site), "yellow"),
        ),
    )


class FailoverTable(KeyedTable):
    DEFAULT_CSS = KeyedTable.DEFAULT_CSS + _CSS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Topology"),
    ]

    # Fixed widths: the board keeps its shape as sites come and go, and a long list of links
    # is cut rather than pushing the others off the screen.
    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("state", "STATE", 10),
        Column("for", "FOR", 7),
        Column("region", "REGION", 14),
        Column("code", "CODE", 6),
        Column("device", "DEVICE", 22),
        Column("failed", "FAILED LINKS", 36),
        Column("via", "NOW OVER", 36),
    )

    def show(self, sites: Sequence[SiteFailover], now: datetime | None) -> None:
        """``now``: the answer's time, for how long each site has been off its primary path."""
        self.set_rows([failover_row(s, now) for s in sites])
