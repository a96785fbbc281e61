"""Permission reports for security officers: device and host accounts against the approved
policy, the NOC's access review, changes since the last signed review, and signing one.

Account findings are filtered to the regions where the caller holds ``read_security_reports``;
the access review, the changes and signing cover every NOC user, so they need that permission
for the province.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool

from api.audit import record
from api.deps import Access, ApiServices, Permission, ServicesDep, require
from api.errors import ServiceUnavailable, error_responses
from api.routes.auth import security_of
from core.errors import PermissionDenied
from core.security.access_review import changes_since
from core.security.account_audit import AccountFinding, findings_by_region
from core.security.audit_trail import AuditOutcome
from core.security.report_export import write_findings_csv, write_review_json
from core.security.reports import SecurityReports
from core.security.scope import scope_covers

router = APIRouter(prefix="/reports", tags=["reports"])

ReadReports = Annotated[Access, require(Permission.READ_SECURITY_REPORTS)]
NO_POLICY = "no approved-accounts policy is configured (setting: account_policy_path)"


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class AccountFindingInfo(_Out):
    kind: str
    device_id: str
    region_code: str
    account: str
    privilege: str | None
    detail: str
    severity: str


class AccountAudit(_Out):
    findings: list[AccountFindingInfo]
    by_region: dict[str, int]


class AccessReviewInfo(_Out):
    at: datetime
    unused_after_days: int
    users: list[dict[str, Any]]
    can_approve_runbooks: list[dict[str, Any]]
    can_manage_users: list[dict[str, Any]]
    flagged_tokens: list[dict[str, Any]]


class ReviewChangesInfo(_Out):
    since_review: int | None
    since: datetime | None
    reviewer: str | None
    changes: dict[str, list[Any]]


class SignedReviewInfo(_Out):
    id: int
    reviewer: str
    users: int
    findings: int


def _reports(services: ApiServices) -> SecurityReports:
    security = security_of(services)
    return SecurityReports(services.state, services.accounts, security.users, services.clock)


def _policy(services: ApiServices) -> Path:
    path = security_of(services).account_policy_path
    if path is None:
        raise ServiceUnavailable("policy_unavailable", NO_POLICY)
    return path


def _province_wide(access: Access) -> None:
    if not access.sees(None):
        raise PermissionDenied(
            f"{access.name}: this report covers every NOC user; it needs "
            "read_security_reports for the province"
        )


@router.get(
    "/accounts",
    summary="Device and host accounts the policy does not approve, or approves with a problem",
    response_model=AccountAudit,
    responses={
        200: {"content": {"text/csv": {}}},
        **error_responses(401, 403, 422, 503),
    },
)
async def account_audit(
    access: ReadReports,
    services: ServicesDep,
    region: Annotated[
        str | None, Query(pattern=r"^\d{6}$", description="Only this region and below it")
    ] = None,
    format: Annotated[
        Literal["json", "csv"], Query(description="json (default) or csv for a spreadsheet")
    ] = "json",
) -> Any:
    """Unknown accounts, privileged accounts not in the policy, shared names, owners without a
    role in the device's region, stale passwords, plaintext or weak password types."""
    policy = _policy(services)
    reports = _reports(services)
    found = await run_in_threadpool(reports.account_findings, policy)
    visible = [f for f in found if _shown(access, f, region)]
    if format == "csv":
        buffer = io.StringIO()
        write_findings_csv(visible, buffer)
        await record(
            services,
            access,
            "report_export",
            AuditOutcome.OK,
            target="accounts",
            detail=f"{len(visible)} findings as csv",
        )
        return Response(buffer.getvalue(), media_type="text/csv")
    return AccountAudit(
        findings=[AccountFindingInfo(**_finding(f)) for f in visible],
        by_region=findings_by_region(visible),
    )


def _shown(access: Access, finding: AccountFinding, region: str | None) -> bool:
    code = finding.region_code or None
    if not access.sees(code):
        return False
    return region is None or (code is not None and scope_covers(region, code))


def _finding(finding: AccountFinding) -> dict[str, Any]:
    return {
        "kind": str(finding.kind),
        "device_id": finding.device_id,
        "region_code": finding.region_code,
        "account": finding.account,
        "privilege": finding.privilege,
        "detail": finding.detail,
        "severity": str(finding.severity),
    }


@router.get(
    "/access",
    summary="The NOC access review: users, roles, scopes, last login, tokens and their age",
    response_model=AccessReviewInfo,
    responses=error_responses(401, 403, 503),
)
async def access_report(
    access: ReadReports,
    services: ServicesDep,
    unused_after_days: Annotated[
        int, Query(ge=1, le=3650, description="Days without a login that make a user unused")
    ] = 90,
) -> AccessReviewInfo:
    """Who can approve runbooks and who can manage users are listed apart."""
    _province_wide(access)
    reports = _reports(services)
    review = await run_in_threadpool(reports.access_review, unused_after_days)
    buffer = io.StringIO()
    write_review_json(review, buffer)
    return AccessReviewInfo(**json.loads(buffer.getvalue()))


@router.get(
    "/changes",
    summary="What changed since the last signed review",
    response_model=ReviewChangesInfo,
    responses=error_responses(401, 403, 503),
)
async def review_changes(access: ReadReports, services: ServicesDep) -> ReviewChangesInfo:
    """Users added, removed, disabled; grants and tokens; account findings new and resolved.
    With no review signed yet, everything counts as new."""
    _province_wide(access)
    policy = _policy(services)
    security = security_of(services)
    reports = _reports(services)

    def gather() -> tuple[Any, dict[str, Any]]:
        return security.reviews.latest(), reports.snapshot(policy)

    latest, current = await run_in_threadpool(gather)
    previous: dict[str, Any] = latest.snapshot if latest is not None else {}
    changes = {k: list(v) for k, v in asdict(changes_since(previous, current)).items()}
    return ReviewChangesInfo(
        since_review=latest.id if latest else None,
        since=latest.at if latest else None,
        reviewer=latest.reviewer if latest else None,
        changes=changes,
    )


@router.post(
    "/reviews",
    summary="Sign the review as it stands (the next changes compare with it)",
    response_model=SignedReviewInfo,
    status_code=201,
    responses=error_responses(401, 403, 503),
)
async def sign_review(access: ReadReports, services: ServicesDep) -> SignedReviewInfo:
    _province_wide(access)
    policy = _policy(services)
    security = security_of(services)
    reports = _reports(services)

    def sign() -> tuple[int, dict[str, Any]]:
        snapshot = reports.snapshot(policy)
        return security.reviews.save(access.name, snapshot), snapshot

    review_id, snapshot = await run_in_threadpool(sign)
    users, findings = len(snapshot["users"]), len(snapshot["findings"])
    await record(
        services,
        access,
        "access_review_sign",
        AuditOutcome.OK,
        target=f"access_review:{review_id}",
        detail=f"{users} users, {findings} account findings",
    )
    return SignedReviewInfo(id=review_id, reviewer=access.name, users=users, findings=findings)
