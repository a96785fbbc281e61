"""The silences: active first, then pending, then expired (dimmed) — their matchers, when they
end (or ``until resolved``), who made them and why."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from rich.text import Text

from tui.alert_models import SilenceInfo, SilenceState
from tui.units import MISSING, format_duration
from tui.widgets.alert_palette import DIM
from tui.widgets.keyed_table import Column, KeyedTable, Row

_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")
STATE_STYLE = {
    SilenceState.ACTIVE: "bold magenta",
    SilenceState.PENDING: "cyan",
    SilenceState.EXPIRED: DIM,
}
_ORDER = (SilenceState.ACTIVE, SilenceState.PENDING, SilenceState.EXPIRED)


def by_state(silences: Sequence[SilenceInfo]) -> list[SilenceInfo]:
    """Active, pending, expired; the newest start first within each."""
    return sorted(silences, key=lambda s: (_ORDER.index(s.state), -s.starts_at.timestamp(), s.id))


def _in(now: datetime | None, when: datetime) -> str:
    if now is None:
        return MISSING
    seconds = (when - now).total_seconds()
    span = format_duration(abs(seconds))
    return f"in {span}" if seconds >= 0 else f"{span} ago"


def silence_ends(silence: SilenceInfo, now: datetime | None) -> Text:
    """``in 1h 59m``, ``until resolved``, ``starts in 10m``, ``5m ago`` (expired)."""
    if silence.state is SilenceState.PENDING:
        return Text(f"starts {_in(now, silence.starts_at)}", "cyan")
    if silence.ends_at is None:
        return Text("until resolved", "" if silence.state is SilenceState.ACTIVE else DIM)
    text = Text(_in(now, silence.ends_at))
    if silence.until_resolved and silence.state is SilenceState.ACTIVE:
        text.append(" or resolved", DIM)
    if silence.state is SilenceState.EXPIRED:
        text.stylize(DIM)
    return text


def silence_row(silence: SilenceInfo, now: datetime | None) -> Row:
    expired = silence.state is SilenceState.EXPIRED
    comment = silence.comment
    if expired and silence.end_reason:
        comment = f"{comment} ({silence.end_reason})"
    return Row(
        key=silence.id,
        cells=(
            Text(silence.state.value, STATE_STYLE[silence.state]),
            Text(silence.matchers, DIM if expired else ""),
            silence_ends(silence, now),
            Text(silence.created_by, DIM if expired else ""),
            Text(comment, DIM if expired else ""),
            Text(silence.id[:12], DIM),
        ),
    )


class SilenceTable(KeyedTable):
    DEFAULT_CSS = KeyedTable.DEFAULT_CSS + _CSS

    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("state", "STATE", 8),
        Column("matchers", "MATCHERS", 56),
        Column("ends", "ENDS", 22),
        Column("by", "BY", 12),
        Column("comment", "COMMENT", 34),
        Column("id", "ID", 12),
    )

    def show(self, silences: Sequence[SilenceInfo], now: datetime | None) -> None:
        """``now``: the server's time, for when each silence ends."""
        self.set_rows([silence_row(s, now) for s in by_state(silences)])
