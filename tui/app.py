"""The NOC console: screens, keys and command mode. It routes; screens and widgets do the rest."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from tui.client import NocApiClient
from tui.commands import CommandError, Verb, parse_command
from tui.messages import OpenAccounts, OpenConfigs, OpenDevice, OpenRegion
from tui.screens.accounts import DeviceAccountsScreen
from tui.screens.backups import BackupsScreen
from tui.screens.command import CommandScreen
from tui.screens.configs import ConfigScreen
from tui.screens.device import DeviceScreen
from tui.screens.fleet_accounts import FleetAccountsScreen
from tui.screens.help import HelpScreen
from tui.screens.province import ProvinceScreen


class NocConsole(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "ssnoc"
    # Command mode (:) is the console's palette, as in k9s; Textual's own would be a second one.
    ENABLE_COMMAND_PALETTE = False

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        Binding("question_mark", "help", "Help"),
        Binding("colon", "command", "Command"),
    ]

    def __init__(
        self,
        client: NocApiClient,
        refresh_interval_s: float = 5.0,
        read_only: bool = False,
    ) -> None:
        if refresh_interval_s <= 0:
            raise ValueError("refresh_interval_s must be positive")
        super().__init__()
        self.client = client
        self.refresh_interval_s = refresh_interval_s
        self.read_only = read_only
        """Actions that do something (a backup now) are hidden and refused; reading is not."""
        self.province = ProvinceScreen(client, refresh_interval_s)
        if read_only:
            self.title = f"{self.TITLE} (read-only)"

    def get_default_screen(self) -> Screen[None]:
        return self.province

    # ------------------------------------------------------------------ routes

    def on_open_device(self, message: OpenDevice) -> None:
        self.push_screen(
            DeviceScreen(
                self.client, message.device_id, self.refresh_interval_s, read_only=self.read_only
            )
        )

    def on_open_configs(self, message: OpenConfigs) -> None:
        self.push_screen(
            ConfigScreen(
                self.client, message.device_id, self.refresh_interval_s, read_only=self.read_only
            )
        )

    def on_open_accounts(self, message: OpenAccounts) -> None:
        self.push_screen(
            DeviceAccountsScreen(self.client, message.device_id, self.refresh_interval_s)
        )

    def on_open_region(self, message: OpenRegion) -> None:
        self._home()
        if not self.province.select_region(message.code):
            self.notify(f"no region {message.code}", title="Not found", severity="error")

    def _home(self) -> None:
        while len(self.screen_stack) > 1 and self.screen is not self.province:
            self.pop_screen()

    def _refresh_if_shown(self, kind: type[Screen[None]]) -> bool:
        # Asked for while it is shown: refresh it rather than stack a second one.
        if isinstance(self.screen, kind):
            self.call_next(self.screen.run_action, "refresh")
            return True
        return False

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_command(self) -> None:
        self.push_screen(CommandScreen(), callback=self.run_command)

    def run_command(self, line: str | None) -> None:
        if not line:
            return
        try:
            command = parse_command(line)
        except CommandError as exc:
            self.notify(str(exc), title="Command", severity="warning")
            return
        match command.verb:
            case Verb.DEVICE:
                self.post_message(OpenDevice(command.argument or ""))
            case Verb.REGION:
                self.post_message(OpenRegion(command.argument or ""))
            case Verb.BACKUPS:
                if not self._refresh_if_shown(BackupsScreen):
                    interval = self.refresh_interval_s
                    self.push_screen(BackupsScreen(self.client, interval, self.read_only))
            case Verb.ACCOUNTS:
                if not self._refresh_if_shown(FleetAccountsScreen):
                    self.push_screen(FleetAccountsScreen(self.client, self.refresh_interval_s))
            case Verb.HOME:
                self._home()
            case Verb.REFRESH:
                self.call_next(self.screen.run_action, "refresh")
            case Verb.HELP:
                self.action_help()
            case Verb.QUIT:
                self.exit()
