"""The alert service: the alert pipeline running in the server, and what the API asks of it.

:class:`AlertService` runs :class:`~alerts.pipeline.AlertPipeline` every ``evaluate_every_s``
(:meth:`AlertService.run`; tests call :meth:`AlertService.cycle` with the time instead) and hands
what it says to the :class:`~alerts.notify.delivery.DeliveryQueue`, which delivers on its own
loop, retrying, with every attempt in the notification log. At start (:meth:`AlertService.start`)
the queue resumes the deliveries a restart interrupted and the dispatcher is primed with the
restored alerts. Every hour old resolved alerts, expired silences and finished deliveries beyond
``retention`` are pruned.

The query and command methods are for the API: thread-safe (the API calls from worker threads),
each state-changing one takes ``by`` (and a note or comment) for the audit record the caller
writes. Errors: :class:`~core.errors.NotFound` for an unknown alert, silence, window or schedule;
:class:`~alerts.model.AlertError` for an action that makes no sense in an alert's state;
``ValueError`` (:class:`~alerts.silences.InvalidSuppression`) for a silence or window that
makes no sense.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerts.dispatch import GroupView
from alerts.escalation import EscalationView, Page
from alerts.maintenance import MaintenanceWindow
from alerts.matchers import Matcher, parse_matchers
from alerts.model import Alert, AlertStatus, Severity, Transition
from alerts.notify.delivery import DeliveryQueue
from alerts.notify.log import Delivery, DeliveryAttempt, DeliveryState, NotificationLog
from alerts.notify.message import AlertStatus as MessageStatus
from alerts.notify.message import NotifyReason
from alerts.oncall import Override, Schedule, who_is_on_call
from alerts.pipeline import AlertPipeline, CycleReport, GroupRef, Outgoing
from alerts.silences import Silence, SilenceState
from alerts.sql_store import SqlAlertStore
from core.clock import Clock
from core.security.scope import is_region_code, scope_covers

log = logging.getLogger(__name__)

HOUSEKEEPING_EVERY_S = 3600.0
TOLD_LOOKBACK = 2000
"""Newest deliveries read at start to learn what receivers were told before a restart."""


@dataclass(frozen=True)
class AlertDetail:
    """One alert with its whole history, oldest transition first."""

    alert: Alert
    history: tuple[Transition, ...]


@dataclass(frozen=True)
class OnCallNow:
    """Who is on call on one schedule at one time (``None``: nobody)."""

    schedule: str
    team: str
    region: str
    user: str | None
    at: datetime


class AlertService:
    """Runs the alert pipeline and answers the API (see the module docstring)."""

    def __init__(
        self,
        pipeline: AlertPipeline,
        queue: DeliveryQueue,
        notification_log: NotificationLog,
        clock: Clock,
        *,
        evaluate_every_s: float = 10.0,
        retention: timedelta = timedelta(days=30),
        alert_store: SqlAlertStore | None = None,
    ) -> None:
        self._pipeline = pipeline
        self._queue = queue
        self._log = notification_log
        self._clock = clock
        self._every_s = evaluate_every_s
        self._retention = retention
        self._alert_store = alert_store
        self._started = False
        self.last_cycle: CycleReport | None = None
        """What the latest cycle did (None before the first): for health checks."""
        if pipeline.config is None:
            log.warning(
                "alerts: no alerting configuration (alerts.alerting_config_path): alerts are "
                "evaluated and kept, but nobody is notified or paged"
            )

    @property
    def pipeline(self) -> AlertPipeline:
        return self._pipeline

    @property
    def queue(self) -> DeliveryQueue:
        return self._queue

    @property
    def notifying(self) -> bool:
        """Whether an alerting configuration says whom to tell."""
        return self._pipeline.config is not None

    # --- running ---------------------------------------------------------------------------------

    async def start(self) -> None:
        """Resume interrupted deliveries and prime the dispatcher (once, before the first cycle)."""
        if self._started:
            return
        self._started = True
        told = await self._told_before()
        outgoing = await asyncio.to_thread(self._pipeline.prime, self._clock.now(), told)
        await self._submit(outgoing)
        resumed = await self._queue.resume()
        if resumed:
            log.info("alerts: %d notification deliveries resumed", resumed)

    async def cycle(self, now: datetime) -> CycleReport:
        """One evaluation and dispatch at ``now``; its messages are queued for delivery."""
        await self.start()
        report = await asyncio.to_thread(self._pipeline.step, now)
        for failure in report.evaluation.failures:
            log.debug("alerts: %s: %s", failure.source, failure.reason)
        await self._submit(report.outgoing)
        self.last_cycle = report
        return report

    async def run(self, stop: asyncio.Event) -> None:
        """Cycle every ``evaluate_every_s`` and deliver, until ``stop`` is set. A cycle that
        fails is logged and the next one tried: the loop itself never ends on an error."""
        try:
            await self.start()
        except Exception:  # a task boundary: without the restart's memory, alerts still run
            log.exception("alerts: start-up incomplete (deliveries not resumed)")
        delivering = asyncio.create_task(self._queue.run(), name="alert-delivery")
        next_housekeeping = self._clock.monotonic()
        # A trap or a device going down wakes the loop at once: waiting for the next turn would
        # add up to ``evaluate_every_s`` to every notification.
        wake = asyncio.Event()
        loop = asyncio.get_running_loop()

        def arrived() -> None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nothing to wake
                loop.call_soon_threadsafe(wake.set)

        self._pipeline.call_on_arrival(arrived)
        try:
            while not stop.is_set():
                try:
                    await self.cycle(self._clock.now())
                except Exception:  # a task boundary: the next cycle may well succeed
                    log.exception("alert cycle failed; next one in %g s", self._every_s)
                if self._clock.monotonic() >= next_housekeeping:
                    next_housekeeping += HOUSEKEEPING_EVERY_S
                    try:
                        await self.housekeep(self._clock.now())
                    except Exception:  # pruning can wait for the next hour
                        log.exception("alerts: pruning old alerts and deliveries failed")
                await _until_due(stop, wake, self._every_s)
        finally:
            self._pipeline.call_on_arrival(None)
            delivering.cancel()
            await asyncio.gather(delivering, return_exceptions=True)
            await self.close()

    async def close(self) -> None:
        """Close the channels' connections."""
        await self._pipeline.channels.aclose()

    async def housekeep(self, now: datetime) -> None:
        """Prune what ended more than ``retention`` ago: resolved alerts, silences, deliveries."""
        before = now - self._retention
        silences = await asyncio.to_thread(self._purge_silences, now)
        alerts = 0
        if self._alert_store is not None:
            alerts = await asyncio.to_thread(self._alert_store.prune_resolved, before)
        deliveries = await self._log.prune(before)
        if alerts or silences or deliveries:
            log.info(
                "alerts: pruned %d resolved alerts, %d silences, %d deliveries",
                alerts,
                silences,
                deliveries,
            )

    def _purge_silences(self, now: datetime) -> int:
        with self._pipeline.lock:
            return self._pipeline.suppressions.purge(now, self._retention)

    async def _submit(self, outgoing: Sequence[Outgoing]) -> None:
        for item in outgoing:
            await self._queue.submit(item.channel, item.message)

    async def _told_before(self) -> dict[GroupRef, frozenset[str]]:
        """Per (receiver, group): the firing alerts its newest notice named, when it was one."""
        told: dict[GroupRef, frozenset[str]] = {}
        seen: set[GroupRef] = set()
        try:
            deliveries = await self._log.deliveries(limit=TOLD_LOOKBACK)
        except Exception:  # the log is a convenience here: without it, groups are re-told
            log.exception("alerts: notification log unreadable; firing groups are told again")
            return told
        for delivery in deliveries:  # newest first
            message = delivery.message
            key = (message.receiver, message.group_key)
            if delivery.state is DeliveryState.FAILED or key in seen:
                continue
            seen.add(key)
            escalation = message.reason is NotifyReason.ESCALATION
            if message.status is MessageStatus.FIRING and not escalation:
                told[key] = frozenset(a.fingerprint for a in message.firing)
        return told

    # --- alerts ----------------------------------------------------------------------------------

    def alerts(
        self,
        *,
        status: AlertStatus | None = None,
        severity: Severity | None = None,
        region: str | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> list[Alert]:
        """Alerts in memory (unresolved, and recently resolved), oldest first: with ``status``,
        ``severity``, in ``region`` or below it, carrying every one of ``labels``."""
        found = self._pipeline.engine.alerts(status)
        wanted = dict(labels or {})
        return [
            alert
            for alert in found
            if (severity is None or alert.severity is severity)
            and (region is None or _in_region(alert, region))
            and all(alert.labels.get(name) == value for name, value in wanted.items())
        ]

    def muted_by(self, alerts: Sequence[Alert]) -> dict[str, tuple[str, ...]]:
        """Fingerprint → the silences and maintenance windows muting it now, for the muted
        ones among ``alerts`` (the dispatcher's own answer, so the API says what it does)."""
        now = self._clock.now()
        muter = self._pipeline.suppressions.muter
        with self._pipeline.lock:
            causes = {a.fingerprint: muter.muted_by(a, now) for a in alerts}
        return {fp: tuple(str(c) for c in found) for fp, found in causes.items() if found}

    def alert(self, fingerprint: str) -> AlertDetail:
        """One alert and its history."""
        engine = self._pipeline.engine
        return AlertDetail(engine.get(fingerprint), tuple(engine.history(fingerprint)))

    def acknowledge(
        self, fingerprint: str, *, by: str, note: str, expires_at: datetime | None = None
    ) -> Transition:
        """``by`` takes the alert (until ``expires_at``; None: until it resolves)."""
        now = self._clock.now()
        return self._pipeline.engine.acknowledge(fingerprint, by, note, now, expires_at)

    def unacknowledge(self, fingerprint: str, *, by: str, reason: str = "") -> Transition:
        """``by`` gives the alert back."""
        return self._pipeline.engine.unacknowledge(fingerprint, by, self._clock.now(), reason)

    # --- silences and maintenance ----------------------------------------------------------------

    def silences(self, state: SilenceState | None = None) -> list[Silence]:
        """Silences (in ``state`` now), expired ones included until they are pruned."""
        with self._pipeline.lock:
            return self._pipeline.suppressions.silences.in_state(self._clock.now(), state)

    def create_silence(
        self,
        matchers: Sequence[Matcher] | str,
        *,
        created_by: str,
        comment: str,
        ends_at: datetime | None,
        starts_at: datetime | None = None,
        until_resolved: bool = False,
    ) -> Silence:
        """A new silence (``matchers`` as objects or as text: ``{region=~"4401.*"}``), stored;
        it starts now unless ``starts_at`` says later."""
        parsed = parse_matchers(matchers) if isinstance(matchers, str) else tuple(matchers)
        with self._pipeline.lock:
            return self._pipeline.suppressions.create_silence(
                parsed,
                starts_at=starts_at or self._clock.now(),
                ends_at=ends_at,
                created_by=created_by,
                comment=comment,
                until_resolved=until_resolved,
            )

    def expire_silence(self, silence_id: str, *, by: str) -> Silence:
        """End a silence now, stored."""
        with self._pipeline.lock:
            return self._pipeline.suppressions.expire_silence(silence_id, self._clock.now(), by)

    def maintenance_windows(self) -> list[MaintenanceWindow]:
        """Every maintenance window (from the configuration file and added since)."""
        with self._pipeline.lock:
            return self._pipeline.suppressions.calendar.all()

    def add_maintenance_window(self, window: MaintenanceWindow) -> MaintenanceWindow:
        """Add (or replace) a window, stored; ``window.created_by`` says who."""
        with self._pipeline.lock:
            return self._pipeline.suppressions.add_window(window)

    def remove_maintenance_window(self, window_id: str, *, by: str) -> MaintenanceWindow:
        """Cancel a window, stored; the window removed."""
        with self._pipeline.lock:
            window = self._pipeline.suppressions.remove_window(window_id, self._clock.now())
        log.info("alerts: maintenance window %s cancelled by %s", window_id, by)
        return window

    def collection_paused(self, device_id: str, region: str | None) -> bool:
        """Whether an open maintenance window asks the collectors to skip this device now."""
        with self._pipeline.lock:
            calendar = self._pipeline.suppressions.calendar
            return calendar.collection_paused(device_id, region, self._clock.now())

    # --- on call and escalation ------------------------------------------------------------------

    def schedules(self) -> list[Schedule]:
        """Every on-call schedule, by name."""
        with self._pipeline.lock:
            return self._pipeline.suppressions.directory.all()

    def on_call(self, schedule: str | None = None, at: datetime | None = None) -> list[OnCallNow]:
        """Who is on call (on ``schedule``, else on every schedule) at ``at`` (default now)."""
        when = at or self._clock.now()
        with self._pipeline.lock:
            directory = self._pipeline.suppressions.directory
            chosen = [directory.get(schedule)] if schedule is not None else directory.all()
        return [OnCallNow(s.name, s.team, s.region, who_is_on_call(s, when), when) for s in chosen]

    def add_override(self, schedule: str, override: Override, *, by: str) -> Schedule:
        """Put ``override.user`` on call on ``schedule`` for a stretch, stored."""
        with self._pipeline.lock:
            return self._pipeline.suppressions.add_override(schedule, override, by)

    def escalations(self) -> list[EscalationView]:
        """Running escalations, by group key."""
        with self._pipeline.lock:
            tracker = self._pipeline.escalation
            return tracker.escalations() if tracker is not None else []

    def pages(self, limit: int = 100) -> list[Page]:
        """The newest ``limit`` pages, oldest first."""
        with self._pipeline.lock:
            return list(self._pipeline.pages)[-limit:] if limit > 0 else []

    def groups(self) -> list[GroupView]:
        """The dispatcher's alert groups."""
        with self._pipeline.lock:
            dispatcher = self._pipeline.dispatcher
            return dispatcher.groups() if dispatcher is not None else []

    # --- the notification log --------------------------------------------------------------------

    async def deliveries(
        self, *, state: DeliveryState | None = None, channel: str | None = None, limit: int = 100
    ) -> list[Delivery]:
        """The newest ``limit`` notification deliveries, newest first."""
        return await self._log.deliveries(state=state, channel=channel, limit=limit)

    async def delivery_attempts(self, delivery_id: str, limit: int = 1000) -> list[DeliveryAttempt]:
        """Every attempt at one delivery, in order."""
        return await self._log.attempts(delivery_id=delivery_id, limit=limit)


def _in_region(alert: Alert, region: str) -> bool:
    code = alert.labels.get("region")
    if code is None or not is_region_code(code) or not is_region_code(region):
        return code == region
    return scope_covers(region, code)


async def _until_due(stop: asyncio.Event, wake: asyncio.Event, timeout_s: float) -> None:
    """Until ``stop`` or ``wake`` is set, or ``timeout_s`` has passed; ``wake`` is cleared."""
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)
    wake.clear()
