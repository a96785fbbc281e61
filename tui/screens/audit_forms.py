"""The audit screen's dialogs: the search form (``/``) and the chain verification (``v``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from core.security.scope import is_region_code
from tui.security_models import AuditVerification


@dataclass(frozen=True)
class AuditFilter:
    """The search: each field narrows the trail; empty ones are left out."""

    actor: str = ""
    """Exactly this user."""
    target: str = ""
    """Text in the object acted on."""
    region: str = ""
    """A region code: that region and below it."""
    text: str = ""
    """Text anywhere in the record."""

    @property
    def empty(self) -> bool:
        return not (self.actor or self.target or self.region or self.text)

    def describe(self) -> str:
        """``user admin · object gz-core1`` for the status line."""
        parts = [
            (label, value)
            for label, value in (
                ("user", self.actor),
                ("object", self.target),
                ("region", self.region),
                ("text", self.text),
            )
            if value
        ]
        return " · ".join(f"{label} {value}" for label, value in parts)


_FIELDS = (
    ("actor", "user (exactly)"),
    ("target", "object (device, user, path…)"),
    ("region", "region code (and below it)"),
    ("text", "text anywhere"),
)


class AuditSearchScreen(ModalScreen[AuditFilter | None]):
    """Answers the new :class:`AuditFilter` (all fields empty: no filter), or None when
    cancelled. Enter searches; on an empty field that is not the last, it moves on."""

    CSS_PATH = "audit.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, current: AuditFilter) -> None:
        super().__init__()
        self._current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="search-dialog"):
            for name, placeholder in _FIELDS:
                yield Input(getattr(self._current, name), placeholder=placeholder, id=name)
            yield Static("", id="search-error")

    def on_mount(self) -> None:
        dialog = self.query_one("#search-dialog")
        dialog.border_title = "search the audit trail"
        dialog.border_subtitle = "enter searches · escape cancels"
        self.query_one("#actor", Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        fields = list(self.query(Input))
        index = fields.index(event.input)
        if index + 1 < len(fields) and not event.input.value:
            fields[index + 1].focus()
            return
        found = AuditFilter(
            **{name: self.query_one(f"#{name}", Input).value.strip() for name, _ in _FIELDS}
        )
        if found.region and not is_region_code(found.region):
            self.query_one("#search-error", Static).update(
                Text("a region is a six-digit code, like 440100", "bold red")
            )
            self.query_one("#region", Input).focus()
            return
        self.dismiss(found)

    def action_cancel(self) -> None:
        self.dismiss(None)


def verification_report(result: AuditVerification) -> Table:
    """Intact, or each problem with the record it was found at."""
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True)
    table.add_column()
    if result.ok:
        table.add_row(
            Text("✓ chain intact", "bold green"),
            f"{result.checked} records checked: none edited, deleted or reordered",
        )
        return table
    table.add_row(
        Text(f"✗ {len(result.problems)} problems", "bold red"),
        f"in {result.checked} records checked",
    )
    for problem in result.problems:
        table.add_row(Text(f"#{problem.seq}", "bold"), f"{problem.kind}: {problem.message}")
    return table


class VerificationScreen(ModalScreen[None]):
    """What ``GET /audit/verify`` found."""

    CSS_PATH = "audit.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("v", "close", "Close", show=False),
    ]

    def __init__(self, result: AuditVerification) -> None:
        super().__init__()
        self.result = result

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="verify-dialog"):
            yield Static(verification_report(self.result), id="verification")

    def on_mount(self) -> None:
        dialog = self.query_one("#verify-dialog")
        dialog.border_title = "audit chain"
        dialog.border_subtitle = "escape closes"
        dialog.set_class(not self.result.ok, "-broken")

    def action_close(self) -> None:
        self.dismiss(None)
