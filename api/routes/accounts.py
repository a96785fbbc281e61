"""Local accounts of devices and hosts, as last collected: per device, and searched across the
fleet (the security officer's view)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Access, AccountsDep, Permission, StateDep, require, visible_device
from api.errors import error_responses
from api.schemas import AccountView
from core.errors import NotFound
from core.state.accounts import is_privileged
from core.state.ssh_views import AccountOrigin, StoredAccount

router = APIRouter(tags=["accounts"])


def _views(accounts: list[StoredAccount]) -> list[AccountView]:
    return [AccountView(**a.model_dump(), privileged=is_privileged(a)) for a in accounts]


@router.get(
    "/devices/{device_id}/accounts",
    summary="The local accounts of one device or host, by name",
    response_model=list[AccountView],
    responses=error_responses(401, 403, 404, 503),
)
def device_accounts(
    device_id: Annotated[str, visible_device(Permission.READ_ACCOUNTS)], accounts: AccountsDep
) -> list[AccountView]:
    """As of the last successful collection (``collected_at``); empty when never collected.
    Passwords never leave the device: ``password_type`` says only how one is kept."""
    return _views(accounts.for_device(device_id))


@router.get(
    "/accounts",
    summary="Accounts across the fleet, filtered",
    response_model=list[AccountView],
    responses=error_responses(401, 403, 404, 422, 503),
)
def search_accounts(
    access: Annotated[Access, require(Permission.READ_ACCOUNTS)],
    accounts: AccountsDep,
    state: StateDep,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Text in the account name or device id (case-insensitive)",
            examples=["admin"],
        ),
    ] = None,
    privileged: Annotated[
        bool, Query(description="Only accounts that may change their device or host")
    ] = False,
    device: Annotated[
        str | None,
        Query(min_length=1, max_length=96, description="Only this device's accounts"),
    ] = None,
    origin: Annotated[
        AccountOrigin | None, Query(description="Only accounts found in this source")
    ] = None,
) -> list[AccountView]:
    """Ordered by device, then name, in the regions where the caller may read accounts. An
    unknown ``device`` (or one out of scope) answers 404."""
    regions = state.device_regions()
    if device is not None:
        if device not in regions or not access.sees(regions[device]):
            raise NotFound(f"no device {device!r}")
        found = accounts.for_device(device)
        if origin is not None:
            found = [a for a in found if a.origin is origin]
        if privileged:
            found = [a for a in found if is_privileged(a)]
    else:
        found = accounts.search(origin=origin, privileged_only=privileged)
    found = [a for a in found if a.device_id in regions and access.sees(regions[a.device_id])]
    if q:
        needle = q.strip().casefold()
        found = [
            a for a in found if needle in a.name.casefold() or needle in a.device_id.casefold()
        ]
    return _views(found)
