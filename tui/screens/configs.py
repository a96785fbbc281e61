"""``c`` on a device: its configuration history — versions on the left, and on the right the
diff of the chosen version against the one before it (or of two marked versions), coloured,
scrollable and searchable; the device's backup record above both."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Header, Input

from core.state.config_views import ConfigVersionSummary
from tui.client import ApiError, NocApiClient
from tui.screens.backup_now import ACTION, BackupNow
from tui.screens.refreshing import RefreshingScreen
from tui.units import format_time
from tui.widgets.backup_summary import BackupSummary
from tui.widgets.diff_view import DiffView
from tui.widgets.filter_bar import FilterBar
from tui.widgets.status_line import StatusLine
from tui.widgets.version_table import VersionTable

Pair = tuple[int | None, int]
"""(from, to) version ids; from is None for a version with nothing before it."""


class ConfigScreen(RefreshingScreen):
    CSS_PATH = "configs.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("space", "mark", "Mark"),
        Binding("slash", "search", "Search"),
        Binding("n", "step(True)", "Next match", show=False),
        Binding("N", "step(False)", "Previous match", show=False),
        Binding("b", ACTION, "Back up"),
        Binding("r", "refresh", "Refresh"),
    ]

    def __init__(
        self,
        client: NocApiClient,
        device_id: str,
        refresh_interval_s: float,
        read_only: bool = False,
    ) -> None:
        super().__init__(client, refresh_interval_s)
        self.device_id = device_id
        self.read_only = read_only
        self._versions: list[ConfigVersionSummary] = []
        self._marks: list[int] = []
        self._wanted: Pair | None = None
        self._shown: Pair | None = None
        self._loaded = False
        self._now: datetime | None = None
        self._backup = BackupNow(self, client, done=self.action_refresh)

    def compose(self) -> ComposeResult:
        yield Header()
        yield BackupSummary("loading…", id="backup")
        with Horizontal(id="body"):
            yield VersionTable(id="versions")
            yield DiffView(id="diff")
        yield FilterBar(
            id="search",
            placeholder="search the diff…  (Enter keeps it, n / N next / previous, Esc clears it)",
        )
        yield StatusLine(id="status")
        yield Footer()

    @property
    def table(self) -> VersionTable:
        return self.query_one(VersionTable)

    @property
    def diff(self) -> DiffView:
        return self.query_one(DiffView)

    @property
    def marks(self) -> list[int]:
        """Marked version ids, in the order they were marked (at most two)."""
        return list(self._marks)

    @property
    def shown(self) -> Pair | None:
        """The versions the diff view shows now."""
        return self._shown

    def on_mount(self) -> None:
        self.sub_title = f"{self.device_id} · configuration history"
        self.query_one(BackupSummary).border_title = f"{self.device_id} · backup"
        self.table.border_title = "versions"
        self.diff.border_title = "diff"
        self.table.focus()
        self.start_refreshing()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Read-only: the key is neither shown nor bound.
        return not (action == ACTION and self.read_only)

    # ------------------------------------------------------------------ loading

    def action_refresh(self) -> None:
        self._load()

    @work(exclusive=True, group="configs", exit_on_error=False)
    async def _load(self) -> None:
        try:
            health = await self._client.health()
            versions = await self._client.config_versions(self.device_id)
            status = await self._client.backup_status(self.device_id)
        except ApiError as exc:
            if exc.not_found and not self._loaded and self.is_current:
                self.notify(str(exc), title="No such device", severity="error")
                self.dismiss()
                return
            self._problems.failed(exc)
            return
        self._loaded = True
        self._now = health.time
        self._versions = versions
        ids = {v.id for v in versions}
        self._marks = [m for m in self._marks if m in ids]  # pruned versions lose their mark
        self.table.show(versions, self._marks)
        self.query_one(BackupSummary).show(status, self._now)
        self._problems.recovered()
        self._select()

    def _pair(self) -> Pair | None:
        if len(self._marks) == 2:
            older, newer = sorted(self._marks)  # ids grow with time
            return older, newer
        key = self.table.cursor_key
        ids = [v.id for v in self._versions]
        if key is None or int(key) not in ids:
            return None
        index = ids.index(int(key))
        before = ids[index + 1] if index + 1 < len(ids) else None
        return before, ids[index]

    def _select(self) -> None:
        pair = self._pair()
        if pair is None:
            self._wanted = None
            self._shown = None
            self.diff.border_title = "diff"
            self.diff.show_message(
                "no configuration stored yet"
                + ("" if self.read_only else ": press b to back the device up now")
            )
            self._show_status()
            return
        if pair != self._shown:
            self._wanted = pair
            self._load_diff(pair)
        self._show_status()

    @work(exclusive=True, group="config-diff", exit_on_error=False)
    async def _load_diff(self, pair: Pair) -> None:
        before, after = pair
        try:
            if before is None:
                version = await self._client.config_version(after)
            else:
                diff = await self._client.config_diff(before, after)
        except ApiError as exc:
            self._problems.failed(exc)
            return
        if self._wanted != pair:
            return  # the operator moved on while this was on its way
        if before is None:
            self.diff.border_title = f"#{after} · the oldest version kept: the whole text"
            self.diff.show_text(
                version, f"version #{after} has no version before it; its whole text follows"
            )
        else:
            self.diff.border_title = (
                f"diff #{before} → #{after} · +{diff.lines_added} −{diff.lines_removed}"
            )
            self.diff.show_diff(diff)
        self._shown = pair
        self._show_status()

    def _show_status(self) -> None:
        line = Text(f"{len(self._versions)} versions")
        if len(self._marks) == 1:
            line.append(f"   marked #{self._marks[0]}: mark one more to compare the two")
        elif len(self._marks) == 2:
            older, newer = sorted(self._marks)
            line.append(f"   comparing marked #{older} and #{newer} (space unmarks)")
        needle = self.diff.search_text
        if needle:
            found, at = self.diff.match_count, self.diff.current_match
            where = f"{at + 1}/{found}" if at is not None else "no match"
            line.append(f"   search '{needle}': {where}")
        line.append(f"   updated {format_time(self._now)}")
        self.query_one(StatusLine).ok(line)

    # ------------------------------------------------------------------ choosing versions

    @on(DataTable.RowHighlighted, "#versions")
    def _version_highlighted(self) -> None:
        if self._versions:
            self._select()

    def action_mark(self) -> None:
        key = self.table.cursor_key
        if key is None:
            return
        version = int(key)
        if version in self._marks:
            self._marks.remove(version)
        else:
            self._marks.append(version)
            if len(self._marks) > 2:
                self._marks.pop(0)  # the earliest mark gives way, as a third pick means "this"
        self.table.show(self._versions, self._marks)
        self._select()

    # ------------------------------------------------------------------ search

    def action_search(self) -> None:
        self.query_one(FilterBar).open()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.diff.search(event.value.strip())
        self._show_status()

    @on(Input.Submitted, "#search")
    def _search_kept(self) -> None:
        self.diff.focus()

    @on(FilterBar.Cleared)
    def _search_cleared(self) -> None:
        self.diff.search("")
        self._show_status()
        self.table.focus()

    def action_step(self, forward: bool) -> None:
        if self.diff.step(forward) is None and not self.diff.search_text:
            self.notify("nothing searched yet: press / first", timeout=3)
        self._show_status()

    # ------------------------------------------------------------------ actions

    def action_back(self) -> None:
        bar = self.query_one(FilterBar)
        if bar.is_open or self.diff.search_text:
            bar.close()
            self.diff.search("")
            self.table.focus()
            self._show_status()
            return
        if self._marks:
            self._marks = []
            self.table.show(self._versions, self._marks)
            self._select()
            return
        self.dismiss()

    def action_backup(self) -> None:
        if not self.read_only:
            self._backup.ask(self.device_id)
