"""The region tree (province → cities → counties) with the worst status below each region."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import Access, Permission, StateDep, require
from api.errors import error_responses
from core.errors import NotFound
from core.security.scope import narrowest
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
    responses=error_responses(401, 403, 503),
)
def region_tree(
    access: Annotated[Access, require(Permission.READ_INVENTORY)], state: StateDep
) -> list[RegionNode]:
    """Roots first; each node counts the devices in it and below it. A user whose roles hold for
    a city or a county gets that region's subtree as the root."""
    return visible_roots(state.region_tree(), access.scope_codes())


def visible_roots(roots: list[RegionNode], scopes: frozenset[str]) -> list[RegionNode]:
    """The subtrees rooted at each of ``scopes`` (the narrowest ones), in tree order."""
    wanted = narrowest(scopes)
    found: list[RegionNode] = []
    stack = list(reversed(roots))
    while stack:
        node = stack.pop()
        if node.code in wanted:
            found.append(node)
            continue
        stack.extend(reversed(node.children))
    return found


@router.get(
    "/{code}",
    summary="One region and the regions below it",
    response_model=RegionNode,
    responses=error_responses(401, 403, 404, 422, 503),
)
def region(
    code: RegionCodePath,
    access: Annotated[Access, require(Permission.READ_INVENTORY)],
    state: StateDep,
) -> RegionNode:
    """404 for a region outside the caller's scope, as for one that does not exist."""
    if not access.sees(code):
        raise NotFound(f"no region {code}")
    return state.region(code)
