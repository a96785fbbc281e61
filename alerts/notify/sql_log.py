"""The notification log in the state DB (tables of migration 0005, SQLite or PostgreSQL).

Each call is one short transaction run in a worker thread, so the event loop never waits on the
database. SQLAlchemy's errors become :class:`~core.errors.StoreError`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from alerts.notify.log import AttemptOutcome, Delivery, DeliveryAttempt, DeliveryState
from alerts.notify.message import AlertMessage
from core.errors import StoreError
from core.state.notification_tables import NotificationAttemptRow, NotificationDeliveryRow

log = logging.getLogger(__name__)
T = TypeVar("T")


def _to_row(delivery: Delivery) -> NotificationDeliveryRow:
    return NotificationDeliveryRow(
        id=delivery.id,
        channel=delivery.channel,
        receiver=delivery.receiver,
        group_key=delivery.group_key,
        fingerprints=json.dumps(list(delivery.fingerprints)),
        state=delivery.state.value,
        attempts=delivery.attempts,
        created_at=delivery.created_at,
        updated_at=delivery.updated_at or delivery.created_at,
        next_attempt_at=delivery.next_attempt_at,
        last_error=delivery.last_error,
        message=json.dumps(delivery.message.to_dict(), ensure_ascii=False),
    )


def _from_row(row: NotificationDeliveryRow) -> Delivery:
    return Delivery(
        id=row.id,
        channel=row.channel,
        message=AlertMessage.from_dict(json.loads(row.message)),
        created_at=row.created_at,
        state=DeliveryState(row.state),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        updated_at=row.updated_at,
    )


class SqlNotificationLog:
    """A :class:`~alerts.notify.log.NotificationLog` in the state DB."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    async def _run(self, work: Callable[[Session], T]) -> T:
        return await asyncio.to_thread(self._in_transaction, work)

    def _in_transaction(self, work: Callable[[Session], T]) -> T:
        try:
            with self._sessions.begin() as session:
                return work(session)
        except SQLAlchemyError as exc:
            raise StoreError(f"notification log: {exc}") from exc

    async def add_delivery(self, delivery: Delivery) -> None:
        def work(session: Session) -> None:
            session.merge(_to_row(delivery))

        await self._run(work)

    async def record_attempt(self, attempt: DeliveryAttempt, delivery: Delivery) -> None:
        def work(session: Session) -> None:
            session.merge(_to_row(delivery))
            session.flush()  # the delivery row first: the attempt refers to it
            session.add(
                NotificationAttemptRow(
                    delivery_id=attempt.delivery_id,
                    attempt_no=attempt.attempt_no,
                    at=attempt.at,
                    outcome=attempt.outcome.value,
                    error=attempt.error,
                    next_attempt_at=attempt.next_attempt_at,
                )
            )

        await self._run(work)

    async def pending(self) -> list[Delivery]:
        def work(session: Session) -> list[Delivery]:
            rows = session.scalars(
                select(NotificationDeliveryRow)
                .where(NotificationDeliveryRow.state == DeliveryState.PENDING.value)
                .order_by(NotificationDeliveryRow.created_at, NotificationDeliveryRow.id)
            )
            found = []
            for row in rows:
                try:
                    found.append(_from_row(row))
                except ValueError:  # one unreadable row must not keep the others from resuming
                    log.exception("pending delivery %s cannot be read back; skipped", row.id)
            return found

        return await self._run(work)

    async def deliveries(
        self, *, state: DeliveryState | None = None, channel: str | None = None, limit: int = 100
    ) -> list[Delivery]:
        def work(session: Session) -> list[Delivery]:
            query = select(NotificationDeliveryRow)
            if state is not None:
                query = query.where(NotificationDeliveryRow.state == state.value)
            if channel is not None:
                query = query.where(NotificationDeliveryRow.channel == channel)
            query = query.order_by(
                NotificationDeliveryRow.created_at.desc(), NotificationDeliveryRow.id.desc()
            ).limit(limit)
            return [_from_row(row) for row in session.scalars(query)]

        return await self._run(work)

    async def attempts(
        self, *, delivery_id: str | None = None, limit: int = 1000
    ) -> list[DeliveryAttempt]:
        def work(session: Session) -> list[DeliveryAttempt]:
            query = select(NotificationAttemptRow, NotificationDeliveryRow).join(
                NotificationDeliveryRow,
                NotificationAttemptRow.delivery_id == NotificationDeliveryRow.id,
            )
            if delivery_id is not None:
                query = query.where(NotificationAttemptRow.delivery_id == delivery_id)
            query = query.order_by(NotificationAttemptRow.seq.desc()).limit(limit)
            found = [
                DeliveryAttempt(
                    delivery_id=attempt.delivery_id,
                    channel=delivery.channel,
                    receiver=delivery.receiver,
                    group_key=delivery.group_key,
                    fingerprints=tuple(json.loads(delivery.fingerprints)),
                    attempt_no=attempt.attempt_no,
                    at=attempt.at,
                    outcome=AttemptOutcome(attempt.outcome),
                    error=attempt.error,
                    next_attempt_at=attempt.next_attempt_at,
                )
                for attempt, delivery in session.execute(query)
            ]
            found.reverse()
            return found

        return await self._run(work)

    async def prune(self, before: datetime) -> int:
        def work(session: Session) -> int:
            finished = select(NotificationDeliveryRow.id).where(
                NotificationDeliveryRow.state != DeliveryState.PENDING.value,
                NotificationDeliveryRow.updated_at < before,
            )
            count = session.scalar(select(func.count()).select_from(finished.subquery())) or 0
            if count:
                # Attempts explicitly: a SQLite connection may have foreign keys (cascades) off.
                session.execute(
                    delete(NotificationAttemptRow).where(
                        NotificationAttemptRow.delivery_id.in_(finished)
                    )
                )
                session.execute(
                    delete(NotificationDeliveryRow).where(NotificationDeliveryRow.id.in_(finished))
                )
            return count

        return await self._run(work)
