"""``:audit``: the audit trail, newest first — who did what to which object, from where, with
what outcome. ``/`` searches (user, object, region, text), ``t`` steps through time ranges,
``n`` / ``p`` page to older and newer records, ``v`` verifies the hash chain, ``e`` exports the
range to a file. The record under the cursor is shown in full below the table.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header, Static

from core.security.permissions import Permission
from tui.client import ApiError, NocApiClient
from tui.screens.audit_forms import AuditFilter, AuditSearchScreen, VerificationScreen
from tui.screens.refreshing import RefreshingScreen
from tui.security_models import AuditQuery, AuditRecord
from tui.session import Gate, Guarded, Session
from tui.units import MISSING, format_time
from tui.widgets.keyed_table import Column, KeyedTable, Row
from tui.widgets.status_line import StatusLine

PAGE_SIZE = 100
RANGES: tuple[tuple[str, timedelta | None], ...] = (
    ("all time", None),
    ("last hour", timedelta(hours=1)),
    ("last 24 h", timedelta(hours=24)),
    ("last 7 days", timedelta(days=7)),
    ("last 30 days", timedelta(days=30)),
)
"""What ``t`` steps through, from the server's now."""
EXPORT_ALL_DAYS = 365
"""What "all time" exports: the server takes at most 400 days at once."""

_READ = Permission.READ_AUDIT
WHOLE_TRAIL = Gate(
    {
        "verify": Guarded("v", "Verify", _READ, "verify the chain", province_wide=True),
        "export": Guarded("e", "Export", _READ, "export the trail", province_wide=True),
    }
)
_OUTCOME_STYLE = {"ok": "green", "denied": "bold red", "failed": "yellow"}
_DIM = "bright_black"


class AuditTable(KeyedTable):
    # Fixed widths: the trail is read down a column, and a table whose widths follow its
    # content shifts under the eye at every page.
    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("seq", "#", 7),
        Column("at", "TIME (UTC)", 19),
        Column("actor", "USER", 14),
        Column("action", "ACTION", 24),
        Column("target", "OBJECT", 32),
        Column("region", "REGION", 6),
        Column("outcome", "OUTCOME", 7),
        Column("client", "FROM", 16),
    )

    def show(self, records: list[AuditRecord]) -> None:
        self.set_rows([Row(str(r.seq), _cells(r)) for r in records])


def _cells(record: AuditRecord) -> tuple[Text, ...]:
    return (
        Text(str(record.seq), _DIM, justify="right"),
        Text(record.at.strftime("%Y-%m-%d %H:%M:%S")),
        Text(record.actor, "bold"),
        Text(record.action),
        Text(record.target or MISSING, "" if record.target else _DIM),
        Text(record.region_code or MISSING, "" if record.region_code else _DIM),
        Text(record.outcome, _OUTCOME_STYLE.get(record.outcome, "")),
        Text(record.client or MISSING, _DIM),
    )


def record_detail(record: AuditRecord) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style=_DIM, no_wrap=True)
    grid.add_column()
    grid.add_row("record", f"#{record.seq} at {format_time(record.at)} · hash {record.hash[:16]}")
    grid.add_row("who", f"{record.actor} from {record.client or 'an unknown place'}")
    grid.add_row("did", Text(f"{record.action} → {record.outcome}"))
    if record.detail:
        grid.add_row("detail", Text(record.detail))
    for label, value in (("before", record.before), ("after", record.after)):
        if value is not None:
            grid.add_row(label, Text(json.dumps(value, ensure_ascii=False, sort_keys=True)))
    return grid


