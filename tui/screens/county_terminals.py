"""One county's card terminals (Enter on a county of ``:terminals``, or ``:terminals 440103``):
each with its life state, when it was last heard from and whether it is online, its read
failure rate over the status window, its PSAM and the versions it runs, with the county's own
figures above. Enter opens a terminal (:mod:`tui.screens.terminal_detail`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.widgets import DataTable, Footer, Header, Static

from tui.client import ApiError, NocApiClient
from tui.fleet_client import FleetCalls
from tui.fleet_models import TerminalInfo
from tui.screens.table_screen import TableScreen
from tui.screens.terminal_detail import TerminalDetailScreen
from tui.screens.user_forms import region_names
from tui.session import Session
from tui.units import MISSING, format_duration, format_time
from tui.widgets.filter_bar import FilterBar
from tui.widgets.fleet_area_table import area_name, area_summary
from tui.widgets.fleet_palette import DIM, counted
from tui.widgets.status_line import StatusLine
from tui.widgets.terminal_table import TerminalTable


def terminal_line(terminal: TerminalInfo) -> Text:
    """What the terminal under the cursor adds to its row: model, serial, PSAM, counters."""
    line = Text(f"{terminal.model} · serial {terminal.serial}")
    line.append(f" · PSAM {terminal.psam_terminal_number or 'not bound'}")
    status = terminal.status
    if status is None:
        line.append(" · never heard from", DIM)
        return line
    line.append(f" · up {format_duration(status.uptime_s)}")
    line.append(f" · {status.free_storage_mb} MB free")
    line.append(f" · {status.unsent_transactions} unsent")
    line.append(f" · blacklist {status.blacklist_version or MISSING}")
    if not status.reader_present:
        line.append(" · no card reader", "bold red")
    return line


class CountyTerminalsScreen(TableScreen):
    CSS_PATH = "county_terminals.tcss"

    def __init__(
        self,
        client: NocApiClient,
        session: Session,
        refresh_interval_s: float,
        read_only: bool = False,
        *,
        county: str,
        names: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(client, refresh_interval_s)
        self.session = session
        self.read_only = read_only
        self.county = county
        self._fleet = FleetCalls(client)
        self._names: dict[str, str] | None = dict(names) if names is not None else None
        self._terminals: dict[str, TerminalInfo] = {}
        self._now: datetime | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("loading…", id="summary")
        yield TerminalTable(id="terminals")
        yield Static("", id="under-cursor")
        yield FilterBar(id="filter")
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self._show_titles()
        self.table.focus()
        self.start_refreshing()

    def _area_label(self) -> str:
        return area_name(self.county, self._names or {})

    def _show_titles(self) -> None:
        # Again once the region names are known: the county is then named, not numbered.
        self.sub_title = f"terminals · {self._area_label()}"
        self.table.border_title = f"terminals of {self._area_label()}"

    @property
    def terminals(self) -> dict[str, TerminalInfo]:
        """The terminals of the latest answer, by id."""
        return self._terminals

    # ------------------------------------------------------------------ loading

    def action_refresh(self) -> None:
        self._load()

    @work(exclusive=True, group="county-terminals", exit_on_error=False)
    async def _load(self) -> None:
        try:
            server = await self._client.health()
            terminals = await self._fleet.terminals(county=self.county)
            health = await self._fleet.fleet_health(self.county)
            if self._names is None:
                self._names = region_names(await self._client.region_tree())
        except ApiError as exc:
            self._problems.failed(exc)
            return
        self._now = server.time
        self._terminals = {t.id: t for t in terminals}
        self.query_one(TerminalTable).show(terminals, self._now)
        county = health.area(self.county)
        summary = self.query_one("#summary", Static)
        if county is None:
            summary.update(Text(f"{self._area_label()}: no terminal in your regions", DIM))
        else:
            summary.update(area_summary(county, self._names))
        self._show_titles()
        self._show_under_cursor()
        self._problems.recovered()
        self.show_status()

    def show_status(self) -> None:
        line = Text(counted(len(self._terminals), "terminal"))
        line.append(self.filter_note())
        line.append(f"   as of {format_time(self._now)} · every {self._refresh_interval_s:g} s")
        self.query_one(StatusLine).ok(line)

    # ------------------------------------------------------------------ the cursor

    @on(DataTable.RowHighlighted, "#terminals")
    def _highlighted(self) -> None:
        self._show_under_cursor()

    def _show_under_cursor(self) -> None:
        key = self.table.cursor_key
        terminal = self._terminals.get(key) if key is not None else None
        shown = terminal_line(terminal) if terminal else ""
        self.query_one("#under-cursor", Static).update(shown)

    @on(DataTable.RowSelected, "#terminals")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        terminal_id = event.row_key.value
        if terminal_id is None or terminal_id not in self._terminals:
            return
        detail = TerminalDetailScreen(
            self._client,
            self.session,
            terminal_id,
            self._refresh_interval_s,
            self.read_only,
            names=self._names,
        )
        self.app.push_screen(detail)
