"""Every terminal's latest status, kept in memory and written behind to ``terminal_status``.

A heartbeat must cost microseconds, so it only updates a record in a dict and marks the terminal
dirty; :meth:`FleetStatus.take_changes` hands the dirty rows to whoever flushes them (the
heartbeat ingest, every few seconds, in one transaction through :class:`SqlStatusStore`). On a
start :meth:`FleetStatus.restore` reads the rows back, rolling counters included, so a restart
neither forgets the fleet nor zeroes its failure rates.

**Rolling read counters** are a ring of per-bucket counts (by default 12 buckets of 5 minutes: the
last hour), not a decaying sum. A decaying sum is one number and cheap, but its figures cannot be
stated plainly ("23.6 effective reads") nor checked by hand, and the outlier rule wants "at least
20 reads in the last hour" to mean 20 reads. The ring gives exact counts of whole buckets: the
window is the current bucket plus the eleven before it (55 to 60 minutes), costs one modulo and an
add per heartbeat, two lists of 12 small ints per terminal (a few MB for 20,000 terminals), and
ages out by itself: a terminal that stops beating has an empty window an hour later.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from card_fleet.errors import store_failure_reason
from card_fleet.model import PsamStatus
from core.errors import StoreError
from core.state.fleet_tables import TerminalStatusRow
from core.state.upserts import upsert_many


@dataclass(frozen=True, slots=True)
class WindowSettings:
    """The shape of the rolling read/failure window."""

    bucket_s: int = 300
    """Width of one bucket: the window's resolution."""
    buckets: int = 12
    """Buckets in the ring; the window spans ``bucket_s × buckets`` (the last one is partial)."""

    def __post_init__(self) -> None:
        if self.bucket_s < 1 or self.buckets < 1:
            raise ValueError("a rolling window needs at least one bucket of at least 1 s")

    @property
    def window_s(self) -> int:
        """The window's length in seconds."""
        return self.bucket_s * self.buckets


class ReportedFigures(Protocol):
    """What a heartbeat reports (``heartbeats.HeartbeatReport`` is one)."""

    @property
    def reader_present(self) -> bool: ...
    @property
    def card_reads(self) -> int: ...
    @property
    def card_read_failures(self) -> int: ...
    @property
    def psam_status(self) -> PsamStatus: ...
    @property
    def firmware_version(self) -> str: ...
    @property
    def parameter_version(self) -> str: ...
    @property
    def blacklist_version(self) -> str: ...
    @property
    def uptime_s(self) -> int: ...
    @property
    def free_storage_mb(self) -> int: ...
    @property
    def unsent_transactions(self) -> int: ...


@dataclass(frozen=True, slots=True)
class TerminalStatus:
    """One terminal's latest heartbeat and its rolling counters, as of a given time."""

    terminal_id: str
    county: str
    city: str
    last_seen_at: datetime
    """Server time of its newest heartbeat."""
    reader_present: bool
    psam_status: PsamStatus
    firmware_version: str
    parameter_version: str
    blacklist_version: str
    uptime_s: int
    free_storage_mb: int
    unsent_transactions: int
    window_reads: int
    """Successful card reads within the rolling window."""
    window_failures: int
    """Failed card reads within the rolling window."""


class _Live:
    """The mutable record behind one terminal's status (only touched under the map's lock)."""

    __slots__ = (  # noqa: RUF023 (in the order of the fields of a heartbeat)
        "terminal_id", "county", "city", "first_seen_at", "last_seen_at", "reader_present",
        "psam_status", "firmware_version", "parameter_version", "blacklist_version", "uptime_s",
        "free_storage_mb", "unsent_transactions", "last_card_reads", "last_card_read_failures",
        "heartbeats", "newest_bucket", "reads", "failures",
    )  # fmt: skip

    def __init__(self, terminal_id: str, buckets: int, seen_at: datetime) -> None:
        self.terminal_id = terminal_id
        self.county = ""
        self.city = ""
        self.first_seen_at = seen_at
        self.last_seen_at = seen_at
        self.reader_present = False
        self.psam_status = PsamStatus.OK
        self.firmware_version = ""
        self.parameter_version = ""
        self.blacklist_version = ""
        self.uptime_s = 0
        self.free_storage_mb = 0
        self.unsent_transactions = 0
        self.last_card_reads = 0
        self.last_card_read_failures = 0
        self.heartbeats = 0
        self.newest_bucket = 0
        self.reads = [0] * buckets
        self.failures = [0] * buckets

    def add(self, bucket: int, reads: int, failures: int) -> None:
        """Count ``reads``/``failures`` in ``bucket``, first clearing the buckets skipped over."""
        size = len(self.reads)
        gap = bucket - self.newest_bucket
        if gap > 0:
            if gap >= size:
                self.reads = [0] * size
                self.failures = [0] * size
            else:
                for skipped in range(self.newest_bucket + 1, bucket + 1):
                    self.reads[skipped % size] = 0
                    self.failures[skipped % size] = 0
            self.newest_bucket = bucket
        elif gap <= -size:
            return  # older than the whole window (the server clock stepped back): nothing to keep
        slot = bucket % size
        self.reads[slot] += reads
        self.failures[slot] += failures

    def window_totals(self, bucket: int) -> tuple[int, int]:
        """Reads and failures in the window whose newest bucket is ``bucket``."""
        size = len(self.reads)
        first = max(self.newest_bucket, bucket) - size + 1
        if first > self.newest_bucket:
            return 0, 0
        reads = failures = 0
        for number in range(first, self.newest_bucket + 1):
            reads += self.reads[number % size]
            failures += self.failures[number % size]
        return reads, failures


