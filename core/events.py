"""Domain events: things that happened, named in the past tense, published on one in-process bus.

The alert engine, the audit trail and the console subscribe later; publishers never know who
listens. A subscriber that fails is logged and skipped: it must not stop the publisher's work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from core.model import Status

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Event:
    at: datetime


@dataclass(frozen=True, slots=True)
class DeviceStatusChanged(Event):
    device_id: str
    before: Status
    after: Status
    reason: str | None = None


Subscriber = Callable[[Event], None]


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[tuple[type[Event], Subscriber]] = []

    def subscribe(self, kind: type[Event], subscriber: Subscriber) -> None:
        """Call ``subscriber`` with every published event that is a ``kind``."""
        self._subscribers.append((kind, subscriber))

    def publish(self, event: Event) -> None:
        for kind, subscriber in list(self._subscribers):
            if not isinstance(event, kind):
                continue
            try:
                subscriber(event)
            except Exception:  # a listener's bug must not stop the publisher
                log.exception("event subscriber %r failed on %r", subscriber, event)


@dataclass(frozen=True, slots=True)
class ConfigChanged(Event):
    """A device's running configuration differs from its last stored version."""

    device_id: str
    version_id: int
    lines_added: int
    lines_removed: int
    changed_by: str | None = None


@dataclass(frozen=True, slots=True)
class HostKeyChanged(Event):
    """An SSH server presented a key other than the one pinned for it: the connection was refused.

    Either the device was replaced or re-keyed (someone must re-pin it), or something is in the
    middle. A security event either way."""

    endpoint: str
    device_id: str | None
    pinned_fingerprint: str
    presented_fingerprint: str


@dataclass(frozen=True, slots=True)
class BackupFailed(Event):
    device_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class LinkFailedOver(Event):
    """A site stopped using its primary path and now reaches the province over a backup link."""

    region: str
    site_id: str
    device_id: str
    primary_link_ids: tuple[str, ...]
    backup_link_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SiteIsolated(Event):
    """A site has no working path to the province core at all."""

    region: str
    site_id: str
    device_id: str
    failed_link_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SiteRestored(Event):
    """A site that was on backup or isolated is back on its primary path."""

    region: str
    site_id: str
    device_id: str
    was: str
    """The state it left: ``on_backup`` or ``isolated``."""
    since: datetime
    """When it left its primary path."""


@dataclass(frozen=True, slots=True)
class TrapReceived(Event):
    """An SNMP trap or inform arrived, decoded; ``kind`` is the mapped event name or ``raw``."""

    source_address: str
    device_id: str | None
    kind: str
    """linkDown, linkUp, coldStart, warmStart, authenticationFailure, a vendor name, or raw."""
    trap_oid: str
    varbinds: tuple[tuple[str, str], ...]
    version: str
    """v1, v2c or v3."""
    if_index: int | None = None
    if_name: str | None = None


@dataclass(frozen=True, slots=True)
class TerminalPsamChanged(Event):
    """A card terminal's PSAM went missing or into error, or came back (``psam_status`` ok)."""

    terminal_id: str
    region: str
    """The terminal's county (so the alert is scoped to it)."""
    county: str
    city: str
    psam_status: str
    """ok, missing or error."""


@dataclass(frozen=True, slots=True)
class TerminalReadingChanged(Event):
    """A card terminal started or stopped failing far more card reads than its county."""

    terminal_id: str
    region: str
    county: str
    city: str
    poor: bool
    """True: an outlier now (dirty contacts, a failing reader); False: back in line."""
    failure_rate: float
    """Its failure rate over the rolling window, 0–1."""


@dataclass(frozen=True, slots=True)
class RolloutHalted(Event):
    """A terminal rollout stopped at a wave that failed its health gate."""

    rollout_id: str
    region: str
    """Where the rollout runs: its one region, or the province."""
    reason: str
