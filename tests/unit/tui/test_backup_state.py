"""How a backup record reads: never, failing, stale, ok; and the board's order."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.state.config_views import BackupStatusView
from tests.unit.api.scenario import NOW
from tui.backup_state import BackupState, backup_state, worst_first

HOUR = timedelta(hours=1)


def record(
    device: str,
    success_h: float | None = None,
    failure_h: float | None = None,
) -> BackupStatusView:
    return BackupStatusView(
        device_id=device,
        last_success_at=None if success_h is None else NOW - success_h * HOUR,
        last_failure_at=None if failure_h is None else NOW - failure_h * HOUR,
        last_error=None if failure_h is None else "refused",
    )


@pytest.mark.parametrize(
    ("status", "state"),
    [
        (record("a"), BackupState.NEVER),
        (record("a", failure_h=1), BackupState.NEVER),
        (record("a", success_h=2, failure_h=1), BackupState.FAILING),
        (record("a", success_h=1, failure_h=2), BackupState.OK),  # failed, then recovered
        (record("a", success_h=25), BackupState.STALE),
        (record("a", success_h=23), BackupState.OK),
    ],
)
def test_states(status: BackupStatusView, state: BackupState) -> None:
    assert backup_state(status, NOW) is state


def test_without_the_servers_time_nothing_is_called_stale() -> None:
    assert backup_state(record("a", success_h=100), None) is BackupState.OK


def test_worst_first_never_then_oldest() -> None:
    statuses = [
        record("fresh", success_h=1),
        record("untried"),
        record("old", success_h=72),
        record("tried", failure_h=1),
        record("older-failing", success_h=80, failure_h=1),
        record("also-untried"),
    ]
    assert [s.device_id for s in worst_first(statuses)] == [
        "tried",
        "also-untried",
        "untried",
        "older-failing",
        "old",
        "fresh",
    ]
