"""One audited change of a state-changing route, shared by the alert and the fleet routes.

A change runs in a worker thread and is recorded once, after its outcome is known: OK with
before/after, FAILED with why, DENIED for a refusal the route decided (403). Each resource
names the errors it answers itself (:meth:`AuditedChange.answer_to`: a refused state is 409, a
request that makes no sense 422); anything else is left to the app's handlers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

from api.audit import AuditOutcome, record
from api.deps import Access, ApiServices
from api.errors import ApiProblem
from core.errors import NocError

T = TypeVar("T")
Snapshot = Mapping[str, object]


class Conflict(ApiProblem):
    """The object's state refuses the action (acknowledging a resolved alert, retiring a retired
    terminal) (409)."""

    def __init__(self, message: str) -> None:
        super().__init__(409, "conflict", message)


class InvalidRequest(ApiProblem):
    """A request that is well-formed but makes no sense (a silence ending before it starts, a
    rollout plan, an unreadable file) (422)."""

    def __init__(self, message: str) -> None:
        super().__init__(422, "invalid_request", message)


class AuditedChange:
    """One audited change: ``action`` on ``target`` by ``access``."""

    caught: tuple[type[Exception], ...] = (NocError, ApiProblem)
    """The errors of the work that are recorded as FAILED and answered by :meth:`answer_to`."""

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

    def answer_to(self, exc: Exception) -> Exception:
        """The API's answer to an error of the work (the same one when the handlers know it)."""
        return exc

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
        after: Callable[[T], Snapshot | None],
        detail: Callable[[T], str | None] = lambda _: None,
    ) -> T:
        """Run ``work`` in a worker thread and record what came of it; its errors are raised
        as the API answers them."""
        try:
            result = await run_in_threadpool(work)
        except self.caught as exc:
            answer = self.answer_to(exc)
            message = answer.message if isinstance(answer, ApiProblem) else str(answer)
            await self.record(AuditOutcome.FAILED, detail=message)
            raise answer from None
        await self.record(AuditOutcome.OK, detail=detail(result), after=after(result))
        return result
