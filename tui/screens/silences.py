"""What keeps alerts quiet, and who answers them: ``:silences`` (active, pending and expired; ``d``
expires the one under the cursor, after asking), ``:maintenance`` (the windows, open ones
first) and ``:oncall`` (who is on call now on each schedule).

The API shows what lies at, below or above the user's regions, and says which silences the
user may expire; ``d`` is hidden from users who may expire none.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Footer, Header

from core.security.permissions import Permission
from tui.alert_models import MaintenanceInfo, ScheduleInfo, SilenceInfo, SilenceState
from tui.client import ApiError, NocApiClient
from tui.screens.confirm import ConfirmScreen
from tui.screens.table_screen import TableScreen
from tui.screens.user_forms import region_names
from tui.session import Gate, Guarded, Session
from tui.units import format_time
from tui.widgets.alert_maintenance_table import MaintenanceTable, window_state
from tui.widgets.alert_oncall_table import OnCallTable
from tui.widgets.alert_silence_table import STATE_STYLE, SilenceTable
from tui.widgets.filter_bar import FilterBar
from tui.widgets.status_line import StatusLine

SILENCE_KEYS = Gate(
    {
        "expire": Guarded(
            "d", "Expire", Permission.MANAGE_SILENCES, "expire silences", changes=True
        ),
    }
)


class SilencesScreen(TableScreen):
    CSS_PATH = "silences.tcss"

    BINDINGS: ClassVar[list[BindingType]] = SILENCE_KEYS.bindings()

    def __init__(
        self,
        client: NocApiClient,
        session: Session,
        refresh_interval_s: float,
        read_only: bool = False,
    ) -> None:
        super().__init__(client, refresh_interval_s)
        self.session = session
        self.read_only = read_only
        self.silences: dict[str, SilenceInfo] = {}
        self._now: datetime | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield SilenceTable(id="silences")
        yield FilterBar(id="filter")
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "silences"
        self.table.border_title = "silences · active, pending, expired"
        self.table.focus()
        self.start_refreshing()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return SILENCE_KEYS.check(self.session, action, parameters, self.read_only)

    def action_refuse(self, action: str) -> None:
        self.notify(SILENCE_KEYS.refusal(action), title="Not allowed", severity="warning")

    def action_refresh(self) -> None:
        self._load()

    @work(exclusive=True, group="silences", exit_on_error=False)
    async def _load(self) -> None:
        try:
            health = await self._client.health()
            silences = await self._client.silences()
        except ApiError as exc:
            self._problems.failed(exc)
            return
        self._now = health.time
        self.silences = {s.id: s for s in silences}
        self.query_one(SilenceTable).show(silences, self._now)
        self._problems.recovered()
        self.show_status()

    def show_status(self) -> None:
        states = Counter(s.state for s in self.silences.values())
        line = Text(f"{len(self.silences)} silences")
        for state in SilenceState:
            if states[state]:
                line.append(f" · {states[state]} {state.value}", STATE_STYLE[state])
        line.append(self.filter_note())
        line.append(f"   as of {format_time(self._now)}")
        self.query_one(StatusLine).ok(line)

    def action_expire(self) -> None:
        key = self.table.cursor_key
        silence = self.silences.get(key) if key is not None else None
        if silence is None:
            self.notify("no silence under the cursor", title="Expire", severity="warning")
            return
        if silence.state is SilenceState.EXPIRED:
            self.notify("it has expired already", title="Expire")
            return
        if not silence.manageable:
            self.notify(
                "you may not expire this silence: it lies outside your regions",
                title="Not allowed",
                severity="warning",
            )
            return

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self._expire(silence)

        question = f"Expire the silence {silence.matchers}?"
        detail = f"by {silence.created_by}: {silence.comment}\nWhat it mutes is told again."
        self.app.push_screen(ConfirmScreen(question, detail, yes="Expire"), callback=answered)

    @work(group="silence-expire", exit_on_error=False)
    async def _expire(self, silence: SilenceInfo) -> None:
        try:
            await self._client.expire_silence(silence.id)
        except ApiError as exc:
            self.notify(exc.message, title="Expire refused", severity="error", timeout=10)
            return
        self.notify(f"silence {silence.matchers} expired", title="Expire")
        self.action_refresh()


class MaintenanceScreen(TableScreen):
    CSS_PATH = "silences.tcss"

    def __init__(self, client: NocApiClient, refresh_interval_s: float) -> None:
        super().__init__(client, refresh_interval_s)
        self.windows: list[MaintenanceInfo] = []
        self._names: dict[str, str] | None = None
        self._now: datetime | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield MaintenanceTable(id="windows")
        yield FilterBar(id="filter")
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "maintenance"
        self.table.border_title = "maintenance windows · open first"
        self.table.focus()
        self.start_refreshing()

    def action_refresh(self) -> None:
        self._load()

    @work(exclusive=True, group="maintenance", exit_on_error=False)
    async def _load(self) -> None:
        try:
            health = await self._client.health()
            windows = await self._client.maintenance()
            if self._names is None:
                self._names = region_names(await self._client.region_tree())
        except ApiError as exc:
            self._problems.failed(exc)
            return
        self._now, self.windows = health.time, windows
        self.query_one(MaintenanceTable).show(windows, self._now, self._names)
        self._problems.recovered()
        self.show_status()

    def show_status(self) -> None:
        states = Counter(window_state(w) for w in self.windows)
        line = Text(f"{len(self.windows)} maintenance windows")
        for state in ("open", "planned", "over"):
            if states[state]:
                line.append(f" · {states[state]} {state}")
        line.append(self.filter_note())
        line.append(f"   as of {format_time(self._now)}")
        self.query_one(StatusLine).ok(line)


class OnCallScreen(TableScreen):
    CSS_PATH = "silences.tcss"

    def __init__(self, client: NocApiClient, refresh_interval_s: float) -> None:
        super().__init__(client, refresh_interval_s)
        self.schedules: list[ScheduleInfo] = []
        self._names: dict[str, str] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield OnCallTable(id="oncall")
        yield FilterBar(id="filter")
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "on call"
        self.table.border_title = "on call now"
        self.table.focus()
        self.start_refreshing()

    def action_refresh(self) -> None:
        self._load()

    @work(exclusive=True, group="oncall", exit_on_error=False)
    async def _load(self) -> None:
        try:
            schedules = await self._client.oncall()
            if self._names is None:
                self._names = region_names(await self._client.region_tree())
        except ApiError as exc:
            self._problems.failed(exc)
            return
        self.schedules = schedules
        self.query_one(OnCallTable).show(schedules, self._names)
        self._problems.recovered()
        self.show_status()

    def show_status(self) -> None:
        nobody = sum(s.on_call is None for s in self.schedules)
        line = Text(f"{len(self.schedules)} schedules")
        if nobody:
            line.append(f" · {nobody} with nobody on call", "bold red")
        line.append(self.filter_note())
        at = self.schedules[0].at if self.schedules else None
        line.append(f"   as of {format_time(at)}")
        self.query_one(StatusLine).ok(line)
