"""One terminal's history, oldest first: when, what happened, its state before and after, who
(a user, or ``terminal T…`` for what its heartbeat caused), why they said they did it, and what
changed besides the state (PSAM, credential, versions — never a secret)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from rich.text import Text

from tui.fleet_models import TerminalEventInfo
from tui.units import MISSING, format_time
from tui.widgets.fleet_palette import DIM, STATE_STYLE
from tui.widgets.keyed_table import Column, KeyedTable, Row

_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")
_KIND_STYLE = {
    "lost": "bold red",
    "suspended": "yellow",
    "retired": DIM,
    "psam_released": "magenta",
    "credential_reissued": "cyan",
    "activated": "green",
    "resumed": "green",
}


def _change(event: TerminalEventInfo) -> Text:
    if event.before == event.after:
        return Text(MISSING, style=DIM)
    text = Text(event.before or "new", STATE_STYLE.get(event.before or "", ""))
    text.append(" → ")
    text.append(event.after or MISSING, STATE_STYLE.get(event.after or "", ""))
    return text


def event_row(index: int, event: TerminalEventInfo) -> Row:
    by_terminal = event.by.startswith("terminal ")
    why = Text(event.reason, "italic") if event.reason else Text("")
    if event.detail:
        why.append(" · " if event.reason else "")
        why.append(event.detail, DIM)
    return Row(
        key=str(index),
        cells=(
            Text(format_time(event.at)),
            Text(event.kind.replace("_", " "), _KIND_STYLE.get(event.kind, "")),
            _change(event),
            Text(event.by, DIM if by_terminal else "bold"),
            why,
        ),
    )


class TerminalHistoryTable(KeyedTable):
    DEFAULT_CSS = KeyedTable.DEFAULT_CSS + _CSS

    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("at", "AT", 23),
        Column("kind", "WHAT", 19),
        Column("change", "STATE", 26),
        Column("by", "BY", 22),
        Column("why", "WHY · DETAIL"),
    )

    def show(self, history: Sequence[TerminalEventInfo]) -> None:
        self.set_rows([event_row(i, e) for i, e in enumerate(history)])
