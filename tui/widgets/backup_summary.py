"""A device's backup record in two lines: its state, the last success, the newest version; and
the last error while it is failing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from core.state.config_views import BackupStatusView
from tui.backup_state import BACKUP_STYLE, BackupState, backup_state
from tui.palette import STATUS_MARK
from tui.units import MISSING, format_age, format_time

_KEY = "bright_black"


def _when(at: datetime | None, now: datetime | None) -> str:
    return MISSING if at is None else f"{format_age(at, now)} ({format_time(at)})"


def backup_summary(status: BackupStatusView, now: datetime | None) -> RenderableType:
    state = backup_state(status, now)
    style = BACKUP_STYLE[state]
    headline = {
        BackupState.NEVER: "never backed up",
        BackupState.FAILING: "backup failing",
        BackupState.STALE: "not backed up in 24 h",
        BackupState.OK: "backed up",
    }[state]
    first = Text.assemble(
        (f"{STATUS_MARK} {headline}", style),
        ("   last success ", _KEY),
        _when(status.last_success_at, now),
        ("   newest version ", _KEY),
        f"#{status.last_version_id}" if status.last_version_id else MISSING,
        ("   last change seen ", _KEY),
        format_age(status.last_changed_at, now),
    )
    table = Table.grid()
    table.add_row(first)
    if status.last_error and status.failing:
        table.add_row(
            Text.assemble(
                ("last attempt failed ", _KEY),
                (format_age(status.last_failure_at, now), "red"),
                (": ", _KEY),
                (status.last_error, "red"),
            )
        )
    elif status.last_attempt_at is None:
        table.add_row(Text("no attempt on record", style=_KEY))
    else:
        table.add_row(Text.assemble(("last attempt ", _KEY), _when(status.last_attempt_at, now)))
    return table


class BackupSummary(Static):
    DEFAULT_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")

    def show(self, status: BackupStatusView, now: datetime | None) -> None:
        self.update(backup_summary(status, now))
