"""``:rollouts``: staged rollouts of terminal firmware and parameter versions — what each moves
to what, where, its state and how far it has come — with the waves of the one under the cursor
below, each wave's gate and its figures, and the plan's gate policy.

For those who manage rollouts: ``n`` a new one (component, target and previous version,
regions, pilot size, waves like ``10,50,100``; created as a draft), ``s`` starts a draft, ``p``
pauses, ``u`` resumes (a halted one past its failed gate: the reason says why), ``b`` rolls back
(asks why, then asks again). Terminals learn their target in their next heartbeat reply.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import DataTable, Footer, Header, Static

from card_fleet.rollouts import RolloutState
from core.security.permissions import Permission
from tui.client import ApiError, NocApiClient
from tui.fleet_client import FleetCalls, RolloutDraft, RolloutMove
from tui.fleet_models import RolloutInfo
from tui.screens.confirm import ConfirmScreen
from tui.screens.fleet_forms import ReasonScreen, RolloutFormScreen
from tui.screens.table_screen import TableScreen
from tui.screens.user_forms import region_names
from tui.session import Gate, Guarded, Session
from tui.units import format_duration
from tui.widgets.filter_bar import FilterBar
from tui.widgets.fleet_palette import DIM, counted, rollout_state_text
from tui.widgets.keyed_table import KeyedTable
from tui.widgets.rollout_table import RolloutTable
from tui.widgets.rollout_wave_table import RolloutWaveTable
from tui.widgets.status_line import StatusLine

_MANAGE = Permission.MANAGE_ROLLOUTS
ROLLOUT_KEYS = Gate(
    {
        "new_rollout": Guarded("n", "New", _MANAGE, "create rollouts", changes=True),
        "start": Guarded("s", "Start", _MANAGE, "start rollouts", changes=True),
        "pause": Guarded("p", "Pause", _MANAGE, "pause rollouts", changes=True),
        "resume": Guarded("u", "Resume", _MANAGE, "resume rollouts", changes=True),
        "roll_back": Guarded("b", "Roll back", _MANAGE, "roll rollouts back", changes=True),
    }
)
_S = RolloutState
_MAY_FOLLOW: dict[str, frozenset[str]] = {
    "start": frozenset({_S.DRAFT}),
    "pause": frozenset({_S.RUNNING}),
    "resume": frozenset({_S.PAUSED, _S.HALTED}),
    "roll_back": frozenset({_S.RUNNING, _S.PAUSED, _S.HALTED, _S.COMPLETED}),
}
"""The states each key acts on (the API decides; this only answers sooner)."""


def plan_text(rollout: RolloutInfo, names: Mapping[str, str]) -> Text:
    """The plan's pilot and gate policy, and why it stands as it does."""
    gate = rollout.gate
    line = Text("pilot: ", "bold")
    if rollout.pilot_terminal_ids:
        line.append(", ".join(rollout.pilot_terminal_ids))
    else:
        line.append(f"{rollout.pilot_size} terminals" if rollout.pilot_size else "none")
    line.append("   gate: ", "bold")
    rise = gate.max_failure_rate_increase_points
    line.append(
        f"judged {format_duration(gate.soak_s)} after a wave opens · ≥ {gate.min_back_pct:g} % "
        f"back on {rollout.target_version} · read failures +{rise:g} points at most · "
        f"≤ {gate.max_psam_failures} PSAM failures"
    )
    if rollout.reason:
        line.append("\n")
        line.append_text(rollout_state_text(rollout.state))
        line.append(f": {rollout.reason}", "italic")
    return line


def _about(rollout: RolloutInfo) -> str:
    """The rollout as a reason dialog names it."""
    return f"{rollout.id} · {rollout.component} {rollout.target_version} · {rollout.state}"