class AuditScreen(RefreshingScreen):
    CSS_PATH = "audit.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("slash", "search", "Search"),
        Binding("t", "next_range", "Time range"),
        Binding("n", "older", "Older"),
        Binding("p", "newer", "Newer"),
        Binding("r", "refresh", "Refresh"),
        *WHOLE_TRAIL.bindings(),
    ]

    def __init__(
        self,
        client: NocApiClient,
        session: Session,
        refresh_interval_s: float,
        export_dir: Path | None = None,
    ) -> None:
        super().__init__(client, refresh_interval_s)
        self.session = session
        self.export_dir = export_dir or Path.cwd()
        self.search = AuditFilter()
        self.range_index = 0
        self._pages: list[int | None] = [None]
        """Where each page shown so far starts (``before_seq``); the last is on screen."""
        self._records: list[AuditRecord] = []
        self._now: datetime | None = None
        self._verified: Text | None = None
        """What the last verification found, kept on the status line."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield AuditTable(id="trail")
        yield Static("", id="record")
        yield StatusLine(id="status")
        yield Footer()

    @property
    def table(self) -> AuditTable:
        return self.query_one(AuditTable)

    @property
    def records(self) -> list[AuditRecord]:
        """The records on screen, newest first."""
        return list(self._records)

    @property
    def page(self) -> int:
        """1 for the newest records, 2 for those before them, …"""
        return len(self._pages)

    def on_mount(self) -> None:
        self.sub_title = "audit trail"
        self.query_one("#record").border_title = "record"
        self._title_table()
        self.table.focus()
        self.start_refreshing()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return WHOLE_TRAIL.check(self.session, action, parameters)

    def action_refuse(self, action: str) -> None:
        self.notify(WHOLE_TRAIL.refusal(action), title="Not allowed", severity="warning")

    def _title_table(self) -> None:
        label, _ = RANGES[self.range_index]
        self.table.border_title = f"audit trail · {label} · newest first"

    # ------------------------------------------------------------------ loading

    def trail_query(self) -> AuditQuery:
        """What the table shows now, as ``GET /audit`` is asked for it."""
        _, span = RANGES[self.range_index]
        search = self.search
        return AuditQuery(
            actor=search.actor or None,
            target=search.target or None,
            region=search.region or None,
            text=search.text or None,
            since=self._now - span if span is not None and self._now is not None else None,
            before_seq=self._pages[-1],
            limit=PAGE_SIZE,
        )

    def action_refresh(self) -> None:
        self._load()

    @work(exclusive=True, group="audit", exit_on_error=False)
    async def _load(self) -> None:
        try:
            self._now = (await self._client.health()).time
            records = await self._client.audit(self.trail_query())
        except ApiError as exc:
            self._problems.failed(exc)
            return
        self._records = records
        self.table.show(records)
        self._show_record()
        self._problems.recovered()
        self._show_status()

    @on(DataTable.RowHighlighted, "#trail")
    def _show_record(self) -> None:
        key = self.table.cursor_key
        record = next((r for r in self._records if str(r.seq) == key), None)
        self.query_one("#record", Static).update(record_detail(record) if record else "")

    def _show_status(self) -> None:
        line = Text(f"{len(self._records)} records · page {self.page}")
        if not self.search.empty:
            line.append(f" · {self.search.describe()}", "cyan")
        if self._verified is not None:
            line.append("   ")
            line.append(self._verified)
        line.append(f"   updated {format_time(self._now)}")
        self.query_one(StatusLine).ok(line)

    # ------------------------------------------------------------------ narrowing and paging

    def action_search(self) -> None:
        self.app.push_screen(AuditSearchScreen(self.search), callback=self._searched)

    def _searched(self, found: AuditFilter | None) -> None:
        if found is not None:
            self.apply(found)

    def apply(self, search: AuditFilter) -> None:
        """Show the newest records matching ``search``."""
        self.search = search
        self._pages = [None]
        self.action_refresh()

    def action_next_range(self) -> None:
        self.range_index = (self.range_index + 1) % len(RANGES)
        self._pages = [None]
        self._title_table()
        self.action_refresh()

    def action_older(self) -> None:
        if len(self._records) < PAGE_SIZE:
            self.notify("no older records", title="Audit")
            return
        self._pages.append(self._records[-1].seq)
        self.action_refresh()

    def action_newer(self) -> None:
        if len(self._pages) == 1:
            self.notify("these are the newest records", title="Audit")
            return
        self._pages.pop()
        self.action_refresh()

    def action_back(self) -> None:
        if not self.search.empty:
            self.apply(AuditFilter())
            return
        self.dismiss()

    # ------------------------------------------------------------------ the whole trail

    def action_verify(self) -> None:
        self.notify("walking the hash chain…", title="Verify", timeout=3)
        self._verify()

    @work(exclusive=True, group="audit-verify", exit_on_error=False)
    async def _verify(self) -> None:
        try:
            result = await self._client.verify_audit()
        except ApiError as exc:
            self.notify(exc.message, title="Verify failed", severity="error", timeout=10)
            return
        when = format_time(self._now)
        if result.ok:
            self._verified = Text(f"chain intact ({result.checked} records, {when})", "green")
        else:
            problems = len(result.problems)
            self._verified = Text(f"chain broken: {problems} problems ({when})", "bold red")
        self._show_status()
        self.app.push_screen(VerificationScreen(result))

    def action_export(self) -> None:
        self._export()

    @work(exclusive=True, group="audit-export", exit_on_error=False)
    async def _export(self) -> None:
        if self._now is None:
            return
        _, span = RANGES[self.range_index]
        since = self._now - (span or timedelta(days=EXPORT_ALL_DAYS))
        until = self._now + timedelta(seconds=1)  # the server's until is exclusive: keep "now"
        try:
            content = await self._client.export_audit(since, until)
        except ApiError as exc:
            self.notify(exc.message, title="Export failed", severity="error", timeout=10)
            return
        path = self.export_dir / f"audit-{since:%Y%m%d%H%M}-{until:%Y%m%d%H%M}.jsonl"
        try:
            path.write_bytes(content)
        except OSError as exc:
            self.notify(f"cannot write {path}: {exc}", title="Export failed", severity="error")
            return
        try:
            await self._client.record_console_action("export_audit", str(path))
        except ApiError as exc:
            self.log.warning(f"export not recorded: {exc.message}")
        lines = content.count(b"\n")
        self.notify(f"{lines} records written to {path}", title="Exported")
