"""A device's configuration versions, newest first: when, how long, what changed, who — and a
mark column for choosing two versions to compare."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path
from typing import ClassVar

from rich.text import Text

from core.state.config_views import ConfigVersionSummary
from tui.units import MISSING
from tui.widgets.keyed_table import Column, KeyedTable, Row

_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")
MARK = "◆"


def _right(text: str, style: str = "") -> Text:
    return Text(text, style=style, justify="right")


def version_row(version: ConfigVersionSummary, marked: bool) -> Row:
    return Row(
        key=str(version.id),
        cells=(
            Text(MARK if marked else "", style="bold magenta"),
            _right(f"#{version.id}"),
            version.collected_at.strftime("%Y-%m-%d %H:%M"),
            _right(str(version.lines)),
            _right(f"+{version.lines_added}", "green" if version.lines_added else "bright_black"),
            _right(f"−{version.lines_removed}", "red" if version.lines_removed else "bright_black"),
            version.changed_by or Text(MISSING, style="bright_black"),
        ),
    )


class VersionTable(KeyedTable):
    DEFAULT_CSS = KeyedTable.DEFAULT_CSS + _CSS

    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("mark", " ", width=1),
        Column("id", "#"),
        Column("collected", "COLLECTED (UTC)"),
        Column("lines", "LINES"),
        Column("added", "+"),
        Column("removed", "−"),
        Column("changed_by", "CHANGED BY"),
    )

    def show(self, versions: Sequence[ConfigVersionSummary], marked: Collection[int]) -> None:
        self.set_rows([version_row(v, v.id in marked) for v in versions])
