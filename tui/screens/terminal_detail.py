"""Enter on a terminal: all of it — where it stands, its life state, PSAM and credential, the
versions the registry knows — its latest heartbeat beside, and its history below (who changed
what, when and why).

``s`` suspends it, ``u`` resumes it, ``l`` marks it lost (its credential is revoked at once, its
PSAM stays bound), ``x`` retires it — each asking why, lost and retired asking again before they
act. ``p`` releases a lost terminal's PSAM binding, for security officers. Keys the user may not
use are hidden, and answered with the reason when pressed anyway; one the terminal's state
refuses is answered with why before anything is asked. The API decides in the end.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Footer, Header, Static

from card_fleet.model import TerminalState, can_move
from core.security.permissions import Permission
from tui.client import ApiError, NocApiClient
from tui.fleet_client import FleetCalls, TerminalMove
from tui.fleet_models import TerminalInfo, TerminalStatusInfo
from tui.screens.confirm import ConfirmScreen
from tui.screens.fleet_forms import ReasonScreen
from tui.screens.refreshing import RefreshingScreen
from tui.screens.user_forms import region_names
from tui.session import Gate, Guarded, Session
from tui.units import MISSING, format_age, format_duration, format_time
from tui.widgets.fleet_area_table import area_name
from tui.widgets.fleet_palette import (
    BAD,
    DIM,
    failure_rate_text,
    online_mark,
    psam_text,
    state_text,
)
from tui.widgets.status_line import StatusLine
from tui.widgets.terminal_history_table import TerminalHistoryTable

_PROVISION = Permission.PROVISION_TERMINALS
_RELEASE = Permission.RELEASE_PSAM_BINDINGS
TERMINAL_KEYS = Gate(
    {
        "suspend": Guarded("s", "Suspend", _PROVISION, "suspend terminals", changes=True),
        "resume": Guarded("u", "Resume", _PROVISION, "resume terminals", changes=True),
        "lost": Guarded("l", "Lost", _PROVISION, "mark terminals lost", changes=True),
        "retire": Guarded("x", "Retire", _PROVISION, "retire terminals", changes=True),
        "release_psam": Guarded(
            "p", "Release PSAM", _RELEASE, "release the PSAM of a lost terminal", changes=True
        ),
    }
)
_KEY = "bright_black"


@dataclass(frozen=True)
class _Change:
    """A life change a key asks for: its route, the state it leads to, how it is asked."""

    move: TerminalMove
    to: TerminalState
    title: str
    done: str
    warning: str = ""
    confirm: str = ""
    """Asked again before it acts (empty: not asked)."""


_CHANGES = {
    "suspend": _Change(
        TerminalMove.SUSPEND,
        TerminalState.SUSPENDED,
        "suspend the terminal",
        "suspended: its heartbeats are refused until it is resumed",
    ),
    "resume": _Change(TerminalMove.RESUME, TerminalState.ACTIVE, "resume the terminal", "resumed"),
    "lost": _Change(
        TerminalMove.LOST,
        TerminalState.LOST,
        "mark the terminal lost",
        "marked lost: its credential is revoked",
        warning="Its credential is revoked at once. Its PSAM stays bound until a security "
        "officer releases it.",
        confirm="Mark {id} lost?",
    ),
    "retire": _Change(
        TerminalMove.RETIRE,
        TerminalState.RETIRED,
        "retire the terminal",
        "retired: its credential is revoked and its PSAM released",
        warning="Its credential is revoked and its PSAM released. Nothing leaves retired.",
        confirm="Retire {id} for good?",
    ),
}


def _grid() -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style=_KEY, no_wrap=True, min_width=12)
    grid.add_column()
    return grid


def terminal_facts(terminal: TerminalInfo, names: Mapping[str, str]) -> Table:
    """What the registry knows of the terminal."""
    grid = _grid()
    grid.add_row("terminal", Text(terminal.id, "bold"))
    grid.add_row("state", state_text(terminal.state))
    grid.add_row("site", terminal.site)
    grid.add_row("county", area_name(terminal.county, names))
    grid.add_row("city", area_name(terminal.city, names))
    grid.add_row("kind · model", f"{terminal.kind} · {terminal.model}")
    grid.add_row("serial", terminal.serial)
    psam = terminal.psam_terminal_number
    grid.add_row("PSAM", Text(psam) if psam else Text("not bound", DIM))
    credential = Text("issued", "green") if terminal.has_credential else Text("none", DIM)
    grid.add_row("credential", credential)
    grid.add_row("firmware", terminal.firmware_version or MISSING)
    grid.add_row("parameters", terminal.parameter_version or MISSING)
    grid.add_row("registered", format_time(terminal.registered_at))
    grid.add_row("changed", format_time(terminal.updated_at))
    return grid


def latest_status(status: TerminalStatusInfo | None, now: datetime | None) -> Table | Text:
    """The terminal's latest heartbeat, or that it never sent one."""
    if status is None:
        return Text("never heard from: no heartbeat yet", DIM)
    grid = _grid()
    seen = Text(format_age(status.last_seen_at, now))
    seen.append(f"  ({format_time(status.last_seen_at)})", DIM)
    grid.add_row("last seen", seen)
    grid.add_row("online", online_mark(status.online))
    reader = Text("present", "green") if status.reader_present else Text("missing", BAD)
    grid.add_row("card reader", reader)
    grid.add_row("PSAM", psam_text(status.psam_status))
    reads = Text(f"{status.window_reads} read, {status.window_failures} failed · ")
    reads.append_text(failure_rate_text(status.failure_rate))
    grid.add_row("card reads", reads)
    grid.add_row("firmware", status.firmware_version)
    grid.add_row("parameters", status.parameter_version)
    grid.add_row("blacklist", status.blacklist_version)
    grid.add_row("uptime", format_duration(status.uptime_s))
    grid.add_row("free storage", f"{status.free_storage_mb} MB")
    unsent = Text(str(status.unsent_transactions), "yellow" if status.unsent_transactions else "")
    grid.add_row("unsent", unsent)
    return grid


