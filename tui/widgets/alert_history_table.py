"""One alert's history, oldest first: when, what happened, the status before and after, who (a
user, or ``system``) and why — the note someone wrote when they took it, the reason they gave
when they gave it back."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from rich.text import Text

from tui.alert_models import Transition
from tui.units import MISSING, format_time
from tui.widgets.alert_palette import DIM
from tui.widgets.keyed_table import Column, KeyedTable, Row

_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")
_KIND_STYLE = {
    "fired": "bold red",
    "resolved": "green",
    "acknowledged": "green",
    "unacknowledged": "yellow",
    "ack_expired": "yellow",
    "flapping_started": "magenta",
}


def _change(transition: Transition) -> Text:
    before = transition.before.value if transition.before else "new"
    after = transition.after.value if transition.after else "forgotten"
    if before == after:
        return Text(MISSING, style=DIM)
    return Text(f"{before} → {after}")


def _why(transition: Transition) -> Text:
    text = Text(transition.reason)
    if transition.note:
        if text:
            text.append(" · ")
        text.append(f"“{transition.note}”", "italic")
    return text


def history_row(index: int, transition: Transition) -> Row:
    by_person = transition.by != "system"
    return Row(
        key=str(index),
        cells=(
            Text(format_time(transition.at)),
            Text(transition.kind.replace("_", " "), _KIND_STYLE.get(transition.kind, "")),
            _change(transition),
            Text(transition.by, "bold" if by_person else DIM),
            _why(transition),
        ),
    )


class HistoryTable(KeyedTable):
    DEFAULT_CSS = KeyedTable.DEFAULT_CSS + _CSS

    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("at", "AT", 23),
        Column("kind", "WHAT", 20),
        Column("change", "STATUS", 20),
        Column("by", "BY", 14),
        Column("why", "WHY"),
    )

    def show(self, history: Sequence[Transition]) -> None:
        self.set_rows([history_row(i, t) for i, t in enumerate(history)])
