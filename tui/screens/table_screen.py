"""A refreshing screen built around one table, with the ``/`` filter and Esc that clears the
filter before it goes back — what the accounts screens and the backups board share."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.widgets import Input

from tui.screens.refreshing import RefreshingScreen
from tui.widgets.filter_bar import FilterBar
from tui.widgets.keyed_table import KeyedTable


class TableScreen(RefreshingScreen):
    """Subclasses compose one :class:`KeyedTable` and a ``FilterBar(id="filter")``, and
    implement :meth:`show_status` (called whenever the filter changes)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("slash", "filter", "Filter"),
        Binding("r", "refresh", "Refresh"),
    ]

    @property
    def table(self) -> KeyedTable:
        return self.query_one(KeyedTable)

    def show_status(self) -> None:
        raise NotImplementedError

    def action_back(self) -> None:
        bar = self.query_one(FilterBar)
        if bar.is_open or self.table.filter_text:
            bar.close()
            self._apply_filter("")
            return
        self.dismiss()

    def action_filter(self) -> None:
        self.query_one(FilterBar).open()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._apply_filter(event.value)

    @on(FilterBar.Cleared)
    def _filter_cleared(self) -> None:
        self._apply_filter("")
        self.table.focus()

    @on(Input.Submitted, "#filter")
    def _filter_kept(self) -> None:
        self.table.focus()

    def _apply_filter(self, text: str) -> None:
        self.table.set_filter(text)
        self.show_status()

    def filter_note(self) -> str:
        """``   filter 'x': 3/8`` while a filter narrows the table, else nothing."""
        table = self.table
        if not table.filter_text:
            return ""
        return f"   filter '{table.filter_text}': {len(table.shown_keys)}/{table.total_rows}"
