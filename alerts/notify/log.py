"""The notification log: every delivery and every attempt at it, kept where people can see them.

A :class:`Delivery` is one message for one channel; its state is pending until it is delivered
or has failed for good. Each try at it is a :class:`DeliveryAttempt`. Pending deliveries carry the
whole message and their next attempt time, so a restarted process picks them up
(:meth:`alerts.notify.delivery.DeliveryQueue.resume`). Error texts in the log never contain
secrets: channels build them that way.

:class:`NotificationLog` is the protocol; :class:`InMemoryNotificationLog` serves tests and
embedded use, :class:`alerts.notify.sql_log.SqlNotificationLog` the state DB.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from alerts.notify.message import AlertMessage


class DeliveryState(StrEnum):
    """Where a delivery stands."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class AttemptOutcome(StrEnum):
    """What came of one attempt."""

    DELIVERED = "delivered"
    RETRYING = "retrying"
    """It failed, and another attempt is scheduled (``next_attempt_at``)."""
    FAILED = "failed"
    """It failed, and no more attempts will be made."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message to be delivered through one channel."""

    id: str
    channel: str
    message: AlertMessage
    created_at: datetime
    state: DeliveryState = DeliveryState.PENDING
    attempts: int = 0
    """Attempts made so far."""
    next_attempt_at: datetime | None = None
    """When the next attempt is due (``None`` once delivered or failed)."""
    last_error: str | None = None
    updated_at: datetime | None = None

    @property
    def receiver(self) -> str:
        return self.message.receiver

    @property
    def group_key(self) -> str:
        return self.message.group_key

    @property
    def fingerprints(self) -> tuple[str, ...]:
        return self.message.fingerprints


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    """One try at a delivery."""

    delivery_id: str
    channel: str
    receiver: str
    group_key: str
    fingerprints: tuple[str, ...]
    attempt_no: int
    """1 for the first attempt."""
    at: datetime
    outcome: AttemptOutcome
    error: str | None = None
    """Why it failed (never a secret); ``None`` when delivered."""
    next_attempt_at: datetime | None = None

    @property
    def id(self) -> str:
        """``<delivery id>/<attempt no>``: unique, and sorts the attempts of one delivery."""
        return f"{self.delivery_id}/{self.attempt_no}"


class NotificationLog(Protocol):
    """Where deliveries and attempts are recorded."""

    async def add_delivery(self, delivery: Delivery) -> None:
        """Record a new pending delivery."""
        ...

    async def record_attempt(self, attempt: DeliveryAttempt, delivery: Delivery) -> None:
        """Record ``attempt`` and the delivery's state after it, together (the delivery is
        written in full, so a delivery ``add_delivery`` could not record is recorded now)."""
        ...

    async def pending(self) -> list[Delivery]:
        """Every pending delivery, oldest first (what a restart must resume)."""
        ...

    async def deliveries(
        self, *, state: DeliveryState | None = None, channel: str | None = None, limit: int = 100
    ) -> list[Delivery]:
        """The newest ``limit`` deliveries (in one state, of one channel), newest first."""
        ...

    async def attempts(
        self, *, delivery_id: str | None = None, limit: int = 1000
    ) -> list[DeliveryAttempt]:
        """The newest ``limit`` attempts (of one delivery), in the order they were made."""
        ...

    async def prune(self, before: datetime) -> int:
        """Forget finished (delivered or failed) deliveries last updated before ``before``, with
        their attempts; pending ones are always kept. Returns how many were forgotten."""
        ...


class InMemoryNotificationLog:
    """A :class:`NotificationLog` in memory: for tests, and for runs without a state DB."""

    def __init__(self) -> None:
        self._deliveries: dict[str, Delivery] = {}
        self._attempts: list[DeliveryAttempt] = []

    async def add_delivery(self, delivery: Delivery) -> None:
        self._deliveries[delivery.id] = delivery

    async def record_attempt(self, attempt: DeliveryAttempt, delivery: Delivery) -> None:
        self._attempts.append(attempt)
        self._deliveries[delivery.id] = delivery

    async def pending(self) -> list[Delivery]:
        found = [d for d in self._deliveries.values() if d.state is DeliveryState.PENDING]
        return sorted(found, key=lambda d: (d.created_at, d.id))

    async def deliveries(
        self, *, state: DeliveryState | None = None, channel: str | None = None, limit: int = 100
    ) -> list[Delivery]:
        found = [
            d
            for d in self._deliveries.values()
            if (state is None or d.state is state) and (channel is None or d.channel == channel)
        ]
        found.sort(key=lambda d: (d.created_at, d.id), reverse=True)
        return found[:limit]

    async def attempts(
        self, *, delivery_id: str | None = None, limit: int = 1000
    ) -> list[DeliveryAttempt]:
        found = [a for a in self._attempts if delivery_id is None or a.delivery_id == delivery_id]
        return found[-limit:] if limit > 0 else []

    async def prune(self, before: datetime) -> int:
        gone = {
            d.id
            for d in self._deliveries.values()
            if d.state is not DeliveryState.PENDING and (d.updated_at or d.created_at) < before
        }
        for delivery_id in gone:
            del self._deliveries[delivery_id]
        self._attempts = [a for a in self._attempts if a.delivery_id not in gone]
        return len(gone)


def with_attempt(
    delivery: Delivery,
    *,
    at: datetime,
    outcome: AttemptOutcome,
    error: str | None,
    next_attempt_at: datetime | None,
) -> tuple[DeliveryAttempt, Delivery]:
    """The attempt record and the delivery as it stands after that attempt."""
    attempt = DeliveryAttempt(
        delivery_id=delivery.id,
        channel=delivery.channel,
        receiver=delivery.receiver,
        group_key=delivery.group_key,
        fingerprints=delivery.fingerprints,
        attempt_no=delivery.attempts + 1,
        at=at,
        outcome=outcome,
        error=error,
        next_attempt_at=next_attempt_at,
    )
    state = {
        AttemptOutcome.DELIVERED: DeliveryState.DELIVERED,
        AttemptOutcome.RETRYING: DeliveryState.PENDING,
        AttemptOutcome.FAILED: DeliveryState.FAILED,
    }[outcome]
    after = replace(
        delivery,
        state=state,
        attempts=attempt.attempt_no,
        next_attempt_at=next_attempt_at,
        last_error=error,
        updated_at=at,
    )
    return attempt, after
