"""``:failover``: the sites that do not reach the province core over their primary path —
isolated first, then those on backup, the longest gone first — with where they are, for how long,
the links that failed and the links they run over instead. The counts of every site on top.

``a`` shows every site (those on their primary path too), or only the troubled again; Enter opens
the topology of the site's city with the site under the cursor; ``i`` asks what the failure of the
site's node would cost (or costs now).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header, Static

from core.security.scope import ScopeLevel, scope_level
from tui.client import ApiError, NocApiClient
from tui.screens.impact import ImpactScreen
from tui.screens.table_screen import TableScreen
from tui.screens.topology import OpenTopology
from tui.topology_models import (
    FAILOVER_ORDER,
    ElementRef,
    FailoverBoard,
    FailoverState,
    SiteFailover,
)
from tui.units import format_time
from tui.widgets.filter_bar import FilterBar
from tui.widgets.status_line import StatusLine
from tui.widgets.topology_failover_table import FailoverTable
from tui.widgets.topology_palette import FAILOVER_STYLE


def city_of(region: str) -> str:
    """The city a county belongs to (GB/T 2260: its first four digits); a city is its own."""
    if scope_level(region) is ScopeLevel.COUNTY:
        return f"{region[:4]}00"
    return region


def counts_line(board: FailoverBoard) -> Text:
    """``3 on primary · 1 on backup · 1 isolated``, each coloured by its state."""
    counts = board.counts
    line = Text()
    for state in reversed(FAILOVER_ORDER):
        count = getattr(counts, state.value)
        style = FAILOVER_STYLE[state] if count or state is FailoverState.ON_PRIMARY else "dim"
        if line:
            line.append(" · ")
        line.append(f"{count} {state.words}", style)
    if not counts.on_backup and not counts.isolated:
        line.append("   every site on its primary path", "green")
    return line


class FailoverScreen(TableScreen):
    CSS_PATH = "failover.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "toggle_all", "All sites"),
        Binding("i", "impact", "Impact"),
    ]

    def __init__(self, client: NocApiClient, refresh_interval_s: float) -> None:
        super().__init__(client, refresh_interval_s)
        self.all_sites = False
        """Every site, or only those on backup or isolated."""
        self.board: FailoverBoard | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("loading…", id="counts")
        yield FailoverTable(id="sites")
        yield FilterBar(id="filter")
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "failover"
        self._title_table()
        self.table.focus()
        self.start_refreshing()

    def _title_table(self) -> None:
        which = "every site" if self.all_sites else "on backup or isolated"
        self.table.border_title = f"{which} · worst first"

    def action_refresh(self) -> None:
        self._load()

    def action_toggle_all(self) -> None:
        self.all_sites = not self.all_sites
        self._title_table()
        self._load()

    @work(exclusive=True, group="failover", exit_on_error=False)
    async def _load(self) -> None:
        try:
            board = await self._client.failover_board(all_sites=self.all_sites)
        except ApiError as exc:
            self._problems.failed(exc)
            return
        self.board = board
        self.query_one("#counts", Static).update(counts_line(board))
        self.query_one(FailoverTable).show(board.sites, board.as_of)
        self._problems.recovered()
        self.show_status()

    def show_status(self) -> None:
        board = self.board
        if board is None:
            return
        shown = len(board.sites)
        line = Text(f"{shown} sites" if self.all_sites else f"{shown} sites off their primary path")
        line.append(self.filter_note())
        line.append(f"   as of {format_time(board.as_of)}")
        self.query_one(StatusLine).ok(line)

    def _site(self, device_id: str | None) -> SiteFailover | None:
        """The site of the row ``device_id``."""
        if self.board is None or device_id is None:
            return None
        return next((s for s in self.board.sites if s.device_id == device_id), None)

    @on(DataTable.RowSelected, "#sites")
    def _site_chosen(self, event: DataTable.RowSelected) -> None:
        site = self._site(event.row_key.value)
        if site is not None:
            self.post_message(OpenTopology(city_of(site.region), select=site.region))

    def action_impact(self) -> None:
        site = self._site(self.table.cursor_key)
        if site is None or self.board is None:
            return
        names = {s.region: s.region_name for s in self.board.sites if s.region_name}
        element = ElementRef(kind="device", id=site.device_id)
        self.app.push_screen(ImpactScreen(self._client, element, names))
