"""What the alert engine takes in and gives out.

In: the state facts the composition root gathers each cycle (:class:`StateSnapshot`: device
statuses, backbone link states, site failover states, last backups), plain values only, so the
engine is tested without topology or collectors. Out: :class:`Alert` snapshots and the
:class:`Transition` s of their lifecycle, each with who (a user or ``"system"``) and why.

An alert is one fault: its fingerprint is a stable hash of the rule name and the labels that
identify the faulty thing (device, interface, link, site), so the same fault never makes two
alerts, and a fault that resolves and comes back keeps its fingerprint.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from core.errors import NocError

SYSTEM = "system"
"""Who made a transition the engine made by itself."""


class AlertError(NocError):
    """An operation on an alert makes no sense in its state (acknowledge a resolved alert, …)."""


class Severity(StrEnum):
    """How bad a fault is, worst first."""

    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """5 for critical down to 1 for info: larger is worse."""
        return len(Severity) - list(Severity).index(self)


class AlertStatus(StrEnum):
    PENDING = "pending"
    """The condition holds but not yet for the rule's ``for``: nobody is told."""
    FIRING = "firing"
    RESOLVED = "resolved"


class TransitionKind(StrEnum):
    PENDING = "pending"
    PENDING_CANCELLED = "pending_cancelled"
    """The condition ended before ``for`` elapsed; an alert that never fired is then forgotten."""
    FIRED = "fired"
    RESOLVED = "resolved"
    FLAPPING_STARTED = "flapping_started"
    """Too many fired/resolved changes in the window: held firing, not re-notified."""
    FLAPPING_STOPPED = "flapping_stopped"
    ACKNOWLEDGED = "acknowledged"
    UNACKNOWLEDGED = "unacknowledged"
    ACK_EXPIRED = "ack_expired"
    """An acknowledgement ran out while the alert was still unresolved."""
    CAUSE_ATTACHED = "cause_attached"
    """This alert was folded under a root-cause alert (``caused_by`` set)."""
    CAUSE_DETACHED = "cause_detached"
    CONSEQUENCE_ATTACHED = "consequence_attached"
    CONSEQUENCE_DETACHED = "consequence_detached"


NOTIFY_KINDS = frozenset(
    {
        TransitionKind.FIRED,
        TransitionKind.RESOLVED,
        TransitionKind.FLAPPING_STARTED,
        TransitionKind.ACK_EXPIRED,
    }
)
"""The transitions someone should be told about (dispatch decides whom, and whether)."""


def fingerprint_of(rule: str, identity: Mapping[str, str]) -> str:
    """16 hex digits, stable across processes and releases: rule name + identifying labels."""
    parts = [rule, *(f"{key}={identity[key]}" for key in sorted(identity))]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16]


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()


def _from_iso(text: Any) -> datetime | None:
    return None if text is None else datetime.fromisoformat(str(text))


