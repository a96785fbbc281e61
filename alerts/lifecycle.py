"""One alert's lifecycle: pending → firing → resolved, acknowledgement, flapping, root-cause links.

The engine tells an alert, each cycle (and at each event), whether its condition holds; the alert
moves and returns the :class:`~alerts.model.Transition` s it made.

The rules of the lifecycle:

- **pending**: the condition holds, but not yet for the rule's ``for``. It fires when it has held
  for ``for`` (checked at each evaluation); if the condition ends first the pending is cancelled
  (an alert that never fired is forgotten; one that fired before goes back to resolved).
- **firing → resolved**: when the condition has been false for ``keep_firing_for`` (0: at once).
  Hysteresis lives in the condition itself (a firing threshold alert uses ``clear_threshold``).
- **resolved → again**: the same fingerprint starts a new episode (pending or firing); its
  acknowledgement is cleared and ``times_fired`` counts episodes.
- **flapping**: every fired/resolved change (the first firing counts) is remembered for the
  policy's ``within``. When a change would be the ``changes``-th in that window, the alert becomes
  flapping instead: one ``flapping_started`` transition, status held at firing, no fired/resolved
  transitions (so nobody is re-notified). It stops flapping once its condition has not changed
  for ``stable_for``: ``flapping_stopped``, then ``resolved`` if the condition is false by then.
- **acknowledgement**: someone takes a pending or firing alert, with a note and an optional
  expiry. If the expiry comes while the alert is unresolved, the acknowledgement is dropped by
  ``system`` (``ack_expired``); resolving keeps it on record; a new episode starts unacknowledged.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from alerts.model import (
    SYSTEM,
    Acknowledgement,
    Alert,
    AlertError,
    AlertStatus,
    Severity,
    Transition,
    TransitionKind,
)
from alerts.rule_schema import FlappingPolicy, Rule, format_duration

PENDING, FIRING, RESOLVED = AlertStatus.PENDING, AlertStatus.FIRING, AlertStatus.RESOLVED
K = TransitionKind


@dataclass(slots=True)
class AlertState:
    """The engine's mutable record of one alert (the public view is :meth:`snapshot`)."""

    fingerprint: str
    rule: str
    severity: Severity
    identity: dict[str, str]
    labels: dict[str, str]
    annotations: dict[str, str]
    status: AlertStatus
    created_at: datetime
    last_transition: TransitionKind
    last_transition_at: datetime
    value: float | None = None
    pending_since: datetime | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    times_fired: int = 0
    ack: Acknowledgement | None = None
    flapping: bool = False
    flap_changes: deque[datetime] = field(default_factory=deque)
    condition: bool = False
    """The condition as last seen (raw: no ``for``, no ``keep_firing_for``)."""
    condition_changed_at: datetime | None = None
    event_active: bool = False
    """Event rules: a firing event came and no clear event since."""
    last_event_at: datetime | None = None
    caused_by: str | None = None
    consequences: list[str] = field(default_factory=list)

    @classmethod
    def new(
        cls,
        fingerprint: str,
        rule: Rule,
        identity: dict[str, str],
        labels: dict[str, str],
        annotations: dict[str, str],
        now: datetime,
    ) -> AlertState:
        """A record for a fault seen for the first time (not yet pending: :meth:`step` moves it)."""
        return cls(
            fingerprint=fingerprint,
            rule=rule.name,
            severity=rule.severity,
            identity=identity,
            labels=labels,
            annotations=annotations,
            status=RESOLVED,
            created_at=now,
            last_transition=K.RESOLVED,
            last_transition_at=now,
        )

    @property
    def is_new(self) -> bool:
        """Never been pending or firing yet."""
        return self.times_fired == 0 and self.pending_since is None

    # --- the condition ---------------------------------------------------------------------------

    def step(self, now: datetime, holds: bool, rule: Rule) -> list[Transition]:
        """Move on the condition seen at ``now``; returns the transitions made."""
        if holds != self.condition or self.condition_changed_at is None:
            self.condition = holds
            self.condition_changed_at = now
        if self.flapping:
            return self._step_flapping(now, rule)
        if self.status is PENDING:
            if not holds:
                return [self._cancel_pending(now)]
            assert self.pending_since is not None  # set on entering pending
            if (now - self.pending_since).total_seconds() >= rule.for_s:
                return self._fire(now, rule, f"condition held for {format_duration(rule.for_s)}")
            return []
        if self.status is FIRING:
            if holds:
                return []
            if rule.keep_firing_for_s and self._unchanged_for(now) < rule.keep_firing_for_s:
                return []
            return self._resolve(now, rule, "condition no longer holds")
        if not holds:
            return []
        before = None if self.is_new else RESOLVED
        self.ack = None
        if rule.for_s > 0:
            self.pending_since = now
            return [
                self._move(
                    now,
                    K.PENDING,
                    PENDING,
                    f"condition holds, firing after {format_duration(rule.for_s)}",
                    before=before,
                )
            ]
        self.pending_since = now
        return self._fire(now, rule, "condition holds", before=before)

    def _unchanged_for(self, now: datetime) -> float:
        assert self.condition_changed_at is not None  # set by step
        return (now - self.condition_changed_at).total_seconds()

    def _cancel_pending(
        self, now: datetime, reason: str = "condition ended before 'for' elapsed"
    ) -> Transition:
        back = RESOLVED if self.times_fired else None
        transition = self._move(now, K.PENDING_CANCELLED, back, reason)
        self.status = RESOLVED
        self.pending_since = None
        return transition

    def _fire(
        self,
        now: datetime,
        rule: Rule,
        reason: str,
        before: AlertStatus | Literal["current"] | None = "current",
    ) -> list[Transition]:
        self.times_fired += 1
        self.starts_at = now
        self.ends_at = None
        if self._flap_change(now, rule.flapping):
            return [self._start_flapping(now, rule.flapping, before)]
        return [self._move(now, K.FIRED, FIRING, reason, before=before)]

    def _resolve(self, now: datetime, rule: Rule, reason: str) -> list[Transition]:
        if self._flap_change(now, rule.flapping):
            return [self._start_flapping(now, rule.flapping)]
        return [self._resolved(now, reason)]

    def _resolved(self, now: datetime, reason: str) -> Transition:
        self.ends_at = now
        self.pending_since = None
        return self._move(now, K.RESOLVED, RESOLVED, reason)

    def end(self, now: datetime, reason: str) -> list[Transition]:
        """End the alert whatever its condition (its rule was removed)."""
        self.flapping = False
        self.flap_changes.clear()
        if self.status is PENDING:
            return [self._cancel_pending(now, reason)]
        if self.status is FIRING:
            return [self._resolved(now, reason)]
        return []

    # --- flapping --------------------------------------------------------------------------------

    def _flap_change(self, now: datetime, policy: FlappingPolicy | None) -> bool:
        """Remember a fired/resolved change; True when it makes the alert flapping."""
        if policy is None:
            return False
        window_start = now - timedelta(seconds=policy.within_s)
        while self.flap_changes and self.flap_changes[0] <= window_start:
            self.flap_changes.popleft()
        self.flap_changes.append(now)
        return len(self.flap_changes) >= policy.changes

    def _start_flapping(
        self,
        now: datetime,
        policy: FlappingPolicy | None,
        before: AlertStatus | Literal["current"] | None = "current",
    ) -> Transition:
        assert policy is not None  # only called when a policy said so
        self.flapping = True
        self.ends_at = None
        reason = (
            f"{len(self.flap_changes)} state changes within {format_duration(policy.within_s)}: "
            f"held firing until stable for {format_duration(policy.stable_for_s)}"
        )
        return self._move(now, K.FLAPPING_STARTED, FIRING, reason, before=before)

    def _step_flapping(self, now: datetime, rule: Rule) -> list[Transition]:
        stable_for = rule.flapping.stable_for_s if rule.flapping else 0.0
        if self._unchanged_for(now) < stable_for:
            return []
        self.flapping = False
        self.flap_changes.clear()
        quiet = format_duration(stable_for)
        out = [self._move(now, K.FLAPPING_STOPPED, FIRING, f"stable for {quiet}")]
        if not self.condition:
            out.append(self._resolved(now, f"condition no longer holds (stable for {quiet})"))
        return out

    # --- people ----------------------------------------------------------------------------------

    def acknowledge(
        self, now: datetime, by: str, note: str, expires_at: datetime | None
    ) -> Transition:
        if self.status is RESOLVED:
            raise AlertError(f"alert {self.fingerprint} ({self.rule}) is resolved: nothing to take")
        if expires_at is not None and expires_at <= now:
            raise AlertError("an acknowledgement must expire in the future")
        self.ack = Acknowledgement(by=by, at=now, note=note, expires_at=expires_at)
        until = "until resolved" if expires_at is None else f"until {expires_at.isoformat()}"
        return self._record(now, K.ACKNOWLEDGED, f"acknowledged {until}", by=by, note=note)

    def unacknowledge(self, now: datetime, by: str, reason: str) -> Transition:
        if self.ack is None:
            raise AlertError(f"alert {self.fingerprint} ({self.rule}) is not acknowledged")
        self.ack = None
        return self._record(now, K.UNACKNOWLEDGED, reason or "acknowledgement withdrawn", by=by)

    def expire_ack(self, now: datetime) -> Transition | None:
        """Drop an acknowledgement whose expiry has come while the alert is unresolved."""
        ack = self.ack
        if ack is None or ack.expires_at is None or now < ack.expires_at:
            return None
        if self.status is RESOLVED:
            return None
        self.ack = None
        reason = f"acknowledgement by {ack.by} expired while still {self.status.value}"
        return self._record(now, K.ACK_EXPIRED, reason, note=ack.note)

    # --- transitions and views -------------------------------------------------------------------

    def _move(
        self,
        now: datetime,
        kind: TransitionKind,
        after: AlertStatus | None,
        reason: str,
        before: AlertStatus | Literal["current"] | None = "current",
    ) -> Transition:
        was = self.status if before == "current" else before
        transition = Transition(
            fingerprint=self.fingerprint,
            at=now,
            kind=kind,
            before=was if isinstance(was, AlertStatus) else None,
            after=after,
            reason=reason,
        )
        if after is not None:
            self.status = after
        self.last_transition = kind
        self.last_transition_at = now
        return transition

    def _record(
        self,
        now: datetime,
        kind: TransitionKind,
        reason: str,
        by: str = SYSTEM,
        note: str | None = None,
    ) -> Transition:
        """A transition that does not change the status (acknowledgements, links)."""
        self.last_transition = kind
        self.last_transition_at = now
        return Transition(self.fingerprint, now, kind, self.status, self.status, by, reason, note)

    def _link(
        self, now: datetime, kind: TransitionKind, other: str, by: str, reason: str
    ) -> Transition:
        """Record a root-cause link change (fields are set by the engine)."""
        return self._record(now, kind, f"{reason} ({other})" if reason else other, by=by)

    def snapshot(self) -> Alert:
        return Alert(
            fingerprint=self.fingerprint,
            rule=self.rule,
            severity=self.severity,
            status=self.status,
            labels=dict(self.labels),
            annotations=dict(self.annotations),
            value=self.value,
            pending_since=self.pending_since,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            last_transition=self.last_transition,
            last_transition_at=self.last_transition_at,
            acknowledgement=self.ack,
            flapping=self.flapping,
            caused_by=self.caused_by,
            consequences=tuple(self.consequences),
            times_fired=self.times_fired,
        )


