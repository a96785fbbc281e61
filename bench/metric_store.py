"""How fast the embedded metric store writes and reads, against a naive SQLite layout.

Run: ``.venv/bin/python bench/metric_store.py`` (about 30 s; files in a temporary directory that
is removed afterwards).

How the figures are taken:

- **write**: 1,000 interface series (100 devices x 10 interfaces), one point a minute for a day
  (1,440 minutes), arriving time-major: 1.44 M points. Two ways: one ``write()`` call per poll
  cycle (1,000 points, one transaction each: how the poller delivers), and one call for all of
  it (5,000-row executemany chunks in one transaction: a bulk load). Points/s = points / wall
  time of the calls, Python-side work (series lookup, ms conversion) included.
- **query**: ``query_range`` over the 24 h at 60 s steps (avg), for one series and for the 100
  series of one interface index, on the store written cycle by cycle; one warm-up, then the
  median of seven runs (warm page cache: the cost of SQL and Python, not of the disk).
- **size**: the database file after a WAL checkpoint, divided by the points stored.

The **reference** is what one writes first: a rowid table with a secondary index on
(series_id, ts_ms), the same batches and one INSERT per row (executemany), read by the same
per-series GROUP BY. Its cycle-by-cycle write covers the first 6 hours only (at its speed the
whole day would take most of a minute; by 6 hours every series has its own index pages, so the
rate is already the steady one).
"""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.metrics.sqlite_store import SqliteMetricStore
from core.metrics.store import Aggregate, Sample, SeriesKey

DEVICES = 100
INTERFACES = 10
MINUTES = 1_440
T0 = datetime(2026, 1, 1, tzinfo=UTC)
T0_S = T0.timestamp()
QUERY_RUNS = 7
WRITE_TARGET_PPS = 200_000
ONE_SERIES_TARGET_MS = 10.0
HUNDRED_SERIES_TARGET_MS = 200.0
NAME = "interface_in_bps"

KEYS = [
    SeriesKey.of(NAME, {"device": f"gd-{d:03d}", "if_index": str(i)})
    for d in range(DEVICES)
    for i in range(INTERFACES)
]


def cycle(minute: int) -> list[Sample]:
    """One poll cycle: every series' point of that minute (values vary so aggregates work)."""
    ts_s = T0_S + minute * 60
    return [Sample(key, ts_s, float((minute * 7 + n) % 1000) * 1e3) for n, key in enumerate(KEYS)]


