"""``:backups``: the devices not backed up in 24 hours — never backed up first, then the oldest
backup — with why (the last error). Enter opens the device; ``b`` backs the selected one up."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header

from core.state.config_views import BackupStatusView
from tui.backup_state import BACKUP_STYLE, STALE_AFTER, BackupState, backup_state, worst_first
from tui.client import ApiError, NocApiClient
from tui.messages import OpenDevice
from tui.screens.backup_now import ACTION, BackupNow
from tui.screens.table_screen import TableScreen
from tui.units import format_time
from tui.widgets.backup_table import BackupTable
from tui.widgets.filter_bar import FilterBar
from tui.widgets.status_line import StatusLine

STALE_AFTER_H = STALE_AFTER.total_seconds() / 3600


class BackupsScreen(TableScreen):
    CSS_PATH = "backups.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("b", ACTION, "Back up"),
    ]

    def __init__(
        self, client: NocApiClient, refresh_interval_s: float, read_only: bool = False
    ) -> None:
        super().__init__(client, refresh_interval_s)
        self.read_only = read_only
        self._statuses: list[BackupStatusView] = []
        self._now: datetime | None = None
        self._backup = BackupNow(self, client, done=self.action_refresh)

    def compose(self) -> ComposeResult:
        yield Header()
        yield BackupTable(id="backups")
        yield FilterBar(id="filter")
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "backups"
        self.table.border_title = f"not backed up in {STALE_AFTER_H:g} h · worst first"
        self.table.focus()
        self.start_refreshing()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action == ACTION and self.read_only)

    def action_refresh(self) -> None:
        self._load()

    @work(exclusive=True, group="backups", exit_on_error=False)
    async def _load(self) -> None:
        try:
            health = await self._client.health()
            statuses = await self._client.backups(stale=True, older_than_h=STALE_AFTER_H)
        except ApiError as exc:
            self._problems.failed(exc)
            return
        self._now = health.time
        self._statuses = worst_first(statuses)
        self.query_one(BackupTable).show(self._statuses, self._now)
        self._problems.recovered()
        self.show_status()

    @on(DataTable.RowSelected, "#backups")
    def _device_chosen(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.post_message(OpenDevice(event.row_key.value))

    def action_backup(self) -> None:
        device = self.table.cursor_key
        if device is not None and not self.read_only:
            self._backup.ask(device)

    def show_status(self) -> None:
        count = len(self._statuses)
        if not count:
            line = Text(f"every device backed up in the last {STALE_AFTER_H:g} h", "green")
        else:
            line = Text(f"{count} devices not backed up in {STALE_AFTER_H:g} h")
            states = Counter(backup_state(s, self._now) for s in self._statuses)
            for state in (BackupState.NEVER, BackupState.FAILING, BackupState.STALE):
                if states[state]:
                    line.append(f" · {states[state]} {state.value}", BACKUP_STYLE[state])
        line.append(self.filter_note())
        line.append(f"   updated {format_time(self._now)}")
        self.query_one(StatusLine).ok(line)
