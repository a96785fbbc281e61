"""What the alert, silence, maintenance and on-call routes serve from
(:class:`alerts.service.AlertService` is one).

The plain methods are thread-safe and may block on the pipeline's lock for the length of an alert
cycle: routes call them from a worker thread. ``deliveries`` reads the notification log and is
async. Errors: :class:`~core.errors.NotFound` for an unknown alert, silence, window or schedule;
:class:`~alerts.model.AlertError` for an action that makes no sense in an alert's state;
``ValueError`` (:class:`~alerts.silences.InvalidSuppression`,
:class:`~alerts.oncall.InvalidOnCall`) for a silence, window or override that makes no sense.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from alerts.dispatch import GroupView
from alerts.escalation import EscalationView, Page
from alerts.maintenance import MaintenanceWindow
from alerts.matchers import Matcher
from alerts.model import Alert, AlertStatus, Severity, Transition
from alerts.notify.log import Delivery, DeliveryState
from alerts.oncall import Override, Schedule
from alerts.service import AlertDetail, OnCallNow
from alerts.silences import Silence, SilenceState


class AlertService(Protocol):
    """The alert pipeline as the API sees it: alerts, silences, maintenance, on-call, the log."""

    def alerts(
        self,
        *,
        status: AlertStatus | None = None,
        severity: Severity | None = None,
        region: str | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> list[Alert]: ...

    def alert(self, fingerprint: str) -> AlertDetail: ...

    def muted_by(self, alerts: Sequence[Alert]) -> dict[str, tuple[str, ...]]:
        """Fingerprint → what mutes it now ('silence <id>', 'maintenance <id>'), for the muted
        ones among ``alerts``."""
        ...

    def acknowledge(
        self, fingerprint: str, *, by: str, note: str, expires_at: datetime | None = None
    ) -> Transition: ...

    def unacknowledge(self, fingerprint: str, *, by: str, reason: str = "") -> Transition: ...

    def silences(self, state: SilenceState | None = None) -> list[Silence]: ...

    def create_silence(
        self,
        matchers: Sequence[Matcher] | str,
        *,
        created_by: str,
        comment: str,
        ends_at: datetime | None,
        starts_at: datetime | None = None,
        until_resolved: bool = False,
    ) -> Silence: ...

    def expire_silence(self, silence_id: str, *, by: str) -> Silence: ...

    def maintenance_windows(self) -> list[MaintenanceWindow]: ...

    def add_maintenance_window(self, window: MaintenanceWindow) -> MaintenanceWindow: ...

    def remove_maintenance_window(self, window_id: str, *, by: str) -> MaintenanceWindow: ...

    def schedules(self) -> list[Schedule]: ...

    def on_call(
        self, schedule: str | None = None, at: datetime | None = None
    ) -> list[OnCallNow]: ...

    def add_override(self, schedule: str, override: Override, *, by: str) -> Schedule: ...

    def escalations(self) -> list[EscalationView]: ...

    def pages(self, limit: int = 100) -> list[Page]: ...

    def groups(self) -> list[GroupView]: ...

    async def deliveries(
        self, *, state: DeliveryState | None = None, channel: str | None = None, limit: int = 100
    ) -> list[Delivery]: ...
