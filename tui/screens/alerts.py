"""``:alerts`` (``!`` on the province screen): the live alert list — firing first by severity,
then pending, then what someone holds or something mutes, dimmed — each root cause with its
consequences folded under it (space unfolds; a folded one says ``+3 consequences``).

It asks the API again every couple of seconds (:data:`ALERT_POLL_S`), in a worker, and updates
its rows in place: new alerts arrive without ``r``, the cursor stays where it was, and a new
critical alert rings the bell and says so. Enter shows an alert whole with its history; ``a``
takes one with a note (and maybe for how long), ``u`` gives it back, ``s`` silences it (matchers
drafted from its labels, editable). Those keys are hidden from users the API would refuse.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header, Static
from textual.worker import Worker

from core.security.permissions import Permission
from tui.alert_models import AlertInfo, AlertStatus, Severity, silence_draft
from tui.client import ApiError, NocApiClient
from tui.screens.alert_detail import AlertDetailScreen
from tui.screens.alert_forms import (
    AckRequest,
    AckScreen,
    SilenceRequest,
    SilenceScreen,
    UnackRequest,
    UnackScreen,
)
from tui.screens.table_screen import TableScreen
from tui.screens.user_forms import region_names
from tui.session import Gate, Guarded, Session
from tui.units import format_time
from tui.widgets.alert_palette import DIM, alert_counts
from tui.widgets.alert_table import AlertLine, AlertTable, alert_lines, cursor_text
from tui.widgets.filter_bar import FilterBar
from tui.widgets.status_line import StatusLine

ALERT_POLL_S = 2.0
"""How often the list asks the API again while it is shown."""
RUNG_AT_MOST = 3
"""New critical alerts told one by one; beyond this many at once, one line counts the rest."""

_ACK = Permission.ACKNOWLEDGE_ALERTS
ALERT_KEYS = Gate(
    {
        "ack": Guarded("a", "Ack", _ACK, "take alerts", changes=True),
        "unack": Guarded("u", "Unack", _ACK, "give alerts back", changes=True),
        "silence": Guarded(
            "s", "Silence", Permission.MANAGE_SILENCES, "silence alerts", changes=True
        ),
    }
)


class AlertsScreen(TableScreen):
    CSS_PATH = "alerts.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "fold", "Fold"),
        *ALERT_KEYS.bindings(),
        Binding("v", "toggle_resolved", "Resolved"),
    ]

    def __init__(
        self,
        client: NocApiClient,
        session: Session,
        refresh_interval_s: float,
        poll_interval_s: float = ALERT_POLL_S,
        read_only: bool = False,
    ) -> None:
        """``poll_interval_s``: how often the list is asked for again; ``refresh_interval_s``:
        how often the screens opened from it refresh themselves."""
        super().__init__(client, poll_interval_s)
        self.session = session
        self.read_only = read_only
        self.show_resolved = False
        self._detail_refresh_s = refresh_interval_s
        self._alerts: dict[str, AlertInfo] = {}
        self._muted: dict[str, tuple[str, ...]] = {}
        self._lines: dict[str, AlertLine] = {}
        self._unfolded: set[str] = set()
        self._filtering = False
        self._names: dict[str, str] | None = None
        self._now: datetime | None = None
        self._loader: Worker[None] | None = None
        self._loud: set[str] | None = None
        """Critical alerts firing unmuted at the last answer (None before the first)."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("loading…", id="counts")
        yield AlertTable(id="alerts")
        yield Static("", id="under-cursor")
        yield FilterBar(id="filter")
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "alerts"
        self.table.border_title = "alerts · worst first"
        self.table.focus()
        self.set_interval(self._refresh_interval_s, self.poll)
        self.action_refresh()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return ALERT_KEYS.check(self.session, action, parameters, self.read_only)

    def action_refuse(self, action: str) -> None:
        self.notify(ALERT_KEYS.refusal(action), title="Not allowed", severity="warning")

    @property
    def alerts(self) -> dict[str, AlertInfo]:
        """The alerts of the latest answer, by fingerprint."""
        return self._alerts

    # ------------------------------------------------------------------ loading

    def poll(self) -> None:
        """What the timer calls: ask again, unless hidden or the last question is unanswered."""
        if self.is_current and (self._loader is None or self._loader.is_finished):
            self.action_refresh()

    def action_refresh(self) -> None:
        self._loader = self._load()

    @work(exclusive=True, group="alerts", exit_on_error=False)
    async def _load(self) -> None:
        try:
            health = await self._client.health()
            alerts = await self._client.alerts()
            if self._names is None:
                self._names = region_names(await self._client.region_tree())
        except ApiError as exc:
            self._problems.failed(exc)
            return
        self._now = health.time
        self._alerts = {a.fingerprint: a for a in alerts}
        self._muted = {a.fingerprint: tuple(a.muted_by) for a in alerts if a.muted_by}
        self._ring(alerts)
        self._show_rows()
        self._show_counts()
        self._problems.recovered()
        self.show_status()

    def _ring(self, alerts: list[AlertInfo]) -> None:
        """The bell and a notification for each critical alert that fired since the last
        answer (not for those already there when the screen opened, nor muted ones)."""
        loud = {
            a.fingerprint
            for a in alerts
            if a.status is AlertStatus.FIRING
            and a.severity is Severity.CRITICAL
            and not self._muted.get(a.fingerprint)
        }
        before = loud if self._loud is None else self._loud
        self._loud = loud
        new = [a for a in alerts if a.fingerprint in loud - before]
        if not new:
            return
        self.app.bell()
        for alert in new[:RUNG_AT_MOST]:
            where = f" · {self._region_name(alert)}" if alert.region else ""
            title = f"critical · {alert.rule}{where}"
            self.notify(alert.summary, title=title, severity="error", timeout=15)
        if len(new) > RUNG_AT_MOST:
            more = f"and {len(new) - RUNG_AT_MOST} more critical alerts"
            self.notify(more, title="critical", severity="error", timeout=15)

    def _region_name(self, alert: AlertInfo) -> str:
        code = alert.region or ""
        name = (self._names or {}).get(code)
        return f"{name} {code}" if name else code

    def _show_rows(self) -> None:
        lines = alert_lines(
            list(self._alerts.values()),
            self._unfolded,
            self._muted,
            show_resolved=self.show_resolved,
            unfold_all=self._filtering,
        )
        self._lines = {line.alert.fingerprint: line for line in lines}
        self.query_one(AlertTable).show(lines, self._now, self._names or {})
        self._show_under_cursor()

    def _show_counts(self) -> None:
        counts = alert_counts(list(self._alerts.values()), self._muted)
        self.query_one("#counts", Static).update(counts)

    def show_status(self) -> None:
        line = Text(f"{len(self._alerts)} alerts")
        if not self.show_resolved:
            resolved = sum(a.status is AlertStatus.RESOLVED for a in self._alerts.values())
            line.append(f" ({resolved} resolved hidden: v)" if resolved else "")
        if not ALERT_KEYS.allows(self.session, "ack", self.read_only):
            line.append("   read only", DIM)
        line.append(self.filter_note())
        line.append(f"   as of {format_time(self._now)} · every {self._refresh_interval_s:g} s")
        self.query_one(StatusLine).ok(line)

    # ------------------------------------------------------------------ the cursor

    @on(DataTable.RowHighlighted, "#alerts")
    def _highlighted(self) -> None:
        self._show_under_cursor()

    def _show_under_cursor(self) -> None:
        key = self.table.cursor_key
        line = self._lines.get(key) if key is not None else None
        self.query_one("#under-cursor", Static).update(cursor_text(line) if line else "")

    def _selected(self) -> AlertInfo | None:
        key = self.table.cursor_key
        alert = self._alerts.get(key) if key is not None else None
        if alert is None:
            self.notify("no alert under the cursor", title="Alerts", severity="warning")
        return alert

    def _move_to(self, fingerprint: str) -> None:
        keys = self.table.shown_keys
        if fingerprint in keys:
            self.table.move_cursor(row=keys.index(fingerprint), animate=False)

    # ------------------------------------------------------------------ folding and views

    def action_fold(self) -> None:
        """Unfold a root cause, fold it again; on a consequence, fold its cause."""
        key = self.table.cursor_key
        line = self._lines.get(key) if key is not None else None
        if line is None:
            return
        target = line.alert.fingerprint
        if line.depth > 0 and line.alert.caused_by is not None:
            target = line.alert.caused_by
            self._unfolded.discard(target)
        elif not line.consequences:
            return
        elif target in self._unfolded:
            self._unfolded.discard(target)
        else:
            self._unfolded.add(target)
        self._show_rows()
        self._move_to(target)
        self.show_status()

    def action_toggle_resolved(self) -> None:
        self.show_resolved = not self.show_resolved
        self._show_rows()
        self.show_status()

    def _apply_filter(self, text: str) -> None:
        # A filter looks into folded consequences too: everything unfolds while it holds.
        self._filtering = bool(text.strip())
        self._show_rows()
        super()._apply_filter(text)

    @on(DataTable.RowSelected, "#alerts")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        fingerprint = event.row_key.value
        if fingerprint is None or fingerprint not in self._alerts:
            return
        detail = AlertDetailScreen(
            self._client,
            fingerprint,
            self._detail_refresh_s,
            names=self._names,
            known=self._alerts,
            muted_by=self._muted.get(fingerprint, ()),
        )
        self.app.push_screen(detail)

    # ------------------------------------------------------------------ taking and muting

    def _change(self, what: str, call: Callable[[], Awaitable[Any]], done: str) -> None:
        """Run ``call``; say ``done`` (or the API's refusal) and ask for the list again."""

        async def run() -> None:
            try:
                await call()
            except ApiError as exc:
                self.notify(exc.message, title=f"{what} refused", severity="error", timeout=10)
                return
            self.notify(done, title=what)
            self.action_refresh()

        self.run_worker(run(), group="alert-change", exclusive=True, exit_on_error=False)

    def _after(self, seconds: float | None) -> datetime | None:
        """``seconds`` after the server's time (the console's own clock may be off)."""
        if seconds is None or self._now is None:
            return None
        return self._now + timedelta(seconds=seconds)

    def _may_take(self, alert: AlertInfo, action: str) -> bool:
        """Whether the user takes alerts where ``alert`` lies (else they are told): the key
        shows for anyone who may somewhere, the API answers 404 elsewhere."""
        permission, session = _ACK, self.session
        if alert.region is None:
            allowed = session.can_province_wide(permission)
        else:
            allowed = session.can(permission, alert.region)
        if not allowed:
            where = self._region_name(alert) or "the whole province"
            message = f"{ALERT_KEYS.refusal(action)} in {where}"
            self.notify(message, title="Not allowed", severity="warning")
        return allowed

    def action_ack(self) -> None:
        alert = self._selected()
        if alert is None or not self._may_take(alert, "ack"):
            return
        if alert.status is AlertStatus.RESOLVED:
            self.notify(f"{alert.rule} has resolved: nothing to take", title="Ack")
            return

        def taken(request: AckRequest | None) -> None:
            if request is None:
                return
            until = self._after(request.hold_for_s)
            self._change(
                "Ack",
                lambda: self._client.ack(alert.fingerprint, request.note, until),
                f"you hold {alert.rule}" + (f" until {format_time(until)}" if until else ""),
            )

        self.app.push_screen(AckScreen(alert), callback=taken)

    def action_unack(self) -> None:
        alert = self._selected()
        if alert is None or not self._may_take(alert, "unack"):
            return
        if alert.acknowledgement is None:
            self.notify(f"nobody holds {alert.rule}", title="Unack")
            return

        def given_back(request: UnackRequest | None) -> None:
            if request is not None:
                self._change(
                    "Unack",
                    lambda: self._client.unack(alert.fingerprint, request.reason),
                    f"{alert.rule} given back: its escalation starts again",
                )

        self.app.push_screen(UnackScreen(alert), callback=given_back)

    def action_silence(self) -> None:
        alert = self._selected()
        if alert is None:
            return

        def chosen(request: SilenceRequest | None) -> None:
            if request is None:
                return
            ends_at = self._after(request.duration_s)
            matchers, until_resolved = request.matchers, request.until_resolved
            self._change(
                "Silence",
                lambda: self._client.create_silence(
                    matchers, request.comment, ends_at, until_resolved=until_resolved
                ),
                f"silenced {matchers}",
            )

        self.app.push_screen(SilenceScreen(alert, silence_draft(alert)), callback=chosen)
