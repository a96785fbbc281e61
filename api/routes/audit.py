"""The audit trail: search it, verify its hash chain, export a period; record console actions.

A reader sees the records of the regions where they hold ``read_audit`` (records of no region —
logins, user management — only with a province scope).
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import AwareDatetime
from starlette.concurrency import run_in_threadpool

from api.audit import record
from api.deps import Access, Permission, ServicesDep, require
from api.errors import InvalidParameter, error_responses
from api.routes.auth import security_of
from api.schemas_security import (
    AuditRecordInfo,
    AuditVerificationInfo,
    ConsoleAction,
    audit_record_info,
    verification_info,
)
from core.errors import PermissionDenied
from core.security.audit_trail import AuditOutcome

router = APIRouter(prefix="/audit", tags=["audit"])

ReadAudit = Annotated[Access, require(Permission.READ_AUDIT)]
MAX_EXPORT_DAYS = 400


@router.get(
    "",
    summary="Audit records, newest first, filtered",
    response_model=list[AuditRecordInfo],
    responses=error_responses(401, 403, 422, 503),
)
async def search_audit(
    access: ReadAudit,
    services: ServicesDep,
    actor: Annotated[str | None, Query(max_length=64, description="Exactly this user")] = None,
    action: Annotated[str | None, Query(max_length=64, description="Exactly this action")] = None,
    target: Annotated[str | None, Query(max_length=300, description="Text in the target")] = None,
    region: Annotated[
        str | None, Query(pattern=r"^\d{6}$", description="This region and below it")
    ] = None,
    since: Annotated[AwareDatetime | None, Query(description="From this time (ISO 8601)")] = None,
    until: Annotated[AwareDatetime | None, Query(description="Until this time (ISO 8601)")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Text anywhere")] = None,
    before_seq: Annotated[int | None, Query(ge=1, description="Page: records before this")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many")] = 200,
) -> list[AuditRecordInfo]:
    trail = security_of(services).trail
    scopes = access.scope_codes()
    if region is not None:
        if not access.sees(region):
            return []
        scopes = frozenset({region})
    found = await run_in_threadpool(
        lambda: trail.search(
            actor=actor,
            action=action,
            target=target,
            region_codes=scopes,
            since=since,
            until=until,
            text=q,
            before_seq=before_seq,
            limit=limit,
        )
    )
    return [audit_record_info(r) for r in found]


@router.get(
    "/verify",
    summary="Check the hash chain: every edited, deleted or reordered record is named",
    response_model=AuditVerificationInfo,
    responses=error_responses(401, 403, 503),
)
async def verify_audit(access: ReadAudit, services: ServicesDep) -> AuditVerificationInfo:
    """Walks the whole trail (it may take a while on millions of records)."""
    if not access.sees(None):
        # The chain is one for the province: only a province-wide reader may walk all of it.
        raise PermissionDenied("verifying the whole trail needs read_audit for the province")
    result = await run_in_threadpool(security_of(services).trail.verify)
    return verification_info(result)


@router.get(
    "/export",
    summary="Export a period as JSON lines or CSV",
    responses={
        200: {"content": {"application/x-ndjson": {}, "text/csv": {}}},
        **error_responses(401, 403, 422, 503),
    },
)
async def export_audit(
    access: ReadAudit,
    services: ServicesDep,
    since: Annotated[AwareDatetime, Query(description="Start of the period")],
    until: Annotated[AwareDatetime, Query(description="End of the period")],
    format: Annotated[
        Literal["jsonl", "csv"], Query(description="JSON lines, or CSV with a header")
    ] = "jsonl",
) -> Response:
    """The whole trail for the period (province-wide readers only); the export is itself
    audited."""
    if since >= until:
        raise InvalidParameter("since", "must be before until")
    if (until - since).days > MAX_EXPORT_DAYS:
        raise InvalidParameter("until", f"at most {MAX_EXPORT_DAYS} days per export")
    if not access.sees(None):
        raise PermissionDenied("exporting the trail needs read_audit for the province")
    trail = security_of(services).trail
    buffer = io.StringIO()
    count = await run_in_threadpool(
        lambda: trail.export(buffer, fmt=format, since=since, until=until)
    )
    await record(
        services,
        access,
        "audit_export",
        AuditOutcome.OK,
        detail=f"{count} records {_iso(since)}..{_iso(until)} as {format}",
    )
    media = "application/x-ndjson" if format == "jsonl" else "text/csv"
    name = f"audit-{since:%Y%m%d}-{until:%Y%m%d}.{format}"
    return Response(
        buffer.getvalue(),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _iso(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


@router.post(
    "/console",
    summary="Record a console action of the caller",
    status_code=204,
    responses=error_responses(401, 403, 422, 503),
)
async def console_action(
    body: ConsoleAction,
    access: Annotated[Access, require(Permission.USE_CONSOLE)],
    services: ServicesDep,
) -> None:
    """The console records what its user does (opening a configuration, an account list, an
    export); the action is stored as ``console.<action>``."""
    await record(
        services,
        access,
        f"console.{body.action}",
        AuditOutcome.OK,
        target=body.target,
        detail=body.detail,
    )
