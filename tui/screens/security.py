"""``:security``: the security officer's desk. Left, the regions with how many local accounts on
their devices the approved-accounts policy does not explain; right, those findings for the region
chosen; below, the access review — who may approve runbooks and manage users, and the API tokens
to question. ``s`` signs the review off, ``e`` exports the findings shown to a CSV file.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Header, Static

from core.security.permissions import Permission
from core.security.scope import scope_covers
from core.state.views import RegionNode
from tui.client import ApiError, NocApiClient
from tui.screens.confirm import ConfirmScreen
from tui.screens.refreshing import RefreshingScreen
from tui.security_models import (
    AccessReviewSummary,
    AccountFinding,
    AccountFindings,
    ReviewChanges,
    name_of,
)
from tui.session import Gate, Guarded, Session
from tui.units import MISSING, format_time
from tui.widgets.keyed_table import Column, KeyedTable, Row
from tui.widgets.status_line import StatusLine

ALL_REGIONS = "all"
"""The key of the first row: the findings of every region."""
_REPORTS = Permission.READ_SECURITY_REPORTS
REVIEWING = Gate(
    {
        "sign_off": Guarded(
            "s",
            "Sign off",
            _REPORTS,
            "sign the access review off",
            changes=True,
            province_wide=True,
        ),
        "export": Guarded("e", "Export", _REPORTS, "export findings"),
    }
)
SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan"}
_DIM = "bright_black"


def _walk(nodes: Sequence[RegionNode], depth: int = 0) -> Iterator[tuple[RegionNode, int]]:
    for node in nodes:
        yield node, depth
        yield from _walk(node.children, depth + 1)


class RegionFindingTable(KeyedTable):
    """Regions in tree order, each with the findings in it and below it (what choosing it
    lists); regions without any are left out."""

    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("region", "REGION", 18),
        Column("code", "CODE", 6),
        Column("count", "FINDINGS", 8),
    )

    def show(self, by_region: dict[str, int], roots: Sequence[RegionNode]) -> None:
        total = sum(by_region.values())
        rows = [Row(ALL_REGIONS, (Text("all regions", "bold"), Text(""), _count(total)))]
        for node, depth in _walk(roots):
            below = sum(n for code, n in by_region.items() if scope_covers(node.code, code))
            if below:
                name = Text(f"{'  ' * depth}{node.name}")
                rows.append(Row(node.code, (name, Text(node.code, _DIM), _count(below))))
        self.set_rows(rows)


def _count(count: int) -> Text:
    return Text(str(count), "bold red" if count else "green", justify="right")


class FindingTable(KeyedTable):
    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("severity", "SEVERITY", 8),
        Column("device", "DEVICE", 16),
        Column("account", "ACCOUNT", 12),
        Column("kind", "FINDING", 24),
        Column("privilege", "PRIVILEGE", 15),
        Column("detail", "DETAIL", 48),
    )

    def show(self, findings: Sequence[AccountFinding]) -> None:
        self.set_rows(
            [
                Row(
                    f"{f.device_id}\t{f.account}\t{f.kind}",
                    (
                        Text(f.severity, SEVERITY_STYLE.get(f.severity, "")),
                        Text(f.device_id),
                        Text(f.account, "bold"),
                        Text(f.kind),
                        Text(f.privilege or MISSING, "" if f.privilege else _DIM),
                        Text(f.detail),
                    ),
                )
                for f in findings
            ]
        )


def review_summary(review: AccessReviewSummary, changes: ReviewChanges | None) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style=_DIM, no_wrap=True)
    grid.add_column()
    users = Text(f"{len(review.users)}")
    for flag, style in (("unused", "yellow"), ("disabled", _DIM)):
        count = review.count_users(flag)
        if count:
            users.append(f" · {count} {flag}", style)
    grid.add_row("users", users)
    for label, items in (
        ("can approve runbooks", review.can_approve_runbooks),
        ("can manage users", review.can_manage_users),
    ):
        grid.add_row(label, ", ".join(name_of(i) for i in items) or "nobody")
    flagged = review.flagged_tokens
    tokens = ", ".join(name_of(t) for t in flagged) or "none"
    grid.add_row("API tokens to question", Text(tokens, "yellow" if flagged else "green"))
    if changes is not None:
        grid.add_row("since the last review", _changes_line(changes))
    return grid


def _changes_line(changes: ReviewChanges) -> Text:
    if changes.since_review is None:
        return Text("never signed off: everything counts as new", "yellow")
    line = Text(f"signed by {changes.reviewer} at {format_time(changes.since)}: ")
    if not changes.count:
        line.append("nothing changed", "green")
        return line
    kinds = ", ".join(f"{len(items)} {kind}" for kind, items in changes.changes.items() if items)
    line.append(kinds, "yellow")
    return line


class SecurityScreen(RefreshingScreen):
    CSS_PATH = "security.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("r", "refresh", "Refresh"),
        *REVIEWING.bindings(),
    ]

    def __init__(
        self,
        client: NocApiClient,
        session: Session,
        refresh_interval_s: float,
        read_only: bool = False,
        export_dir: Path | None = None,
    ) -> None:
        super().__init__(client, refresh_interval_s)
        self.session = session
        self.read_only = read_only
        self.export_dir = export_dir or Path.cwd()
        self._roots: list[RegionNode] = []
        self._names: dict[str, str] = {}
        self._findings: list[AccountFinding] = []
        self._findings_for: str | None = None
        self._now: datetime | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            yield RegionFindingTable(id="regions")
            yield FindingTable(id="findings")
        yield Static("loading…", id="review")
        yield StatusLine(id="status")
        yield Footer()

    @property
    def regions(self) -> RegionFindingTable:
        return self.query_one(RegionFindingTable)

    @property
    def findings(self) -> list[AccountFinding]:
        """The findings shown now (of the region chosen)."""
        return list(self._findings)

    def on_mount(self) -> None:
        self.sub_title = "security"
        self.regions.border_title = "regions"
        self.query_one(FindingTable).border_title = "account findings"
        self.query_one("#review").border_title = "access review"
        self.regions.focus()
        self.start_refreshing()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return REVIEWING.check(self.session, action, parameters, self.read_only)

    def action_refuse(self, action: str) -> None:
        message = REVIEWING.refusal(action)
        self.notify(message, title="Not allowed", severity="warning")

    def action_back(self) -> None:
        self.dismiss()

    # ------------------------------------------------------------------ loading

    def action_refresh(self) -> None:
        self._load()

    @work(exclusive=True, group="security", exit_on_error=False)
    async def _load(self) -> None:
        try:
            self._now = (await self._client.health()).time
            if not self._roots:
                self._roots = await self._client.region_tree()
                self._names = {node.code: node.name for node, _ in _walk(self._roots)}
            every = await self._client.account_findings()
        except ApiError as exc:
            self._problems.failed(exc)
            return
        self.regions.show(every.by_region, self._roots)
        self._problems.recovered()
        chosen = self.regions.cursor_key or ALL_REGIONS
        if chosen == ALL_REGIONS:
            self._show_findings(ALL_REGIONS, every)
        else:
            self._follow(chosen)
        self._load_review()

    @work(exclusive=True, group="security-review", exit_on_error=False)
    async def _load_review(self) -> None:
        # Apart from the findings: the review covers every user, so a regional officer is
        # refused it and still has their region's findings.
        pane = self.query_one("#review", Static)
        try:
            review = await self._client.access_review()
            changes = await self._client.review_changes()
        except ApiError as exc:
            pane.update(Text(f"✗ {exc.message}", "red"))
            return
        pane.update(review_summary(review, changes))

    @on(DataTable.RowHighlighted, "#regions")
    def _region_highlighted(self) -> None:
        chosen = self.regions.cursor_key
        if chosen is not None and chosen != self._findings_for:
            self._follow(chosen)

    def _follow(self, code: str) -> None:
        self._findings_for = code  # noted now, so the same highlight does not ask twice
        self._load_findings(code)

    @work(exclusive=True, group="security-findings", exit_on_error=False)
    async def _load_findings(self, code: str) -> None:
        try:
            found = await self._client.account_findings(None if code == ALL_REGIONS else code)
        except ApiError as exc:
            self._problems.failed(exc)
            return
        if self.regions.cursor_key in (code, None):
            self._show_findings(code, found)

    def _show_findings(self, code: str, found: AccountFindings) -> None:
        self._findings_for = code
        self._findings = found.findings
        table = self.query_one(FindingTable)
        where = "every region" if code == ALL_REGIONS else f"{self._names.get(code, '')} {code}"
        table.border_title = f"account findings · {where.strip()}"
        table.show(found.findings)
        high = sum(f.severity == "high" for f in found.findings)
        line = Text(f"{len(found.findings)} findings in {where.strip()}")
        if high:
            line.append(f" · {high} high", "bold red")
        line.append(f"   updated {format_time(self._now)}")
        self.query_one(StatusLine).ok(line)

    # ------------------------------------------------------------------ acting

    def action_sign_off(self) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self._sign_off()

        question = ConfirmScreen(
            "Sign the access review off?",
            "You confirm that you reviewed who holds which roles where and the tokens listed; "
            "the next review shows what changed since.",
            yes="Sign off",
        )
        self.app.push_screen(question, callback=answered)

    @work(exclusive=True, group="security-sign-off", exit_on_error=False)
    async def _sign_off(self) -> None:
        try:
            signed = await self._client.sign_off_review()
        except ApiError as exc:
            self.notify(exc.message, title="Not signed off", severity="error", timeout=10)
            return
        self.notify(
            f"review #{signed.id} signed off: {signed.users} users, {signed.findings} findings",
            title="Review",
        )
        self._load_review()

    def action_export(self) -> None:
        self._export()

    @work(exclusive=True, group="security-export", exit_on_error=False)
    async def _export(self) -> None:
        region = self._findings_for or ALL_REGIONS
        try:
            content = await self._client.export_findings(None if region == ALL_REGIONS else region)
        except ApiError as exc:
            self.notify(exc.message, title="Export failed", severity="error", timeout=10)
            return
        stamp = f"{self._now:%Y%m%d%H%M}" if self._now else "now"
        path = self.export_dir / f"account-findings-{region}-{stamp}.csv"
        try:
            path.write_bytes(content)
        except OSError as exc:
            self.notify(f"cannot write {path}: {exc}", title="Export failed", severity="error")
            return
        try:
            await self._client.record_console_action("export_findings", str(path), region)
        except ApiError as exc:
            self.log.warning(f"export not recorded: {exc.message}")
        rows = max(content.count(b"\n") - 1, 0)  # less the header
        self.notify(f"{rows} findings written to {path}", title="Exported")
