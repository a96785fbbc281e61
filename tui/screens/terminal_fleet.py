"""``:terminals``: the card-terminal fleet by region, k9s style — the province's cities with their
health at a glance (online share green at 95 % and above, yellow from 80 %, red below; silent
terminals, read-failure rate, outliers, PSAM failures, version drift), worst first. Enter drills
into a city's counties, then a county's terminals (:mod:`tui.screens.county_terminals`), then one
terminal (:mod:`tui.screens.terminal_detail`); Esc goes back up.

The figures are the server's fleet health, computed every half minute or so; the screen asks
for them again on the console's refresh interval. Which areas show is the API's choice: a
county's technician sees their county, a city's engineer the city and its counties.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from core.security.scope import ScopeLevel, scope_level
from tui.client import ApiError, NocApiClient
from tui.fleet_client import FleetCalls
from tui.fleet_models import AreaHealthInfo, FleetHealthInfo
from tui.screens.county_terminals import CountyTerminalsScreen
from tui.screens.table_screen import TableScreen
from tui.screens.user_forms import region_names
from tui.session import Session
from tui.units import format_age, format_time
from tui.widgets.filter_bar import FilterBar
from tui.widgets.fleet_area_table import FleetAreaTable, area_name, area_summary
from tui.widgets.fleet_palette import DIM, counted, percent
from tui.widgets.status_line import StatusLine

SHOWN_AT_MOST = 6
"""Silent terminals and outliers named under the cursor; beyond, a count."""


def under_cursor(area: AreaHealthInfo, now: datetime | None) -> Text:
    """The area's silent terminals and outliers by name, and its version spread."""
    line = Text()
    silent = area.silent_terminals
    if silent:
        line.append("silent: ", "bold")
        named = [
            f"{s.terminal_id} ({format_age(s.last_seen_at, now) if s.last_seen_at else 'never'})"
            for s in silent[:SHOWN_AT_MOST]
        ]
        line.append(", ".join(named), "red")
        line.append(f" +{len(silent) - SHOWN_AT_MOST} more" if len(silent) > SHOWN_AT_MOST else "")
        line.append("   ")
    if area.outliers:
        line.append("outliers: ", "bold")
        named = [
            f"{o.terminal_id} {percent(o.failure_rate)} of {o.reads + o.failures}"
            for o in area.outliers[:SHOWN_AT_MOST]
        ]
        line.append(", ".join(named), "yellow")
        line.append("   ")
    if len(area.firmware_versions) > 1:
        spread = ", ".join(f"{v} ×{n}" for v, n in sorted(area.firmware_versions.items()))
        line.append("firmware: ", "bold")
        line.append(spread + "   ")
    if area.off_target:
        line.append(f"{area.off_target} off their rollout target", "cyan")
    if not line:
        line.append("nothing silent, no outliers, one firmware", DIM)
    return line


