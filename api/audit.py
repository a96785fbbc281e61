"""Recording what the API does in the audit trail.

Every state-changing route calls :func:`record` once per attempt, after the outcome is known —
also when the attempt fails — so the trail says who tried what, not only what succeeded.
Refusals (401, 403) of state-changing requests are recorded by :mod:`api.deps` itself.
"""

from __future__ import annotations

from collections.abc import Mapping

from api.deps import Access, ApiServices, audit_event
from core.security.audit_trail import AuditEvent, AuditOutcome

__all__ = ["AuditOutcome", "record"]


async def record(
    services: ApiServices,
    access: Access,
    action: str,
    outcome: AuditOutcome,
    *,
    target: str | None = None,
    region_code: str | None = None,
    detail: str | None = None,
    before: Mapping[str, object] | None = None,
    after: Mapping[str, object] | None = None,
) -> None:
    """Append one event for ``access``'s principal."""
    await audit_event(
        services,
        AuditEvent(
            actor=access.name,
            action=action,
            outcome=outcome,
            target=target,
            region_code=region_code,
            client=access.client,
            detail=detail,
            before=before,
            after=after,
        ),
    )
