"""Is the API up, and how is the network overall (cheap enough to poll)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from api.deps import Access, ClockDep, Permission, ServicesDep, StateDep, public, require
from api.errors import error_responses
from api.routes.regions import visible_roots
from api.schemas import Health, Liveness
from core.state.views import StatusCounts

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    summary="API health and device counts by status",
    response_model=Health,
    responses=error_responses(401, 403, 503),
)
def health(
    access: Annotated[Access, require(Permission.READ_INVENTORY)],
    services: ServicesDep,
    state: StateDep,
    clock: ClockDep,
) -> Health:
    """Answers when the API can read the state DB; the counts cover the devices the caller may
    see."""
    roots = visible_roots(state.region_tree(), access.scope_codes())
    counts = StatusCounts(
        up=sum(r.devices.up for r in roots),
        degraded=sum(r.devices.degraded for r in roots),
        down=sum(r.devices.down for r in roots),
        unknown=sum(r.devices.unknown for r in roots),
    )
    return Health(status="ok", version=services.version, time=clock.now(), devices=counts)


@router.get(
    "/livez",
    summary="Is the API process up (no login needed, nothing about the network)",
    response_model=Liveness,
    dependencies=[public()],
)
async def livez(services: ServicesDep, clock: ClockDep) -> Liveness:
    """For load balancers and process supervisors: no login, no store read."""
    return Liveness(status="ok", version=services.version, time=clock.now())
