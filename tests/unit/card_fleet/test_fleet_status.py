"""The latest-status map: rolling read counters by bucket, dirty tracking for write-behind, the
terminal_status table of migration 0009, and a restart that keeps the counters."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, MetaData, insert, select, text

import core.state.fleet_tables  # noqa: F401  (until migrations/env.py imports it)
from card_fleet.fleet_status import FleetStatus, SqlStatusStore, WindowSettings
from card_fleet.heartbeats import HeartbeatReport
from card_fleet.model import PsamStatus
from core.errors import StoreError
from core.state.db import migrate_to_head, open_state_engine
from core.state.fleet_tables import CountyFleetHealthRow, TerminalStatusRow
from core.state.terminal_tables import TerminalRow

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # on a 5-minute bucket boundary
REPORT = HeartbeatReport(
    reader_present=True,
    card_reads=10,
    card_read_failures=1,
    psam_status=PsamStatus.OK,
    firmware_version="2.1",
    parameter_version="P7",
    blacklist_version="B20260301",
    uptime_s=86_400,
    free_storage_mb=900,
    unsent_transactions=2,
)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def beat(fleet: FleetStatus, minutes: float, reads: int, failures: int, tid: str = "T1") -> None:
    report = replace(REPORT, card_reads=reads, card_read_failures=failures)
    fleet.record(tid, "440103", "440100", report, at(minutes))


def window(fleet: FleetStatus, minutes: float, tid: str = "T1") -> tuple[int, int]:
    status = fleet.get(tid, at(minutes))
    assert status is not None
    return status.window_reads, status.window_failures


def migrated_engine(path: Path, terminal_ids: list[str]) -> Engine:
    engine = open_state_engine(f"sqlite:///{path}")
    migrate_to_head(engine)
    with engine.begin() as connection:
        for terminal_id in terminal_ids:
            connection.execute(
                insert(TerminalRow).values(
                    id=terminal_id, serial=f"SN-{terminal_id}", model="K1", kind="kiosk",
                    site="hall", county="440103", city="440100", state="active",
                    registered_at=T0, updated_at=T0,
                )
            )  # fmt: skip
    return engine


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = migrated_engine(tmp_path / "state.db", ["T1", "T2", "T3"])
    yield engine
    engine.dispose()


def test_the_window_sums_the_buckets_of_the_last_hour() -> None:
    fleet = FleetStatus()
    beat(fleet, 0, 10, 1)
    beat(fleet, 1, 20, 2)  # same bucket
    beat(fleet, 7, 30, 3)  # the next bucket
    assert window(fleet, 7) == (60, 6)
    assert window(fleet, 59) == (60, 6)  # the first bucket is still the window's oldest
    assert window(fleet, 60) == (30, 3)  # ... and now it has aged out
    assert window(fleet, 65) == (0, 0)
    beat(fleet, 66, 5, 0)  # after a silence: the skipped buckets hold nothing
    assert window(fleet, 66) == (5, 0)


def test_a_gap_shorter_than_the_window_clears_only_the_buckets_skipped() -> None:
    fleet = FleetStatus()
    for minute in range(0, 60, 5):
        beat(fleet, minute, 1, 1)
    assert window(fleet, 55) == (12, 12)
    beat(fleet, 75, 100, 0)  # buckets 60 and 65 and 70 skipped; 0, 5, 10, 15 fall out
    assert window(fleet, 75) == (8 + 100, 8)


def test_a_heartbeat_stamped_back_in_time_counts_where_it_belongs_or_not_at_all() -> None:
    fleet = FleetStatus()
    beat(fleet, 30, 1, 0)
    beat(fleet, 20, 2, 0)  # the server clock stepped back: still inside the window
    beat(fleet, -40, 4, 0)  # older than the whole window: dropped
    assert window(fleet, 30) == (3, 0)


def test_the_window_shape_is_a_setting() -> None:
    fleet = FleetStatus(WindowSettings(bucket_s=60, buckets=3))
    assert fleet.window.window_s == 180
    beat(fleet, 0, 1, 0)
    beat(fleet, 2, 2, 0)
    assert window(fleet, 2) == (3, 0)
    assert window(fleet, 3) == (2, 0)
    with pytest.raises(ValueError, match="at least one bucket"):
        WindowSettings(bucket_s=0)


def test_record_says_which_versions_the_terminal_had_and_snapshot_lists_everyone() -> None:
    fleet = FleetStatus()
    assert fleet.record("T1", "440103", "440100", REPORT, T0) is None
    upgraded = replace(REPORT, firmware_version="2.2")
    assert fleet.record("T1", "440103", "440100", upgraded, at(1)) == ("2.1", "P7")
    fleet.record("T2", "440104", "440100", REPORT, at(1))
    snapshot = {status.terminal_id: status for status in fleet.snapshot(at(2))}
    assert set(snapshot) == {"T1", "T2"}
    assert snapshot["T1"].firmware_version == "2.2"
    assert snapshot["T1"].last_seen_at == at(1)
    assert (snapshot["T1"].window_reads, snapshot["T1"].window_failures) == (20, 2)
    assert snapshot["T2"].county == "440104"
    assert fleet.get("T9", at(2)) is None
    assert len(fleet) == 2


def test_changes_are_taken_once_and_can_be_given_back() -> None:
    fleet = FleetStatus()
    beat(fleet, 0, 1, 0, "T1")
    beat(fleet, 0, 1, 0, "T2")
    beat(fleet, 1, 1, 0, "T1")
    assert fleet.dirty_count == 2
    rows = fleet.take_changes()
    assert sorted(row["terminal_id"] for row in rows) == ["T1", "T2"]
    assert fleet.take_changes() == []
    fleet.mark_dirty(["T1", "unknown"])
    assert [row["terminal_id"] for row in fleet.take_changes()] == ["T1"]


def test_a_row_holds_the_newest_heartbeat_and_the_window_ending_at_it() -> None:
    fleet = FleetStatus()
    beat(fleet, 0, 10, 1)
    beat(fleet, 6, 4, 3)
    (row,) = fleet.take_changes()
    assert row["first_seen_at"] == T0
    assert row["last_seen_at"] == at(6)
    assert row["heartbeats"] == 2
    assert (row["last_card_reads"], row["last_card_read_failures"]) == (4, 3)
    assert (row["window_reads"], row["window_failures"]) == (14, 4)
    assert row["psam_status"] == "ok"
    assert row["window_newest_bucket"] == int(at(6).timestamp()) // 300


def test_migration_0009_creates_exactly_the_declared_tables(engine: Engine) -> None:
    rows = (TerminalStatusRow, CountyFleetHealthRow)
    ours = MetaData(naming_convention=TerminalStatusRow.metadata.naming_convention)
    TerminalRow.__table__.to_metadata(ours)  # type: ignore[attr-defined]  # the FK's target
    for row in rows:
        row.__table__.to_metadata(ours)  # type: ignore[attr-defined]
    names = {row.__tablename__ for row in rows} | {"terminals"}
    with engine.connect() as connection:
        diffs = [
            diff
            for diff in compare_metadata(MigrationContext.configure(connection), ours)
            if diff[0] != "remove_table"
            and not (diff[0] == "remove_index" and diff[1].table.name not in names)
        ]
    assert diffs == []


def test_statuses_survive_a_restart_with_their_counters(engine: Engine) -> None:
    fleet = FleetStatus()
    beat(fleet, 0, 10, 1, "T1")
    beat(fleet, 6, 4, 3, "T1")
    beat(fleet, 6, 7, 0, "T2")
    store = SqlStatusStore(engine)
    store.save(fleet.take_changes())
    beat(fleet, 8, 1, 1, "T1")
    store.save(fleet.take_changes())  # an upsert, not a second row

    restarted = FleetStatus()
    assert restarted.restore(SqlStatusStore(engine).load()) == 2
    by_id = attrgetter("terminal_id")
    assert sorted(restarted.snapshot(at(9)), key=by_id) == sorted(fleet.snapshot(at(9)), key=by_id)
    beat(restarted, 12, 2, 0, "T1")
    assert window(restarted, 12) == (17, 5)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM terminal_status")).scalar() == 2


def test_a_restore_keeps_heartbeats_that_came_in_first_and_resets_a_reshaped_window(
    engine: Engine,
) -> None:
    fleet = FleetStatus()
    beat(fleet, 0, 10, 1, "T1")
    beat(fleet, 0, 5, 0, "T2")
    SqlStatusStore(engine).save(fleet.take_changes())

    reshaped = FleetStatus(WindowSettings(bucket_s=60, buckets=60))
    beat(reshaped, 1, 3, 0, "T2")  # arrived before the restore
    assert reshaped.restore(SqlStatusStore(engine).load()) == 1
    assert window(reshaped, 1, "T1") == (0, 0)  # another bucket width: counters restart
    assert window(reshaped, 1, "T2") == (3, 0)
    status = reshaped.get("T1", at(1))
    assert status is not None
    assert status.blacklist_version == "B20260301"


def test_the_store_writes_only_the_columns_of_terminal_status(engine: Engine) -> None:
    fleet = FleetStatus()
    beat(fleet, 0, 1, 0, "T3")
    SqlStatusStore(engine).save(fleet.take_changes())
    with engine.connect() as connection:
        row = connection.execute(select(TerminalStatusRow.__table__)).mappings().one()
    assert row["county"] == "440103"
    assert row["last_seen_at"] == T0  # aware UTC back from SQLite


def test_a_store_failure_is_a_store_error(tmp_path: Path) -> None:
    engine = open_state_engine(f"sqlite:///{tmp_path / 'empty.db'}")  # never migrated
    fleet = FleetStatus()
    beat(fleet, 0, 1, 0)
    store = SqlStatusStore(engine)
    with pytest.raises(StoreError, match="saving 1 terminal statuses failed: no such table"):
        store.save(fleet.take_changes())
    with pytest.raises(StoreError, match="reading terminal statuses failed"):
        store.load()
    store.save([])  # nothing to write: no transaction at all
    engine.dispose()
