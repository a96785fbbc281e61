"""The alert engine: rules in, one alert per fault out, each with its lifecycle and history.

Each cycle the composition root calls :meth:`AlertEngine.evaluate` with the time, the metric
store (a :class:`~alerts.observation.MetricsSource`), a :class:`~alerts.model.StateSnapshot` and
the events published since the last cycle. The result lists the transitions (pending, fired,
resolved, flapping, ack expired, …) with a snapshot of each alert they touched.

Order within a cycle: events first, in time order, each at its own time (a linkDown and its
linkUp within one cycle still make an alert that fires and resolves); then threshold and state
rules, and the expiry of event alerts (``resolve_after``); then acknowledgements that ran out.
A rule whose metric cannot be read is skipped, its alerts untouched, and named in
``failures``: a store hiccup must not resolve every alert.

Alerts live in memory and every change is written through an :class:`~alerts.history.AlertStore`;
resolved ones stay in memory for ``resolved_retention_s`` (a fault that comes back keeps its
fingerprint, history and flapping count). Public methods are thread-safe: the API acknowledges
from worker threads while the loop evaluates.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from alerts.history import AlertStore, InMemoryAlertStore, alert_from_dict, alert_to_dict
from alerts.lifecycle import FIRING, AlertState, attach, detach, is_under
from alerts.model import (
    SYSTEM,
    Alert,
    AlertError,
    AlertStatus,
    EngineSettings,
    EvaluationFailure,
    EvaluationResult,
    StateSnapshot,
    Transition,
    TransitionKind,
    fingerprint_of,
)
from alerts.observation import FactIndex, MetricsSource, Observation, SeriesCache, event_labels
from alerts.rule_schema import AnyRule, EventRule, StateRule, ThresholdRule
from alerts.rules import RuleSet, condition_holds, event_observation, render
from core.errors import NocError, NotFound
from core.events import Event

__all__ = ["AlertEngine", "EngineSettings", "EvaluationFailure", "EvaluationResult"]
K = TransitionKind
log = logging.getLogger(__name__)
_ENTERING = frozenset({K.PENDING, K.FIRED, K.FLAPPING_STARTED})


@dataclass(slots=True)
class _Cycle:
    transitions: list[Transition] = field(default_factory=list)
    touched: dict[str, Alert] = field(default_factory=dict)
    failures: list[EvaluationFailure] = field(default_factory=list)


class AlertEngine:
    """Evaluates rules and keeps alerts; see the module docstring."""

    def __init__(
        self,
        rules: RuleSet,
        store: AlertStore | None = None,
        settings: EngineSettings | None = None,
    ) -> None:
        self._lock = threading.RLock()
        self._store: AlertStore = store if store is not None else InMemoryAlertStore()
        self._settings = settings or EngineSettings()
        self._alerts: dict[str, AlertState] = {}
        self._by_rule: dict[str, set[str]] = {}
        self._fingerprints: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}
        self._index: FactIndex = FactIndex(StateSnapshot())
        self._last_now: datetime | None = None
        self._pending_writes: dict[str, list[Transition]] = {}
        self._set_rules(rules)

    def _set_rules(self, rules: RuleSet) -> None:
        self._rules = rules
        self._rule_by_name: dict[str, AnyRule] = rules.by_name()
        self._fire_on: dict[str, list[EventRule]] = {}
        self._clear_on: dict[str, list[EventRule]] = {}
        for rule in rules.event_rules:
            self._fire_on.setdefault(rule.event, []).append(rule)
            if rule.clear is not None:
                self._clear_on.setdefault(rule.clear.event, []).append(rule)

    @property
    def rules(self) -> RuleSet:
        return self._rules

    # --- the cycle -------------------------------------------------------------------------------

    def evaluate(
        self,
        now: datetime,
        metrics: MetricsSource,
        snapshot: StateSnapshot | None = None,
        events: Iterable[Event] = (),
    ) -> EvaluationResult:
        """One cycle at ``now`` (``snapshot`` None: the last one still holds).

        Never raises for one rule's or the store's failure: see ``failures`` in the result."""
        started = time.perf_counter()
        with self._lock:
            cycle = _Cycle()
            if snapshot is not None and snapshot is not self._index.snapshot:
                self._index = FactIndex(snapshot)
            self._events(now, events, cycle)
            series = SeriesCache(metrics, self._index, now, self._settings.max_sample_age_s)
            for rule in self._rules:
                try:
                    if isinstance(rule, ThresholdRule):
                        self._observe(rule, now, series.get(rule.metric), cycle)
                    elif isinstance(rule, StateRule):
                        self._observe(rule, now, self._index.facts(rule.fact), cycle)
                    else:
                        self._expire_events(rule, now, cycle)
                except Exception as exc:  # noqa: BLE001 - one rule's failure never stops the cycle
                    log.warning("alert rule %s failed: %s", rule.name, _describe(exc))
                    cycle.failures.append(EvaluationFailure(rule.name, _describe(exc)))
            for alert in list(self._alerts.values()):
                expired = alert.expire_ack(now) if alert.ack is not None else None
                if expired is not None:
                    self._record(alert, [expired], cycle)
            self._drop_old_resolved(now)
            self._last_now = now
            self._flush(cycle)
            return EvaluationResult(
                at=now,
                transitions=tuple(cycle.transitions),
                alerts={t.fingerprint: cycle.touched[t.fingerprint] for t in cycle.transitions},
                failures=tuple(cycle.failures),
                duration_s=time.perf_counter() - started,
            )

    def _observe(
        self,
        rule: ThresholdRule | StateRule,
        now: datetime,
        observations: Sequence[Observation],
        cycle: _Cycle,
    ) -> None:
        seen: set[str] = set()
        for obs in observations:
            if rule.matchers and not rule.matchers.matches(obs.labels):
                continue
            fp = self._fingerprint(rule.name, obs.identity)
            alert = self._alerts.get(fp)
            holds = condition_holds(rule, obs, alert is not None and alert.status is FIRING, now)
            seen.add(fp)
            if alert is None:
                if not holds:
                    continue
                alert = self._create(fp, rule, obs, now)
            alert.value = obs.value
            transitions = alert.step(now, holds, rule)
            if any(t.kind in _ENTERING for t in transitions):
                alert.labels, alert.annotations = render(rule, obs, now)
            self._record(alert, transitions, cycle)
        for fp in self._by_rule.get(rule.name, set()) - seen:
            alert = self._alerts[fp]
            self._record(alert, alert.step(now, False, rule), cycle)

    def _events(self, now: datetime, events: Iterable[Event], cycle: _Cycle) -> None:
        floor = self._last_now
        for event in sorted(events, key=lambda e: e.at):
            kind = type(event).__name__
            fire, clear = self._fire_on.get(kind, ()), self._clear_on.get(kind, ())
            if not fire and not clear:
                continue
            at = min(max(event.at, floor or event.at), now)
            labels = self._index.enrich(event_labels(event))
            for rule in fire:
                if rule.match.matches(labels):
                    self._event_seen(rule, labels, at, True, cycle)
            for rule in clear:
                if rule.clear is not None and rule.clear.match.matches(labels):
                    self._event_seen(rule, labels, at, False, cycle)

    def _event_seen(
        self, rule: EventRule, labels: Mapping[str, str], at: datetime, fired: bool, cycle: _Cycle
    ) -> None:
        """A firing event (``fired``) or a clear event for ``rule`` at ``at``."""
        obs = event_observation(rule, labels)
        fp = self._fingerprint(rule.name, obs.identity)
        alert = self._alerts.get(fp)
        if not fired and (alert is None or not alert.event_active):
            return  # a clear event for nothing
        if alert is None:
            alert = self._create(fp, rule, obs, at)
        alert.event_active = fired
        if fired:
            alert.last_event_at = at
            alert.labels, alert.annotations = render(rule, obs, at)
        self._record(alert, alert.step(at, fired, rule), cycle)

    def _expire_events(self, rule: EventRule, now: datetime, cycle: _Cycle) -> None:
        for fp in list(self._by_rule.get(rule.name, ())):
            alert = self._alerts[fp]
            if alert.event_active and rule.resolve_after_s is not None:
                assert alert.last_event_at is not None  # set with event_active
                if (now - alert.last_event_at).total_seconds() >= rule.resolve_after_s:
                    alert.event_active = False
            self._record(alert, alert.step(now, alert.event_active, rule), cycle)

    # --- alerts ----------------------------------------------------------------------------------

    def _fingerprint(self, rule: str, identity: tuple[tuple[str, str], ...]) -> str:
        key = (rule, identity)
        fp = self._fingerprints.get(key)
        if fp is None:
            if len(self._fingerprints) > 200_000:  # series churn must not grow this forever
                self._fingerprints.clear()
            fp = self._fingerprints[key] = fingerprint_of(rule, dict(identity))
        return fp

    def _create(self, fp: str, rule: AnyRule, obs: Observation, now: datetime) -> AlertState:
        labels, annotations = render(rule, obs, now)
        alert = AlertState.new(fp, rule, dict(obs.identity), labels, annotations, now)
        self._alerts[fp] = alert
        self._by_rule.setdefault(rule.name, set()).add(fp)
        return alert

    def _record(
        self, alert: AlertState, transitions: list[Transition], cycle: _Cycle | None
    ) -> None:
        """Note ``transitions`` for the result and the store; forget an alert that never fired."""
        if not transitions:
            return
        self._pending_writes.setdefault(alert.fingerprint, []).extend(transitions)
        if transitions[-1].after is None:  # forgotten: it never fired
            self._unlink(alert.fingerprint, transitions[-1].at, SYSTEM, "forgotten", cycle)
            self._alerts.pop(alert.fingerprint, None)
            self._by_rule.get(alert.rule, set()).discard(alert.fingerprint)
        if cycle is not None:
            cycle.transitions.extend(transitions)
            cycle.touched[alert.fingerprint] = alert.snapshot()
        if any(t.kind is K.RESOLVED for t in transitions) and alert.consequences:
            for consequence in list(alert.consequences):
                self._unlink(consequence, transitions[-1].at, SYSTEM, "cause resolved", cycle)

    def _flush(self, cycle: _Cycle | None) -> None:
        """Write what changed to the store; a failure is reported, and retried next time.

        Saves go in one batch (one transaction: a storm of 2,000 alerts costs one commit, not
        2,000); when the batch fails each alert is tried alone, so one bad row holds back only
        itself."""
        writes, self._pending_writes = self._pending_writes, {}
        saves: list[tuple[str, dict[str, Any], list[dict[str, Any]]]] = []
        for fp, transitions in writes.items():
            alert = self._alerts.get(fp)
            if alert is None and transitions[-1].after is None:
                self._store_one(fp, transitions, cycle, partial(self._store.forget, fp))
            elif alert is not None:
                saves.append((fp, alert_to_dict(alert), [t.to_dict() for t in transitions]))
        if not saves:
            return
        try:
            self._store.save_many([(alert, history) for _, alert, history in saves])
            return
        except Exception as exc:  # noqa: BLE001 - fall back to one alert at a time
            log.info("alert store batch of %d failed (%s); saving one by one", len(saves), exc)
        for fp, alert_dict, history in saves:
            self._store_one(fp, writes[fp], cycle, partial(self._store.save, alert_dict, history))

    def _store_one(
        self,
        fp: str,
        transitions: list[Transition],
        cycle: _Cycle | None,
        write: Callable[[], None],
    ) -> None:
        try:
            write()
        except Exception as exc:  # noqa: BLE001 - the store's failure must not lose the cycle
            log.warning("alert store failed saving %s: %s", fp, _describe(exc))
            self._pending_writes.setdefault(fp, [])[:0] = transitions
            if cycle is not None:
                cycle.failures.append(EvaluationFailure("store", _describe(exc)))

    def _drop_old_resolved(self, now: datetime) -> None:
        horizon = now - timedelta(seconds=self._settings.resolved_retention_s)
        for fp, alert in list(self._alerts.items()):
            old = alert.ends_at is not None and alert.ends_at < horizon
            if (
                old
                and alert.status is AlertStatus.RESOLVED
                and alert.caused_by is None
                and fp not in self._pending_writes
            ):
                del self._alerts[fp]
                self._by_rule.get(alert.rule, set()).discard(fp)

    # --- reading ---------------------------------------------------------------------------------

    def alerts(self, status: AlertStatus | None = None) -> list[Alert]:
        """Alerts in memory (unresolved, and resolved within the retention), oldest first."""
        with self._lock:
            found = [a for a in self._alerts.values() if status is None or a.status is status]
            return [a.snapshot() for a in sorted(found, key=lambda a: a.created_at)]

    def get(self, fingerprint: str) -> Alert:
        """One alert; :class:`NotFound` when it is not in memory."""
        with self._lock:
            return self._state(fingerprint).snapshot()

    def find(self, rule: str, **labels: str) -> list[Alert]:
        """Alerts of ``rule`` whose labels include ``labels``."""
        with self._lock:
            return [
                self._alerts[fp].snapshot()
                for fp in sorted(self._by_rule.get(rule, ()))
                if all(self._alerts[fp].labels.get(k) == v for k, v in labels.items())
            ]

    def history(self, fingerprint: str) -> list[Transition]:
        """Every transition of one alert, oldest first, as stored."""
        with self._lock:
            self._flush(None)
            return [Transition.from_dict(h) for h in self._store.history(fingerprint)]

    def _state(self, fingerprint: str) -> AlertState:
        alert = self._alerts.get(fingerprint)
        if alert is None:
            raise NotFound(f"no alert {fingerprint}")
        return alert

    # --- people and correlation ------------------------------------------------------------------

    def acknowledge(
        self, fingerprint: str, by: str, note: str, at: datetime, expires_at: datetime | None = None
    ) -> Transition:
        """``by`` takes the alert until ``expires_at`` (None: until it resolves)."""
        return self._by_person(fingerprint, lambda a: a.acknowledge(at, by, note, expires_at))

    def unacknowledge(
        self, fingerprint: str, by: str, at: datetime, reason: str = ""
    ) -> Transition:
        """``by`` gives the alert back."""
        return self._by_person(fingerprint, lambda a: a.unacknowledge(at, by, reason))

    def _by_person(self, fingerprint: str, act: Callable[[AlertState], Transition]) -> Transition:
        with self._lock:
            transition = act(self._state(fingerprint))
            self._record_each([transition], None)
            self._flush(None)
            return transition

    def attach_consequence(
        self, cause: str, consequence: str, at: datetime, by: str = SYSTEM, reason: str = ""
    ) -> list[Transition]:
        """Fold ``consequence`` under ``cause`` (moving it from another cause if it had one)."""
        with self._lock:
            cause_alert, alert = self._state(cause), self._state(consequence)
            if cause == consequence or is_under(cause_alert, consequence, self._alerts):
                raise AlertError(f"{cause} cannot be the cause of {consequence}: a cycle")
            if alert.caused_by == cause:
                return []
            out = self._unlink(consequence, at, by, "moved to another cause", None)
            linked = attach(cause_alert, alert, at, by, reason)
            self._record_each(linked, None)
            self._flush(None)
            return out + linked

    def detach_consequence(
        self, consequence: str, at: datetime, by: str = SYSTEM, reason: str = ""
    ) -> list[Transition]:
        """Take ``consequence`` out from under its cause (nothing when it has none)."""
        with self._lock:
            self._state(consequence)
            out = self._unlink(consequence, at, by, reason, None)
            self._flush(None)
            return out

    def _unlink(
        self, consequence: str, at: datetime, by: str, reason: str, cycle: _Cycle | None
    ) -> list[Transition]:
        alert = self._alerts.get(consequence)
        if alert is None or alert.caused_by is None:
            return []
        out = detach(alert, self._alerts.get(alert.caused_by), at, by, reason)
        self._record_each(out, cycle)
        return out

    def _record_each(self, transitions: list[Transition], cycle: _Cycle | None) -> None:
        for transition in transitions:
            self._record(self._alerts[transition.fingerprint], [transition], cycle)

    # --- lifecycle of the engine itself ---------------------------------------------------------

    def restore(self, now: datetime) -> int:
        """Load alerts from the store (at start); those of rules that no longer exist end."""
        with self._lock:
            horizon = now - timedelta(seconds=self._settings.resolved_retention_s)
            for data in self._store.load_alerts(horizon):
                alert = alert_from_dict(data)
                self._alerts[alert.fingerprint] = alert
                self._by_rule.setdefault(alert.rule, set()).add(alert.fingerprint)
            self._end_orphans(now, "its rule no longer exists")
            self._flush(None)
            return len(self._alerts)

    def replace_rules(self, rules: RuleSet, now: datetime) -> list[Transition]:
        """Use ``rules`` from now on; alerts of rules that are gone end (resolved or forgotten)."""
        with self._lock:
            self._set_rules(rules)
            out = self._end_orphans(now, "rule removed")
            self._flush(None)
            return out

    def _end_orphans(self, now: datetime, reason: str) -> list[Transition]:
        out: list[Transition] = []
        for alert in list(self._alerts.values()):
            if alert.rule not in self._rule_by_name:
                transitions = alert.end(now, reason)
                self._record(alert, transitions, None)
                out += transitions
        return out


def _describe(exc: Exception) -> str:
    return str(exc) if isinstance(exc, NocError) else f"{type(exc).__name__}: {exc}"
