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
