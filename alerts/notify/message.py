"""What one notification says: a neutral, self-contained payload every channel understands.

An :class:`AlertMessage` is built by whoever decides to notify (routing and dispatch) from its own
alert model; this package never imports that model. A message names its receiver and the group it
belongs to, carries the group's alerts as plain values, and says why it is being sent. It can be
written to and read back from a JSON-safe dict (:meth:`AlertMessage.to_dict`), which is how a
pending delivery survives a restart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class AlertStatus(StrEnum):
    """Whether an alert (or a whole group) is still firing or has resolved."""

    FIRING = "firing"
    RESOLVED = "resolved"


class NotifyReason(StrEnum):
    """Why this notification is sent now."""

    NEW = "new"
    """The group's first notification."""
    CHANGED = "changed"
    """Alerts joined or left the group, or changed state, since the last notification."""
    REPEAT = "repeat"
    """Nothing changed, but the repeat interval passed and the group still fires."""
    RESOLVED = "resolved"
    """Every alert of the group has resolved."""
    ESCALATION = "escalation"
    """Nobody acknowledged in time: the next level of the on-call chain is told."""


def _aware(name: str, when: datetime | None) -> None:
    if when is not None and when.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware UTC, got a naive datetime")


@dataclass(frozen=True, slots=True)
class AlertItem:
    """One alert of a notification, as plain values."""

    fingerprint: str
    """Stable identity of the alert (a hash of its identifying labels)."""
    status: AlertStatus
    severity: str
    """critical, major, minor, warning or info — shown, never interpreted here."""
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    """``summary`` is the one-line headline; ``description`` the longer text."""
    starts_at: datetime
    ends_at: datetime | None = None
    """When it resolved; ``None`` while it fires."""
    caused_by: str | None = None
    """Short summary of the root-cause alert this one is a consequence of (``None`` when this
    alert is itself a root cause or stands alone)."""
    consequences: tuple[str, ...] = ()
    """Short summaries of the alerts suppressed because this one is their root cause."""

    def __post_init__(self) -> None:
        _aware("starts_at", self.starts_at)
        _aware("ends_at", self.ends_at)
        object.__setattr__(self, "status", AlertStatus(self.status))
        object.__setattr__(self, "labels", dict(self.labels))
        object.__setattr__(self, "annotations", dict(self.annotations))
        object.__setattr__(self, "consequences", tuple(self.consequences))

    @property
    def summary(self) -> str:
        """The one-line headline: the ``summary`` annotation, else the alert name, else the
        fingerprint."""
        return (
            self.annotations.get("summary")
            or self.labels.get("alertname")
            or f"alert {self.fingerprint}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "status": self.status.value,
            "severity": self.severity,
            "labels": dict(self.labels),
            "annotations": dict(self.annotations),
            "starts_at": self.starts_at.isoformat(),
            "ends_at": None if self.ends_at is None else self.ends_at.isoformat(),
            "caused_by": self.caused_by,
            "consequences": list(self.consequences),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AlertItem:
        ends_at = data.get("ends_at")
        return cls(
            fingerprint=str(data["fingerprint"]),
            status=AlertStatus(data["status"]),
            severity=str(data["severity"]),
            labels=_str_map(data.get("labels")),
            annotations=_str_map(data.get("annotations")),
            starts_at=datetime.fromisoformat(str(data["starts_at"])),
            ends_at=None if ends_at is None else datetime.fromisoformat(str(ends_at)),
            caused_by=_optional_str(data.get("caused_by")),
            consequences=tuple(str(c) for c in data.get("consequences") or ()),
        )


@dataclass(frozen=True, slots=True)
class AlertMessage:
    """One notification to one receiver about one alert group."""

    receiver: str
    """The receiver (a team, a person, an on-call rotation) the routing chose."""
    group_key: str
    """Identity of the alert group; notifications of one group thread together."""
    status: AlertStatus
    """FIRING when any alert of the group fires, RESOLVED when all have resolved."""
    alerts: tuple[AlertItem, ...]
    """The group's alerts, headline first (the alert the subject line is about)."""
    reason: NotifyReason
    external_url: str | None = None
    """A link back to ssnoc (the group's page in the console or API)."""
    group_labels: Mapping[str, str] = field(default_factory=dict)
    """The labels the group is grouped by (Alertmanager's ``groupLabels``)."""
    delivery_id: str | None = None
    """Set by the delivery queue before each attempt; the same across retries, so receivers can
    drop duplicates (webhook header ``X-Ssnoc-Delivery``, the e-mail's Message-ID)."""

    def __post_init__(self) -> None:
        if not self.alerts:
            raise ValueError("a notification carries at least one alert")
        object.__setattr__(self, "status", AlertStatus(self.status))
        object.__setattr__(self, "reason", NotifyReason(self.reason))
        object.__setattr__(self, "alerts", tuple(self.alerts))
        object.__setattr__(self, "group_labels", dict(self.group_labels))

    @property
    def headline(self) -> AlertItem:
        """The alert the subject is about: the first firing one, else the first."""
        return next((a for a in self.alerts if a.status is AlertStatus.FIRING), self.alerts[0])

    @property
    def firing(self) -> tuple[AlertItem, ...]:
        return tuple(a for a in self.alerts if a.status is AlertStatus.FIRING)

    @property
    def resolved(self) -> tuple[AlertItem, ...]:
        return tuple(a for a in self.alerts if a.status is AlertStatus.RESOLVED)

    @property
    def fingerprints(self) -> tuple[str, ...]:
        return tuple(a.fingerprint for a in self.alerts)

    @property
    def common_labels(self) -> dict[str, str]:
        """Labels every alert of the message has with the same value."""
        return _common([a.labels for a in self.alerts])

    @property
    def common_annotations(self) -> dict[str, str]:
        """Annotations every alert of the message has with the same value."""
        return _common([a.annotations for a in self.alerts])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict that :meth:`from_dict` turns back into an equal message."""
        return {
            "receiver": self.receiver,
            "group_key": self.group_key,
            "status": self.status.value,
            "reason": self.reason.value,
            "external_url": self.external_url,
            "group_labels": dict(self.group_labels),
            "delivery_id": self.delivery_id,
            "alerts": [a.to_dict() for a in self.alerts],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AlertMessage:
        """Read a dict written by :meth:`to_dict`; ``ValueError`` when it is not one."""
        try:
            return cls(
                receiver=str(data["receiver"]),
                group_key=str(data["group_key"]),
                status=AlertStatus(data["status"]),
                reason=NotifyReason(data["reason"]),
                external_url=_optional_str(data.get("external_url")),
                group_labels=_str_map(data.get("group_labels")),
                delivery_id=_optional_str(data.get("delivery_id")),
                alerts=tuple(AlertItem.from_dict(a) for a in data["alerts"]),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a stored alert message: {exc!r}") from exc


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)


def _str_map(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"expected a mapping, got {type(value).__name__}")
    return {str(k): str(v) for k, v in value.items()}


def _common(mappings: Sequence[Mapping[str, str]]) -> dict[str, str]:
    first, *rest = mappings
    return {k: v for k, v in first.items() if all(m.get(k) == v for m in rest)}
