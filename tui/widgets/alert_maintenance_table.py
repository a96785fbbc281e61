"""Maintenance windows: open ones first, then planned, then those over — what they cover, when
(once, or on a recurring schedule), whether polling pauses, who planned them and why."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from rich.text import Text

from tui.alert_models import MaintenanceInfo
from tui.units import MISSING, format_duration
from tui.widgets.alert_palette import DIM
from tui.widgets.keyed_table import Column, KeyedTable, Row

_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")
_STATES = ("open", "planned", "over")
_STATE_STYLE = {"open": "bold magenta", "planned": "cyan", "over": DIM}


def window_state(window: MaintenanceInfo) -> str:
    """``open`` now, ``planned`` (an opening to come), or ``over``."""
    if window.open_now:
        return "open"
    return "planned" if window.next_opening is not None else "over"


def _stamp(when: datetime) -> str:
    return when.strftime("%m-%d %H:%M")


def window_when(window: MaintenanceInfo) -> str:
    """``03-03 08:00 – 09:00 UTC`` once, or the recurrence as the server words it."""
    if window.recurrence is not None:
        until = f" until {_stamp(window.until)} UTC" if window.until else ""
        return window.recurrence + until
    if window.starts_at is None or window.ends_at is None:
        return MISSING
    same_day = window.ends_at.date() == window.starts_at.date()
    end = window.ends_at.strftime("%H:%M" if same_day else "%m-%d %H:%M")
    return f"{_stamp(window.starts_at)} – {end} UTC"


def window_next(window: MaintenanceInfo, now: datetime | None) -> Text:
    """``closes in 40m`` while open, ``opens in 23h 5m`` before."""
    opening = window.next_opening
    if opening is None or now is None:
        return Text(MISSING, DIM)
    if window.open_now:
        return Text(f"closes in {format_duration((opening.ends_at - now).total_seconds())}")
    return Text(f"opens in {format_duration((opening.starts_at - now).total_seconds())}")


def window_covers(window: MaintenanceInfo, names: Mapping[str, str]) -> str:
    regions = [f"{names[c]} {c}" if c in names else c for c in window.regions]
    return ", ".join([*regions, *window.devices]) or MISSING


def window_row(window: MaintenanceInfo, now: datetime | None, names: Mapping[str, str]) -> Row:
    state = window_state(window)
    faded = DIM if state == "over" else ""
    return Row(
        key=window.id,
        cells=(
            Text(state, _STATE_STYLE[state]),
            Text(window_covers(window, names), faded),
            Text(window_when(window), faded),
            window_next(window, now),
            Text("pauses", "bold") if window.pause_collection else Text(MISSING, DIM),
            Text(window.created_by, faded),
            Text(window.comment, faded),
        ),
    )


class MaintenanceTable(KeyedTable):
    DEFAULT_CSS = KeyedTable.DEFAULT_CSS + _CSS

    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("state", "STATE", 8),
        Column("covers", "COVERS", 34),
        Column("when", "WHEN", 36),
        Column("next", "NEXT", 18),
        Column("polling", "POLLING", 8),
        Column("by", "BY", 12),
        Column("comment", "COMMENT", 26),
    )

    def show(
        self, windows: Sequence[MaintenanceInfo], now: datetime | None, names: Mapping[str, str]
    ) -> None:
        ordered = sorted(windows, key=lambda w: _STATES.index(window_state(w)))
        self.set_rows([window_row(w, now, names) for w in ordered])
