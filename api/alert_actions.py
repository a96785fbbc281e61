"""What the alert, silence, maintenance and on-call routes share: finding the alert service
(503 without it), and carrying out a change with its audit record.

A change runs in a worker thread (the service may wait on the pipeline's lock) and is recorded
once, after its outcome is known: OK with before/after, FAILED with why — an object not found or
out of scope, a request that makes no sense — or UNAVAILABLE when this server runs no alerts.
The service's own errors are answered as the API's: a silence or window that makes no sense is
422, an action the alert's state refuses (giving back an alert nobody took) 409.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

from alerts.model import AlertError
from api.alert_services import AlertService
from api.audit import AuditOutcome, record
from api.deps import Access, ApiServices
from api.errors import ApiProblem, ServiceUnavailable
from core.errors import NocError

T = TypeVar("T")

NO_ALERTS = (
    "this server runs no alert pipeline (alerts are disabled, or it is not the one started by "
    "`ssnoc serve`): no alerts, silences, maintenance windows or on-call here"
)
Snapshot = Mapping[str, object]


class InvalidRequest(ApiProblem):
    """A request body that is well-formed but makes no sense (a silence ending before it starts)."""

    def __init__(self, message: str) -> None:
        super().__init__(422, "invalid_request", message)


class Conflict(ApiProblem):
    """The object's state refuses the action (acknowledging a resolved alert)."""

    def __init__(self, message: str) -> None:
        super().__init__(409, "conflict", message)


def service_of(services: ApiServices) -> AlertService:
    """The alert service; 503 when this server has none."""
    if services.alerts is None:
        raise ServiceUnavailable("alerts_unavailable", NO_ALERTS)
    return services.alerts


def _answer(exc: Exception) -> Exception:
    """The API's answer to a service error (the same exception when the handlers know it)."""
    if isinstance(exc, AlertError):
        return Conflict(str(exc))
    if isinstance(exc, ValueError):  # InvalidSuppression, InvalidOnCall, a bad matcher
        return InvalidRequest(str(exc))
    return exc


class Change:
    """One audited change: ``action`` on ``target`` by ``access``."""

    def __init__(
        self, services: ApiServices, access: Access, action: str, target: str | None
    ) -> None:
        self.services = services
        self.access = access
        self.action = action
        self.target = target
        self.region: str | None = None
        """Where the change lies, once known (set it inside the work)."""
        self.before: Snapshot | None = None

    async def service(self) -> AlertService:
        """The alert service, or the UNAVAILABLE record and 503."""
        if self.services.alerts is None:
            await self.record(AuditOutcome.UNAVAILABLE, detail="no alert pipeline on this server")
        return service_of(self.services)

    async def record(
        self,
        outcome: AuditOutcome,
        *,
        detail: str | None = None,
        after: Snapshot | None = None,
    ) -> None:
        await record(
            self.services,
            self.access,
            self.action,
            outcome,
            target=self.target,
            region_code=self.region,
            detail=detail,
            before=self.before,
            after=after,
        )

    async def refuse(self, problem: ApiProblem) -> ApiProblem:
        """Record a refusal decided by the route (403 for a scope) and hand it back to raise."""
        outcome = AuditOutcome.DENIED if problem.status == 403 else AuditOutcome.FAILED
        await self.record(outcome, detail=problem.message)
        return problem

    async def run(
        self,
        work: Callable[[], T],
        after: Callable[[T], Snapshot],
        detail: Callable[[T], str | None] = lambda _: None,
    ) -> T:
        """Run ``work`` in a worker thread and record what came of it; service errors are
        raised as the API answers them."""
        try:
            result = await run_in_threadpool(work)
        except (NocError, ValueError, ApiProblem) as exc:
            answer = _answer(exc)
            message = answer.message if isinstance(answer, ApiProblem) else str(answer)
            await self.record(AuditOutcome.FAILED, detail=message)
            raise answer from None
        await self.record(AuditOutcome.OK, detail=detail(result), after=after(result))
        return result
