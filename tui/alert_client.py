"""The console's calls to the alert routes: alerts and their history, taking and giving them back,
silences, maintenance windows, who is on call, escalations under way and the notification log.

A part of :class:`tui.client.NocApiClient` (which inherits it), kept apart so that neither module
outgrows a reader. Answers are parsed into :mod:`tui.alert_models`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import cast

from pydantic import TypeAdapter

from tui.alert_models import (
    AlertDetail,
    AlertInfo,
    AlertStatus,
    DeliveryInfo,
    EscalationInfo,
    MaintenanceInfo,
    ScheduleInfo,
    Severity,
    SilenceInfo,
)
from tui.api_transport import ApiTransport, Params, path_segment

_ALERTS = TypeAdapter(list[AlertInfo])
_DETAIL = TypeAdapter(AlertDetail)
_SILENCE = TypeAdapter(SilenceInfo)


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()


class AlertCalls(ApiTransport):
    """Typed calls to ``/alerts``, ``/silences``, ``/maintenance``, ``/oncall``,
    ``/escalations`` and ``/notifications``."""

    async def alerts(
        self,
        status: AlertStatus | None = None,
        severity: Severity | None = None,
        region: str | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> list[AlertInfo]:
        """Unresolved and recently resolved alerts in the caller's regions, oldest first:
        with ``status``, ``severity``, in ``region`` or below, carrying every one of ``labels``."""
        params: dict[str, object] = {
            "status": status.value if status else None,
            "severity": severity.value if severity else None,
            "region": region,
            "label": [f"{k}={v}" for k, v in (labels or {}).items()] or None,
        }
        # 'label' repeats: httpx sends a list as one parameter per value, and the transport
        # hands values through as they are (its Params type names single values only).
        return await self._get("/alerts", _ALERTS, cast(Params, params))

    async def alert(self, fingerprint: str) -> AlertDetail:
        """One alert with its whole history, oldest first."""
        return await self._get(f"/alerts/{path_segment(fingerprint)}", _DETAIL)

    async def ack(
        self, fingerprint: str, note: str, expires_at: datetime | None = None
    ) -> AlertDetail:
        """Take the alert with ``note``, until it resolves or until ``expires_at``."""
        body = {"note": note, "expires_at": _iso(expires_at)}
        path = f"/alerts/{path_segment(fingerprint)}/ack"
        return await self._request("POST", path, _DETAIL, json=body)

    async def unack(self, fingerprint: str, reason: str = "") -> AlertDetail:
        """Give the alert back: nobody holds it any more."""
        path = f"/alerts/{path_segment(fingerprint)}/unack"
        return await self._request("POST", path, _DETAIL, json={"reason": reason})

    async def silences(self) -> list[SilenceInfo]:
        """Silences at, below or above the caller's regions, expired ones included."""
        return await self._get("/silences", TypeAdapter(list[SilenceInfo]))

    async def create_silence(
        self,
        matchers: str,
        comment: str,
        ends_at: datetime | None = None,
        *,
        starts_at: datetime | None = None,
        until_resolved: bool = False,
    ) -> SilenceInfo:
        """Silence the alerts ``matchers`` (``{region="440103", alertname="…"}``) select, from
        ``starts_at`` (default: now) until ``ends_at`` or — ``until_resolved`` — until they
        have resolved."""
        body = {
            "matchers": matchers,
            "comment": comment,
            "starts_at": _iso(starts_at),
            "ends_at": _iso(ends_at),
            "until_resolved": until_resolved,
        }
        return await self._request("POST", "/silences", _SILENCE, json=body)

    async def expire_silence(self, silence_id: str) -> SilenceInfo:
        """End a silence now (a pending one never starts)."""
        return await self._request("DELETE", f"/silences/{path_segment(silence_id)}", _SILENCE)

    async def maintenance(self) -> list[MaintenanceInfo]:
        """Maintenance windows at, below or above the caller's regions."""
        return await self._get("/maintenance", TypeAdapter(list[MaintenanceInfo]))

    async def oncall(self, at: datetime | None = None) -> list[ScheduleInfo]:
        """Every on-call schedule the caller may see, with who is on call now (or at ``at``)."""
        return await self._get("/oncall", TypeAdapter(list[ScheduleInfo]), {"at": _iso(at)})

    async def escalations(self) -> list[EscalationInfo]:
        """Escalations under way, each with its alerts and its recent pages."""
        return await self._get("/escalations", TypeAdapter(list[EscalationInfo]))

    async def notifications(
        self, limit: int = 100, state: str | None = None, channel: str | None = None
    ) -> list[DeliveryInfo]:
        """The notification log, newest first (``state``: pending, delivered or failed)."""
        params = {"limit": str(limit), "state": state, "channel": channel}
        return await self._get("/notifications", TypeAdapter(list[DeliveryInfo]), params)