def median_ms(run: Callable[[], object]) -> float:
    run()  # warm-up: statement cache, page cache
    times = []
    for _ in range(QUERY_RUNS):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def file_size(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


class Reference:
    """The naive layout: rowid table, secondary index, same batches."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.executescript(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY;"
            "CREATE TABLE samples (series_id INTEGER, ts_ms INTEGER, value REAL);"
            "CREATE INDEX samples_by_series ON samples (series_id, ts_ms);"
        )
        self.ids: dict[SeriesKey, int] = {}

    def write(self, samples: list[Sample]) -> None:
        rows = [
            (self.ids.setdefault(key, len(self.ids) + 1), round(ts_s * 1000), value)
            for key, ts_s, value in samples
        ]
        self.conn.execute("BEGIN")
        self.conn.executemany("INSERT INTO samples VALUES (?, ?, ?)", rows)
        self.conn.execute("COMMIT")

    def query(self, keys: list[SeriesKey], start: datetime, end: datetime, step_s: float) -> None:
        lo, hi, step = round(start.timestamp() * 1000), round(end.timestamp() * 1000), step_s * 1000
        for key in keys:
            self.conn.execute(
                "SELECT (:lo + (ts_ms - :lo) / :step * :step) / 1000.0 AS at, AVG(value) "
                "FROM samples WHERE series_id = :id AND ts_ms >= :lo AND ts_ms < :hi "
                "GROUP BY at ORDER BY at",
                {"lo": lo, "hi": hi, "step": int(step), "id": self.ids[key]},
            ).fetchall()


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def timed_pps(write: Callable[[list[Sample]], object], batches: list[list[Sample]]) -> float:
    started = time.perf_counter()
    for batch in batches:
        write(batch)
    return sum(len(batch) for batch in batches) / (time.perf_counter() - started)


def main() -> None:
    start, end = T0, T0 + timedelta(minutes=MINUTES)
    cycles = [cycle(minute) for minute in range(MINUTES)]  # built before the clock starts
    everything = [sample for batch in cycles for sample in batch]
    points = len(everything)
    one = {"device": "gd-042", "if_index": "3"}
    hundred = {"if_index": "3"}
    print(f"{points:,} points: {len(KEYS):,} series x {MINUTES:,} minutes, time-major")

    with tempfile.TemporaryDirectory(prefix="ssnoc-bench-") as tmp:
        store = SqliteMetricStore(Path(tmp) / "store.db")
        store_cycle_pps = timed_pps(store.write, cycles)
        store_one = median_ms(lambda: store.query_range(NAME, one, start, end, 60, Aggregate.AVG))
        store_100 = median_ms(
            lambda: store.query_range(NAME, hundred, start, end, 60, Aggregate.AVG)
        )
        assert len(store.query_range(NAME, hundred, start, end, 60)) == 100
        store.close()
        store_bytes = file_size(Path(tmp) / "store.db") / points
        bulk = SqliteMetricStore(Path(tmp) / "bulk.db")
        store_bulk_pps = timed_pps(bulk.write, [everything])
        bulk.close()

        reference = Reference(Path(tmp) / "reference-cycles.db")
        reference_cycle_pps = timed_pps(reference.write, cycles[:360])
        reference.conn.close()
        reference = Reference(Path(tmp) / "reference.db")
        reference_bulk_pps = timed_pps(reference.write, [everything])
        one_keys = [k for k in KEYS if k.matches(one)]
        hundred_keys = [k for k in KEYS if k.matches(hundred)]
        reference_one = median_ms(lambda: reference.query(one_keys, start, end, 60))
        reference_100 = median_ms(lambda: reference.query(hundred_keys, start, end, 60))
        reference.conn.close()
        reference_bytes = file_size(Path(tmp) / "reference.db") / points

    pps, ms = f">= {WRITE_TARGET_PPS:,}", "<= {:.0f}"
    rows = [
        ("write, a call per poll cycle, points/s", f"{store_cycle_pps:,.0f}",
         f"{reference_cycle_pps:,.0f}", pps, verdict(store_cycle_pps >= WRITE_TARGET_PPS)),
        ("write, one call for all, points/s", f"{store_bulk_pps:,.0f}",
         f"{reference_bulk_pps:,.0f}", pps, verdict(store_bulk_pps >= WRITE_TARGET_PPS)),
        ("24 h @ 60 s, 1 series, ms", f"{store_one:.2f}", f"{reference_one:.2f}",
         ms.format(ONE_SERIES_TARGET_MS), verdict(store_one <= ONE_SERIES_TARGET_MS)),
        ("24 h @ 60 s, 100 series, ms", f"{store_100:.1f}", f"{reference_100:.1f}",
         ms.format(HUNDRED_SERIES_TARGET_MS), verdict(store_100 <= HUNDRED_SERIES_TARGET_MS)),
        ("file size, bytes/point", f"{store_bytes:.1f}", f"{reference_bytes:.1f}", "-", ""),
    ]  # fmt: skip
    header = ("figure", "store", "reference", "target", "")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(5)]
    for row in [header, *rows]:
        print("  ".join(str(cell).rjust(w) if i else str(cell).ljust(w)
                        for i, (cell, w) in enumerate(zip(row, widths, strict=True))))  # fmt: skip
    print(f"store / reference: writes x{store_cycle_pps / reference_cycle_pps:.1f} (per cycle), "
          f"x{store_bulk_pps / reference_bulk_pps:.1f} (bulk); queries "
          f"x{reference_one / store_one:.1f} (1 series), x{reference_100 / store_100:.1f} "
          "(100 series) faster")  # fmt: skip


if __name__ == "__main__":
    main()
