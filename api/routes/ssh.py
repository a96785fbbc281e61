"""What SSH says about a device or host: its CLI facts, a host's named services, and the host
keys pinned for it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from api.deps import Permission, ServicesDep, visible_device
from api.errors import error_responses
from api.schemas import DeviceSsh

router = APIRouter(tags=["ssh"])


@router.get(
    "/devices/{device_id}/ssh",
    summary="A device's SSH facts, host services and pinned host keys",
    response_model=DeviceSsh,
    responses=error_responses(401, 403, 404, 503),
)
def device_ssh(
    device_id: Annotated[str, visible_device(Permission.READ_SSH_FACTS)], services: ServicesDep
) -> DeviceSsh:
    """``facts`` keeps the last good collection beside the last error, so stale facts are
    visible as such. Host keys are public keys: their fingerprints are for checking by eye
    against the device's own."""
    return DeviceSsh(
        device_id=device_id,
        facts=services.ssh_facts.facts(device_id),
        host_units=services.ssh_facts.host_units(device_id),
        host_keys=services.host_keys.list(device_id),
    )
