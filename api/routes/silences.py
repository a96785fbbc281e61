"""Silences and maintenance windows: what mutes alerts, for how long, and who asked.

Both need ``manage_silences`` to create or end, ``read_inventory`` to list. Scopes
(:mod:`api.alert_scope`): a silence lies where its matchers pin it, a window in its regions and
its devices' regions. A user scoped below the province may only create a silence whose matchers
pin a region of theirs (``{region="440103", …}``, ``{region=~"4401.*", …}`` or
``{device="<one of theirs>", …}``) and windows over their own regions and devices; anything wider
is refused with 403. Lists show what lies at, below or above the caller's regions; ending one
needs the permission over every region it lies in (404 otherwise, as for one that is not).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from starlette.concurrency import run_in_threadpool

from alerts.maintenance import MaintenanceWindow, OneOff, Recurrence
from alerts.matchers import parse_matchers
from alerts.silences import InvalidSuppression, Silence
from api.alert_actions import Change, InvalidRequest, service_of
from api.alert_scope import concerns, concerns_all, sees_all, silence_region, window_regions
from api.deps import Access, ClockDep, Permission, ServicesDep, StateDep, require
from api.errors import Forbidden, error_responses
from api.schemas_alerts import (
    MaintenanceInfo,
    NewMaintenance,
    NewSilence,
    SilenceInfo,
    maintenance_info,
    silence_info,
)
from core.errors import NotFound

router = APIRouter(tags=["silences"])

ReadSilences = Annotated[Access, require(Permission.READ_INVENTORY)]
ManageSilences = Annotated[Access, require(Permission.MANAGE_SILENCES)]
SilenceIdPath = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9._-]{1,64}$", description="The silence's id")
]
WindowIdPath = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9._-]{1,128}$", description="The maintenance window's id")
]


def _may_manage(access: Access, regions: tuple[str | None, ...]) -> bool:
    """Whether ``access``'s principal may end what lies in ``regions`` (whatever the route's own
    permission: lists say so for the console)."""
    principal = access.principal
    return all(principal.can_in(Permission.MANAGE_SILENCES, region) for region in regions)


def _silence_snapshot(silence: Silence) -> dict[str, object]:
    return {
        "matchers": silence.summary,
        "starts_at": silence.starts_at.isoformat(),
        "ends_at": None if silence.ends_at is None else silence.ends_at.isoformat(),
        "until_resolved": silence.until_resolved,
        "comment": silence.comment,
    }


def _window_snapshot(window: MaintenanceWindow) -> dict[str, object]:
    return {
        "regions": sorted(window.regions),
        "devices": sorted(window.device_ids),
        "schedule": window.schedule.describe(),
        "pause_collection": window.pause_collection,
        "comment": window.comment,
    }


def _out_of_scope(access: Access, what: str, scopes: frozenset[str]) -> Forbidden:
    return Forbidden(
        f"{access.name} may {what} only in their regions ({', '.join(sorted(scopes))}): "
        'pin one with region="<code>", region=~"<code prefix>.*" or device="<id>"'
    )


# --- silences --------------------------------------------------------------------------------


@router.get(
    "/silences",
    summary="Silences at, below or above the caller's regions, expired ones included",
    response_model=list[SilenceInfo],
    responses=error_responses(401, 403, 503),
)
async def list_silences(
    access: ReadSilences, services: ServicesDep, state: StateDep, clock: ClockDep
) -> list[SilenceInfo]:
    """In the order they were created; expired ones stay until pruned (after the retention)."""
    service = service_of(services)
    found = await run_in_threadpool(service.silences)
    devices = await run_in_threadpool(state.device_regions)
    now = clock.now()
    shown = []
    for silence in found:
        region = silence_region(silence.matchers, devices)
        if concerns(access, region):
            shown.append(silence_info(silence, now, region, _may_manage(access, (region,))))
    return shown


@router.post(
    "/silences",
    summary="Silence the alerts matching Alertmanager matchers, from now or later",
    response_model=SilenceInfo,
    status_code=201,
    responses=error_responses(401, 403, 422, 503),
)
async def create_silence(
    body: NewSilence,
    access: ManageSilences,
    services: ServicesDep,
    state: StateDep,
    clock: ClockDep,
) -> SilenceInfo:
    """``ends_at`` is required unless ``until_resolved`` (then the silence ends when every alert
    it muted has resolved, or when someone expires it). 422 for matchers that do not parse or
    would match every alert, or an end that is not after the start and after now."""
    change = Change(services, access, "silence_create", None)
    service = await change.service()
    try:
        matchers = parse_matchers(body.matchers)
    except ValueError as exc:
        raise await change.refuse(InvalidRequest(f"body field 'matchers': {exc}")) from None
    devices = await run_in_threadpool(state.device_regions)
    change.region = silence_region(matchers, devices)
    if not access.sees(change.region):
        raise await change.refuse(_out_of_scope(access, "silence alerts", access.scope_codes()))
    now = clock.now()
    starts_at = body.starts_at or now
    if body.ends_at is not None and body.ends_at <= max(starts_at, now):
        problem = InvalidRequest("body field 'ends_at': must be after the start and after now")
        raise await change.refuse(problem)

    def work() -> Silence:
        return service.create_silence(
            matchers,
            created_by=access.name,
            comment=body.comment,
            ends_at=body.ends_at,
            starts_at=starts_at,
            until_resolved=body.until_resolved,
        )

    def created(silence: Silence) -> dict[str, object]:
        change.target = silence.id
        return _silence_snapshot(silence)

    silence = await change.run(work, after=created)
    return silence_info(silence, clock.now(), change.region, True)


@router.delete(
    "/silences/{silence_id}",
    summary="Expire a silence now (a pending one never starts)",
    response_model=SilenceInfo,
    responses=error_responses(401, 403, 404, 422, 503),
)
async def expire_silence(
    silence_id: SilenceIdPath,
    access: ManageSilences,
    services: ServicesDep,
    state: StateDep,
    clock: ClockDep,
) -> SilenceInfo:
    """An expired silence is answered as it is."""
    change = Change(services, access, "silence_expire", silence_id)
    service = await change.service()

    def work() -> Silence:
        found = next((s for s in service.silences() if s.id == silence_id), None)
        if found is not None:
            change.region = silence_region(found.matchers, state.device_regions())
        if found is None or not access.sees(change.region):
            raise NotFound(f"no silence {silence_id!r}")
        change.before = _silence_snapshot(found)
        return service.expire_silence(silence_id, by=access.name)

    silence = await change.run(work, after=_silence_snapshot)
    return silence_info(silence, clock.now(), change.region, True)


# --- maintenance windows ---------------------------------------------------------------------


@router.get(
    "/maintenance",
    summary="Maintenance windows at, below or above the caller's regions",
    response_model=list[MaintenanceInfo],
    responses=error_responses(401, 403, 503),
)
async def list_maintenance(
    access: ReadSilences, services: ServicesDep, state: StateDep, clock: ClockDep
) -> list[MaintenanceInfo]:
    """Those of the alerting configuration file and those added since, in that order."""
    service = service_of(services)
    found = await run_in_threadpool(service.maintenance_windows)
    devices = await run_in_threadpool(state.device_regions)
    now = clock.now()
    shown = []
    for window in found:
        regions = window_regions(window, devices)
        if concerns_all(access, regions):
            shown.append(maintenance_info(window, now, _may_manage(access, regions)))
    return shown


def _schedule(body: NewMaintenance, now: datetime) -> OneOff | Recurrence:
    """The window's schedule; :class:`InvalidRequest` when the body names none or both."""
    one_off = body.starts_at is not None or body.ends_at is not None
    if one_off == (body.recurrence is not None):
        raise InvalidRequest("give either starts_at and ends_at (once) or recurrence, not both")
    if body.recurrence is not None:
        try:
            return Recurrence.parse(body.recurrence, until=body.until)
        except InvalidSuppression as exc:
            raise InvalidRequest(f"body field 'recurrence': {exc}") from None
    if body.starts_at is None or body.ends_at is None:
        raise InvalidRequest("a one-off window needs both starts_at and ends_at")
    if body.until is not None:
        raise InvalidRequest("body field 'until': only for a recurring window")
    if body.ends_at <= now:
        raise InvalidRequest("body field 'ends_at': the window would be over already")
    return OneOff(body.starts_at, body.ends_at)


