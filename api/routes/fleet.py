"""Fleet health per county, city and province: terminals by state, online share and silent
terminals, read-failure rates and outliers, PSAM failures, version drift and terminals off their
rollout target.

Served from the fleet's last computation (the server recomputes it every ``health_every_s``);
``fresh=true`` recomputes it now. Only the areas in the caller's regions are shown: a county's
technician sees the county, a city's engineer the city and its counties, a province scope every
area.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import TypeAdapter
from starlette.concurrency import run_in_threadpool

from api.alert_scope import concerns
from api.deps import Access, Permission, ServicesDep, require
from api.errors import error_responses
from api.fleet_actions import fleet_of
from api.schemas_fleet import FleetHealthInfo, all_areas, area_info
from core.errors import NotFound
from core.security.scope import scope_covers

router = APIRouter(prefix="/fleet", tags=["fleet"])
_HEALTH = TypeAdapter(FleetHealthInfo)


@router.get(
    "/health",
    summary="Fleet health of every county, city and province in the caller's regions",
    response_model=FleetHealthInfo,
    responses=error_responses(401, 403, 404, 422, 503),
)
async def fleet_health(
    access: Annotated[Access, require(Permission.READ_TERMINALS)],
    services: ServicesDep,
    region: Annotated[
        str | None,
        Query(
            pattern=r"^\d{6}$",
            description="Only this region and the areas below it",
            examples=["440100"],
        ),
    ] = None,
    fresh: Annotated[
        bool, Query(description="Recompute now instead of answering the last computation")
    ] = False,
) -> Response:
    """Areas ordered by code (a province, its cities, each followed by its counties). A region
    outside the caller's regions answers 404; one above them narrows nothing."""
    fleet = fleet_of(services)
    if region is not None and not concerns(access, region):
        raise NotFound(f"no region {region}")

    def read() -> bytes:
        health = fleet.health(fresh=fresh)
        areas = [
            area_info(area)
            for code, area in sorted(all_areas(health).items())
            if access.sees(code) and (region is None or scope_covers(region, code))
        ]
        info = FleetHealthInfo(
            computed_at=health.computed_at,
            silent_after_s=health.settings.silent_after_s,
            areas=areas,
        )
        return _HEALTH.dump_json(info)

    # Serialised once, here: a province's answer lists every silent terminal.
    return Response(await run_in_threadpool(read), media_type="application/json")