@dataclass(frozen=True, slots=True)
class Transition:
    """One entry of an alert's history."""

    fingerprint: str
    at: datetime
    kind: TransitionKind
    before: AlertStatus | None
    """Status before; None for an alert seen for the first time."""
    after: AlertStatus | None
    """Status after; None when the alert was forgotten (pending that never fired)."""
    by: str = SYSTEM
    reason: str = ""
    note: str | None = None
    """What a person wrote (acknowledgement note)."""

    @property
    def notify(self) -> bool:
        """True for what someone should hear about: fired, resolved, flapping, ack ran out."""
        return self.kind in NOTIFY_KINDS

    def to_dict(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "at": self.at.isoformat(),
            "kind": self.kind.value,
            "before": None if self.before is None else self.before.value,
            "after": None if self.after is None else self.after.value,
            "by": self.by,
            "reason": self.reason,
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Transition:
        return cls(
            fingerprint=str(data["fingerprint"]),
            at=datetime.fromisoformat(str(data["at"])),
            kind=TransitionKind(data["kind"]),
            before=None if data.get("before") is None else AlertStatus(data["before"]),
            after=None if data.get("after") is None else AlertStatus(data["after"]),
            by=str(data.get("by", SYSTEM)),
            reason=str(data.get("reason", "")),
            note=data.get("note"),
        )


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """Someone took an alert: who, when, what they said, and until when (None: until resolved)."""

    by: str
    at: datetime
    note: str
    expires_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "at": self.at.isoformat(),
            "note": self.note,
            "expires_at": _iso(self.expires_at),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Acknowledgement:
        return cls(
            by=str(data["by"]),
            at=datetime.fromisoformat(str(data["at"])),
            note=str(data.get("note", "")),
            expires_at=_from_iso(data.get("expires_at")),
        )


@dataclass(frozen=True, slots=True)
class Alert:
    """A read-only view of one alert, as the engine hands it to dispatch, the API and the console.

    ``labels`` always hold ``alertname`` (the rule) and ``severity``, the identifying labels and
    the context the engine added (region codes ``region``/``province``/``city``/``county``,
    ``site``, ``tier``, …), then the rule's own labels.
    """

    fingerprint: str
    rule: str
    severity: Severity
    status: AlertStatus
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    value: float | None
    """The last observed value (threshold rules), else None."""
    pending_since: datetime | None
    starts_at: datetime | None
    """When the current (or last) episode started firing; None if it never fired."""
    ends_at: datetime | None
    """When the last episode resolved; None while firing and before the first resolution."""
    last_transition: TransitionKind
    last_transition_at: datetime
    acknowledgement: Acknowledgement | None
    flapping: bool
    caused_by: str | None
    """Fingerprint of the root-cause alert this one is folded under."""
    consequences: tuple[str, ...]
    """Fingerprints of the alerts folded under this one."""
    times_fired: int

    @property
    def active(self) -> bool:
        """Pending or firing."""
        return self.status is not AlertStatus.RESOLVED

    @property
    def acknowledged(self) -> bool:
        return self.acknowledgement is not None


@dataclass(frozen=True, slots=True)
class EngineSettings:
    """How the alert engine treats old data."""

    max_sample_age_s: float = 300.0
    """A series whose newest point is older than this counts as absent (its alert resolves)."""
    resolved_retention_s: float = 86400.0
    """How long a resolved alert stays in memory; the store keeps it for good."""


@dataclass(frozen=True, slots=True)
class EvaluationFailure:
    """Part of a cycle that could not be done: ``source`` is a rule name or ``store``."""

    source: str
    reason: str


@dataclass(frozen=True, slots=True)
class EvaluationResult:
    """What one cycle did."""

    at: datetime
    transitions: tuple[Transition, ...]
    """In the order they happened."""
    alerts: Mapping[str, Alert]
    """A snapshot, after the cycle, of every alert a transition names (forgotten ones too)."""
    failures: tuple[EvaluationFailure, ...] = ()
    duration_s: float = 0.0

    def of_kind(self, *kinds: TransitionKind) -> list[Transition]:
        return [t for t in self.transitions if t.kind in kinds]

    @property
    def notifications(self) -> list[Transition]:
        """The transitions someone should hear about (:data:`NOTIFY_KINDS`)."""
        return [t for t in self.transitions if t.notify]


# --- state facts: what the composition root supplies each cycle --------------------------------

DEVICE_STATES = frozenset({"up", "degraded", "down", "unknown"})
"""Values of :attr:`DeviceFact.status` (core.model.Status)."""
LINK_STATES = frozenset({"up", "down", "unknown"})
SITE_STATES = frozenset({"primary", "on_backup", "isolated"})
TERMINAL_FLEET_STATES = frozenset({"ok", "partly_silent", "silent", "idle", "unknown"})
"""Values of :attr:`TerminalFleetFact.state`: ``silent`` no active terminal heard from,
``partly_silent`` a fifth or more of them silent, ``idle`` no active terminal at all,
``unknown`` the figures are stale (the fleet's health has not been computed lately)."""
BACKBONE_TIERS = ("dc_interconnect", "province_city", "city_county")


def region_levels(code: str | None) -> dict[str, str]:
    """``province``/``city``/``county`` codes implied by a GB/T 2260 code's structure.

    ``440103`` → province 440000, city 440100, county 440103. A county-level unit directly under a
    province (the ``xx90xx`` codes) gets a ``city`` that is no real city: supply the levels in the
    :class:`DeviceFact` when that matters.
    """
    if code is None or len(code) != 6 or not code.isdigit():
        return {}
    levels = {"province": code[:2] + "0000"}
    if code[2:] != "0000":
        levels["city"] = code[:4] + "00"
        if code[4:] != "00":
            levels["county"] = code
    return levels


@dataclass(frozen=True, slots=True)
class DeviceFact:
    """One device's status and where it sits."""

    device_id: str
    status: str = "unknown"
    """up, degraded, down or unknown."""
    region: str | None = None
    """Code of the device's own region; ``province``/``city``/``county`` follow from it unless
    given."""
    province: str | None = None
    city: str | None = None
    county: str | None = None
    site: str | None = None
    role: str | None = None
    platform: str | None = None
    services: tuple[str, ...] = ()
    since: datetime | None = None
    """When the status last changed."""
    reason: str | None = None
    """The last error (why it is down)."""

    def labels(self) -> dict[str, str]:
        """The labels an alert about this device (or one of its series) carries."""
        out = region_levels(self.region)
        for name in ("province", "city", "county"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        region = self.region or out.get("county") or out.get("city") or out.get("province")
        if region is not None:
            out["region"] = region
        out["device"] = self.device_id
        for name in ("site", "role", "platform"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.services:
            out["services"] = ",".join(self.services)
        return out


@dataclass(frozen=True, slots=True)
class LinkFact:
    """One link of the inventory and whether it carries traffic."""

    link_id: str
    tier: str
    """dc_interconnect, province_city, city_county or server_access."""
    role: str
    """primary or backup."""
    a_device: str
    a_interface: str
    b_device: str
    b_interface: str
    state: str = "unknown"
    """up, down or unknown (from the ends' interface_oper_up)."""
    capacity_bps: int | None = None


@dataclass(frozen=True, slots=True)
class SiteFact:
    """Whether a site reaches the province core over its primary path."""

    site_id: str
    device_id: str
    state: str
    """primary, on_backup or isolated."""
    region: str | None = None
    since: datetime | None = None


@dataclass(frozen=True, slots=True)
class BackupFact:
    """When a device's configuration was last backed up; None when never."""

    device_id: str
    last_success_at: datetime | None
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class TerminalFleetFact:
    """One county's card terminals, as the fleet's last health computation found them."""

    county: str
    state: str
    """One of :data:`TERMINAL_FLEET_STATES`."""
    active: int = 0
    online: int = 0
    silent: int = 0
    read_failure_rate: float | None = None
    outliers: int = 0
    """Terminals reading far worse than their county (dirty contacts, failing readers)."""
    psam_failures: int = 0
    version_drift: int = 0
    site: str | None = None
    """The county's network site (so a cut-off county's silence folds under its cause)."""
    since: datetime | None = None


@dataclass(frozen=True, slots=True)
class StateSnapshot:
    """Everything state rules look at, as of one evaluation cycle."""

    devices: tuple[DeviceFact, ...] = ()
    links: tuple[LinkFact, ...] = ()
    sites: tuple[SiteFact, ...] = ()
    backups: tuple[BackupFact, ...] = ()
    terminal_fleets: tuple[TerminalFleetFact, ...] = ()
