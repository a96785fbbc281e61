"""The ``/`` filter: an input that narrows a table as you type; Esc clears it and hides."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input


class FilterBar(Input):
    DEFAULT_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    class Cleared(Message):
        """The operator dropped the filter (Esc)."""

    def __init__(
        self,
        *,
        id: str | None = None,
        placeholder: str = "filter…  (Enter keeps it, Esc clears it)",
    ) -> None:
        super().__init__(placeholder=placeholder, id=id)

    def open(self) -> None:
        self.add_class("-open")
        self.focus()

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def close(self) -> None:
        self.value = ""
        self.remove_class("-open")

    def action_clear_filter(self) -> None:
        self.close()
        self.post_message(self.Cleared())
