"""A county's card terminals: life state, when last heard from and whether online, the read
failure rate over the status window, the PSAM, and the versions each runs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from rich.text import Text

from tui.fleet_models import TerminalInfo
from tui.units import MISSING, format_age
from tui.widgets.fleet_palette import (
    DIM,
    failure_rate_text,
    online_mark,
    psam_text,
    state_text,
)
from tui.widgets.keyed_table import Column, KeyedTable, Row

_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")


def _or_dim(value: str | None) -> Text:
    return Text(value) if value else Text(MISSING, style=DIM)


def terminal_cells(terminal: TerminalInfo, now: datetime | None) -> tuple[Text, ...]:
    status = terminal.status
    attempts = status.window_reads + status.window_failures if status else None
    return (
        Text(terminal.id, "bold"),
        Text(terminal.site),
        Text(terminal.kind),
        state_text(terminal.state),
        Text(format_age(status.last_seen_at, now) if status else "never", "" if status else DIM),
        online_mark(status.online if status else None),
        failure_rate_text(status.failure_rate if status else None),
        Text(MISSING if attempts is None else str(attempts), justify="right"),
        psam_text(status.psam_status if status else None),
        _or_dim(status.firmware_version if status else terminal.firmware_version),
        _or_dim(status.parameter_version if status else terminal.parameter_version),
    )


class TerminalTable(KeyedTable):
    """One row per terminal, keyed by its id; Enter opens it."""

    DEFAULT_CSS = KeyedTable.DEFAULT_CSS + _CSS

    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("id", "TERMINAL", 14),
        Column("site", "SITE", 22),
        Column("kind", "KIND", 8),
        Column("state", "STATE", 11),
        Column("last_seen", "LAST SEEN", 12),
        Column("online", "ONLINE", 8),
        Column("failures", "READ FAIL", 9),
        Column("reads", "READS", 6),
        Column("psam", "PSAM", 7),
        Column("firmware", "FIRMWARE", 12),
        Column("parameters", "PARAMETERS", 12),
    )

    def show(self, terminals: Sequence[TerminalInfo], now: datetime | None) -> None:
        """In id order: a county's terminals are few and their ids are how people name them."""
        ordered = sorted(terminals, key=lambda t: t.id)
        self.set_rows([Row(t.id, terminal_cells(t, now)) for t in ordered])
