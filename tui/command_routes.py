"""Where each command of command mode (``:``) leads: the screen it opens — or refreshes, when it
is shown already — or what it does. The app has checked the user may run it; this only routes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.screen import Screen

from tui.commands import CommandError, Verb
from tui.messages import OpenDevice, OpenRegion
from tui.screens.alerts import AlertsScreen
from tui.screens.audit import AuditScreen
from tui.screens.backups import BackupsScreen
from tui.screens.failover import FailoverScreen
from tui.screens.fleet_accounts import FleetAccountsScreen
from tui.screens.login import PasswordScreen
from tui.screens.provisioning import ProvisioningScreen
from tui.screens.rollouts import RolloutsScreen
from tui.screens.security import SecurityScreen
from tui.screens.silences import MaintenanceScreen, OnCallScreen, SilencesScreen
from tui.screens.terminal_fleet import TerminalFleetScreen, fleet_screen
from tui.screens.topology import OpenTopology, region_for_command
from tui.screens.users import UsersScreen

if TYPE_CHECKING:
    from tui.app import NocConsole


class CommandRoutes:
    """The routes of one console."""

    def __init__(self, app: NocConsole) -> None:
        self._app = app

    def route(self, verb: Verb, argument: str | None) -> None:
        app = self._app
        client, interval, session = app.client, app.refresh_interval_s, app.session
        match verb:
            case Verb.DEVICE:
                app.post_message(OpenDevice(argument or ""))
            case Verb.REGION:
                app.post_message(OpenRegion(argument or ""))
            case Verb.BACKUPS:
                if not self._refresh_if_shown(BackupsScreen):
                    app.push_screen(app.offer(BackupsScreen(client, interval, app.read_only)))
            case Verb.ACCOUNTS:
                fleet = partial(FleetAccountsScreen, client, interval)
                self._open(FleetAccountsScreen, fleet, "open_accounts")
            case Verb.USERS:
                users = partial(UsersScreen, client, session, interval, app.read_only)
                self._open(UsersScreen, users)
            case Verb.AUDIT:
                audit = partial(AuditScreen, client, session, interval, app.export_dir)
                self._open(AuditScreen, audit, "open_audit")
            case Verb.SECURITY:
                security = partial(
                    SecurityScreen, client, session, interval, app.read_only, app.export_dir
                )
                self._open(SecurityScreen, security, "open_security")
            case Verb.FAILOVER:
                self._open(FailoverScreen, partial(FailoverScreen, client, interval))
            case Verb.TOPOLOGY:
                self._topology(argument)
            case Verb.ALERTS:
                alerts = partial(
                    AlertsScreen, client, session, interval, app.alert_poll_s, app.read_only
                )
                self._open(AlertsScreen, alerts)
            case Verb.SILENCES:
                silences = partial(SilencesScreen, client, session, interval, app.read_only)
                self._open(SilencesScreen, silences)
            case Verb.MAINTENANCE:
                self._open(MaintenanceScreen, partial(MaintenanceScreen, client, interval))
            case Verb.ONCALL:
                self._open(OnCallScreen, partial(OnCallScreen, client, interval))
            case Verb.TERMINALS | Verb.PROVISION | Verb.ROLLOUTS:
                self._fleet(verb, argument)
            case Verb.PASSWORD:
                app.push_screen(PasswordScreen(client))
            case Verb.LOGOUT:
                self._logout()
            case Verb.HOME:
                app.go_home()
            case Verb.REFRESH:
                app.call_next(app.screen.run_action, "refresh")
            case Verb.HELP:
                app.action_help()
            case Verb.QUIT:
                app.exit()

    def _topology(self, argument: str | None) -> None:
        app = self._app
        province = app.province
        chosen = province.region_tree.selected_code if province.is_mounted else None
        try:
            app.post_message(OpenTopology(region_for_command(argument, chosen, app.session)))
        except CommandError as exc:
            app.notify(str(exc), title="Command", severity="warning")

    def _fleet(self, verb: Verb, region: str | None) -> None:
        """The card-terminal fleet's screens: the fleet by region, the provisioning station,
        the rollouts."""
        app = self._app
        opened = (app.client, app.session, app.refresh_interval_s, app.read_only)
        if verb is Verb.PROVISION:
            self._open(ProvisioningScreen, partial(ProvisioningScreen, *opened))
        elif verb is Verb.ROLLOUTS:
            self._open(RolloutsScreen, partial(RolloutsScreen, *opened))
        else:
            self._terminals(region)

    def _terminals(self, region: str | None) -> None:
        app = self._app
        shown = app.screen
        if region is None and isinstance(shown, TerminalFleetScreen) and shown.area is None:
            app.call_next(shown.run_action, "refresh")
            return
        try:
            screen = fleet_screen(
                app.client, app.session, app.refresh_interval_s, app.read_only, region
            )
        except ValueError as exc:
            app.notify(str(exc), title="Command", severity="warning")
            return
        app.push_screen(screen)

    def _refresh_if_shown(self, kind: type[Screen[None]]) -> bool:
        # Asked for while it is shown: refresh it rather than stack a second one.
        screen = self._app.screen
        if isinstance(screen, kind):
            self._app.call_next(screen.run_action, "refresh")
            return True
        return False

    def _open(
        self, kind: type[Screen[None]], make: Callable[[], Screen[None]], record: str | None = None
    ) -> None:
        if self._refresh_if_shown(kind):
            return
        if record is None:
            self._app.push_screen(make())
        else:
            self._app.record_then_show(record, None, make)

    def _logout(self) -> None:
        app = self._app
        if not app.client.has_session:
            app.notify(
                "you came in with an API token: there is no session to end (q quits)",
                title="Logout",
                severity="warning",
            )
            return
        app.log_out()
