"""Tables of staged rollouts of terminal firmware and parameters (migration 0010): each rollout,
its waves and their gates, the terminals each wave took, and everything that happened to it.

Declared on the state DB's one :class:`~core.state.tables.Base`. The card fleet reads and writes
them (``card_fleet.rollout_store``); core only knows their shape. Members name terminals by their
registry id without a foreign key: terminals are never deleted (retired and lost are states), and
a rollout's record must outlive whatever happens to the registry's rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.state.tables import Base, UtcDateTime


class RolloutRow(Base):
    """One rollout as it stands now (rewritten on every change)."""

    __tablename__ = "rollouts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    """``RO-0001``, … in order of creation."""
    component: Mapped[str] = mapped_column(String(16))
    """``firmware`` or ``parameter``."""
    target_version: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    """draft, running, paused, halted, completed or rolled_back."""
    plan: Mapped[str] = mapped_column(Text)
    """JSON of the whole plan (scope, pilot, waves, gate policy): what a restart reads back."""
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    """When it completed or was rolled back."""
    reason: Mapped[str | None] = mapped_column(Text)
    """Why it is paused, halted or rolled back (a halt's reason carries the gate's figures)."""


class RolloutWaveRow(Base):
    """One wave of a rollout that has opened, and its gate once judged."""

    __tablename__ = "rollout_waves"

    rollout_id: Mapped[str] = mapped_column(
        ForeignKey("rollouts.id", ondelete="CASCADE"), primary_key=True
    )
    wave_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    """0 for the first wave (the pilot, when the plan has one)."""
    label: Mapped[str] = mapped_column(String(128))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    terminal_count: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(16))
    """passed, failed or overridden; None until the gate is judged."""
    judged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    figures: Mapped[str | None] = mapped_column(Text)
    """JSON of the gate's figures."""


class RolloutMemberRow(Base):
    """A terminal a wave took: written once, when the wave opens."""

    __tablename__ = "rollout_members"

    rollout_id: Mapped[str] = mapped_column(
        ForeignKey("rollouts.id", ondelete="CASCADE"), primary_key=True
    )
    terminal_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    """The terminal's registry id (``terminals.id``)."""
    wave_index: Mapped[int] = mapped_column(Integer)
    previous_version: Mapped[str | None] = mapped_column(String(64))
    """What it ran before (a roll back returns it there); None when unknown."""
    baseline_reads: Mapped[int] = mapped_column(Integer)
    """Its rolling count of successful card reads when the wave opened."""
    baseline_failures: Mapped[int] = mapped_column(Integer)
    """Its rolling count of failed card reads when the wave opened."""


# "Which rollouts have touched this terminal?" (the terminal's page in the console).
Index("ix_rollout_members_terminal_id", RolloutMemberRow.terminal_id)


class RolloutEventRow(Base):
    """One thing that happened to a rollout, who did it and why: appended, never rewritten."""

    __tablename__ = "rollout_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    """Order of arrival: history is read back in this order."""
    rollout_id: Mapped[str] = mapped_column(
        ForeignKey("rollouts.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    kind: Mapped[str] = mapped_column(String(32))
    """created, started, wave_opened, gate_passed, halted, completed, paused, resumed,
    rolled_back."""
    by: Mapped[str] = mapped_column(String(128))
    """A user name, or ``system`` for what the gates decided."""
    message: Mapped[str] = mapped_column(Text)
    wave_index: Mapped[int | None] = mapped_column(Integer)
    figures: Mapped[str | None] = mapped_column(Text)
    """JSON of the gate's figures, for gate_passed and halted."""
