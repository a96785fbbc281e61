"""Staged rollouts of terminal firmware and parameter versions: the list, one rollout with its
waves and gates, its history; creating one (in draft), starting, pausing, resuming (also past a
failed gate) and rolling back.

A rollout lies in the regions of its scope (none: the whole fleet, which is the province's).
Reading needs ``read_terminals``: a caller sees the rollouts that concern their terminals — those
whose scope lies at, below or above their regions, the whole fleet's included — and of a rollout
reaching beyond their regions only the pilot terminals in them. Changing needs
``manage_rollouts`` at or below every region of the rollout: a whole-fleet rollout needs it for
the province (403 otherwise); a rollout that does not concern the caller answers 404, as one that
does not exist. Every change is audited, refused ones too. Terminals learn their target in their
next heartbeat reply; the gates are judged by the server's rollout loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Path
from starlette.concurrency import run_in_threadpool

from api.alert_scope import concerns, sees_all
from api.audit import AuditOutcome
from api.audited_change import InvalidRequest
from api.deps import Access, Permission, ServicesDep, require
from api.errors import Forbidden, error_responses
from api.fleet_actions import FleetChange, fleet_of
from api.schemas_rollouts import (
    NewRollout,
    RolloutChangeInfo,
    RolloutInfo,
    RolloutReason,
    StartRollout,
    change_info,
    plan_of,
    rollout_info,
)
from card_fleet.errors import FleetError
from card_fleet.rollouts import Rollout
from card_fleet.service import FleetService
from core.errors import NotFound

router = APIRouter(prefix="/rollouts", tags=["rollouts"])

ReadRollouts = Annotated[Access, require(Permission.READ_TERMINALS)]
ManageRollouts = Annotated[Access, require(Permission.MANAGE_ROLLOUTS)]
RolloutIdPath = Annotated[
    str,
    Path(pattern=r"^[A-Za-z0-9-]{1,32}$", description="The rollout's id", examples=["RO-0001"]),
]
_CHANGE_ERRORS = error_responses(401, 403, 404, 409, 422, 503)


def _concerns(access: Access, regions: frozenset[str]) -> bool:
    return not regions or any(concerns(access, region) for region in regions)


def _may_manage(access: Access, regions: frozenset[str]) -> bool:
    return access.sees(None) if not regions else sees_all(access, regions)


def _refusal(access: Access, regions: frozenset[str]) -> Forbidden:
    if not regions:
        return Forbidden(f"a rollout to the whole fleet needs {access.permission} for the province")
    scopes = ", ".join(sorted(access.scope_codes()))
    return Forbidden(f"{access.name} may manage rollouts only within their regions ({scopes})")


def _visible_pilots(fleet: FleetService, access: Access, rollout: Rollout) -> list[str] | None:
    """The pilot terminals the caller may see; None: every one. Blocking (registry reads)."""
    plan = rollout.plan
    if not plan.pilot_terminal_ids or _may_manage(access, plan.regions):
        return None
    shown = []
    for terminal_id in plan.pilot_terminal_ids:
        try:
            terminal = fleet.registry.get(terminal_id)
        except NotFound:
            continue
        if access.sees(terminal.county):
            shown.append(terminal_id)
    return shown


def _visible(fleet: FleetService, access: Access, rollout_id: str) -> Rollout:
    rollout = fleet.rollouts.get(rollout_id)
    if not _concerns(access, rollout.plan.regions):
        raise NotFound(f"no rollout {rollout_id}")
    return rollout


def _snapshot(rollout: Rollout) -> dict[str, object]:
    """What the audit trail keeps of a rollout around a change."""
    return {"state": rollout.state.value, "waves_opened": len(rollout.waves)}


def _region(regions: frozenset[str]) -> str | None:
    return next(iter(regions)) if len(regions) == 1 else None


@router.get(
    "",
    summary="Rollouts that concern the caller's terminals, oldest first",
    response_model=list[RolloutInfo],
    responses=error_responses(401, 403, 503),
)
async def list_rollouts(access: ReadRollouts, services: ServicesDep) -> list[RolloutInfo]:
    fleet = fleet_of(services)

    def read() -> list[RolloutInfo]:
        return [
            rollout_info(rollout, _visible_pilots(fleet, access, rollout))
            for rollout in fleet.rollouts.list()
            if _concerns(access, rollout.plan.regions)
        ]

    return await run_in_threadpool(read)


@router.get(
    "/{rollout_id}",
    summary="One rollout: its plan, its waves and how their gates went",
    response_model=RolloutInfo,
    responses=error_responses(401, 403, 404, 422, 503),
)
async def get_rollout(
    rollout_id: RolloutIdPath, access: ReadRollouts, services: ServicesDep
) -> RolloutInfo:
    fleet = fleet_of(services)

    def read() -> RolloutInfo:
        rollout = _visible(fleet, access, rollout_id)
        return rollout_info(rollout, _visible_pilots(fleet, access, rollout))

    return await run_in_threadpool(read)


@router.get(
    "/{rollout_id}/history",
    summary="What happened to a rollout, who did it and why, oldest first",
    response_model=list[RolloutChangeInfo],
    responses=error_responses(401, 403, 404, 422, 503),
)
async def rollout_history(
    rollout_id: RolloutIdPath, access: ReadRollouts, services: ServicesDep
) -> list[RolloutChangeInfo]:
    """Created, started, waves opened, gates passed (with figures), halted, paused, …"""
    fleet = fleet_of(services)

    def read() -> list[RolloutChangeInfo]:
        _visible(fleet, access, rollout_id)
        return [change_info(change) for change in fleet.rollouts.history(rollout_id)]

    return await run_in_threadpool(read)


@router.post(
    "",
    summary="Create a rollout (a draft: nothing moves until it is started)",
    response_model=RolloutInfo,
    status_code=201,
    responses=error_responses(401, 403, 422, 503),
)
async def create_rollout(
    body: NewRollout, access: ManageRollouts, services: ServicesDep
) -> RolloutInfo:
    """422 for a plan that makes no sense (the message lists why); 403 for a scope beyond the
    caller's regions."""
    change = FleetChange(services, access, "rollout_create", None)
    fleet = await change.fleet()
    regions = frozenset(body.regions)
    change.region = _region(regions)
    try:
        plan = plan_of(body)
    except FleetError as exc:
        raise await change.refuse(InvalidRequest(str(exc))) from None
    if not _may_manage(access, regions):
        raise await change.refuse(_refusal(access, regions))

    def work() -> Rollout:
        rollout = fleet.rollouts.create(plan, access.name, fleet.clock.now())
        change.target = rollout.id
        return rollout

    def after(rollout: Rollout) -> dict[str, object]:
        where = sorted(plan.regions) or ["the whole fleet"]
        return {**_snapshot(rollout), "plan": f"{plan.component} {plan.target_version}: {where}"}

    rollout = await change.run(work, after=after)
    return rollout_info(rollout)


