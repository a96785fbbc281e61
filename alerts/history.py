"""Where alerts and their history are kept: the :class:`AlertStore` protocol, and one in memory.

The stored shape is deliberately plain, so a SQL store is two tables and no mapping layer: an
alert is a JSON-able dict (:func:`alert_to_dict`; ``fingerprint`` is its key, ``status`` and
``ends_at`` are what loading filters on) and its history is a list of JSON-able dicts
(``Transition.to_dict``), appended to, never rewritten.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from alerts.lifecycle import AlertState
from alerts.model import Acknowledgement, AlertStatus, Severity, TransitionKind

_TIMES = (
    "created_at",
    "last_transition_at",
    "pending_since",
    "starts_at",
    "ends_at",
    "condition_changed_at",
    "last_event_at",
)
_PLAIN = ("fingerprint", "rule", "value", "times_fired", "flapping", "condition", "event_active")


def alert_to_dict(alert: AlertState) -> dict[str, Any]:
    """The stored shape of an alert: JSON values only (:func:`alert_from_dict` reads it back)."""
    out: dict[str, Any] = {name: getattr(alert, name) for name in _PLAIN}
    out.update({name: _iso(getattr(alert, name)) for name in _TIMES})
    out.update(
        severity=alert.severity.value,
        status=alert.status.value,
        last_transition=alert.last_transition.value,
        identity=dict(alert.identity),
        labels=dict(alert.labels),
        annotations=dict(alert.annotations),
        ack=None if alert.ack is None else alert.ack.to_dict(),
        flap_changes=[t.isoformat() for t in alert.flap_changes],
        caused_by=alert.caused_by,
        consequences=list(alert.consequences),
    )
    return out


def alert_from_dict(data: dict[str, Any]) -> AlertState:
    """An alert as :func:`alert_to_dict` stored it."""
    times = {name: _from_iso(data.get(name)) for name in _TIMES}
    created, last_at = times.pop("created_at"), times.pop("last_transition_at")
    assert created is not None  # always written
    assert last_at is not None
    return AlertState(
        fingerprint=str(data["fingerprint"]),
        rule=str(data["rule"]),
        severity=Severity(data["severity"]),
        identity=dict(data.get("identity") or {}),
        labels=dict(data.get("labels") or {}),
        annotations=dict(data.get("annotations") or {}),
        status=AlertStatus(data["status"]),
        created_at=created,
        last_transition=TransitionKind(data["last_transition"]),
        last_transition_at=last_at,
        value=data.get("value"),
        times_fired=int(data.get("times_fired", 0)),
        ack=None if data.get("ack") is None else Acknowledgement.from_dict(data["ack"]),
        flapping=bool(data.get("flapping", False)),
        flap_changes=deque(datetime.fromisoformat(t) for t in data.get("flap_changes", [])),
        condition=bool(data.get("condition", False)),
        event_active=bool(data.get("event_active", False)),
        caused_by=data.get("caused_by"),
        consequences=list(data.get("consequences") or []),
        pending_since=times["pending_since"],
        starts_at=times["starts_at"],
        ends_at=times["ends_at"],
        condition_changed_at=times["condition_changed_at"],
        last_event_at=times["last_event_at"],
    )


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()


def _from_iso(text: object) -> datetime | None:
    return None if text is None else datetime.fromisoformat(str(text))


class AlertStore(Protocol):
    """Persistence for the alert engine. Every method may raise ``core.errors.StoreError``."""

    def save(self, alert: dict[str, Any], new_history: Sequence[dict[str, Any]]) -> None:
        """Insert or replace ``alert`` (keyed by its ``fingerprint``) and append ``new_history``."""
        ...

    def save_many(self, changes: Sequence[tuple[dict[str, Any], Sequence[dict[str, Any]]]]) -> None:
        """:meth:`save` for each of ``changes`` at once; all or nothing when it raises."""
        ...

    def forget(self, fingerprint: str) -> None:
        """Remove an alert and its history (a pending alert that never fired)."""
        ...

    def load_alerts(self, resolved_since: datetime) -> list[dict[str, Any]]:
        """Every unresolved alert, and those resolved at ``resolved_since`` or later."""
        ...

    def history(self, fingerprint: str) -> list[dict[str, Any]]:
        """Every transition of one alert, oldest first (empty when unknown)."""
        ...


class InMemoryAlertStore:
    """An :class:`AlertStore` in a dict: the default, and the tests' store."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._alerts: dict[str, dict[str, Any]] = {}
        self._history: dict[str, list[dict[str, Any]]] = {}

    def save(self, alert: dict[str, Any], new_history: Sequence[dict[str, Any]]) -> None:
        fingerprint = str(alert["fingerprint"])
        with self._lock:
            self._alerts[fingerprint] = dict(alert)
            self._history.setdefault(fingerprint, []).extend(dict(h) for h in new_history)

    def save_many(self, changes: Sequence[tuple[dict[str, Any], Sequence[dict[str, Any]]]]) -> None:
        for alert, new_history in changes:
            self.save(alert, new_history)

    def forget(self, fingerprint: str) -> None:
        with self._lock:
            self._alerts.pop(fingerprint, None)
            self._history.pop(fingerprint, None)

    def load_alerts(self, resolved_since: datetime) -> list[dict[str, Any]]:
        with self._lock:
            alerts = [dict(a) for a in self._alerts.values()]
        return [a for a in alerts if _kept(a, resolved_since)]

    def history(self, fingerprint: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(h) for h in self._history.get(fingerprint, [])]

    def __len__(self) -> int:
        return len(self._alerts)


def _kept(alert: dict[str, Any], resolved_since: datetime) -> bool:
    if alert.get("status") != "resolved":
        return True
    ended = alert.get("ends_at")
    return ended is not None and datetime.fromisoformat(str(ended)) >= resolved_since
