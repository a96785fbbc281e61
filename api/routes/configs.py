"""Configuration history: a device's versions, one version's (scrubbed) text, and the diff
between two versions of one device."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import Access, ConfigsDep, Permission, StateDep, require, visible_device
from api.errors import BadRequest, error_responses
from core.errors import NotFound
from core.state.config_views import ConfigDiff, ConfigVersion, ConfigVersionSummary
from core.state.configs import ConfigDiffRefused

router = APIRouter(tags=["configs"])

VersionId = Annotated[int, Path(ge=1, description="Configuration version id", examples=[7])]


@router.get(
    "/devices/{device_id}/configs",
    summary="A device's configuration versions, newest first",
    response_model=list[ConfigVersionSummary],
    responses=error_responses(401, 403, 404, 503),
)
def device_configs(
    device_id: Annotated[str, visible_device(Permission.READ_CONFIGS)], configs: ConfigsDep
) -> list[ConfigVersionSummary]:
    """One version per real change (volatile lines such as timestamps do not make one); empty
    for a device never backed up. Texts are left out: fetch a version for its text."""
    return configs.versions(device_id)


# Declared before /configs/{version_id}, which would otherwise take "diff" for an id.
@router.get(
    "/configs/diff",
    summary="The unified diff between two versions of one device",
    response_model=ConfigDiff,
    responses=error_responses(400, 401, 403, 404, 422, 503),
)
def config_diff(
    access: Annotated[Access, require(Permission.READ_CONFIGS)],
    configs: ConfigsDep,
    state: StateDep,
    from_id: Annotated[
        int, Query(alias="from", ge=1, description="The version diffed from", examples=[6])
    ],
    to_id: Annotated[
        int, Query(alias="to", ge=1, description="The version diffed to", examples=[7])
    ],
    context: Annotated[
        int, Query(ge=0, le=1000, description="Unchanged lines shown around each change")
    ] = 3,
) -> ConfigDiff:
    """Lines as ``diff -u`` would show them, each with its kind (hunk, context, added,
    removed). Both versions must belong to the same device (400 otherwise)."""
    for version_id in (from_id, to_id):
        _visible_version(version_id, access, configs, state)
    try:
        return configs.diff(from_id, to_id, context=context)
    except ConfigDiffRefused as exc:
        raise BadRequest(str(exc)) from exc


def _visible_version(
    version_id: int, access: Access, configs: ConfigsDep, state: StateDep
) -> ConfigVersion:
    """The version, when its device lies in the caller's scope; 404 as for a missing one."""
    version = configs.version(version_id)
    region = state.device_regions().get(version.device_id)
    if region is None or not access.sees(region):
        raise NotFound(f"no configuration version {version_id}")
    return version


@router.get(
    "/configs/{version_id}",
    summary="One configuration version with its text (secrets already scrubbed)",
    response_model=ConfigVersion,
    responses=error_responses(401, 403, 404, 422, 503),
)
def config_version(
    version_id: VersionId,
    access: Annotated[Access, require(Permission.READ_CONFIGS)],
    configs: ConfigsDep,
    state: StateDep,
) -> ConfigVersion:
    """The text as the device printed it, with passwords, keys and communities replaced before
    it was stored."""
    return _visible_version(version_id, access, configs, state)
