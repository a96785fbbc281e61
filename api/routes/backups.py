"""Configuration backups: one device's backup record, a backup on demand, and the fleet list of
devices whose backup is missing or old."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from api.audit import AuditOutcome, record
from api.deps import (
    Access,
    ClockDep,
    ConfigsDep,
    Permission,
    ServicesDep,
    StateDep,
    require,
    visible_device,
)
from api.errors import InvalidParameter, ServiceUnavailable, error_responses
from api.schemas import BackupNowResult
from core.model import Platform
from core.state.config_views import BackupStatusView

log = logging.getLogger(__name__)

router = APIRouter(tags=["backups"])

ACTION_BACKUP = "backup_device"
DEFAULT_STALE_AFTER_H = 24.0
NO_COLLECTOR = (
    "on-demand backup is not available on this server: it runs no SSH collector "
    "(scheduled backups, where configured, still run)"
)


@router.get(
    "/devices/{device_id}/backup",
    summary="A device's backup record: last attempt, last success, last error, newest version",
    response_model=BackupStatusView,
    responses=error_responses(401, 403, 404, 503),
)
def device_backup(
    device_id: Annotated[str, visible_device(Permission.READ_CONFIGS)], configs: ConfigsDep
) -> BackupStatusView:
    """Every time is null for a device never tried. ``last_error`` stays on record after a later
    success; the device is failing only while its last failure is newer than its last success."""
    return configs.backup_status(device_id)


@router.post(
    "/devices/{device_id}/backup",
    summary="Back a device's configuration up now",
    response_model=BackupNowResult,
    responses=error_responses(401, 403, 404, 503),
)
async def back_up_now(
    # First: FastAPI resolves parameters in order, and who asks is checked before the device is
    # looked up, so a 404 never tells a stranger which devices exist.
    access: Annotated[Access, require(Permission.BACKUP_DEVICES)],
    device_id: Annotated[str, visible_device(Permission.BACKUP_DEVICES)],
    services: ServicesDep,
    state: StateDep,
) -> BackupNowResult:
    """Connects to the device over SSH, fetches its running configuration, scrubs it and stores
    a new version when it changed. A device that cannot be backed up answers 200 with ``error``
    set (its backup record says so too); 503 when this server has no SSH collector. Every
    attempt is recorded in the audit trail, with who asked."""
    region = state.device_regions().get(device_id)

    async def audit(outcome: AuditOutcome, detail: str | None) -> None:
        await record(
            services,
            access,
            ACTION_BACKUP,
            outcome,
            target=device_id,
            region_code=region,
            detail=detail,
        )

    if services.backup_now is None:
        await audit(AuditOutcome.UNAVAILABLE, "no SSH collector on this server")
        raise ServiceUnavailable("backup_unavailable", NO_COLLECTOR)
    log.info("backup of %s requested by %s", device_id, access.name)
    try:
        result = await services.backup_now(device_id)
    except Exception as exc:  # recorded, then answered by the error handlers as usual
        await audit(AuditOutcome.FAILED, f"{type(exc).__name__}: {exc}")
        raise
    if result.error is not None:
        await audit(AuditOutcome.FAILED, result.error)
    else:
        await audit(AuditOutcome.OK, _what_changed(result))
    return result


def _what_changed(result: BackupNowResult) -> str:
    if result.baseline:
        return f"first version {result.version_id}"
    if result.changed:
        return f"version {result.version_id} (+{result.lines_added} -{result.lines_removed})"
    return f"unchanged (version {result.current_version_id})"


@router.get(
    "/backups",
    summary="Backup records of the fleet; with stale=true, devices not backed up lately",
    response_model=list[BackupStatusView],
    responses=error_responses(401, 403, 422, 503),
)
def fleet_backups(
    access: Annotated[Access, require(Permission.READ_CONFIGS)],
    configs: ConfigsDep,
    state: StateDep,
    clock: ClockDep,
    stale: Annotated[
        bool,
        Query(
            description="Only devices without a successful backup in the last older_than_h "
            "hours, never-backed-up ones included; worst first (never, then oldest)"
        ),
    ] = False,
    older_than_h: Annotated[
        float | None,
        Query(
            gt=0,
            le=24 * 366,
            description=f"Hours without a successful backup that make one stale (with "
            f"stale=true; default {DEFAULT_STALE_AFTER_H:g})",
            examples=[24],
        ),
    ] = None,
) -> list[BackupStatusView]:
    """Without ``stale``: every device by id. Linux hosts have no configuration to back up and
    are left out. Only devices in the caller's scope are listed."""
    regions = state.device_regions()

    def in_scope(status: BackupStatusView) -> bool:
        region = regions.get(status.device_id)
        return region is not None and access.sees(region)

    if not stale:
        if older_than_h is not None:
            raise InvalidParameter("older_than_h", "applies only with stale=true")
        statuses = [s for s in configs.backup_statuses() if s.platform is not Platform.LINUX]
    else:
        hours = DEFAULT_STALE_AFTER_H if older_than_h is None else older_than_h
        statuses = configs.stale(now=clock.now(), older_than=timedelta(hours=hours))
    return [status for status in statuses if in_scope(status)]
