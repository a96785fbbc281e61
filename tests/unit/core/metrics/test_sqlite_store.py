"""The embedded metric store on SQLite: points in, points out, rollups, retention, failures."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.clock import to_epoch_s
from core.errors import StoreError
from core.metrics.sqlite_store import SqliteMetricStore
from core.metrics.store import Aggregate, RetentionReport, Sample, SeriesKey
from core.settings import RetentionSettings

T0 = datetime(2026, 1, 1, tzinfo=UTC)
"""On an hour boundary, so 5-minute and hourly buckets start at T0."""
T0_S = to_epoch_s(T0)
CPU_A = SeriesKey.of("device_cpu_percent", {"device": "gz-core1", "region": "440100"})
CPU_B = SeriesKey.of("device_cpu_percent", {"device": "sz-core1", "region": "440300"})
IN_BPS = SeriesKey.of("interface_in_bps", {"device": "gz-core1", "if_index": "3"})


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def minutes(value: float) -> float:
    return value * 60


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteMetricStore]:
    opened = SqliteMetricStore(tmp_path / "metrics.db")
    yield opened
    opened.close()


def test_write_returns_the_count_and_latest_is_the_newest_point(store: SqliteMetricStore) -> None:
    written = store.write(
        [
            Sample(CPU_A, T0_S, 10.0),
            Sample(CPU_A, T0_S + 60, 30.0),
            Sample(CPU_A, T0_S + 30, 20.0),  # arrives late, is not the newest
            Sample(CPU_B, T0_S + 0.25, 7.5),
        ]
    )
    assert written == 4
    latest = store.latest("device_cpu_percent")
    assert [(v.key, v.ts_s, v.value) for v in latest] == [
        (CPU_A, T0_S + 60, 30.0),
        (CPU_B, T0_S + 0.25, 7.5),  # millisecond timestamps survive the round trip
    ]


def test_labels_match_exactly_and_by_name(store: SqliteMetricStore) -> None:
    store.write([Sample(CPU_A, T0_S, 1.0), Sample(CPU_B, T0_S, 2.0), Sample(IN_BPS, T0_S, 3.0)])

    assert store.series() == [CPU_A, CPU_B, IN_BPS]
    assert store.series("device_cpu_percent") == [CPU_A, CPU_B]
    assert store.series(matchers={"device": "gz-core1"}) == [CPU_A, IN_BPS]
    assert store.series("device_cpu_percent", {"region": "440300"}) == [CPU_B]
    assert store.series("device_cpu_percent", {"region": "4403"}) == []  # no prefix matching
    assert store.series("device_cpu_percent", {"no_such_label": "x"}) == []
    assert store.series("no_such_metric") == []
    assert [v.value for v in store.latest("device_cpu_percent", {"device": "sz-core1"})] == [2.0]
    ranges = store.query_range("device_cpu_percent", {"device": "gz-core1"}, T0, at(60), 60)
    assert [(r.key, list(r.points)) for r in ranges] == [(CPU_A, [(T0_S, 1.0)])]


def test_a_resent_point_replaces_itself(store: SqliteMetricStore) -> None:
    store.write([Sample(CPU_A, T0_S, 10.0), Sample(CPU_A, T0_S + 60, 11.0)])
    assert store.write([Sample(CPU_A, T0_S, 99.0), Sample(CPU_A, T0_S, 42.0)]) == 2

    (cpu,) = store.query_range("device_cpu_percent", None, T0, at(120), 1, Aggregate.AVG)
    assert list(cpu.points) == [(T0_S, 42.0), (T0_S + 60, 11.0)]


def test_nan_says_nothing_and_is_not_stored(store: SqliteMetricStore) -> None:
    assert store.write([Sample(CPU_A, T0_S, float("nan")), Sample(CPU_A, T0_S + 60, 5.0)]) == 1
    assert [(v.ts_s, v.value) for v in store.latest("device_cpu_percent")] == [(T0_S + 60, 5.0)]


def test_latest_finds_series_that_went_quiet_hours_ago(store: SqliteMetricStore) -> None:
    store.write([Sample(CPU_A, T0_S, 1.0), Sample(CPU_A, T0_S + 60, 2.0)])
    store.write([Sample(CPU_B, T0_S + 60, 5.0), Sample(CPU_B, T0_S + 3 * 3600 + 1, 6.0)])
    store.write([Sample(IN_BPS, 0.0, 9.0)])  # 1970: an hour far below the others

    latest = store.latest("device_cpu_percent")

    assert [(v.key, v.ts_s, v.value) for v in latest] == [
        (CPU_A, T0_S + 60, 2.0),
        (CPU_B, T0_S + 3 * 3600 + 1, 6.0),
    ]
    assert [(v.ts_s, v.value) for v in store.latest("interface_in_bps")] == [(0.0, 9.0)]


def test_a_range_reaching_far_before_the_data_still_finds_it(store: SqliteMetricStore) -> None:
    store.write([Sample(CPU_A, T0_S + 3 * 3600 + 5, 4.0), Sample(CPU_A, T0_S + 3 * 3600 + 65, 6.0)])
    start = datetime(1970, 1, 1, tzinfo=UTC)
    (cpu,) = store.query_range("device_cpu_percent", None, start, at(4 * 3600), 3600)
    assert list(cpu.points) == [(T0_S + 3 * 3600, 5.0)]  # steps still count from start


# Points at T0 + 0, 20, ..., 120 s and one at 130 s; the range [10 s, 130 s) in 60 s steps has
# two steps, [10, 70) holding 5, 9, 3 and [70, 130) holding 2, 8, 4.
STEP_VALUES = {0: 1.0, 20: 5.0, 40: 9.0, 60: 3.0, 80: 2.0, 100: 8.0, 120: 4.0, 130: 100.0}


@pytest.mark.parametrize(
    ("aggregate", "first", "second"),
    [
        (Aggregate.AVG, 17 / 3, 14 / 3),
        (Aggregate.MIN, 3.0, 2.0),
        (Aggregate.MAX, 9.0, 8.0),
        (Aggregate.LAST, 3.0, 4.0),
    ],
)
def test_steps_start_at_start_and_combine_by_the_aggregate(
    store: SqliteMetricStore, aggregate: Aggregate, first: float, second: float
) -> None:
    store.write(Sample(IN_BPS, T0_S + s, v) for s, v in STEP_VALUES.items())

    (series,) = store.query_range("interface_in_bps", None, at(10), at(130), 60, aggregate)

    assert series.key == IN_BPS
    assert [ts for ts, _ in series.points] == [T0_S + 10, T0_S + 70]
    assert [value for _, value in series.points] == pytest.approx([first, second])


def test_steps_without_data_are_left_out_and_series_come_in_key_order(
    store: SqliteMetricStore,
) -> None:
    store.write([Sample(CPU_B, T0_S + 600, 2.0), Sample(CPU_A, T0_S, 1.0)])
    store.write([Sample(CPU_A, T0_S + 600, 3.0)])

    ranges = store.query_range("device_cpu_percent", None, T0, at(900), 300)

    assert [(r.key, list(r.points)) for r in ranges] == [
        (CPU_A, [(T0_S, 1.0), (T0_S + 600, 3.0)]),
        (CPU_B, [(T0_S + 600, 2.0)]),
    ]


def test_empty_ranges(store: SqliteMetricStore) -> None:
    assert store.query_range("device_cpu_percent", None, T0, at(3600), 60) == []
    assert store.latest("device_cpu_percent") == []
    store.write([Sample(CPU_A, T0_S, 1.0)])
    assert store.query_range("device_cpu_percent", None, at(1), at(3600), 60) == []
    assert store.query_range("device_cpu_percent", None, at(-60), T0, 60) == []  # end excluded
    assert store.query_range("device_cpu_percent", None, at(60), T0, 60) == []
    assert store.query_range("device_cpu_percent", {"device": "nowhere"}, T0, at(60), 60) == []
    with pytest.raises(ValueError, match="step_s"):
        store.query_range("device_cpu_percent", None, T0, at(60), 0)


def write_three_hours(store: SqliteMetricStore) -> None:
    """Hour 0 is lopsided: ten points of 10 in its first 5 minutes, then 70 at 5 min and 30 at
    7 min (weighted mean 200/12; the mean of the two 5-minute means would be 30). After that, one
    point a minute whose value is its minute, from minute 60 to minute 189."""
    samples = [Sample(IN_BPS, T0_S + s, 10.0) for s in range(0, 300, 30)]
    samples += [Sample(IN_BPS, T0_S + minutes(5), 70.0), Sample(IN_BPS, T0_S + minutes(7), 30.0)]
    samples += [Sample(IN_BPS, T0_S + minutes(m), float(m)) for m in range(60, 190)]
    store.write(samples)


SHORT_RETENTION = RetentionSettings(raw_days=1 / 24, five_minute_days=2 / 24, hourly_days=30)
"""Raw kept an hour, 5-minute rollups two hours: compacting at minute 190 leaves raw from minute
130, 5-minute rollups from minute 70 and every hourly rollup."""
COMPACTED_AT = at(minutes(190))


@pytest.fixture
def compacted(tmp_path: Path) -> Iterator[tuple[SqliteMetricStore, RetentionReport]]:
    opened = SqliteMetricStore(tmp_path / "metrics.db", SHORT_RETENTION)
    write_three_hours(opened)
    report = opened.compact(COMPACTED_AT)
    yield opened, report
    opened.close()


def test_compact_rolls_up_closed_buckets_and_applies_retention(
    compacted: tuple[SqliteMetricStore, RetentionReport],
) -> None:
    _, report = compacted
    # 5-minute buckets closed (2 minutes of grace) by minute 185: 2 in hour 0, 25 from minute 60.
    # Hours closed by then: 0, 1 and 2. Raw before minute 130: 12 + 70 points. 5-minute rows
    # before minute 70: those at 0, 5, 60 and 65.
    assert report == RetentionReport(
        rolled_up_5m=27, rolled_up_1h=3, deleted_raw=82, deleted_5m=4, deleted_1h=0
    )


@pytest.mark.parametrize(
    ("aggregate", "expected"),
    [
        (Aggregate.AVG, [200 / 12, 89.5, 149.5, 184.5]),
        (Aggregate.MIN, [10.0, 60.0, 120.0, 180.0]),
        (Aggregate.MAX, [70.0, 119.0, 179.0, 189.0]),
        (Aggregate.LAST, [30.0, 119.0, 179.0, 189.0]),
    ],
)
def test_a_range_older_than_five_minute_retention_reads_the_hourly_tier(
    compacted: tuple[SqliteMetricStore, RetentionReport],
    aggregate: Aggregate,
    expected: list[float],
) -> None:
    store, _ = compacted
    # Hour 3 is not closed yet: it comes from its 5-minute bucket at minute 180 (weight 5) and the
    # raw points of minutes 185-189 not rolled up yet.
    (series,) = store.query_range("interface_in_bps", None, T0, at(4 * 3600), 3600, aggregate)
    assert [ts for ts, _ in series.points] == [T0_S + h * 3600 for h in range(4)]
    assert [value for _, value in series.points] == pytest.approx(expected)


def test_a_range_older_than_raw_retention_reads_the_five_minute_tier(
    compacted: tuple[SqliteMetricStore, RetentionReport],
) -> None:
    store, _ = compacted
    start, end = at(minutes(90)), at(minutes(100))
    (avg,) = store.query_range("interface_in_bps", None, start, end, 300, Aggregate.AVG)
    assert list(avg.points) == [(T0_S + minutes(90), 92.0), (T0_S + minutes(95), 97.0)]
    (last,) = store.query_range("interface_in_bps", None, start, end, 600, Aggregate.LAST)
    assert list(last.points) == [(T0_S + minutes(90), 99.0)]
    # One-minute steps over a 5-minute tier: one point per bucket, at the bucket's start.
    (fine,) = store.query_range("interface_in_bps", None, start, end, 60, Aggregate.MIN)
    assert list(fine.points) == [(T0_S + minutes(90), 90.0), (T0_S + minutes(95), 95.0)]


def test_a_recent_range_reads_raw_points(
    compacted: tuple[SqliteMetricStore, RetentionReport],
) -> None:
    store, _ = compacted
    (raw,) = store.query_range("interface_in_bps", None, at(minutes(130)), at(minutes(133)), 60)
    assert list(raw.points) == [(T0_S + minutes(m), float(m)) for m in (130, 131, 132)]
    assert [v.value for v in store.latest("interface_in_bps")] == [189.0]


def test_compacting_twice_changes_nothing(
    compacted: tuple[SqliteMetricStore, RetentionReport],
) -> None:
    store, _ = compacted
    before = store.query_range("interface_in_bps", None, T0, at(4 * 3600), 3600, Aggregate.AVG)

    assert store.compact(COMPACTED_AT) == RetentionReport()
    assert store.compact(COMPACTED_AT - timedelta(hours=1)) == RetentionReport()

    after = store.query_range("interface_in_bps", None, T0, at(4 * 3600), 3600, Aggregate.AVG)
    assert after == before


def test_compacting_later_rolls_only_new_buckets(
    compacted: tuple[SqliteMetricStore, RetentionReport],
) -> None:
    store, _ = compacted
    report = store.compact(COMPACTED_AT + timedelta(hours=1))
    # The bucket at minute 185 closes; then hour 3 (buckets 180 and 185, 10 points in all).
    assert (report.rolled_up_5m, report.rolled_up_1h) == (1, 1)
    (hourly,) = store.query_range("interface_in_bps", None, T0, at(4 * 3600), 3600)
    assert [value for _, value in hourly.points] == pytest.approx([200 / 12, 89.5, 149.5, 184.5])


def test_hourly_rollups_expire_too(compacted: tuple[SqliteMetricStore, RetentionReport]) -> None:
    store, _ = compacted
    report = store.compact(COMPACTED_AT + timedelta(days=31))
    # Everything has aged out: the 5-minute and hourly rows of hour 3 are rolled and dropped too.
    assert report.deleted_1h == 4
    assert report.deleted_raw == 60  # minutes 130-189
    assert store.query_range("interface_in_bps", None, T0, at(4 * 3600), 60) == []


def test_reopening_the_file_keeps_points_series_and_tiers(tmp_path: Path) -> None:
    path = tmp_path / "metrics.db"
    first = SqliteMetricStore(path, SHORT_RETENTION)
    write_three_hours(first)
    first.compact(COMPACTED_AT)
    first.close()

    again = SqliteMetricStore(path, SHORT_RETENTION)
    try:
        assert again.series() == [IN_BPS]
        assert [v.value for v in again.latest("interface_in_bps")] == [189.0]
        (hourly,) = again.query_range("interface_in_bps", None, T0, at(3600), 3600)
        assert list(hourly.points) == [(T0_S, pytest.approx(200 / 12))]
        assert again.compact(COMPACTED_AT) == RetentionReport()  # watermarks were kept
    finally:
        again.close()


def test_series_written_through_another_store_on_the_file_are_seen(tmp_path: Path) -> None:
    reader = SqliteMetricStore(tmp_path / "metrics.db")
    writer = SqliteMetricStore(tmp_path / "metrics.db")
    try:
        assert reader.series() == []
        writer.write([Sample(CPU_A, T0_S, 1.0)])
        assert reader.series() == [CPU_A]
        assert [v.value for v in reader.latest("device_cpu_percent")] == [1.0]
        reader.write([Sample(CPU_A, T0_S + 60, 2.0)])  # same series id, not a second series
        assert writer.series() == [CPU_A]
    finally:
        reader.close()
        writer.close()


def test_in_memory_store_works_from_other_threads() -> None:
    store = SqliteMetricStore(":memory:")
    try:
        store.write([Sample(CPU_A, T0_S, 1.0)])
        with ThreadPoolExecutor(max_workers=2) as pool:
            latest = pool.submit(store.latest, "device_cpu_percent").result()
            pool.submit(store.write, [Sample(CPU_B, T0_S, 2.0)]).result()
        assert [v.value for v in latest] == [1.0]
        assert store.series() == [CPU_A, CPU_B]
    finally:
        store.close()


def test_writers_and_readers_on_many_threads(store: SqliteMetricStore) -> None:
    def write_device(device: int) -> int:
        key = SeriesKey.of("device_up", {"device": f"d{device}"})
        return store.write(Sample(key, T0_S + minutes(m), 1.0) for m in range(100))

    with ThreadPoolExecutor(max_workers=4) as pool:
        writes = [pool.submit(write_device, device) for device in range(8)]
        reads = [pool.submit(store.latest, "device_up") for _ in range(8)]
        assert sum(w.result() for w in writes) == 800
        for read in reads:
            assert all(v.value == 1.0 for v in read.result())

    ranges = store.query_range("device_up", None, T0, at(minutes(100)), 6000, Aggregate.MAX)
    assert len(ranges) == 8
    assert {len(r.points) for r in ranges} == {1}


def test_a_directory_is_a_store_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=str(tmp_path)):
        SqliteMetricStore(tmp_path)


def test_a_corrupt_file_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "metrics.db"
    path.write_bytes(b"this is not an SQLite database\n" * 200)
    with pytest.raises(StoreError, match=r"metrics\.db.*not a database"):
        SqliteMetricStore(path)


def test_a_file_from_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "metrics.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(StoreError, match="schema version 99"):
        SqliteMetricStore(path)


def test_a_failing_statement_is_a_store_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "metrics.db"
    store = SqliteMetricStore(path)
    try:
        with sqlite3.connect(path) as conn:
            conn.execute("DROP TABLE samples")
        conn.close()
        with pytest.raises(StoreError, match=r"metrics\.db: write failed: no such table"):
            store.write([Sample(CPU_A, T0_S, 1.0)])
        store.write([])  # the failed write left no transaction open behind it
    finally:
        store.close()


def test_a_closed_store_says_so(tmp_path: Path) -> None:
    store = SqliteMetricStore(tmp_path / "metrics.db")
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.write([Sample(CPU_A, T0_S, 1.0)])
