"""The NOC console: screens, keys and command mode. It routes; screens and widgets do the rest.

Who is at the keyboard decides what is offered: keys and commands that need a permission the
user lacks are hidden, and answered with a reason when typed anyway. The API refuses them
regardless — this only spares people a key that cannot work.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from functools import partial
from pathlib import Path
from typing import ClassVar, TypeVar

from pydantic import SecretStr
from textual import work
from textual.app import App, UnknownModeError
from textual.binding import Binding, BindingType
from textual.screen import Screen

from core.security.permissions import Permission
from tui.client import ApiError, ApiUnavailable, NocApiClient
from tui.command_routes import CommandRoutes
from tui.commands import NEEDS_PERMISSION, CommandError, parse_command
from tui.messages import OpenAccounts, OpenConfigs, OpenDevice, OpenRegion
from tui.screens.accounts import DeviceAccountsScreen
from tui.screens.alerts import ALERT_POLL_S
from tui.screens.command import CommandScreen
from tui.screens.configs import ConfigScreen
from tui.screens.device import DeviceScreen
from tui.screens.help import HelpScreen
from tui.screens.login import LoginScreen
from tui.screens.province import ProvinceScreen
from tui.screens.topology import OpenTopology, TopologyScreen
from tui.session import REFUSE, Gate, Guarded, Session, fetch_session, refusal

S = TypeVar("S", bound=Screen[None])

LOGIN_MODE = "login"
CONSOLE_MODE = "console"

DEVICE_KEYS = Gate(
    {
        "accounts": Guarded(
            "a", "Accounts", Permission.READ_ACCOUNTS, "see the local accounts of devices"
        ),
        "backup": Guarded(
            "b", "Back up", Permission.BACKUP_DEVICES, "back devices up", changes=True
        ),
        "configs": Guarded("c", "Configs", Permission.READ_CONFIGS, "read configuration histories"),
    }
)
"""Keys of the device, configuration and fleet screens (``b``, ``c``, ``a``) that need more than
reading the inventory."""


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
        # Behind the screens' own a, b and c: these answer only when the screen hides its key.
        *DEVICE_KEYS.refusal_bindings(),
    ]

    def __init__(
        self,
        client: NocApiClient,
        refresh_interval_s: float = 5.0,
        read_only: bool = False,
        *,
        username: str | None = None,
        password: SecretStr | str | None = None,
        export_dir: Path | None = None,
        alert_poll_s: float = ALERT_POLL_S,
    ) -> None:
        """``client`` with a bearer token of its own (a personal API token) goes straight to the
        province; without one the login screen comes first, pre-filled with ``username``;
        ``username`` and ``password`` together log in without showing it. ``export_dir``: where
        exports are written (default: the working directory); ``alert_poll_s``: how often the
        alert list asks for news."""
        if refresh_interval_s <= 0 or alert_poll_s <= 0:
            raise ValueError("refresh_interval_s and alert_poll_s must be positive")
        if password is not None and not username:
            raise ValueError("a password needs a username")
        super().__init__()
        self.client = client
        self.refresh_interval_s = refresh_interval_s
        self.read_only = read_only
        """Actions that do something (a backup now) are hidden and refused; reading is not."""
        self.export_dir = export_dir or Path.cwd()
        self.alert_poll_s = alert_poll_s
        self._routes = CommandRoutes(self)
        self.session = Session.pending()
        """Who is logged in and what they may do: nothing is offered until the server says."""
        self._username = username
        self._password = SecretStr(password) if isinstance(password, str) else password
        self._leaving = False
        self.province = ProvinceScreen(client, refresh_interval_s)
        client.on_session_lost = self._session_lost
        self._show_title()

    def get_default_screen(self) -> Screen[None]:
        # An empty lobby under the two modes the console lives in: the login screen's, and the
        # console's (the province and what is opened from it). Each mode is made anew for each
        # login and dropped whole at logout, so nothing of one user stays behind for the next.
        return Screen()

    def on_mount(self) -> None:
        if self._password is None and self.client.has_credentials:
            self._enter(CONSOLE_MODE, self.province)
            self._load_session()
            return
        password, self._password = self._password, None  # handed over once, not kept
        self._show_login(self._username, password)

    def _enter(self, mode: str, base: Screen[None]) -> None:
        """Make ``mode`` anew on ``base`` and show it; drop the mode that was shown."""
        if self.current_mode == mode:
            self.switch_mode(self.DEFAULT_MODE)  # the lobby, while the mode is made anew
        left = self.current_mode
        with suppress(UnknownModeError):
            self.remove_mode(mode)
        self.add_mode(mode, lambda: base)
        self.switch_mode(mode)
        if left != self.DEFAULT_MODE:
            self.remove_mode(left)

    def _show_login(
        self, username: str | None, password: SecretStr | None = None, note: str | None = None
    ) -> None:
        # Made here, not by the mode: the screen drops the password once used; a factory
        # kept by the mode would hold it for as long as the mode lives.
        self._enter(LOGIN_MODE, LoginScreen(self.client, username, password, note))

    # ------------------------------------------------------------------ who is logged in

    @work(exclusive=True, group="session", exit_on_error=False)
    async def _load_session(self) -> None:
        try:
            session = await fetch_session(self.client)
        except ApiUnavailable:
            # The screens say the API is away; ask again once it may be back.
            self.set_timer(self.refresh_interval_s, self._load_session)
            return
        except ApiError as exc:
            if not exc.unauthorized:  # a 401 has taken the console to the login screen
                self.notify(exc.message, title="Who are you?", severity="error")
            return
        self._begin(session)

    def _begin(self, session: Session) -> None:
        self.session = session
        self._leaving = False
        self._show_title()
        self.refresh_bindings()

    def _show_title(self) -> None:
        user = self.session.username
        title = f"{self.TITLE} · {user}" if user else self.TITLE
        self.title = f"{title} (read-only)" if self.read_only else title

    def on_login_screen_logged_in(self, message: LoginScreen.LoggedIn) -> None:
        self._begin(message.session)
        self._enter(CONSOLE_MODE, self.province)

    def _session_lost(self, why: str) -> None:
        if not self._leaving:
            self._leaving = True
            self.call_later(self._back_to_login, f"{why}: log in again")

    def _back_to_login(self, note: str | None = None) -> None:
        username = self.session.username or self._username
        self.session = Session.pending()
        self.client.forget_session()
        # Whoever logs in next starts afresh, with their own regions.
        self.province = ProvinceScreen(self.client, self.refresh_interval_s)
        self._show_login(username, note=note)
        self._show_title()

    @work(exclusive=True, group="session", exit_on_error=False)
    async def log_out(self) -> None:
        """End the session on the server, then back to the login screen."""
        self._leaving = True
        try:
            await self.client.logout()
        except ApiError as exc:
            self.log.warning(f"logout not confirmed by the server: {exc.message}")
        self._back_to_login("logged out")

    # ------------------------------------------------------------------ what is offered

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "command":
            return not isinstance(self.screen, LoginScreen)
        if action == REFUSE:
            name = str(parameters[0])
            return not DEVICE_KEYS.allows(self.session, name) and hasattr(
                self.screen, f"action_{name}"
            )
        return True

    def action_refuse(self, action: str) -> None:
        message = DEVICE_KEYS.refusal(action)
        self.notify(message, title="Not allowed", severity="warning")

    def offer(self, screen: S) -> S:
        """``screen`` with the keys of :data:`DEVICE_KEYS` hidden from a user who may not use
        them. Those screens know nothing of users; the app, which routes, decides what it
        offers — so it wraps their ``check_action`` rather than teach each one."""
        own = screen.check_action

        def check_action(action: str, parameters: tuple[object, ...]) -> bool | None:
            if not DEVICE_KEYS.allows(self.session, action, self.read_only):
                return False
            return own(action, parameters)

        screen.check_action = check_action  # type: ignore[method-assign]
        return screen

    def _allowed(self, action: str) -> bool:
        if DEVICE_KEYS.allows(self.session, action):
            return True
        self.action_refuse(action)
        return False

    # ------------------------------------------------------------------ audit

    def record_then_show(
        self, action: str, target: str | None, screen: Callable[[], Screen[None]]
    ) -> None:
        """Write what the user opens to the audit trail, then open it: the record is there
        before what it records is shown. Opening does not wait on a trail that cannot be
        written (the failure is logged)."""

        async def record_then_show() -> None:
            try:
                await self.client.record_console_action(action, target)
            except ApiError as exc:
                self.log.warning(f"console action {action} not recorded: {exc.message}")
            self.push_screen(screen())

        self.run_worker(record_then_show(), group="console-audit", exit_on_error=False)

    # ------------------------------------------------------------------ routes

    def on_open_device(self, message: OpenDevice) -> None:
        self.push_screen(
            self.offer(
                DeviceScreen(
                    self.client,
                    message.device_id,
                    self.refresh_interval_s,
                    read_only=self.read_only,
                )
            )
        )

    def on_open_configs(self, message: OpenConfigs) -> None:
        if not self._allowed("configs"):
            return
        configs = partial(
            ConfigScreen,
            self.client,
            message.device_id,
            self.refresh_interval_s,
            read_only=self.read_only,
        )
        self.record_then_show("open_configs", message.device_id, lambda: self.offer(configs()))

    def on_open_accounts(self, message: OpenAccounts) -> None:
        if not self._allowed("accounts"):
            return
        accounts = partial(
            DeviceAccountsScreen, self.client, message.device_id, self.refresh_interval_s
        )
        self.record_then_show("open_accounts", message.device_id, accounts)

    def on_open_region(self, message: OpenRegion) -> None:
        self.go_home()
        if not self.province.select_region(message.code):
            self.notify(f"no region {message.code}", title="Not found", severity="error")

    def on_open_topology(self, message: OpenTopology) -> None:
        code, shown = message.region_for(self.session), self.screen
        if isinstance(shown, TopologyScreen) and shown.code == code:
            self.call_next(shown.run_action, "refresh")
            return
        self.push_screen(TopologyScreen(self.client, code, self.refresh_interval_s, message.select))

    def go_home(self) -> None:
        """Back to the province screen."""
        while len(self.screen_stack) > 1 and self.screen is not self.province:
            self.pop_screen()

    def action_alerts(self) -> None:
        """``!`` on the province screen: ``:alerts``."""
        self.run_command("alerts")

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
        needed = NEEDS_PERMISSION.get(command.verb)
        if needed is not None and not self.session.can(needed[0]):
            message = refusal(*needed)
            if not self.session.known:
                message = "the console is still asking the server who you are: try again soon"
            self.notify(message, title="Not allowed", severity="warning")
            return
        self._routes.route(command.verb, command.argument)