class StatusStore(Protocol):
    """Where the latest statuses are kept across restarts."""

    def save(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Upsert ``rows`` (``terminal_status`` columns) in one transaction, else StoreError."""
        ...

    def load(self) -> list[dict[str, Any]]:
        """Every stored row, as ``terminal_status`` column → value."""
        ...


class FleetStatus:
    """The latest status of every terminal that has sent a heartbeat; safe across threads."""

    def __init__(self, window: WindowSettings | None = None) -> None:
        self.window = window or WindowSettings()
        self._live: dict[str, _Live] = {}
        self._dirty: set[str] = set()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._live)

    def record(
        self, terminal_id: str, county: str, city: str, report: ReportedFigures, now: datetime
    ) -> tuple[str, str] | None:
        """Take one heartbeat in; returns the (firmware, parameter) versions it had before, or
        None for a terminal never seen."""
        bucket = int(now.timestamp()) // self.window.bucket_s
        with self._lock:
            live = self._live.get(terminal_id)
            if live is None:
                before = None
                live = self._live[terminal_id] = _Live(terminal_id, self.window.buckets, now)
                live.newest_bucket = bucket
            else:
                before = (live.firmware_version, live.parameter_version)
            live.county = county
            live.city = city
            live.last_seen_at = now
            live.reader_present = report.reader_present
            live.psam_status = report.psam_status
            live.firmware_version = report.firmware_version
            live.parameter_version = report.parameter_version
            live.blacklist_version = report.blacklist_version
            live.uptime_s = report.uptime_s
            live.free_storage_mb = report.free_storage_mb
            live.unsent_transactions = report.unsent_transactions
            live.last_card_reads = report.card_reads
            live.last_card_read_failures = report.card_read_failures
            live.heartbeats += 1
            live.add(bucket, report.card_reads, report.card_read_failures)
            self._dirty.add(terminal_id)
        return before

    def get(self, terminal_id: str, now: datetime) -> TerminalStatus | None:
        """One terminal's status as of ``now`` (its window counted up to ``now``)."""
        bucket = int(now.timestamp()) // self.window.bucket_s
        with self._lock:
            live = self._live.get(terminal_id)
            return None if live is None else _status(live, bucket)

    def snapshot(self, now: datetime) -> list[TerminalStatus]:
        """Every terminal's status as of ``now``: the input of fleet health."""
        bucket = int(now.timestamp()) // self.window.bucket_s
        with self._lock:
            return [_status(live, bucket) for live in self._live.values()]

    def take_changes(self) -> list[dict[str, Any]]:
        """The rows of the terminals changed since the last call; they are no longer dirty.

        Give the ids back with :meth:`mark_dirty` if writing them fails."""
        with self._lock:
            dirty, self._dirty = self._dirty, set()
            return [self._row(self._live[terminal_id]) for terminal_id in dirty]

    def mark_dirty(self, terminal_ids: Iterable[str]) -> None:
        """Have these terminals written again by the next flush (their newest figures then)."""
        with self._lock:
            self._dirty.update(t for t in terminal_ids if t in self._live)

    @property
    def dirty_count(self) -> int:
        """Terminals whose status has changed since it was last taken for writing."""
        return len(self._dirty)

    def restore(self, rows: Iterable[Mapping[str, Any]]) -> int:
        """Load stored rows (a start); a row with another window shape restarts its counters.

        Returns how many terminals were restored. Terminals already recorded are not replaced:
        a heartbeat that came in first is newer than the stored row."""
        restored = 0
        with self._lock:
            for row in rows:
                terminal_id = str(row["terminal_id"])
                if terminal_id in self._live:
                    continue
                self._live[terminal_id] = self._from_row(row)
                restored += 1
        return restored

    def _row(self, live: _Live) -> dict[str, Any]:
        bucket = int(live.last_seen_at.timestamp()) // self.window.bucket_s
        reads, failures = live.window_totals(bucket)
        return {
            "terminal_id": live.terminal_id,
            "county": live.county,
            "city": live.city,
            "first_seen_at": live.first_seen_at,
            "last_seen_at": live.last_seen_at,
            "heartbeats": live.heartbeats,
            "reader_present": live.reader_present,
            "psam_status": live.psam_status.value,
            "firmware_version": live.firmware_version,
            "parameter_version": live.parameter_version,
            "blacklist_version": live.blacklist_version,
            "uptime_s": live.uptime_s,
            "free_storage_mb": live.free_storage_mb,
            "unsent_transactions": live.unsent_transactions,
            "last_card_reads": live.last_card_reads,
            "last_card_read_failures": live.last_card_read_failures,
            "window_reads": reads,
            "window_failures": failures,
            "window_bucket_s": self.window.bucket_s,
            "window_newest_bucket": live.newest_bucket,
            "window_read_counts": ",".join(map(str, live.reads)),
            "window_failure_counts": ",".join(map(str, live.failures)),
        }

    def _from_row(self, row: Mapping[str, Any]) -> _Live:
        live = _Live(str(row["terminal_id"]), self.window.buckets, row["last_seen_at"])
        live.county = str(row["county"])
        live.city = str(row["city"])
        live.first_seen_at = row["first_seen_at"]
        live.heartbeats = int(row["heartbeats"])
        live.reader_present = bool(row["reader_present"])
        live.psam_status = PsamStatus(row["psam_status"])
        live.firmware_version = str(row["firmware_version"])
        live.parameter_version = str(row["parameter_version"])
        live.blacklist_version = str(row["blacklist_version"])
        live.uptime_s = int(row["uptime_s"])
        live.free_storage_mb = int(row["free_storage_mb"])
        live.unsent_transactions = int(row["unsent_transactions"])
        live.last_card_reads = int(row["last_card_reads"])
        live.last_card_read_failures = int(row["last_card_read_failures"])
        reads = _counts(row["window_read_counts"])
        failures = _counts(row["window_failure_counts"])
        same_shape = row["window_bucket_s"] == self.window.bucket_s and (
            len(reads) == len(failures) == self.window.buckets
        )
        if same_shape:
            live.newest_bucket = int(row["window_newest_bucket"])
            live.reads, live.failures = reads, failures
        else:
            live.newest_bucket = int(live.last_seen_at.timestamp()) // self.window.bucket_s
        return live


def _status(live: _Live, bucket: int) -> TerminalStatus:
    reads, failures = live.window_totals(bucket)
    return TerminalStatus(
        terminal_id=live.terminal_id,
        county=live.county,
        city=live.city,
        last_seen_at=live.last_seen_at,
        reader_present=live.reader_present,
        psam_status=live.psam_status,
        firmware_version=live.firmware_version,
        parameter_version=live.parameter_version,
        blacklist_version=live.blacklist_version,
        uptime_s=live.uptime_s,
        free_storage_mb=live.free_storage_mb,
        unsent_transactions=live.unsent_transactions,
        window_reads=reads,
        window_failures=failures,
    )


def _counts(text: object) -> list[int]:
    try:
        return [int(part) for part in str(text).split(",")] if text else []
    except ValueError:
        return []  # a damaged ring restarts empty rather than stopping the start


class SqlStatusStore:
    """``terminal_status`` in the state DB (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def save(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """One transaction: an executemany INSERT … ON CONFLICT DO UPDATE of every row."""
        try:
            with self._engine.begin() as connection:
                upsert_many(connection, TerminalStatusRow, rows)
        except SQLAlchemyError as exc:
            reason = store_failure_reason(exc)
            raise StoreError(f"saving {len(rows)} terminal statuses failed: {reason}") from exc

    def load(self) -> list[dict[str, Any]]:
        """Every stored status row."""
        try:
            with self._engine.connect() as connection:
                result = connection.execute(select(TerminalStatusRow.__table__))
                return [dict(row) for row in result.mappings()]
        except SQLAlchemyError as exc:
            reason = store_failure_reason(exc)
            raise StoreError(f"reading terminal statuses failed: {reason}") from exc
