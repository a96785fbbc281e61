"""Tables of the alerts package (migration 0006): alerts, their history, silences, maintenance
windows and on-call overrides, so nothing the on-call staff did is lost on a restart.

Declared on the state DB's one :class:`~core.state.tables.Base`. The alerts package reads and
writes them (``alerts.sql_store``); core only knows their shape. Each row keeps the JSON the
alerts package writes as the truth, beside the few columns that queries filter on.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.state.tables import Base, UtcDateTime


class AlertRow(Base):
    """One alert as it is now (replaced on every change), resolved ones included."""

    __tablename__ = "alerts"

    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    rule: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    """pending, firing or resolved."""
    severity: Mapped[str] = mapped_column(String(16))
    labels: Mapped[str] = mapped_column(Text)
    """JSON object of the alert's labels."""
    data: Mapped[str] = mapped_column(Text)
    """JSON of the whole alert (``alerts.history.alert_to_dict``): what a restart reads back."""
    starts_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    """When it last started firing; None if it never fired."""
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    """When it resolved; None while unresolved."""
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """When it last changed (its latest transition)."""


# Loading at start asks for "unresolved, or resolved since": status first, then the end time.
Index("ix_alerts_status_ends_at", AlertRow.status, AlertRow.ends_at)


class AlertHistoryRow(Base):
    """One transition of an alert: appended, never rewritten."""

    __tablename__ = "alert_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    """Order of arrival: history is read back in this order."""
    fingerprint: Mapped[str] = mapped_column(
        ForeignKey("alerts.fingerprint", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    kind: Mapped[str] = mapped_column(String(32))
    by: Mapped[str] = mapped_column(String(128))
    """Who made the transition (``system`` or a user name)."""
    reason: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    """What a person wrote (acknowledgement note)."""
    before: Mapped[str | None] = mapped_column(String(16))
    after: Mapped[str | None] = mapped_column(String(16))
    data: Mapped[str] = mapped_column(Text)
    """JSON of the whole transition (``Transition.to_dict``): what is read back."""


class SilenceRow(Base):
    """One silence, pending, active or expired (expired ones are kept until purged)."""

    __tablename__ = "silences"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    matchers: Mapped[str] = mapped_column(Text)
    """As Alertmanager writes them: ``{region=~"4401.*", alertname="device-unreachable"}``."""
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    """None only for an until-resolved silence that has not ended yet."""
    created_by: Mapped[str] = mapped_column(String(128))
    comment: Mapped[str] = mapped_column(Text)
    until_resolved: Mapped[bool] = mapped_column(Boolean)
    end_reason: Mapped[str | None] = mapped_column(Text)
    """Why it ended before its planned end (expired by hand, its alerts resolved)."""
    expired_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    """When it was ended early (with ``end_reason``); None while it runs its planned course."""


class MaintenanceWindowRow(Base):
    """One maintenance window; a cancelled one is marked removed, not deleted."""

    __tablename__ = "maintenance_windows"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    spec: Mapped[str] = mapped_column(Text)
    """JSON: the schedule (one-off or recurrence), regions, devices, whether collection pauses."""
    created_by: Mapped[str] = mapped_column(String(128))
    comment: Mapped[str] = mapped_column(Text)
    removed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    """When it was cancelled; None while it stands."""


class OnCallOverrideRow(Base):
    """Someone on call instead of a schedule's rotation for a stretch (latest added wins)."""

    __tablename__ = "oncall_overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    """Order of addition, which decides between overlapping overrides."""
    schedule: Mapped[str] = mapped_column(String(128))
    """The on-call schedule's name."""
    user: Mapped[str] = mapped_column(String(128))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(128))
    """Who put the override in."""
