"""Tables of the notification log (migration 0005): deliveries and every attempt at them.

Declared on the state DB's one :class:`~core.state.tables.Base`. The alerts package reads and
writes them (``alerts.notify.sql_log``); core only knows their shape. Messages are stored as the
JSON the alerts package writes, so a pending delivery survives a restart whole.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.state.tables import Base, UtcDateTime


class NotificationDeliveryRow(Base):
    """One notification for one channel: pending until delivered or failed for good."""

    __tablename__ = "notification_deliveries"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(64), index=True)
    receiver: Mapped[str] = mapped_column(String(128))
    group_key: Mapped[str] = mapped_column(Text)
    fingerprints: Mapped[str] = mapped_column(Text)
    """JSON list of the message's alert fingerprints."""
    state: Mapped[str] = mapped_column(String(16), index=True)
    """pending, delivered or failed."""
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    """Why the last attempt failed; never a secret."""
    message: Mapped[str] = mapped_column(Text)
    """JSON of the whole message (what a resumed delivery sends)."""


class NotificationAttemptRow(Base):
    """One attempt at a delivery and what came of it."""

    __tablename__ = "notification_attempts"
    __table_args__ = (UniqueConstraint("delivery_id", "attempt_no"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("notification_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempt_no: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    """delivered, retrying or failed."""
    error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
