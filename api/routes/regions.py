"""The region tree (province → cities → counties) with the worst status below each region."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import Permission, StateDep, require
from api.errors import error_responses
from core.state.views import RegionNode

router = APIRouter(prefix="/regions", tags=["regions"])

RegionCodePath = Annotated[
    str,
    Path(
        pattern=r"^\d{6}$",
        description="GB/T 2260 division code",
        examples=["440100"],
    ),
]


@router.get(
    "",
    summary="The region tree with roll-up status and device counts",
    response_model=list[RegionNode],
    dependencies=[require(Permission.READ_INVENTORY)],
    responses=error_responses(401, 503),
)
def region_tree(state: StateDep) -> list[RegionNode]:
    """Roots first (the province); each node counts the devices in it and below it."""
    return state.region_tree()


@router.get(
    "/{code}",
    summary="One region and the regions below it",
    response_model=RegionNode,
    dependencies=[require(Permission.READ_INVENTORY)],
    responses=error_responses(401, 404, 422, 503),
)
def region(code: RegionCodePath, state: StateDep) -> RegionNode:
    return state.region(code)
