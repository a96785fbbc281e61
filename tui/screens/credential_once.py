"""A terminal's credential, shown this once: the technician enters it into the terminal now.

The server keeps only its hash, so nobody can show it again; if it is lost, a new one is issued
(and the old one stops working). Nothing keeps it once the dialog closes.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import SecretStr
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

WARNING = (
    "Shown this once: enter it into the terminal now. It will not be shown again — the server "
    "keeps only its hash. If it is lost, issue a new one (the old one then stops working)."
)


class CredentialOnceScreen(ModalScreen[None]):
    """The credential of ``terminal_id``; Done (or Esc) closes it for good."""

    CSS_PATH = "credential_once.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close")]

    def __init__(self, terminal_id: str, credential: SecretStr, note: str = "") -> None:
        super().__init__()
        self.terminal_id = terminal_id
        self._credential = credential
        self._note = note

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(f"the credential of terminal {self.terminal_id}", id="what")
            yield Static(self._credential.get_secret_value(), id="credential")
            yield Static(WARNING, id="warning")
            if self._note:
                yield Static(self._note, id="note")
            yield Button("I have entered it", id="done", variant="primary")

    def on_mount(self) -> None:
        dialog = self.query_one("#dialog")
        dialog.border_title = f"terminal credential · {self.terminal_id}"
        dialog.border_subtitle = "shown once"
        self.query_one("#done", Button).focus()

    @on(Button.Pressed, "#done")
    def action_close(self) -> None:
        self.dismiss(None)

    def on_unmount(self) -> None:
        # Gone with the dialog: nothing of this screen holds it any longer.
        self._credential = SecretStr("")
