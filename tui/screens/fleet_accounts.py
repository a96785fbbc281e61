"""``:accounts``: the local accounts of every device and host — the security officer's search.
``/`` filters as you type, ``p`` shows only the privileged ones, Enter opens the device."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header

from tui.api_models import DeviceAccount
from tui.client import ApiError, NocApiClient
from tui.messages import OpenDevice
from tui.screens.table_screen import TableScreen
from tui.units import format_time
from tui.widgets.account_table import PRIVILEGED_STYLE, AccountTable, FleetAccountTable
from tui.widgets.filter_bar import FilterBar
from tui.widgets.status_line import StatusLine


class FleetAccountsScreen(TableScreen):
    CSS_PATH = "fleet_accounts.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "privileged", "Privileged only"),
    ]

    def __init__(self, client: NocApiClient, refresh_interval_s: float) -> None:
        super().__init__(client, refresh_interval_s)
        self.privileged_only = False
        self._accounts: list[DeviceAccount] = []
        self._now: datetime | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield FleetAccountTable(id="accounts")
        yield FilterBar(id="filter")
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "accounts"
        self._title_table()
        self.table.focus()
        self.start_refreshing()

    def _title_table(self) -> None:
        which = "privileged accounts" if self.privileged_only else "accounts"
        self.table.border_title = f"{which} · every device and host"

    def action_refresh(self) -> None:
        self._load(self.privileged_only)

    @work(exclusive=True, group="fleet-accounts", exit_on_error=False)
    async def _load(self, privileged_only: bool) -> None:
        try:
            health = await self._client.health()
            accounts = await self._client.search_accounts(privileged=privileged_only)
        except ApiError as exc:
            self._problems.failed(exc)
            return
        if privileged_only != self.privileged_only:
            return  # toggled again while this was on its way
        self._now = health.time
        self._accounts = accounts
        self.query_one(FleetAccountTable).show(accounts, self._now)
        self._problems.recovered()
        self.show_status()

    def action_privileged(self) -> None:
        self.privileged_only = not self.privileged_only
        self._title_table()
        self.action_refresh()

    @on(DataTable.RowSelected, "#accounts")
    def _account_chosen(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.post_message(OpenDevice(AccountTable.device_of(event.row_key.value)))

    def show_status(self) -> None:
        accounts = self._accounts
        devices = len({a.device_id for a in accounts})
        privileged = sum(a.privileged for a in accounts)
        line = Text(f"{len(accounts)} accounts on {devices} devices · ")
        line.append(f"{privileged} privileged", PRIVILEGED_STYLE if privileged else "")
        if self.privileged_only:
            line.append("   showing privileged only (p shows all)")
        line.append(self.filter_note())
        line.append(f"   updated {format_time(self._now)}")
        self.query_one(StatusLine).ok(line)
