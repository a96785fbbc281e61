"""How a device's backup record reads at a glance: never, failing, stale or ok — one word and
one colour, the same on the config history screen and on the fleet board."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

from rich.style import Style
from rich.text import Text

from core.state.config_views import BackupStatusView

STALE_AFTER = timedelta(hours=24)
"""A backup older than this is stale: the fleet board's "not backed up in 24 h"."""
_LONG_AGO = datetime.min.replace(tzinfo=UTC)


class BackupState(StrEnum):
    NEVER = "never"
    """No successful backup, ever (maybe never tried, maybe every try failed)."""
    FAILING = "failing"
    """Backed up once, but the latest attempt failed."""
    STALE = "stale"
    """The latest attempt did not fail, but the last success is older than STALE_AFTER."""
    OK = "ok"


BACKUP_STYLE: dict[BackupState, Style] = {
    BackupState.NEVER: Style(color="red", bold=True),
    BackupState.FAILING: Style(color="red"),
    BackupState.STALE: Style(color="yellow"),
    BackupState.OK: Style(color="green"),
}


def backup_state(status: BackupStatusView, now: datetime | None) -> BackupState:
    """``now`` is the server's time; without it nothing is called stale."""
    if status.last_success_at is None:
        return BackupState.NEVER
    if status.failing:
        return BackupState.FAILING
    if now is not None and now - status.last_success_at > STALE_AFTER:
        return BackupState.STALE
    return BackupState.OK


def backup_state_text(state: BackupState) -> Text:
    return Text(state.value, style=BACKUP_STYLE[state])


def worst_first(statuses: list[BackupStatusView]) -> list[BackupStatusView]:
    """Never backed up (those that tried and failed before those never tried), then the oldest
    last success first; ties by device id, so the order is stable between refreshes."""

    def rank(status: BackupStatusView) -> tuple[bool, bool, datetime, str]:
        never = status.last_success_at is None
        success = status.last_success_at or _LONG_AGO
        return (not never, not (never and status.failing), success, status.device_id)

    return sorted(statuses, key=rank)
