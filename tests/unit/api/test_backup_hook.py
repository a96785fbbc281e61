"""The collector's backup outcome, as the API answers it."""

from __future__ import annotations

from api.backup_hook import backup_result
from collectors.ssh.backup import BackupOutcome
from tests.unit.api.scenario import NOW


def test_a_changed_configuration() -> None:
    outcome = BackupOutcome(
        device_id="gz-core1",
        at=NOW,
        ok=True,
        version_id=7,
        current_version_id=7,
        changed=True,
        lines_added=3,
        lines_removed=1,
        secrets_removed=4,
        changed_by="liming",
    )
    result = backup_result(outcome)
    assert result.model_dump() == {
        "device_id": "gz-core1",
        "at": NOW,
        "changed": True,
        "baseline": False,
        "version_id": 7,
        "current_version_id": 7,
        "lines_added": 3,
        "lines_removed": 1,
        "error": None,
    }


def test_a_failure() -> None:
    outcome = BackupOutcome(
        device_id="gz-core1", at=NOW, ok=False, error="timed out", current_version_id=3
    )
    result = backup_result(outcome)
    assert (result.error, result.version_id, result.current_version_id) == ("timed out", None, 3)
