"""The fleet's backup board: one row per device whose backup is missing or old, worst first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType

from core.state.config_views import BackupStatusView
from tui.backup_state import BackupState, backup_state, backup_state_text
from tui.units import MISSING, format_age
from tui.widgets.keyed_table import Column, KeyedTable, Row

_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")
_DIM = "bright_black"


def backup_row(status: BackupStatusView, now: datetime | None) -> Row:
    state = backup_state(status, now)
    # An old error under a later success is history, not the reason for the row: dim it.
    error_style = "red" if state in (BackupState.FAILING, BackupState.NEVER) else _DIM
    return Row(
        key=status.device_id,
        cells=(
            status.device_id,
            status.device_name or MISSING,
            status.region or MISSING,
            status.platform.value if status.platform else MISSING,
            backup_state_text(state),
            Text(format_age(status.last_success_at, now), justify="right"),
            Text(format_age(status.last_attempt_at, now), justify="right"),
            Text(
                f"#{status.last_version_id}" if status.last_version_id else MISSING, justify="right"
            ),
            Text(status.last_error or MISSING, style=error_style if status.last_error else _DIM),
        ),
    )


class BackupTable(KeyedTable):
    DEFAULT_CSS = KeyedTable.DEFAULT_CSS + _CSS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Open device"),
    ]

    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("device", "DEVICE"),
        Column("name", "NAME"),
        Column("region", "REGION"),
        Column("platform", "PLATFORM"),
        Column("state", "STATE"),
        Column("last_success", "LAST SUCCESS"),
        Column("last_attempt", "LAST ATTEMPT"),
        Column("version", "VERSION"),
        Column("error", "LAST ERROR"),
    )

    def show(self, statuses: Sequence[BackupStatusView], now: datetime | None) -> None:
        self.set_rows([backup_row(s, now) for s in statuses])
