"""Aggregation groups and their notification timing, as Alertmanager's dispatcher does it.

Every alert is routed (:meth:`Route.match`) into one aggregation group per matching route and group
key. A group's timeline, on the route's settings:

* created by its first firing alert; first flush ``group_wait`` later (at once if that alert
  started more than ``group_wait`` ago), then a flush every ``group_interval``;
* at a flush, muted alerts and consequences of a firing root cause are set aside; the rest is
  compared with what the receiver was last told (a notification log per group, like Alertmanager's
  nflog): notify when the group is new (*new*), when a firing alert was not in the last notice or,
  for receivers that want resolutions, an alert resolved (*changed*), when every alert the
  receiver knew of resolved (*resolved*), or when nothing changed for ``repeat_interval``
  (*repeat*); resolved alerts are then dropped and an empty group is deleted.

Departures from Alertmanager, each deliberate: a repeat is due once ``repeat_interval`` has passed
(Alertmanager's wall-clock jitter usually pushes it to the flush after); a group whose visible
firing alerts are all acknowledged is not repeated; a group whose firing alerts are all hidden
(muted, or folded under their cause) sends nothing rather than an empty "resolved"; an alert
released from under its cause while still firing (the cause resolved first, or no longer explains
it) stays hidden for its route's ``group_wait`` from the tick that saw it released, as a new alert
would wait — so the tail of a failure that is ending (a county still seen on its backup link for
a poll after its city router came back) resolves unannounced, while one that lasts is told.

Nothing here runs on timers: the caller calls :meth:`Dispatcher.tick` with the time (on a schedule,
or at :meth:`Dispatcher.next_flush_at`), so timelines on a fake clock are exact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from alerts.matchers import FIRING, RESOLVED, AlertLike
from alerts.routing import Route
from alerts.silences import Muter

_NEVER = datetime.min.replace(tzinfo=UTC)


class NotificationReason(StrEnum):
    """Why a group is being notified."""

    NEW = "new"
    CHANGED = "changed"
    REPEAT = "repeat"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Notification:
    """What one receiver is to be told about one aggregation group."""

    at: datetime
    receiver: str
    route_id: str
    group_key: str
    group_labels: Mapping[str, str]
    reason: NotificationReason
    firing: tuple[AlertLike, ...]
    """Firing alerts, neither muted nor consequences of another firing alert."""
    resolved: tuple[AlertLike, ...]
    """Resolved alerts (empty for receivers that do not want resolutions)."""
    consequences: Mapping[str, tuple[AlertLike, ...]] = field(default_factory=dict)
    """Fingerprint of a firing alert here → the firing alerts it caused (folded under it)."""


@dataclass(frozen=True)
class GroupView:
    """A read-only look at an aggregation group (for the API and the console)."""

    group_key: str
    route_id: str
    receiver: str
    group_labels: Mapping[str, str]
    fingerprints: tuple[str, ...]
    next_flush_at: datetime
    last_notified_at: datetime | None


@dataclass(frozen=True)
class _LogEntry:
    """What the receiver was last told about a group (Alertmanager's nflog entry)."""

    firing: frozenset[str]
    resolved: frozenset[str]
    at: datetime


@dataclass
class _Group:
    route: Route
    key: str
    labels: dict[str, str]
    next_flush_at: datetime
    alerts: dict[str, AlertLike] = field(default_factory=dict)
    has_flushed: bool = False
    last: _LogEntry | None = None


def _everyone_wants_resolved(receiver: str) -> bool:
    return True


class Dispatcher:
    """Routes alerts into aggregation groups and says, at each tick, which notifications are due.

    ``muter`` (silences and maintenance) hides alerts at flush time; ``send_resolved(receiver)``
    says whether a receiver is told of resolutions (default: yes).
    """

    def __init__(
        self,
        route: Route,
        *,
        muter: Muter | None = None,
        send_resolved: Callable[[str], bool] = _everyone_wants_resolved,
    ) -> None:
        self._route = route
        self._muter = muter
        self._send_resolved = send_resolved
        self._groups: dict[str, _Group] = {}
        self._firing: dict[str, AlertLike] = {}
        self._folded: set[str] = set()
        """Firing alerts folded under a firing cause at the last tick."""
        self._released_at: dict[str, datetime] = {}
        """Firing alerts no longer folded, and the tick that saw them released."""

    def ingest(self, alert: AlertLike, now: datetime) -> None:
        """Take a new or updated alert (firing or resolved; any other status is ignored)."""
        if alert.status not in (FIRING, RESOLVED):
            return
        if self._muter is not None:
            self._muter.observe(alert, now)
        if alert.status == FIRING:
            self._firing[alert.fingerprint] = alert
        else:
            self._firing.pop(alert.fingerprint, None)
        for route in self._route.match(alert.labels):
            key = route.group_key(alert.labels)
            group = self._groups.get(key)
            if group is None:
                if alert.status != FIRING:
                    continue  # a group that never fired has nobody to tell of a resolution
                group = _Group(route, key, route.group_labels(alert.labels), now + route.group_wait)
                self._groups[key] = group
            group.alerts[alert.fingerprint] = alert
            started = alert.starts_at
            if not group.has_flushed and started is not None and started + route.group_wait < now:
                group.next_flush_at = now

    def ingest_all(self, alerts: Iterable[AlertLike], now: datetime) -> None:
        """:meth:`ingest` each alert."""
        for alert in alerts:
            self.ingest(alert, now)

    def tick(self, now: datetime) -> list[Notification]:
        """Flush every group due by ``now``; the notifications to send, in due order."""
        roots = self._roots_now(now)
        due = sorted(
            (g for g in self._groups.values() if g.next_flush_at <= now),
            key=lambda g: (g.next_flush_at, g.key),
        )
        if not due:
            return []
        consequences: dict[str, list[AlertLike]] = {}
        for fingerprint, root in roots.items():
            consequences.setdefault(root, []).append(self._firing[fingerprint])
        notifications: list[Notification] = []
        for group in due:
            notification = self._flush(group, now, roots, consequences)
            if notification is not None:
                notifications.append(notification)
            interval = group.route.group_interval
            missed = (now - group.next_flush_at) // interval
            group.next_flush_at += interval * (missed + 1)
            group.has_flushed = True
            if not group.alerts:
                del self._groups[group.key]
        return notifications

    def _roots_now(self, now: datetime) -> dict[str, str]:
        """:func:`root_causes` of the firing alerts, noting which were released since last."""
        roots = root_causes(self._firing)
        for fingerprint in self._folded.difference(roots):
            if fingerprint in self._firing:
                self._released_at[fingerprint] = now
        self._folded = set(roots)
        for fingerprint in [
            fp for fp in self._released_at if fp not in self._firing or fp in roots
        ]:
            del self._released_at[fingerprint]
        return roots

    def _held(self, alert: AlertLike, route: Route, now: datetime) -> bool:
        """Whether ``alert`` was released from under its cause less than ``group_wait`` ago."""
        released = self._released_at.get(alert.fingerprint)
        return released is not None and now < released + route.group_wait

    def next_flush_at(self) -> datetime | None:
        """When the next group is due (so a scheduler can sleep until then)."""
        return min((g.next_flush_at for g in self._groups.values()), default=None)

    def groups(self) -> list[GroupView]:
        """Every aggregation group, by key."""
        return [
            GroupView(
                group_key=g.key,
                route_id=g.route.id,
                receiver=g.route.receiver,
                group_labels=dict(g.labels),
                fingerprints=tuple(sorted(g.alerts)),
                next_flush_at=g.next_flush_at,
                last_notified_at=g.last.at if g.last else None,
            )
            for g in sorted(self._groups.values(), key=lambda g: g.key)
        ]

    def _flush(
        self,
        group: _Group,
        now: datetime,
        roots: Mapping[str, str],
        consequences: Mapping[str, list[AlertLike]],
    ) -> Notification | None:
        firing: list[AlertLike] = []
        resolved: list[AlertLike] = []
        hidden_firing = False
        for alert in sorted(group.alerts.values(), key=_firing_order):
            is_firing = alert.status == FIRING
            folded = is_firing and alert.fingerprint in roots
            if folded or (self._muter is not None and self._muter.muted_by(alert, now)):
                hidden_firing = hidden_firing or is_firing
                continue
            if is_firing and self._held(alert, group.route, now):
                hidden_firing = True
                continue
            (firing if is_firing else resolved).append(alert)
        # Resolved alerts leave the group at their first flush, muted ones unannounced (as in
        # Alertmanager).
        for fingerprint in [fp for fp, a in group.alerts.items() if a.status != FIRING]:
            del group.alerts[fingerprint]

        route = group.route
        wants_resolved = self._send_resolved(route.receiver)
        firing_set = frozenset(a.fingerprint for a in firing)
        resolved_set = frozenset(a.fingerprint for a in resolved)
        reason = _needs_update(group.last, firing_set, resolved_set, wants_resolved, now, route)
        if reason is NotificationReason.RESOLVED and hidden_firing:
            # Still firing, only hidden: the group is not over, but resolutions are news.
            if not (wants_resolved and resolved):
                return None
            reason = NotificationReason.CHANGED
        if reason is NotificationReason.REPEAT and all(a.acknowledged for a in firing):
            return None
        if reason is None:
            return None
        group.last = _LogEntry(firing_set, resolved_set, now)
        told_resolved = tuple(resolved) if wants_resolved else ()
        if not firing and not told_resolved:
            return None
        return Notification(
            at=now,
            receiver=route.receiver,
            route_id=route.id,
            group_key=group.key,
            group_labels=dict(group.labels),
            reason=reason,
            firing=tuple(firing),
            resolved=told_resolved,
            consequences={
                a.fingerprint: tuple(consequences[a.fingerprint])
                for a in firing
                if a.fingerprint in consequences
            },
        )


def root_causes(firing: Mapping[str, AlertLike]) -> dict[str, str]:
    """Fingerprint → root cause, for each firing alert folded under another firing alert.

    ``firing`` maps fingerprints to firing alerts. A chain (A caused by B caused by C) folds under
    its top (C); a cause that is not firing folds nothing; a cycle stops where it closes.
    """
    roots: dict[str, str] = {}
    for fingerprint in firing:
        seen = {fingerprint}
        current = fingerprint
        while True:
            cause = firing[current].caused_by
            if cause is None or cause in seen or cause not in firing:
                break
            seen.add(cause)
            current = cause
        if current != fingerprint:
            roots[fingerprint] = current
    return roots


def _firing_order(alert: AlertLike) -> tuple[datetime, str]:
    return (alert.starts_at or _NEVER, alert.fingerprint)


def _needs_update(
    last: _LogEntry | None,
    firing: frozenset[str],
    resolved: frozenset[str],
    wants_resolved: bool,
    now: datetime,
    route: Route,
) -> NotificationReason | None:
    """Alertmanager's DedupStage.needsUpdate, with the reason it notifies."""
    if last is None:
        return NotificationReason.NEW if firing else None
    if not firing <= last.firing:
        return NotificationReason.NEW if not last.firing else NotificationReason.CHANGED
    if not firing:
        return NotificationReason.RESOLVED if last.firing else None
    if wants_resolved and not resolved <= last.resolved:
        return NotificationReason.CHANGED
    if now - last.at >= route.repeat_interval:
        return NotificationReason.REPEAT
    return None