async def _change(
    services: ServicesDep,
    access: Access,
    rollout_id: str,
    action: str,
    act: Callable[[FleetService], Rollout],
    reason: str | None,
) -> RolloutInfo:
    change = FleetChange(services, access, action, rollout_id)
    fleet = await change.fleet()
    # In memory: no thread needed to find it and decide whether the caller may change it.
    try:
        rollout = _visible(fleet, access, rollout_id)
    except NotFound as exc:
        await change.record(AuditOutcome.FAILED, detail=str(exc))
        raise
    change.region = _region(rollout.plan.regions)
    change.before = _snapshot(rollout)
    if not _may_manage(access, rollout.plan.regions):
        raise await change.refuse(_refusal(access, rollout.plan.regions))
    changed = await change.run(lambda: act(fleet), after=_snapshot, detail=lambda _: reason)
    return rollout_info(changed)


@router.post(
    "/{rollout_id}/start",
    summary="Start a draft rollout: its first wave (the pilot, if any) opens at once",
    response_model=RolloutInfo,
    responses=_CHANGE_ERRORS,
)
async def start_rollout(
    rollout_id: RolloutIdPath,
    access: ManageRollouts,
    services: ServicesDep,
    body: StartRollout | None = None,
) -> RolloutInfo:
    """409 when it is not a draft, when another rollout already moves the same component in an
    overlapping scope, or when a pilot terminal is not active in the scope."""

    def act(fleet: FleetService) -> Rollout:
        return fleet.rollouts.start(rollout_id, access.name, fleet.clock.now())

    reason = body.reason if body is not None else None
    return await _change(services, access, rollout_id, "rollout_start", act, reason)


@router.post(
    "/{rollout_id}/pause",
    summary="Pause a running rollout: no further wave opens until it is resumed",
    response_model=RolloutInfo,
    responses=_CHANGE_ERRORS,
)
async def pause_rollout(
    rollout_id: RolloutIdPath, body: RolloutReason, access: ManageRollouts, services: ServicesDep
) -> RolloutInfo:
    """Terminals already moved keep their target. 409 when it is not running."""

    def act(fleet: FleetService) -> Rollout:
        return fleet.rollouts.pause(rollout_id, access.name, body.reason, fleet.clock.now())

    return await _change(services, access, rollout_id, "rollout_pause", act, body.reason)


@router.post(
    "/{rollout_id}/resume",
    summary="Resume a paused rollout, or a halted one past its failed gate",
    response_model=RolloutInfo,
    responses=_CHANGE_ERRORS,
)
async def resume_rollout(
    rollout_id: RolloutIdPath, body: RolloutReason, access: ManageRollouts, services: ServicesDep
) -> RolloutInfo:
    """Resuming a halted rollout overrides its failed gate (the reason says why). 409 when it
    is neither paused nor halted."""

    def act(fleet: FleetService) -> Rollout:
        return fleet.rollouts.resume(rollout_id, access.name, body.reason, fleet.clock.now())

    return await _change(services, access, rollout_id, "rollout_resume", act, body.reason)


@router.post(
    "/{rollout_id}/rollback",
    summary="Roll a rollout back: every terminal it moved is pointed to its previous version",
    response_model=RolloutInfo,
    responses=_CHANGE_ERRORS,
)
async def roll_back_rollout(
    rollout_id: RolloutIdPath, body: RolloutReason, access: ManageRollouts, services: ServicesDep
) -> RolloutInfo:
    """409 for a draft or a rollout already rolled back."""

    def act(fleet: FleetService) -> Rollout:
        return fleet.rollouts.roll_back(rollout_id, access.name, body.reason, fleet.clock.now())

    return await _change(services, access, rollout_id, "rollout_rollback", act, body.reason)
