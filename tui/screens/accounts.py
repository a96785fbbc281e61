"""``a`` on a device: its local accounts as last collected, under what SSH says of it."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.widgets import Footer, Header

from tui.api_models import DeviceAccount
from tui.client import ApiError, NocApiClient
from tui.screens.table_screen import TableScreen
from tui.units import format_age, format_time
from tui.widgets.account_table import PRIVILEGED_STYLE, AccountTable
from tui.widgets.filter_bar import FilterBar
from tui.widgets.ssh_summary import SshSummary
from tui.widgets.status_line import StatusLine


class DeviceAccountsScreen(TableScreen):
    CSS_PATH = "accounts.tcss"

    def __init__(self, client: NocApiClient, device_id: str, refresh_interval_s: float) -> None:
        super().__init__(client, refresh_interval_s)
        self.device_id = device_id
        self._accounts: list[DeviceAccount] = []
        self._loaded = False
        self._now: datetime | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield SshSummary("loading…", id="ssh")
        yield AccountTable(id="accounts")
        yield FilterBar(id="filter")
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"{self.device_id} · accounts"
        self.query_one(SshSummary).border_title = f"{self.device_id} · ssh"
        self.table.border_title = "local accounts"
        self.table.focus()
        self.start_refreshing()

    def action_refresh(self) -> None:
        self._load()

    @work(exclusive=True, group="accounts", exit_on_error=False)
    async def _load(self) -> None:
        try:
            health = await self._client.health()
            accounts = await self._client.accounts(self.device_id)
            ssh = await self._client.device_ssh(self.device_id)
        except ApiError as exc:
            if exc.not_found and not self._loaded and self.is_current:
                self.notify(str(exc), title="No such device", severity="error")
                self.dismiss()
                return
            self._problems.failed(exc)
            return
        self._loaded = True
        self._now = health.time
        self._accounts = accounts
        self.query_one(SshSummary).show(ssh, self._now)
        self.query_one(AccountTable).show(accounts, self._now)
        self._problems.recovered()
        self.show_status()

    def show_status(self) -> None:
        accounts = self._accounts
        privileged = sum(a.privileged for a in accounts)
        line = Text(f"{len(accounts)} accounts · ")
        line.append(f"{privileged} privileged", PRIVILEGED_STYLE if privileged else "")
        if accounts:
            collected = max(a.collected_at for a in accounts)
            line.append(f" · collected {format_age(collected, self._now)}")
        else:
            line.append(" · none collected yet")
        line.append(self.filter_note())
        line.append(f"   updated {format_time(self._now)}")
        self.query_one(StatusLine).ok(line)
