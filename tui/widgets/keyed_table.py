"""A DataTable whose rows have stable keys, refreshed in place and filtered as you type.

A refresh that brings the same rows in the same order only rewrites the cells that changed, so
the table never flickers and the cursor stays where the operator left it. When rows come or go
the table is rebuilt, with the cursor kept on the same key.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int | None = None
    justify_right: bool = False


@dataclass(frozen=True)
class Row:
    key: str
    cells: tuple[Text | str, ...]

    def matches(self, needle: str) -> bool:
        return any(needle in _plain(cell).casefold() for cell in self.cells)


def _plain(cell: Text | str) -> str:
    return cell.plain if isinstance(cell, Text) else cell


def _fingerprint(cell: Text | str) -> Hashable:
    # Text compares by characters and spans only; its base style (the colour) must count too.
    if isinstance(cell, Text):
        return (cell.plain, str(cell.style), tuple(cell.spans))
    return cell


class KeyedTable(DataTable[Any]):
    DEFAULT_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    COLUMNS: ClassVar[tuple[Column, ...]] = ()

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(
            id=id,
            classes=classes,
            cursor_type="row",
            zebra_stripes=True,
            # Status colours stay readable on the cursor row.
            cursor_foreground_priority="renderable",
        )
        self._all: list[Row] = []
        self._shown: list[Row] = []
        self._needle = ""

    def on_mount(self) -> None:
        for column in self.COLUMNS:
            self.add_column(column.label, key=column.key, width=column.width)

    @property
    def filter_text(self) -> str:
        return self._needle

    @property
    def shown_keys(self) -> list[str]:
        """Keys of the rows on screen, in order (after the filter)."""
        return [row.key for row in self._shown]

    @property
    def total_rows(self) -> int:
        """Rows before the filter."""
        return len(self._all)

    @property
    def cursor_key(self) -> str | None:
        if not self._shown or not 0 <= self.cursor_row < len(self._shown):
            return None
        return self._shown[self.cursor_row].key

    def set_rows(self, rows: Sequence[Row]) -> None:
        self._all = list(rows)
        self._render_rows()

    def set_filter(self, text: str) -> None:
        self._needle = text.strip().casefold()
        self._render_rows()

    def _render_rows(self) -> None:
        wanted = [row for row in self._all if not self._needle or row.matches(self._needle)]
        if [r.key for r in wanted] == self.shown_keys:
            self._update_in_place(wanted)
        else:
            self._rebuild(wanted)
        self._shown = wanted

    def _update_in_place(self, wanted: list[Row]) -> None:
        for old, new in zip(self._shown, wanted, strict=True):
            for column, before, after in zip(self.COLUMNS, old.cells, new.cells, strict=True):
                if _fingerprint(before) != _fingerprint(after):
                    # Not mounted yet (no columns): the next rebuild draws it.
                    with suppress(CellDoesNotExist, RowDoesNotExist):
                        self.update_cell(new.key, column.key, after, update_width=True)

    def _rebuild(self, wanted: list[Row]) -> None:
        keep = self.cursor_key
        self.clear()
        for row in wanted:
            self.add_row(*row.cells, key=row.key)
        keys = [row.key for row in wanted]
        if keep in keys:
            self.move_cursor(row=keys.index(keep), animate=False)
