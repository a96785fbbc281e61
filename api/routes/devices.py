"""Devices: lists filtered by region (and everything below it), status and text; one device with
its identity, state, interfaces (current rates) and links."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import TypeAdapter

from api.deps import Access, Permission, StateDep, require, visible_device
from api.errors import error_responses
from core.model import Status
from core.state.views import DeviceDetail, DeviceSummary, InterfaceView

router = APIRouter(prefix="/devices", tags=["devices"])
_DEVICE_LIST = TypeAdapter(list[DeviceSummary])


@router.get(
    "",
    summary="Devices, filtered",
    response_model=list[DeviceSummary],
    responses=error_responses(401, 403, 404, 422, 503),
)
async def list_devices(
    access: Annotated[Access, require(Permission.READ_INVENTORY)],
    state: StateDep,
    region: Annotated[
        str | None,
        Query(
            pattern=r"^\d{6}$",
            description="Region code; devices in it and in every region below it",
            examples=["440100"],
        ),
    ] = None,
    status: Annotated[Status | None, Query(description="Only devices with this status")] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Text in the id, name, address, hardware or region name (case-insensitive)",
            examples=["越秀"],
        ),
    ] = None,
) -> Response:
    """Ordered by region, then id. An unknown region answers 404. Only devices in the regions
    where the caller may read the inventory are listed."""
    # The scope goes into the query: a county's technician does not pay for the province.
    found = state.devices(region=region, status=status, text=q or None, scopes=access.scope_codes())
    # Serialised once, here: returning the models would have FastAPI validate them all again.
    return Response(
        _DEVICE_LIST.dump_json([d for d in found if access.sees(d.region)]),
        media_type="application/json",
    )


@router.get(
    "/{device_id}",
    summary="One device: identity, state, interfaces with current rates, links",
    response_model=DeviceDetail,
    responses=error_responses(401, 403, 404, 503),
)
def device(
    device_id: Annotated[str, visible_device(Permission.READ_INVENTORY)], state: StateDep
) -> DeviceDetail:
    return state.device(device_id)


@router.get(
    "/{device_id}/interfaces",
    summary="A device's interfaces with current rates and utilisation",
    response_model=list[InterfaceView],
    responses=error_responses(401, 403, 404, 503),
)
def device_interfaces(
    device_id: Annotated[str, visible_device(Permission.READ_INVENTORY)], state: StateDep
) -> list[InterfaceView]:
    """As of the last poll; rates are over the interval before it."""
    return state.device(device_id).interfaces