def attach(
    cause: AlertState, consequence: AlertState, at: datetime, by: str, reason: str
) -> list[Transition]:
    """Fold ``consequence`` under ``cause``: one transition on each (detach any old cause first)."""
    consequence.caused_by = cause.fingerprint
    cause.consequences.append(consequence.fingerprint)
    return [
        consequence._link(at, K.CAUSE_ATTACHED, cause.fingerprint, by, reason or "folded under"),
        cause._link(at, K.CONSEQUENCE_ATTACHED, consequence.fingerprint, by, reason),
    ]


def detach(
    consequence: AlertState, cause: AlertState | None, at: datetime, by: str, reason: str
) -> list[Transition]:
    """Take ``consequence`` out from under ``cause`` (None: the cause is no longer known)."""
    if consequence.caused_by is None:
        return []
    out = [consequence._link(at, K.CAUSE_DETACHED, consequence.caused_by, by, reason)]
    consequence.caused_by = None
    if cause is not None and consequence.fingerprint in cause.consequences:
        cause.consequences.remove(consequence.fingerprint)
        out.append(cause._link(at, K.CONSEQUENCE_DETACHED, consequence.fingerprint, by, reason))
    return out


def is_under(alert: AlertState, ancestor: str, alerts: Mapping[str, AlertState]) -> bool:
    """True when ``ancestor`` is on ``alert``'s chain of causes."""
    seen: set[str] = set()
    current: AlertState | None = alert
    while current is not None and current.caused_by is not None:
        if current.caused_by == ancestor:
            return True
        if current.caused_by in seen:
            return False
        seen.add(current.caused_by)
        current = alerts.get(current.caused_by)
    return False
