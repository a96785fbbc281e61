"""One alert cycle, start to end: facts → rules → root causes → dispatch → messages.

:meth:`AlertPipeline.step` does, at ``now``:

1. read the state facts (:class:`~alerts.snapshot_source.StateSnapshotSource`) and the topology
   monitor's latest snapshot, and take the events the bus delivered since the last step
   (traps, configuration and host-key changes, failovers, failed backups — collected in a
   thread-safe queue, for the bus may publish from worker threads);
2. evaluate the rules (:class:`~alerts.evaluation.AlertEngine`);
3. fold what the topology's root causes explain under their cause's alert
   (:class:`~alerts.correlation.RootCauseCorrelator`);
4. hand the dispatcher every firing alert and every alert that just resolved, and take the
   notifications due; tick silences and maintenance windows (their starts and ends are notices
   too, and go out on the bus); tick escalation for the pages due;
5. turn all of it into ``(channel, message)`` pairs for the delivery queue: one per channel of
   the receiver concerned (a channel that does not want resolutions gets firing alerts only).

Without an alerting configuration steps 4–5 only tick silences and maintenance: alerts are
evaluated and kept, nobody is told. Blocking (SQL): run :meth:`step` in a worker thread. The
state the API reads and changes between steps is guarded by :attr:`AlertPipeline.lock`.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from queue import Empty, SimpleQueue

from alerts.alerting_config import AlertingConfig
from alerts.channel_book import ChannelBook
from alerts.correlation import RootCauseCorrelator
from alerts.dispatch import Dispatcher, Notification, NotificationReason
from alerts.escalation import EscalationTracker, Page
from alerts.evaluation import AlertEngine
from alerts.model import Alert, AlertStatus, EvaluationResult, StateSnapshot, Transition
from alerts.notices import (
    for_channel,
    notification_message,
    page_message,
    summary_of,
    suppression_labels,
    suppression_message,
)
from alerts.notify.message import AlertMessage
from alerts.observation import MetricsSource
from alerts.silences import SuppressionEvent, SuppressionKind
from alerts.snapshot_source import StateSnapshotSource
from alerts.suppressions import Suppressions
from core.errors import NocError, NotFound
from core.events import (
    BackupFailed,
    ConfigChanged,
    DeviceStatusChanged,
    Event,
    EventBus,
    HostKeyChanged,
    LinkFailedOver,
    SiteIsolated,
    SiteRestored,
    TrapReceived,
)
from topology.monitor import TopologyMonitor, TopologySnapshot

log = logging.getLogger(__name__)

WATCHED_EVENTS: tuple[type[Event], ...] = (
    TrapReceived,
    ConfigChanged,
    HostKeyChanged,
    LinkFailedOver,
    SiteIsolated,
    SiteRestored,
    BackupFailed,
)
"""The bus events the rules may fire on."""

GroupRef = tuple[str, str]
"""(receiver, group key): one receiver's view of one alert group."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message for one channel."""

    channel: str
    message: AlertMessage


@dataclass(frozen=True)
class CycleReport:
    """What one step did."""

    at: datetime
    evaluation: EvaluationResult
    correlated: tuple[Transition, ...] = ()
    """Links made or undone by root-cause suppression."""
    notifications: tuple[Notification, ...] = ()
    pages: tuple[Page, ...] = ()
    suppression_events: tuple[SuppressionEvent, ...] = ()
    outgoing: tuple[Outgoing, ...] = ()


