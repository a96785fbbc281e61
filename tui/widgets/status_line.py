"""One line saying when the data was fetched, or why it could not be."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.widgets import Static


class StatusLine(Static):
    DEFAULT_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("loading…", id=id)
        self.error: str | None = None

    def ok(self, text: Text | str) -> None:
        self.error = None
        self.remove_class("-error")
        self.update(text)

    def fail(self, message: str) -> None:
        self.error = message
        self.add_class("-error")
        self.update(Text(f"✗ {message}"))
