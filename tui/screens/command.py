"""``:``: a one-line prompt at the bottom; Enter runs the command, Esc cancels."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input

from tui.commands import ALIASES


class CommandScreen(ModalScreen[str | None]):
    """Answers the command line, or ``None`` when cancelled."""

    CSS_PATH = "command.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        words = sorted({verb.value for verb in ALIASES.values()})
        yield Input(
            placeholder="device ID · region CODE · home · refresh · help · quit",
            suggester=SuggestFromList(words, case_sensitive=False),
            id="command",
        )

    def on_mount(self) -> None:
        self.query_one(Input).border_title = ":"

    @on(Input.Submitted)
    def _run(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
