"""Tables of the card-terminal registry (migration 0008): terminals and every change made to them.

Declared on the state DB's one :class:`~core.state.tables.Base`. The card_fleet package reads and
writes them (``card_fleet.registry``); core only knows their shape. A terminal row is never
deleted: a retired or lost terminal stays, with its history, for the audit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.state.tables import Base, UtcDateTime


class TerminalRow(Base):
    """One card terminal as it is now (its changes are in ``terminal_events``)."""

    __tablename__ = "terminals"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    """Registry id, e.g. ``T440103-0007``."""
    serial: Mapped[str] = mapped_column(String(64), unique=True)
    """The maker's serial number: one terminal per serial, across the fleet."""
    model: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    """kiosk, counter, hospital or pharmacy."""
    site: Mapped[str] = mapped_column(String(255))
    county: Mapped[str] = mapped_column(String(6))
    """6-digit division code of the terminal's county (or city district)."""
    city: Mapped[str] = mapped_column(String(6))
    """6-digit division code of the county's city, kept so health per city needs no join."""
    state: Mapped[str] = mapped_column(String(16))
    """registered, provisioned, active, suspended, retired or lost."""
    psam_terminal_number: Mapped[str | None] = mapped_column(String(16), unique=True)
    """The bound PSAM's terminal number (EF16). Unique: the database itself refuses a second
    binding of one PSAM, even when two provisioning stations race. NULL when none is bound."""
    firmware_version: Mapped[str | None] = mapped_column(String(64))
    parameter_version: Mapped[str | None] = mapped_column(String(64))
    credential_hash: Mapped[str | None] = mapped_column(String(64))
    """Hex SHA-256 of the credential's secret part; NULL when none was issued or it was revoked.
    Never the credential itself."""
    credential_issued_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


# Lists and fleet health ask for "these counties, maybe in this state".
Index("ix_terminals_county_state", TerminalRow.county, TerminalRow.state)


class TerminalEventRow(Base):
    """One change to a terminal: appended, never rewritten."""

    __tablename__ = "terminal_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    """Order of arrival: history is read back in this order."""
    terminal_id: Mapped[str] = mapped_column(
        ForeignKey("terminals.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    kind: Mapped[str] = mapped_column(String(32))
    """registered, provisioned, activated, suspended, resumed, lost, retired, psam_released,
    credential_reissued or versions_changed."""
    by: Mapped[str] = mapped_column(String(128))
    """Who made the change (a user name, or ``terminal T…`` for what a heartbeat caused)."""
    before: Mapped[str | None] = mapped_column(String(16))
    """The terminal's state before the change (NULL when it did not exist yet)."""
    after: Mapped[str | None] = mapped_column(String(16))
    """The terminal's state after the change."""
    reason: Mapped[str] = mapped_column(Text)
    """Why, as the person said (may be empty)."""
    detail: Mapped[str | None] = mapped_column(Text)
    """What changed besides the state (PSAM bound or released, versions); never a secret."""
