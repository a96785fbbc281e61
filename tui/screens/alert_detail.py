"""Enter on an alert: all of it — what, where, since when, who holds it and what they said, its
root cause or its consequences, what mutes it, its runbook, every label and annotation — and its
history below, each transition with who made it and why."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from tui.alert_models import AlertDetail, AlertInfo
from tui.client import ApiError, NocApiClient
from tui.screens.refreshing import RefreshingScreen
from tui.units import MISSING, format_time
from tui.widgets.alert_history_table import HistoryTable
from tui.widgets.alert_palette import DIM, severity_text
from tui.widgets.alert_table import region_text
from tui.widgets.status_line import StatusLine

_KEY = "bright_black"
_SHOWN_ANNOTATIONS_ELSEWHERE = ("summary", "runbook_url")


def _other(fingerprint: str, known: Mapping[str, AlertInfo]) -> Text:
    alert = known.get(fingerprint)
    if alert is None:
        return Text(fingerprint, style=DIM)
    return Text.assemble((alert.rule, "bold"), f": {alert.summary}  ", (fingerprint, DIM))


def _held(alert: AlertInfo) -> Text:
    ack = alert.acknowledgement
    if ack is None:
        return Text("nobody", style=DIM)
    text = Text(ack.by, "bold green")
    text.append(f" since {format_time(ack.at)}")
    text.append(f", until {format_time(ack.expires_at)}" if ack.expires_at else ", until resolved")
    if ack.note:
        text.append(f"\n“{ack.note}”", "italic")
    return text


def _status(alert: AlertInfo) -> Text:
    text = Text(alert.status.value, "bold")
    since = alert.since
    if since is not None:
        text.append(f" since {format_time(since)}")
    text.append(f" · fired {alert.times_fired}×", _KEY)
    if alert.flapping:
        text.append(" · flapping", "magenta")
    if alert.value is not None:
        text.append(f" · value {alert.value:g}", _KEY)
    return text


def alert_facts(
    alert: AlertInfo,
    names: Mapping[str, str],
    known: Mapping[str, AlertInfo],
    muted_by: Sequence[str] = (),
) -> Table:
    """The alert as the detail screen shows it above its history. ``known``: the other alerts
    by fingerprint, to name its cause and consequences."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style=_KEY, no_wrap=True, min_width=12)
    grid.add_column()
    grid.add_row("alert", Text.assemble((alert.rule, "bold"), "  ", (alert.fingerprint, DIM)))
    grid.add_row("severity", severity_text(alert.severity))
    grid.add_row("status", _status(alert))
    grid.add_row("summary", alert.summary or MISSING)
    grid.add_row("region", region_text(alert, names))
    grid.add_row("held by", _held(alert))
    grid.add_row("muted by", Text(", ".join(muted_by), "magenta") if muted_by else "")
    runbook = alert.annotations.get("runbook_url")
    grid.add_row("runbook", Text(runbook, "underline cyan") if runbook else Text(MISSING, DIM))
    if alert.caused_by is not None:
        grid.add_row("root cause", _other(alert.caused_by, known))
    for index, fingerprint in enumerate(alert.consequences):
        grid.add_row("consequences" if index == 0 else "", _other(fingerprint, known))
    for name, value in sorted(alert.annotations.items()):
        if name not in _SHOWN_ANNOTATIONS_ELSEWHERE:
            grid.add_row(name, value)
    labels = Text()
    for name, value in sorted(alert.labels.items()):
        if labels:
            labels.append("  ")
        labels.append(f"{name}=", _KEY)
        labels.append(value)
    grid.add_row("labels", labels)
    return grid


class AlertDetailScreen(RefreshingScreen):
    CSS_PATH = "alert_detail.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("r", "refresh", "Refresh"),
    ]

    def __init__(
        self,
        client: NocApiClient,
        fingerprint: str,
        refresh_interval_s: float,
        *,
        names: Mapping[str, str] | None = None,
        known: Mapping[str, AlertInfo] | None = None,
        muted_by: Sequence[str] = (),
    ) -> None:
        super().__init__(client, refresh_interval_s)
        self.fingerprint = fingerprint
        self._names = dict(names or {})
        self._known = dict(known or {})
        self._muted_by = tuple(muted_by)
        self.detail: AlertDetail | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="facts-pane"):
            yield Static("loading…", id="facts")
        yield HistoryTable(id="history")
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"alert · {self.fingerprint}"
        self.query_one("#facts-pane").border_title = "alert"
        self.query_one(HistoryTable).border_title = "history · oldest first"
        self.query_one(HistoryTable).focus()
        self.start_refreshing()

    def action_back(self) -> None:
        self.dismiss()

    def action_refresh(self) -> None:
        self._load()

    @work(exclusive=True, group="alert-detail", exit_on_error=False)
    async def _load(self) -> None:
        try:
            detail = await self._client.alert(self.fingerprint)
        except ApiError as exc:
            if exc.not_found:
                message = f"no alert {self.fingerprint} in your regions (resolved and pruned?)"
                self.query_one("#facts", Static).update(Text(f"✗ {message}", style="red"))
            self._problems.failed(exc)
            return
        self.detail = detail
        self.sub_title = f"alert · {detail.rule}"
        facts = alert_facts(detail, self._names, self._known, self._muted_by)
        self.query_one("#facts", Static).update(facts)
        self.query_one(HistoryTable).show(detail.history)
        self._problems.recovered()
        line = Text(f"{detail.rule}: {len(detail.history)} transitions")
        line.append(f"   last {format_time(detail.last_transition_at)}")
        self.query_one(StatusLine).ok(line)
