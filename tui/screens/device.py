"""One device: who it is and how it is, above its interfaces with live rates. From here: its
configuration history (``c``), its accounts (``a``), a backup now (``b``)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Header, Input

from core.state.views import InterfaceView
from tui.client import ApiError, NocApiClient
from tui.messages import OpenAccounts, OpenConfigs
from tui.screens.backup_now import ACTION, BackupNow
from tui.screens.refreshing import RefreshingScreen
from tui.units import format_rate, format_time
from tui.widgets.device_header import DeviceHeader
from tui.widgets.filter_bar import FilterBar
from tui.widgets.interface_table import InterfaceTable
from tui.widgets.status_line import StatusLine


class DeviceScreen(RefreshingScreen):
    CSS_PATH = "device.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("slash", "filter", "Filter"),
        Binding("r", "refresh", "Refresh"),
        Binding("c", "configs", "Configs"),
        Binding("a", "accounts", "Accounts"),
        Binding("b", ACTION, "Back up"),
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
        self._backup = BackupNow(self, client)
        self._loaded = False
        self._interfaces: list[InterfaceView] = []
        self._now: datetime | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield DeviceHeader("loading…", id="identity")
        yield InterfaceTable(id="interfaces")
        yield FilterBar(id="filter")
        yield StatusLine(id="status")
        yield Footer()

    @property
    def table(self) -> InterfaceTable:
        return self.query_one(InterfaceTable)

    def on_mount(self) -> None:
        self.sub_title = self.device_id
        self.query_one(DeviceHeader).border_title = self.device_id
        self.table.border_title = "interfaces"
        self.table.focus()
        self.start_refreshing()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Read-only: the key is neither shown nor bound.
        return not (action == ACTION and self.read_only)

    def action_refresh(self) -> None:
        self._load()

    @work(exclusive=True, group="device", exit_on_error=False)
    async def _load(self) -> None:
        try:
            health = await self._client.health()
            device = await self._client.device(self.device_id)
        except ApiError as exc:
            if exc.not_found and not self._loaded and self.is_current:
                # Asked for by name (`:device x`) and there is no such device: say so, go back.
                self.notify(str(exc), title="No such device", severity="error")
                self.dismiss()
                return
            self._problems.failed(exc)
            return
        self._loaded = True
        self.query_one(DeviceHeader).show(device, health.time)
        self.table.show(device.interfaces)
        self._interfaces = device.interfaces
        self._now = health.time
        self._problems.recovered()
        self._show_status()

    def _show_status(self) -> None:
        table = self.table
        shown = set(table.shown_keys)
        visible = [i for i in self._interfaces if str(i.if_index) in shown]
        line = Text(f"{len(self._interfaces)} interfaces")
        if table.filter_text:
            line.append(f"   filter '{table.filter_text}': {len(visible)}/{len(self._interfaces)}")
        # The sum of what is listed: with a filter, the traffic of those interfaces.
        total_in = sum(i.in_bps or 0.0 for i in visible)
        total_out = sum(i.out_bps or 0.0 for i in visible)
        line.append(f"   in {format_rate(total_in)} · out {format_rate(total_out)}")
        line.append(f"   updated {format_time(self._now)}")
        self.query_one(StatusLine).ok(line)

    def action_back(self) -> None:
        bar = self.query_one(FilterBar)
        if bar.is_open or self.table.filter_text:
            bar.close()
            self._apply_filter("")
            return
        self.dismiss()

    def action_filter(self) -> None:
        self.query_one(FilterBar).open()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._apply_filter(event.value)

    @on(FilterBar.Cleared)
    def _filter_cleared(self) -> None:
        self._apply_filter("")
        self.table.focus()

    @on(Input.Submitted, "#filter")
    def _filter_kept(self) -> None:
        self.table.focus()

    def _apply_filter(self, text: str) -> None:
        self.table.set_filter(text)
        self._show_status()

    # ------------------------------------------------------------------ elsewhere

    def action_configs(self) -> None:
        self.post_message(OpenConfigs(self.device_id))

    def action_accounts(self) -> None:
        self.post_message(OpenAccounts(self.device_id))

    def action_backup(self) -> None:
        if not self.read_only:
            self._backup.ask(self.device_id)
