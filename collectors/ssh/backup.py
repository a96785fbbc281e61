"""The configuration backup step, whatever fetched the configuration (netmiko, a file, a test).

``record_backup`` takes what one fetch produced — the running configuration, or the reason there
is none — and does the rest: scrub the secrets, read who changed it and when where the device
says, store a new version when it really changed, keep the backup status, and publish events.

Events: ``ConfigChanged`` for every stored version that differs from an earlier one, and
``BackupFailed`` for every failed attempt. A device's *first* version is a baseline, not a
change: it publishes nothing (a new device, or the first run of ssnoc on a province, would
otherwise raise one event per device for configurations nobody touched).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from collectors.ssh.config_meta import extract_change_author
from collectors.ssh.scrubber import scrub
from core.clock import Clock
from core.errors import ConfigError
from core.events import BackupFailed, ConfigChanged, EventBus
from core.model import Platform
from core.state.configs import ConfigRepository

EMPTY_CONFIG = "the device returned an empty configuration"


@dataclass(frozen=True, slots=True)
class BackupOutcome:
    """What one backup attempt of one device came to."""

    device_id: str
    at: datetime
    ok: bool
    error: str | None = None
    version_id: int | None = None
    """The version stored by this attempt; None when nothing changed or it failed."""
    current_version_id: int | None = None
    """The device's newest version after this attempt (None if it has none)."""
    changed: bool = False
    baseline: bool = False
    lines_added: int = 0
    lines_removed: int = 0
    secrets_removed: int = 0
    changed_by: str | None = None
    changed_at: datetime | None = None


def record_backup(
    repo: ConfigRepository,
    events: EventBus,
    clock: Clock,
    device_id: str,
    platform: Platform,
    raw_config: str | None,
    error: str | None,
) -> BackupOutcome:
    """Store one fetched configuration (or the failure to fetch it) and publish what happened.

    The raw configuration never reaches the store or an event: only its scrubbed text does.
    A platform without scrub rules is a failure of the backup, recorded as such — storing an
    unscrubbed configuration is never the fallback."""
    now = clock.now()
    if error is None and (raw_config is None or not raw_config.strip()):
        error = EMPTY_CONFIG
    if error is not None:
        return _failed(repo, events, device_id, now, error)
    assert raw_config is not None  # an empty or missing text became an error above
    try:
        scrubbed = scrub(raw_config, platform)
    except ConfigError as exc:
        return _failed(repo, events, device_id, now, f"cannot scrub secrets: {exc}")
    changed_by, changed_at = extract_change_author(scrubbed.text, platform)
    stored = repo.store(
        device_id,
        scrubbed.text,
        collected_at=now,
        changed_by=changed_by,
        changed_at=changed_at,
        platform=platform,
    )
    if stored.changed and stored.version_id is not None:
        events.publish(
            ConfigChanged(
                at=now,
                device_id=device_id,
                version_id=stored.version_id,
                lines_added=stored.lines_added,
                lines_removed=stored.lines_removed,
                changed_by=changed_by,
            )
        )
    return BackupOutcome(
        device_id=device_id,
        at=now,
        ok=True,
        version_id=stored.version_id,
        current_version_id=stored.current_version_id,
        changed=stored.changed,
        baseline=stored.baseline,
        lines_added=stored.lines_added,
        lines_removed=stored.lines_removed,
        secrets_removed=scrubbed.replaced,
        changed_by=changed_by,
        changed_at=changed_at,
    )


def _failed(
    repo: ConfigRepository, events: EventBus, device_id: str, at: datetime, reason: str
) -> BackupOutcome:
    repo.record_failure(device_id, at, reason)
    events.publish(BackupFailed(at=at, device_id=device_id, reason=reason))
    return BackupOutcome(
        device_id=device_id,
        at=at,
        ok=False,
        error=reason,
        current_version_id=repo.backup_status(device_id).last_version_id,
    )