class TerminalFleetScreen(TableScreen):
    """The cities of the caller's fleet (``area`` None), or one city's counties."""

    CSS_PATH = "terminal_fleet.tcss"

    def __init__(
        self,
        client: NocApiClient,
        session: Session,
        refresh_interval_s: float,
        read_only: bool = False,
        *,
        area: str | None = None,
        names: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(client, refresh_interval_s)
        self.session = session
        self.read_only = read_only
        self.area = area
        """The city shown; None: the caller's whole fleet."""
        self._fleet = FleetCalls(client)
        self._names: dict[str, str] | None = dict(names) if names is not None else None
        self.health: FleetHealthInfo | None = None
        self._rows: dict[str, AreaHealthInfo] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("loading…", id="summary")
        yield FleetAreaTable(id="areas")
        yield Static("", id="under-cursor")
        yield FilterBar(id="filter")
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        where = self._area_label(self.area) if self.area else "by city"
        self.sub_title = f"terminal fleet · {where}"
        self.table.border_title = "counties · worst first" if self.area else "cities · worst first"
        self.table.focus()
        self.start_refreshing()

    def _area_label(self, code: str) -> str:
        return area_name(code, self._names or {})

    @property
    def rows(self) -> dict[str, AreaHealthInfo]:
        """The areas in the table, by code."""
        return self._rows

    # ------------------------------------------------------------------ loading

    def action_refresh(self) -> None:
        self._load()

    @work(exclusive=True, group="terminal-fleet", exit_on_error=False)
    async def _load(self) -> None:
        try:
            health = await self._fleet.fleet_health(self.area)
            if self._names is None:
                self._names = region_names(await self._client.region_tree())
        except ApiError as exc:
            self._problems.failed(exc)
            return
        self.health = health
        self._rows = {area.code: area for area in self._areas(health)}
        self.query_one(FleetAreaTable).show(list(self._rows.values()), self._names)
        self._show_summary(health)
        self._show_under_cursor()
        self._problems.recovered()
        self.show_status()

    def _areas(self, health: FleetHealthInfo) -> list[AreaHealthInfo]:
        if self.area is not None:
            return health.counties_of(self.area)
        # A county's technician has no city in their scope: their counties are the top.
        return health.of_level("city") or health.of_level("county")

    def _show_summary(self, health: FleetHealthInfo) -> None:
        code = self.area or next((a.code for a in health.of_level("province")), None)
        whole = health.area(code) if code else None
        summary = self.query_one("#summary", Static)
        if whole is None:
            summary.update(Text("your regions", "bold"))
            return
        summary.update(area_summary(whole, self._names or {}))

    def show_status(self) -> None:
        health = self.health
        if health is None:
            return
        counties = all(area.level == "county" for area in self._rows.values())
        kind = ("county", "counties") if counties else ("city", "cities")
        line = Text(counted(len(self._rows), *kind))
        line.append(f"   silent after {health.silent_after_s:g} s")
        line.append(self.filter_note())
        line.append(f"   computed {format_time(health.computed_at)}")
        line.append(f" · every {self._refresh_interval_s:g} s")
        self.query_one(StatusLine).ok(line)

    # ------------------------------------------------------------------ the cursor

    @on(DataTable.RowHighlighted, "#areas")
    def _highlighted(self) -> None:
        self._show_under_cursor()

    def _show_under_cursor(self) -> None:
        key = self.table.cursor_key
        area = self._rows.get(key) if key is not None else None
        now = self.health.computed_at if self.health else None
        self.query_one("#under-cursor", Static).update(under_cursor(area, now) if area else "")

    @on(DataTable.RowSelected, "#areas")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        code = event.row_key.value
        area = self._rows.get(code or "")
        if area is None:
            return
        self.app.push_screen(self.drill_into(area))

    def drill_into(self, area: AreaHealthInfo) -> Screen[None]:
        """What Enter opens for ``area``: a city's counties, or a county's terminals."""
        if area.level == "county":
            return CountyTerminalsScreen(
                self._client,
                self.session,
                self._refresh_interval_s,
                self.read_only,
                county=area.code,
                names=self._names,
            )
        return TerminalFleetScreen(
            self._client,
            self.session,
            self._refresh_interval_s,
            self.read_only,
            area=area.code,
            names=self._names,
        )


def fleet_screen(
    client: NocApiClient,
    session: Session,
    refresh_interval_s: float,
    read_only: bool = False,
    region: str | None = None,
) -> Screen[None]:
    """What ``:terminals [CODE]`` opens: the fleet by city, a city's counties, or a county's
    terminals. :class:`ValueError` for something that is not a region code."""
    if region is None or scope_level(region) is ScopeLevel.PROVINCE:
        return TerminalFleetScreen(client, session, refresh_interval_s, read_only)
    if scope_level(region) is ScopeLevel.COUNTY:
        return CountyTerminalsScreen(client, session, refresh_interval_s, read_only, county=region)
    return TerminalFleetScreen(client, session, refresh_interval_s, read_only, area=region)
