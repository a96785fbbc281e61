"""On call: every schedule with who is on call now (or at a given time), and overrides — someone
else on call for a stretch (a swap, sick leave).

Listing needs ``read_inventory``: the schedules at, below or above the caller's regions, since the
city's on-call and the provincial duty engineer answer for a county too. Adding an override needs
``manage_silences`` — held by the on-call staff and network engineers, who arrange their own
swaps — over the schedule's region; a schedule outside it answers 404, as one that does not
exist.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from starlette.concurrency import run_in_threadpool

from alerts.oncall import Override, Schedule, who_is_on_call
from api.alert_actions import Change, InvalidRequest, service_of
from api.alert_scope import concerns
from api.deps import Access, ClockDep, Permission, ServicesDep, require
from api.errors import error_responses
from api.schemas_alerts import UtcDatetime
from api.schemas_oncall import NewOverride, ScheduleInfo, schedule_info
from core.errors import NotFound

router = APIRouter(tags=["on-call"])

SchedulePath = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z0-9._-]{1,64}$",
        description="The schedule's name",
        examples=["network-440100"],
    ),
]


@router.get(
    "/oncall",
    summary="On-call schedules with who is on call now",
    response_model=list[ScheduleInfo],
    responses=error_responses(401, 403, 422, 503),
)
async def on_call(
    access: Annotated[Access, require(Permission.READ_INVENTORY)],
    services: ServicesDep,
    clock: ClockDep,
    at: Annotated[
        UtcDatetime | None,
        Query(description="Who is on call at this time instead (ISO 8601 with an offset)"),
    ] = None,
) -> list[ScheduleInfo]:
    """By name. An override in force wins over the rotation; the latest added wins."""
    service = service_of(services)
    when = at or clock.now()
    schedules = await run_in_threadpool(service.schedules)
    principal = access.principal
    return [
        schedule_info(
            schedule,
            who_is_on_call(schedule, when),
            when,
            principal.can_in(Permission.MANAGE_SILENCES, schedule.region),
        )
        for schedule in schedules
        if concerns(access, schedule.region)
    ]


def _override_snapshot(override: Override) -> dict[str, object]:
    return {
        "user": override.user,
        "starts_at": override.starts_at.isoformat(),
        "ends_at": override.ends_at.isoformat(),
    }


@router.post(
    "/oncall/{schedule}/overrides",
    summary="Put someone else on call on a schedule for a stretch",
    response_model=ScheduleInfo,
    status_code=201,
    responses=error_responses(401, 403, 404, 422, 503),
)
async def add_override(
    schedule: SchedulePath,
    body: NewOverride,
    access: Annotated[Access, require(Permission.MANAGE_SILENCES)],
    services: ServicesDep,
    clock: ClockDep,
) -> ScheduleInfo:
    """The override wins over the rotation and over earlier overrides while it holds; pages
    and escalations follow it. 422 for an end that is not after the start and after now."""
    change = Change(services, access, "oncall_override", schedule)
    service = await change.service()
    now = clock.now()
    if body.ends_at <= max(body.starts_at, now):
        problem = InvalidRequest("body field 'ends_at': must be after starts_at and after now")
        raise await change.refuse(problem)
    override = Override(body.user, body.starts_at, body.ends_at)

    def work() -> Schedule:
        found = next((s for s in service.schedules() if s.name == schedule), None)
        if found is not None:
            change.region = found.region
        if found is None or not access.sees(found.region):
            raise NotFound(f"no on-call schedule {schedule!r}")
        return service.add_override(schedule, override, by=access.name)

    updated = await change.run(work, after=lambda _: _override_snapshot(override))
    return schedule_info(updated, who_is_on_call(updated, now), now, True)