class AlertPipeline:
    """The alert cycle's parts, composed (see the module docstring)."""

    def __init__(
        self,
        engine: AlertEngine,
        snapshots: StateSnapshotSource,
        topology: TopologyMonitor,
        metrics: MetricsSource,
        suppressions: Suppressions,
        *,
        config: AlertingConfig | None,
        channels: ChannelBook,
        bus: EventBus | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.engine = engine
        self.suppressions = suppressions
        self.config = config
        self.channels = channels
        self.correlator = RootCauseCorrelator(engine)
        self.dispatcher: Dispatcher | None = None
        self.escalation: EscalationTracker | None = None
        if config is not None:
            muter = suppressions.muter
            self.dispatcher = Dispatcher(
                config.route, muter=muter, send_resolved=config.send_resolved
            )
            self.escalation = EscalationTracker(
                config.route, config.escalation_policies, suppressions.directory, muter=muter
            )
        self.pages: deque[Page] = deque(maxlen=500)
        """The latest pages, for the API."""
        self._snapshots = snapshots
        self._topology = topology
        self._metrics = metrics
        self._bus = bus
        self._inbox: SimpleQueue[Event] = SimpleQueue()
        self._told: dict[GroupRef, frozenset[str]] = {}
        self._unpageable: set[str] = set()
        self._on_arrival: Callable[[], None] | None = None
        if bus is not None:
            for kind in WATCHED_EVENTS:
                bus.subscribe(kind, self._arrived)
            bus.subscribe(DeviceStatusChanged, self._status_changed)

    def call_on_arrival(self, callback: Callable[[], None] | None) -> None:
        """Call ``callback`` (from the publisher's thread) whenever an event the rules watch, or
        a device's status change, arrives — so the loop can evaluate at once, not at its next
        turn."""
        self._on_arrival = callback

    def _arrived(self, event: Event) -> None:
        self._inbox.put(event)
        self._status_changed(event)

    def _status_changed(self, _event: Event) -> None:
        callback = self._on_arrival
        if callback is not None:
            callback()

    # --- start -----------------------------------------------------------------------------------

    def restore(self, now: datetime) -> int:
        """Load alerts, silences, windows and overrides back from the stores; how many alerts."""
        with self.lock:
            count = self.engine.restore(now)
            self.suppressions.load(now)
            self.correlator.adopt(self.engine.alerts())
            return count

    def prime(self, now: datetime, told: Mapping[GroupRef, frozenset[str]]) -> list[Outgoing]:
        """After a restart: give the dispatcher the restored firing alerts at once, so a
        resolution during the first cycles is told; groups whose receiver was told exactly these
        alerts before the restart (``told``, from the notification log) are not told again."""
        with self.lock:
            self._told = dict(told)
            self.correlator.notified(fp for firing in told.values() for fp in firing)
            if self.dispatcher is None:
                return []
            alerts = self.engine.alerts(AlertStatus.FIRING)
            self.dispatcher.ingest_all(alerts, now)
            by_fp = {a.fingerprint: a for a in self.engine.alerts()}
            return self._notices(self.dispatcher.tick(now), by_fp)

    # --- the cycle -------------------------------------------------------------------------------

    def step(self, now: datetime) -> CycleReport:
        """One cycle at ``now`` (blocking; see the module docstring)."""
        topology = self._topology_now()
        snapshot = self._snapshot(topology, now)
        result = self.engine.evaluate(now, self._metrics, snapshot, self._drain())
        with self.lock:
            alerts = self.engine.alerts()
            correlated: list[Transition] = []
            if topology is not None:
                causes = topology.root_causes.causes
                correlated = self.correlator.correlate(now, causes, topology.failover, alerts)
                if correlated:
                    alerts = self.engine.alerts()
            by_fp = {a.fingerprint: a for a in alerts}
            notifications = self._dispatch(now, alerts, result)
            events = self.suppressions.tick(now)
            pages = self.escalation.tick(now, alerts) if self.escalation is not None else []
            self.pages.extend(pages)
            outgoing = (
                self._notices(notifications, by_fp)
                + self._pages(pages, by_fp)
                + self._suppression_notices(events)
            )
        if self._bus is not None:
            for event in events:
                self._bus.publish(event)
        return CycleReport(
            at=now,
            evaluation=result,
            correlated=tuple(correlated),
            notifications=tuple(notifications),
            pages=tuple(pages),
            suppression_events=tuple(events),
            outgoing=tuple(outgoing),
        )

    def _topology_now(self) -> TopologySnapshot | None:
        try:
            return self._topology.snapshot()
        except NocError as exc:  # the last facts hold until the topology reads again
            log.warning("alerts: topology unavailable this cycle: %s", exc)
            return None

    def _snapshot(self, topology: TopologySnapshot | None, now: datetime) -> StateSnapshot | None:
        if topology is None:
            return None
        try:
            return self._snapshots.build(topology.failover, now)
        except NocError as exc:
            log.warning("alerts: state facts unavailable this cycle, the last ones hold: %s", exc)
            return None

    def _drain(self) -> list[Event]:
        events: list[Event] = []
        while True:
            try:
                events.append(self._inbox.get_nowait())
            except Empty:
                return events

    def _dispatch(
        self, now: datetime, alerts: Sequence[Alert], result: EvaluationResult
    ) -> list[Notification]:
        if self.dispatcher is None:
            return []
        ended = {t.fingerprint for t in result.transitions if t.after is AlertStatus.RESOLVED}
        for alert in alerts:
            if alert.status is AlertStatus.FIRING or alert.fingerprint in ended:
                self.dispatcher.ingest(alert, now)
        return self.dispatcher.tick(now)

    # --- messages --------------------------------------------------------------------------------

    def _to_channels(self, receiver: str, message: AlertMessage) -> list[Outgoing]:
        out = []
        for spec in self.channels.of(receiver):
            shown = for_channel(message, spec.send_resolved)
            if shown is not None:
                out.append(Outgoing(spec.name, shown))
        return out

    def _notices(
        self, notifications: Iterable[Notification], alerts: Mapping[str, Alert]
    ) -> list[Outgoing]:
        out: list[Outgoing] = []
        for notification in notifications:
            firing = frozenset(a.fingerprint for a in notification.firing)
            self.correlator.notified(firing)
            told = self._told.pop((notification.receiver, notification.group_key), None)
            if (
                told is not None
                and notification.reason is NotificationReason.NEW
                and not notification.resolved
                and firing <= told
            ):
                log.info(
                    "alerts: %s was told of group %s before the restart: not again",
                    notification.receiver,
                    notification.group_key,
                )
                continue
            message = notification_message(notification, lambda fp: _summary(alerts, fp))
            out += self._to_channels(notification.receiver, message)
        return out

    def _pages(self, pages: Iterable[Page], alerts: Mapping[str, Alert]) -> list[Outgoing]:
        out: list[Outgoing] = []
        for page in pages:
            if page.user is None:
                log.warning(
                    "escalation %s step %d: nobody to page for %s: %s",
                    page.policy,
                    page.step,
                    page.target,
                    page.problem,
                )
                continue
            if not self.channels.of(page.user):
                if page.user not in self._unpageable:
                    self._unpageable.add(page.user)
                    log.warning(
                        "escalation %s: cannot page %s: the alerting configuration has no "
                        "receiver of that name",
                        page.policy,
                        page.user,
                    )
                continue
            try:
                message = page_message(page, alerts, lambda fp: _summary(alerts, fp))
            except ValueError:  # its alerts are gone: nothing left to page about
                continue
            out += self._to_channels(page.user, message)
        return out

    def _suppression_notices(self, events: Iterable[SuppressionEvent]) -> list[Outgoing]:
        if self.config is None:
            return []
        out: list[Outgoing] = []
        for event in events:
            silence = window = None
            try:
                if event.kind is SuppressionKind.SILENCE:
                    silence = self.suppressions.silences.get(event.suppression_id)
                else:
                    window = self.suppressions.calendar.get(event.suppression_id)
            except NotFound:
                pass  # a cancelled window: its notice carries what the event says
            labels = suppression_labels(event, silence, window)
            started = silence.starts_at if silence is not None else None
            receivers = dict.fromkeys(r.receiver for r in self.config.route.match(labels))
            for receiver in receivers:
                message = suppression_message(event, receiver, labels, started)
                out += self._to_channels(receiver, message)
        return out


def _summary(alerts: Mapping[str, Alert], fingerprint: str) -> str | None:
    alert = alerts.get(fingerprint)
    return None if alert is None else summary_of(alert)
