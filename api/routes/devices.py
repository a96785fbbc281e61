"""Devices: lists filtered by region (and everything below it), status and text; one device with
its identity, state, interfaces (current rates) and links."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import DeviceIdPath, Permission, StateDep, require
from api.errors import error_responses
from core.model import Status
from core.state.views import DeviceDetail, DeviceSummary, InterfaceView

router = APIRouter(prefix="/devices", tags=["devices"])


@router.get(
    "",
    summary="Devices, filtered",
    response_model=list[DeviceSummary],
    dependencies=[require(Permission.READ_INVENTORY)],
    responses=error_responses(401, 404, 422, 503),
)
def list_devices(
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
) -> list[DeviceSummary]:
    """Ordered by region, then id. An unknown region answers 404."""
    return state.devices(region=region, status=status, text=q or None)


@router.get(
    "/{device_id}",
    summary="One device: identity, state, interfaces with current rates, links",
    response_model=DeviceDetail,
    dependencies=[require(Permission.READ_INVENTORY)],
    responses=error_responses(401, 404, 503),
)
def device(device_id: DeviceIdPath, state: StateDep) -> DeviceDetail:
    return state.device(device_id)


@router.get(
    "/{device_id}/interfaces",
    summary="A device's interfaces with current rates and utilisation",
    response_model=list[InterfaceView],
    dependencies=[require(Permission.READ_INVENTORY)],
    responses=error_responses(401, 404, 503),
)
def device_interfaces(device_id: DeviceIdPath, state: StateDep) -> list[InterfaceView]:
    """As of the last poll; rates are over the interval before it."""
    return state.device(device_id).interfaces
