"""What the composition root needs to turn the SSH collector's backup into the API's
``backup_now`` hook: the collector answers a :class:`~collectors.ssh.backup.BackupOutcome`, the
API a :class:`~api.schemas.BackupNowResult`.

    async def backup_now(device_id: str) -> BackupNowResult:
        return backup_result(await <fetch the device and record_backup(...)>)

    ApiServices(..., backup_now=backup_now)
"""

from __future__ import annotations

from api.schemas import BackupNowResult
from collectors.ssh.backup import BackupOutcome


def backup_result(outcome: BackupOutcome) -> BackupNowResult:
    """The API's answer for one backup attempt (secrets-removed counts stay in the collector:
    how many secrets a configuration had is nobody's business over HTTP)."""
    return BackupNowResult(
        device_id=outcome.device_id,
        at=outcome.at,
        changed=outcome.changed,
        baseline=outcome.baseline,
        version_id=outcome.version_id,
        current_version_id=outcome.current_version_id,
        lines_added=outcome.lines_added,
        lines_removed=outcome.lines_removed,
        error=outcome.error,
    )