@router.post(
    "/maintenance",
    summary="Plan maintenance: mute (and maybe stop polling) regions and devices, once or "
    "on a recurring schedule",
    response_model=MaintenanceInfo,
    status_code=201,
    responses=error_responses(401, 403, 422, 503),
)
async def create_maintenance(
    body: NewMaintenance,
    access: ManageSilences,
    services: ServicesDep,
    state: StateDep,
    clock: ClockDep,
) -> MaintenanceInfo:
    """One-off: ``starts_at`` and ``ends_at``. Recurring: ``recurrence`` such as
    ``weekly Sun 02:00-04:00 Asia/Shanghai`` (local wall-clock times, whatever the UTC offset)
    and maybe ``until``. With ``pause_collection`` the poller skips the covered devices while
    the window is open. 403 for a region outside the caller's; 422 for an unknown region or
    device, a schedule that does not parse, or one already over."""
    change = Change(services, access, "maintenance_create", None)
    service = await change.service()
    outside = [code for code in body.regions if not access.sees(code)]
    if outside:
        denied = _out_of_scope(access, "plan maintenance", access.scope_codes())
        raise await change.refuse(denied)
    window_id = uuid.uuid4().hex
    change.target = window_id
    now = clock.now()

    def work() -> MaintenanceWindow:
        device_regions = state.device_regions()
        for device in body.devices:
            # An unknown device and one out of scope answer alike: existence does not leak.
            if device not in device_regions or not access.sees(device_regions[device]):
                raise InvalidRequest(f"body field 'devices': no device {device!r}")
        for code in body.regions:
            try:
                state.region(code)
            except NotFound:
                raise InvalidRequest(f"body field 'regions': no region {code}") from None
        window = MaintenanceWindow(
            id=window_id,
            schedule=_schedule(body, now),
            regions=frozenset(body.regions),
            device_ids=frozenset(body.devices),
            pause_collection=body.pause_collection,
            created_by=access.name,
            comment=body.comment,
        )
        regions = window_regions(window, device_regions)
        change.region = regions[0] if len(set(regions)) == 1 else None
        return service.add_maintenance_window(window)

    window = await change.run(work, after=_window_snapshot)
    return maintenance_info(window, clock.now(), True)


@router.delete(
    "/maintenance/{window_id}",
    summary="Cancel a maintenance window (its end is announced if it was open)",
    response_model=MaintenanceInfo,
    responses=error_responses(401, 403, 404, 422, 503),
)
async def cancel_maintenance(
    window_id: WindowIdPath,
    access: ManageSilences,
    services: ServicesDep,
    state: StateDep,
    clock: ClockDep,
) -> MaintenanceInfo:
    """A window from the alerting configuration file comes back when the server restarts:
    remove it from the file for good."""
    change = Change(services, access, "maintenance_cancel", window_id)
    service = await change.service()

    def work() -> MaintenanceWindow:
        found = next((w for w in service.maintenance_windows() if w.id == window_id), None)
        if found is None or not sees_all(access, window_regions(found, state.device_regions())):
            raise NotFound(f"no maintenance window {window_id!r}")
        change.before = _window_snapshot(found)
        return service.remove_maintenance_window(window_id, by=access.name)

    window = await change.run(work, after=lambda _: {"cancelled": True})
    return maintenance_info(window, clock.now(), True)
