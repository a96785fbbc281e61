"""Root-cause suppression: fold the alerts a failure explains under that failure's alert.

The topology monitor groups what is down by root cause (:class:`topology.root_cause.RootCause`:
the topmost failed element, the devices unreachable only because of it, the links it explains).
Each cycle :class:`RootCauseCorrelator` turns that grouping into alert links in the engine:

- **What a cause explains**: every firing alert about the cause device or a consequence device
  (its ``device`` label), about the cause link or a symptom link (its ``link`` label), or about a
  site whose failed paths run over those links or that sits on one of those devices (its
  ``site`` label; a county riding its backup because its city router died).
- **The cause's alert** is the firing alert whose identifying labels name the cause element — a
  state rule on that device (or link) being ``down``: ``device-unreachable``,
  ``backbone-link-down``, ``county-link-down``. Until it fires (rules wait different ``for``
  durations), a *stand-in* takes its place: the explained alert of the topmost device, most
  severe first. When the cause's own alert fires it takes over — unless the stand-in has already
  been notified: then the stand-in stays the cause and the own alert is folded under it too,
  so one failure is never announced twice.
- Every other explained alert is attached under the cause's alert; an alert attached here that is
  no longer explained (its failure is over, or explained by another cause now) is detached. The
  dispatcher and the escalation tracker hide and page nobody for attached alerts while their cause
  fires, so a city core failing notifies once, its counties' alerts listed under it.

Links made by someone else (a person, through the API) are left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from alerts.evaluation import AlertEngine
from alerts.model import Alert, AlertError, AlertStatus, Transition, fingerprint_of
from alerts.rule_schema import StateRule
from core.errors import NotFound
from topology.failover import SiteFailover
from topology.model import ElementKind, ElementRef, FailoverState
from topology.root_cause import RootCause

log = logging.getLogger(__name__)
_DOWN = "down"


class _Explained:
    """What one root cause explains, and how high up each explained thing sits."""

    def __init__(self, cause: RootCause, failover: Sequence[SiteFailover]) -> None:
        element = cause.element
        own_device = [element.id] if element.kind is ElementKind.DEVICE else []
        devices = [*own_device, *cause.consequence_device_ids]
        self.rank: dict[str, int] = {}
        for position, device in enumerate(devices):
            self.rank.setdefault(device, position)
        self.links = set(cause.symptom_link_ids)
        if element.kind is ElementKind.LINK:
            self.links.add(element.id)
        self.sites: dict[str, int] = {}
        for site in failover:
            if site.state is FailoverState.ON_PRIMARY:
                continue
            if site.device_id in self.rank or self.links.intersection(site.failed_link_ids):
                self.sites[site.site_id] = self.rank.get(site.device_id, len(devices))
        self.bottom = len(devices)

    def position(self, alert: Alert) -> int | None:
        """How high up ``alert`` sits (0: the cause device), or None when it is not explained."""
        labels = alert.labels
        found = [
            self.rank.get(labels.get("device", "")),
            self.sites.get(labels.get("site", "")),
            self.bottom if labels.get("link") in self.links else None,
        ]
        positions = [p for p in found if p is not None]
        return min(positions) if positions else None


class RootCauseCorrelator:
    """Keeps the engine's cause/consequence links in step with the topology's root causes."""

    def __init__(self, engine: AlertEngine) -> None:
        self._engine = engine
        self._attached: dict[str, str] = {}
        """Consequence → cause, for the links this correlator made."""
        self._causes: dict[str, str] = {}
        """Root-cause element (``device gz-core1``) → the fingerprint chosen as its alert."""
        self._notified: set[str] = set()

    def adopt(self, alerts: Iterable[Alert]) -> None:
        """Take over the links of alerts restored after a restart (they were made here)."""
        for alert in alerts:
            if alert.caused_by is not None:
                self._attached[alert.fingerprint] = alert.caused_by

    def notified(self, fingerprints: Iterable[str]) -> None:
        """Someone was told of these firing alerts (a stand-in that was notified stays the
        cause)."""
        self._notified.update(fingerprints)

    def correlate(
        self,
        now: datetime,
        causes: Sequence[RootCause],
        failover: Sequence[SiteFailover],
        alerts: Sequence[Alert],
    ) -> list[Transition]:
        """Attach and detach so that the links match ``causes``; the transitions made."""
        firing = {a.fingerprint: a for a in alerts if a.status is AlertStatus.FIRING}
        self._notified &= set(firing)
        chosen: list[tuple[RootCause, str, list[str]]] = []
        for cause in causes:
            explained = self._explained(_Explained(cause, failover), firing)
            alert = self._cause_alert(cause.element, explained, firing)
            if alert is not None:
                chosen.append((cause, alert, explained))
        self._causes = {str(c.element): fp for c, fp, _ in chosen}
        cause_alerts = {fp for _, fp, _ in chosen}
        plan: dict[str, tuple[str, RootCause]] = {}
        for cause, alert, explained in chosen:
            for fingerprint in explained:
                if fingerprint not in cause_alerts and fingerprint not in plan:
                    plan[fingerprint] = (alert, cause)
        out = self._detach_unexplained(now, plan, cause_alerts)
        for fingerprint, (alert, cause) in plan.items():
            out += self._attach(now, alert, fingerprint, cause)
        return out

    # --- choosing ----------------------------------------------------------------------------

    def _explained(self, explained: _Explained, firing: Mapping[str, Alert]) -> list[str]:
        """Fingerprints of the firing alerts explained, topmost (then most severe) first."""
        found = []
        for alert in firing.values():
            position = explained.position(alert)
            if position is not None:
                started = alert.starts_at or alert.last_transition_at
                found.append((position, -alert.severity.rank, started, alert.fingerprint))
        return [fingerprint for *_, fingerprint in sorted(found)]

    def _cause_alert(
        self, element: ElementRef, explained: list[str], firing: Mapping[str, Alert]
    ) -> str | None:
        own = [fp for fp in self._own_fingerprints(element) if fp in firing]
        own_alert = max(own, key=lambda fp: firing[fp].severity.rank) if own else None
        stand_in = self._causes.get(str(element))
        if stand_in is not None and (stand_in not in firing or stand_in not in explained):
            stand_in = None
        if own_alert is not None:
            if stand_in is not None and stand_in != own_alert and stand_in in self._notified:
                return stand_in
            return own_alert
        if stand_in is not None:
            return stand_in
        return explained[0] if explained else None

    def _own_fingerprints(self, element: ElementRef) -> list[str]:
        """Fingerprints the element's own "it is down" alerts have (or would have)."""
        fact = "device" if element.kind is ElementKind.DEVICE else "link"
        return [
            fingerprint_of(rule.name, {fact: element.id})
            for rule in self._engine.rules.state_rules
            if isinstance(rule, StateRule) and rule.fact == fact and _DOWN in rule.states
        ]

    # --- linking -----------------------------------------------------------------------------

    def _current_cause(self, fingerprint: str) -> tuple[bool, str | None]:
        """(whether the alert still exists, whom it is folded under)."""
        try:
            return True, self._engine.get(fingerprint).caused_by
        except NotFound:
            return False, None

    def _detach_unexplained(
        self, now: datetime, plan: Mapping[str, tuple[str, RootCause]], cause_alerts: set[str]
    ) -> list[Transition]:
        out: list[Transition] = []
        for fingerprint, cause in list(self._attached.items()):
            exists, current = self._current_cause(fingerprint)
            if not exists or current != cause:  # the engine unlinked it (its cause resolved)
                del self._attached[fingerprint]
                continue
            planned = plan.get(fingerprint)
            if fingerprint in cause_alerts:
                reason = "it is a root cause's alert now"
            elif planned is None:
                reason = "no longer explained by a root cause"
            else:
                continue  # kept, or moved by the attach that follows
            out += self._engine.detach_consequence(fingerprint, now, reason=reason)
            del self._attached[fingerprint]
        return out

    def _attach(
        self, now: datetime, cause: str, consequence: str, root: RootCause
    ) -> list[Transition]:
        exists, current = self._current_cause(consequence)
        if not exists or current == cause:
            return []
        if current is not None and consequence not in self._attached:
            return []  # a person folded it elsewhere: theirs to undo
        try:
            made = self._engine.attach_consequence(
                cause, consequence, now, reason=f"explained by {root.element}"
            )
        except (AlertError, NotFound) as exc:
            log.debug("not folding %s under %s: %s", consequence, cause, exc)
            return []
        self._attached[consequence] = cause
        return made
