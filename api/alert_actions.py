"""What the alert, silence, maintenance and on-call routes share: finding the alert service
(503 without it), and carrying out a change with its audit record.

A change runs in a worker thread (the service may wait on the pipeline's lock) and is recorded
once, after its outcome is known: OK with before/after, FAILED with why — an object not found or
out of scope, a request that makes no sense — or UNAVAILABLE when this server runs no alerts.
The service's own errors are answered as the API's: a silence or window that makes no sense is
422, an action the alert's state refuses (giving back an alert nobody took) 409.
"""

from __future__ import annotations

from alerts.model import AlertError
from api.alert_services import AlertService
from api.audit import AuditOutcome
from api.audited_change import AuditedChange, Conflict, InvalidRequest
from api.deps import ApiServices
from api.errors import ApiProblem, ServiceUnavailable
from core.errors import NocError

__all__ = ["NO_ALERTS", "Change", "InvalidRequest", "service_of"]

NO_ALERTS = (
    "this server runs no alert pipeline (alerts are disabled, or it is not the one started by "
    "`ssnoc serve`): no alerts, silences, maintenance windows or on-call here"
)


def service_of(services: ApiServices) -> AlertService:
    """The alert service; 503 when this server has none."""
    if services.alerts is None:
        raise ServiceUnavailable("alerts_unavailable", NO_ALERTS)
    return services.alerts


class Change(AuditedChange):
    """One audited change of the alert pipeline: ``action`` on ``target`` by ``access``."""

    caught = (NocError, ValueError, ApiProblem)

    def answer_to(self, exc: Exception) -> Exception:
        if isinstance(exc, AlertError):
            return Conflict(str(exc))
        if isinstance(exc, ValueError):  # InvalidSuppression, InvalidOnCall, a bad matcher
            return InvalidRequest(str(exc))
        return exc

    async def service(self) -> AlertService:
        """The alert service, or the UNAVAILABLE record and 503."""
        if self.services.alerts is None:
            await self.record(AuditOutcome.UNAVAILABLE, detail="no alert pipeline on this server")
        return service_of(self.services)