class TerminalDetailScreen(RefreshingScreen):
    CSS_PATH = "terminal_detail.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("r", "refresh", "Refresh"),
        *TERMINAL_KEYS.bindings(),
    ]

    def __init__(
        self,
        client: NocApiClient,
        session: Session,
        terminal_id: str,
        refresh_interval_s: float,
        read_only: bool = False,
        *,
        names: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(client, refresh_interval_s)
        self.session = session
        self.terminal_id = terminal_id
        self.read_only = read_only
        self._fleet = FleetCalls(client)
        self._names = dict(names or {})
        self.terminal: TerminalInfo | None = None
        self._now: datetime | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="panes"):
            yield Static("loading…", id="facts")
            yield Static("", id="latest")
        yield TerminalHistoryTable(id="history")
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"terminal · {self.terminal_id}"
        self.query_one("#facts").border_title = "terminal"
        self.query_one("#latest").border_title = "latest heartbeat"
        self.query_one(TerminalHistoryTable).border_title = "history · oldest first"
        self.query_one(TerminalHistoryTable).focus()
        self.start_refreshing()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return TERMINAL_KEYS.check(self.session, action, parameters, self.read_only)

    def action_refuse(self, action: str) -> None:
        self.notify(TERMINAL_KEYS.refusal(action), title="Not allowed", severity="warning")

    def action_back(self) -> None:
        self.dismiss()

    # ------------------------------------------------------------------ loading

    def action_refresh(self) -> None:
        self._load()

    @work(exclusive=True, group="terminal-detail", exit_on_error=False)
    async def _load(self) -> None:
        try:
            server = await self._client.health()
            terminal = await self._fleet.terminal(self.terminal_id)
            history = await self._fleet.terminal_history(self.terminal_id)
            if not self._names:
                self._names = region_names(await self._client.region_tree())
        except ApiError as exc:
            if exc.not_found:
                message = f"no terminal {self.terminal_id} in your regions"
                self.query_one("#facts", Static).update(Text(f"✗ {message}", style="red"))
            self._problems.failed(exc)
            return
        self.terminal, self._now = terminal, server.time
        self.query_one("#facts", Static).update(terminal_facts(terminal, self._names))
        self.query_one("#latest", Static).update(latest_status(terminal.status, self._now))
        self.query_one(TerminalHistoryTable).show(history)
        self._problems.recovered()
        line = Text(f"{terminal.id}: ")
        line.append_text(state_text(terminal.state))
        line.append(f" · {len(history)} changes   as of {format_time(self._now)}")
        self.query_one(StatusLine).ok(line)

    # ------------------------------------------------------------------ changes

    def _may(self, action: str, terminal: TerminalInfo) -> bool:
        """Whether the user holds the key's permission where the terminal lies (else told)."""
        permission = TERMINAL_KEYS.actions[action].permission
        if self.session.can(permission, terminal.county):
            return True
        where = area_name(terminal.county, self._names)
        message = f"{TERMINAL_KEYS.refusal(action)} in {where}"
        self.notify(message, title="Not allowed", severity="warning")
        return False

    def _loaded(self) -> TerminalInfo | None:
        if self.terminal is None:
            self.notify("the terminal is not loaded yet", title="Terminal", severity="warning")
        return self.terminal

    def _refused_by_state(self, terminal: TerminalInfo, to: TerminalState) -> bool:
        try:
            before = TerminalState(terminal.state)
        except ValueError:
            return False  # a state this console does not know: the API decides
        # provisioned → active is allowed, but only a first heartbeat makes it: resuming is for
        # suspended terminals.
        resumable = to is not TerminalState.ACTIVE or before is TerminalState.SUSPENDED
        if resumable and can_move(before, to):
            return False
        message = f"{terminal.id} is {before.value}: it cannot become {to.value}"
        self.notify(message, title="Not now", severity="warning")
        return True

    def _change(self, action: str) -> None:
        terminal = self._loaded()
        if terminal is None or not self._may(action, terminal):
            return
        change = _CHANGES[action]
        if self._refused_by_state(terminal, change.to):
            return
        about = f"{terminal.id} · {terminal.site} · {terminal.state}"

        def reasoned(reason: str | None) -> None:
            if reason is None:
                return

            def confirmed(yes: bool | None = True) -> None:
                if yes:
                    self._send(change.title, lambda: self._move(change, reason), change.done)

            if not change.confirm:
                confirmed()
                return
            question = change.confirm.format(id=terminal.id)
            self.app.push_screen(ConfirmScreen(question, change.warning), callback=confirmed)

        dialog = ReasonScreen(change.title, about, action=change.title, warning=change.warning)
        self.app.push_screen(dialog, callback=reasoned)

    async def _move(self, change: _Change, reason: str) -> object:
        return await self._fleet.move_terminal(self.terminal_id, change.move, reason)

    def _send(self, what: str, call: Callable[[], Awaitable[object]], done: str) -> None:
        """Run ``call`` (a coroutine function); say ``done`` or the API's refusal; reload."""

        async def run() -> None:
            try:
                await call()
            except ApiError as exc:
                self.notify(exc.message, title=f"{what}: refused", severity="error", timeout=10)
                return
            self.notify(f"{self.terminal_id} {done}", title=what)
            self.action_refresh()

        self.run_worker(run(), group="terminal-change", exclusive=True, exit_on_error=False)

    def action_suspend(self) -> None:
        self._change("suspend")

    def action_resume(self) -> None:
        self._change("resume")

    def action_lost(self) -> None:
        self._change("lost")

    def action_retire(self) -> None:
        self._change("retire")

    def action_release_psam(self) -> None:
        terminal = self._loaded()
        if terminal is None or not self._may("release_psam", terminal):
            return
        if terminal.state != TerminalState.LOST or not terminal.psam_terminal_number:
            held = terminal.psam_terminal_number or "no PSAM"
            message = f"only a lost terminal's PSAM is released here: {terminal.id} is "
            self.notify(message + f"{terminal.state} and holds {held}", title="Not now")
            return
        about = f"{terminal.id} · lost · PSAM {terminal.psam_terminal_number}"
        warning = "The PSAM may then be bound to another terminal."

        def reasoned(reason: str | None) -> None:
            if reason is None:
                return
            self._send(
                "release the PSAM",
                lambda: self._fleet.release_psam(self.terminal_id, reason),
                f"PSAM {terminal.psam_terminal_number} released",
            )

        dialog = ReasonScreen("release the PSAM binding", about, warning=warning, action="Release")
        self.app.push_screen(dialog, callback=reasoned)
