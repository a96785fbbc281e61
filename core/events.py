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