class RolloutsScreen(TableScreen):
    CSS_PATH = "rollouts.tcss"

    BINDINGS: ClassVar[list[BindingType]] = ROLLOUT_KEYS.bindings()

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
        self._fleet = FleetCalls(client)
        self._rollouts: dict[str, RolloutInfo] = {}
        self._names: dict[str, str] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield RolloutTable(id="rollouts")
        yield RolloutWaveTable(id="waves")
        yield Static("", id="plan")
        yield FilterBar(id="filter")
        yield StatusLine(id="status")
        yield Footer()

    @property
    def table(self) -> KeyedTable:
        return self.query_one("#rollouts", RolloutTable)

    @property
    def rollouts(self) -> dict[str, RolloutInfo]:
        """The rollouts of the latest answer, by id."""
        return self._rollouts

    @property
    def selected(self) -> RolloutInfo | None:
        key = self.table.cursor_key
        return self._rollouts.get(key) if key is not None else None

    def on_mount(self) -> None:
        self.sub_title = "rollouts"
        self.table.border_title = "rollouts · oldest first"
        self.query_one(RolloutWaveTable).border_title = "waves"
        self.table.focus()
        self.start_refreshing()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return ROLLOUT_KEYS.check(self.session, action, parameters, self.read_only)

    def action_refuse(self, action: str) -> None:
        self.notify(ROLLOUT_KEYS.refusal(action), title="Not allowed", severity="warning")

    # ------------------------------------------------------------------ loading

    def action_refresh(self) -> None:
        self._load()

    @work(exclusive=True, group="rollouts", exit_on_error=False)
    async def _load(self) -> None:
        try:
            rollouts = await self._fleet.rollouts()
            if self._names is None:
                self._names = region_names(await self._client.region_tree())
        except ApiError as exc:
            self._problems.failed(exc)
            return
        self._rollouts = {r.id: r for r in rollouts}
        self.query_one(RolloutTable).show(rollouts, self._names)
        self._show_selected()
        self._problems.recovered()
        self.show_status()

    def show_status(self) -> None:
        running = sum(r.state == _S.RUNNING for r in self._rollouts.values())
        line = Text(f"{counted(len(self._rollouts), 'rollout')}, {running} running")
        if not ROLLOUT_KEYS.allows(self.session, "pause", self.read_only):
            line.append("   read only", DIM)
        line.append(self.filter_note())
        line.append(f"   every {self._refresh_interval_s:g} s")
        self.query_one(StatusLine).ok(line)

    @on(DataTable.RowHighlighted, "#rollouts")
    def _highlighted(self) -> None:
        self._show_selected()

    def _show_selected(self) -> None:
        rollout, names = self.selected, self._names or {}
        waves = self.query_one(RolloutWaveTable)
        waves.show(rollout, names)
        waves.border_title = f"waves of {rollout.id}" if rollout else "waves"
        self.query_one("#plan", Static).update(plan_text(rollout, names) if rollout else "")

    # ------------------------------------------------------------------ changes

    def _send(self, what: str, call: Callable[[], Awaitable[RolloutInfo]], done: str) -> None:
        """Run ``call``; say ``done`` (or the API's refusal) and ask for the list again."""

        async def run() -> None:
            try:
                changed = await call()
            except ApiError as exc:
                self.notify(exc.message, title=f"{what}: refused", severity="error", timeout=10)
                return
            self.notify(f"{changed.id} {done}", title=what)
            self._load_then_select(changed.id)

        self.run_worker(run(), group="rollout-change", exclusive=True, exit_on_error=False)

    def _load_then_select(self, rollout_id: str) -> None:
        async def run() -> None:
            await self._load().wait()
            keys = self.table.shown_keys
            if rollout_id in keys:
                self.table.move_cursor(row=keys.index(rollout_id), animate=False)

        self.run_worker(run(), group="rollout-select", exit_on_error=False)

    def _chosen(self, action: str) -> RolloutInfo | None:
        """The rollout under the cursor, if ``action`` applies to its state (else told)."""
        rollout = self.selected
        if rollout is None:
            self.notify("no rollout under the cursor", title="Rollouts", severity="warning")
            return None
        if rollout.state not in _MAY_FOLLOW[action]:
            wanted = " or ".join(sorted(_MAY_FOLLOW[action]))
            verb = ROLLOUT_KEYS.actions[action].label.lower()
            message = f"{rollout.id} is {rollout.state}: only a {wanted} rollout can {verb}"
            self.notify(message, title="Not now", severity="warning")
            return None
        return rollout

    def _move(self, rollout: RolloutInfo, move: RolloutMove, reason: str, done: str) -> None:
        title = f"{move.value} {rollout.id}"
        self._send(title, lambda: self._fleet.move_rollout(rollout.id, move, reason), done)

    def action_new_rollout(self) -> None:
        def drafted(draft: RolloutDraft | None) -> None:
            if draft is None:
                return
            done = "created as a draft: s starts it"
            self._send("new rollout", lambda: self._fleet.create_rollout(draft), done)

        self.app.push_screen(RolloutFormScreen(), callback=drafted)

    def action_start(self) -> None:
        rollout = self._chosen("start")
        if rollout is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._move(rollout, RolloutMove.START, "", "started: its first wave is open")

        question = f"Start {rollout.id}: {rollout.component} {rollout.target_version}?"
        detail = "Its first wave (the pilot, if any) opens at once."
        self.app.push_screen(ConfirmScreen(question, detail, yes="Start"), callback=confirmed)

    def action_pause(self) -> None:
        rollout = self._chosen("pause")
        if rollout is None:
            return

        def reasoned(reason: str | None) -> None:
            if reason is not None:
                self._move(rollout, RolloutMove.PAUSE, reason, "paused: no further wave opens")

        self.app.push_screen(
            ReasonScreen("pause the rollout", _about(rollout), action="Pause"), reasoned
        )

    def action_resume(self) -> None:
        rollout = self._chosen("resume")
        if rollout is None:
            return
        warning = ""
        if rollout.state == _S.HALTED:
            warning = "It halted on a failed gate: resuming overrides the gate."

        def reasoned(reason: str | None) -> None:
            if reason is not None:
                self._move(rollout, RolloutMove.RESUME, reason, "resumed")

        dialog = ReasonScreen(
            "resume the rollout", _about(rollout), action="Resume", warning=warning
        )
        self.app.push_screen(dialog, reasoned)

    def action_roll_back(self) -> None:
        rollout = self._chosen("roll_back")
        if rollout is None:
            return
        back_to = rollout.previous_version or "the version each ran before"
        warning = f"Every terminal it moved is pointed back to {back_to}."

        def reasoned(reason: str | None) -> None:
            if reason is None:
                return

            def confirmed(yes: bool | None) -> None:
                if yes:
                    self._move(rollout, RolloutMove.ROLLBACK, reason, "rolled back")

            question = f"Roll {rollout.id} back?"
            self.app.push_screen(ConfirmScreen(question, warning, yes="Roll back"), confirmed)

        dialog = ReasonScreen(
            "roll the rollout back", _about(rollout), action="Roll back", warning=warning
        )
        self.app.push_screen(dialog, reasoned)
