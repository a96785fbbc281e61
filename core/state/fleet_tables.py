"""Tables of the card-terminal fleet's status and health (migration 0009).

``terminal_status`` holds one row per terminal that has sent a heartbeat: its newest heartbeat and
its rolling read counters, written behind by ``card_fleet.fleet_status`` in batches (never one
transaction per heartbeat). ``county_fleet_health`` holds one row per county with the figures of
the last fleet-health computation (``card_fleet.health_publisher``); the alert engine reads these
rows as state. Declared on the state DB's one :class:`~core.state.tables.Base`; core only knows
their shape.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.state.tables import Base, UtcDateTime


class TerminalStatusRow(Base):
    """One terminal's newest heartbeat and rolling read counters (replaced on every flush)."""

    __tablename__ = "terminal_status"

    terminal_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("terminals.id", ondelete="CASCADE"), primary_key=True
    )
    county: Mapped[str] = mapped_column(String(6), index=True)
    """6-digit division code of the terminal's county when it last beat."""
    city: Mapped[str] = mapped_column(String(6))
    """6-digit division code of that county's city."""
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Server time of its first heartbeat seen by ssnoc."""
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Server time of its newest heartbeat (the terminal's own clock is not trusted)."""
    heartbeats: Mapped[int] = mapped_column(BigInteger)
    """Heartbeats accepted since ``first_seen_at``."""
    reader_present: Mapped[bool] = mapped_column(Boolean)
    psam_status: Mapped[str] = mapped_column(String(16))
    """ok, missing or error (``card_fleet.model.PsamStatus``)."""
    firmware_version: Mapped[str] = mapped_column(String(64))
    parameter_version: Mapped[str] = mapped_column(String(64))
    blacklist_version: Mapped[str] = mapped_column(String(64))
    uptime_s: Mapped[int] = mapped_column(BigInteger)
    free_storage_mb: Mapped[int] = mapped_column(BigInteger)
    unsent_transactions: Mapped[int] = mapped_column(BigInteger)
    last_card_reads: Mapped[int] = mapped_column(Integer)
    """Successful card reads reported by the newest heartbeat (since the one before)."""
    last_card_read_failures: Mapped[int] = mapped_column(Integer)
    """Failed card reads reported by the newest heartbeat."""
    window_reads: Mapped[int] = mapped_column(BigInteger)
    """Successful reads in the rolling window ending at ``last_seen_at``."""
    window_failures: Mapped[int] = mapped_column(BigInteger)
    """Failed reads in the rolling window ending at ``last_seen_at``."""
    window_bucket_s: Mapped[int] = mapped_column(Integer)
    """Width of one bucket of the rolling window, seconds."""
    window_newest_bucket: Mapped[int] = mapped_column(BigInteger)
    """Number of the newest bucket (epoch seconds // ``window_bucket_s``)."""
    window_read_counts: Mapped[str] = mapped_column(Text)
    """Comma-separated reads per bucket, in ring order (slot = bucket number % bucket count)."""
    window_failure_counts: Mapped[str] = mapped_column(Text)
    """Comma-separated failures per bucket, in ring order."""


class CountyFleetHealthRow(Base):
    """One county's fleet health as last computed (replaced on every computation)."""

    __tablename__ = "county_fleet_health"

    county: Mapped[str] = mapped_column(String(6), primary_key=True)
    """6-digit division code of the county."""
    city: Mapped[str] = mapped_column(String(6), index=True)
    """6-digit division code of its city."""
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    terminals: Mapped[int] = mapped_column(Integer)
    """Terminals registered in the county, in every state."""
    registered: Mapped[int] = mapped_column(Integer)
    provisioned: Mapped[int] = mapped_column(Integer)
    active: Mapped[int] = mapped_column(Integer)
    suspended: Mapped[int] = mapped_column(Integer)
    retired: Mapped[int] = mapped_column(Integer)
    lost: Mapped[int] = mapped_column(Integer)
    online: Mapped[int] = mapped_column(Integer)
    """Active terminals heard from within the silence threshold."""
    online_share: Mapped[float | None] = mapped_column(Float)
    """online / active; None when the county has no active terminal."""
    silent: Mapped[int] = mapped_column(Integer)
    """Active terminals not heard from within the silence threshold (or never)."""
    silent_terminals: Mapped[str] = mapped_column(Text)
    """JSON list of {"terminal_id", "last_seen_at" (ISO 8601 or null)}."""
    card_reads: Mapped[int] = mapped_column(BigInteger)
    """Successful reads of active terminals in the rolling window."""
    card_read_failures: Mapped[int] = mapped_column(BigInteger)
    read_failure_rate: Mapped[float | None] = mapped_column(Float)
    """failures / (reads + failures); None when there was no read attempt."""
    outliers: Mapped[int] = mapped_column(Integer)
    """Terminals whose failure rate is far above the county's (see ``card_fleet.health``)."""
    outlier_terminals: Mapped[str] = mapped_column(Text)
    """JSON list of {"terminal_id", "reads", "failures", "failure_rate"}."""
    psam_missing: Mapped[int] = mapped_column(Integer)
    psam_error: Mapped[int] = mapped_column(Integer)
    majority_firmware: Mapped[str | None] = mapped_column(String(64))
    majority_parameter: Mapped[str | None] = mapped_column(String(64))
    firmware_drift: Mapped[int] = mapped_column(Integer)
    """Active terminals not on the county's majority firmware."""
    parameter_drift: Mapped[int] = mapped_column(Integer)
    version_drift: Mapped[int] = mapped_column(Integer)
    """Active terminals off the majority firmware or the majority parameter version."""
    off_target: Mapped[int] = mapped_column(Integer)
    """Active terminals not on the version a rollout targets for them."""
    firmware_versions: Mapped[str] = mapped_column(Text)
    """JSON object version → active terminals running it."""
    parameter_versions: Mapped[str] = mapped_column(Text)
