"""Is the API up, and how is the network overall (cheap enough to poll)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ClockDep, Permission, ServicesDep, StateDep, require
from api.errors import error_responses
from api.schemas import Health
from core.state.views import StatusCounts

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    summary="API health and device counts by status",
    response_model=Health,
    dependencies=[require(Permission.READ_INVENTORY)],
    responses=error_responses(401, 503),
)
def health(services: ServicesDep, state: StateDep, clock: ClockDep) -> Health:
    """Answers when the API can read the state DB; the counts cover every device."""
    roots = state.region_tree()
    counts = StatusCounts(
        up=sum(r.devices.up for r in roots),
        degraded=sum(r.devices.degraded for r in roots),
        down=sum(r.devices.down for r in roots),
        unknown=sum(r.devices.unknown for r in roots),
    )
    return Health(status="ok", version=services.version, time=clock.now(), devices=counts)
