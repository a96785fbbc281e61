"""Silences, maintenance windows and on-call overrides in the state DB (SQLite): they round-trip
whole — matchers, recurrences, timezones — and come back after a restart."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from alerts.maintenance import MaintenanceWindow, OneOff, Recurrence
from alerts.matchers import parse_matchers
from alerts.silences import Silence
from alerts.sql_suppression_store import (
    SqlSuppressionStore,
    schedule_from_dict,
    schedule_to_dict,
)
from core.errors import StoreError
from core.state.db import migrate_to_head, open_state_engine
from tests.unit.alerts.test_sql_store_scenarios import (
    SHANGHAI,
    run_suppression_scenario,
    saved_suppressions,
)
from tests.unit.alerts.timeline import T0

HOUR = timedelta(hours=1)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_state_engine(f"sqlite:///{tmp_path / 'state.db'}")
    migrate_to_head(engine)
    yield engine
    engine.dispose()


def test_suppressions_come_back_after_a_restart(engine: Engine, tmp_path: Path) -> None:
    restarted = open_state_engine(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        run_suppression_scenario(SqlSuppressionStore(engine), SqlSuppressionStore(restarted))
    finally:
        restarted.dispose()


@pytest.mark.parametrize(
    "schedule",
    [
        Recurrence.parse("weekly Sat,Sun 02:00-04:00 Asia/Shanghai"),
        Recurrence.parse("daily 23:45-00:15 Europe/Berlin", until=T0 + 30 * 24 * HOUR),
        OneOff(T0.astimezone(SHANGHAI), T0.astimezone(SHANGHAI) + HOUR),
    ],
    ids=["weekly-shanghai", "daily-berlin-until", "one-off-shanghai"],
)
def test_a_schedule_round_trips_whole(schedule: OneOff | Recurrence) -> None:
    back = schedule_from_dict(schedule_to_dict(schedule))
    assert back == schedule
    assert back.describe() == schedule.describe() or isinstance(schedule, OneOff)
    later = T0 + 24 * HOUR
    assert back.next_occurrence(later) == schedule.next_occurrence(later)


def test_an_expired_silence_is_saved_again_with_its_end(engine: Engine) -> None:
    store = SqlSuppressionStore(engine)
    saved_suppressions(store)
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT ends_at, end_reason, expired_at FROM silences WHERE id = 's3'")
        ).one()
    assert row.end_reason == "expired by wang"
    assert row.expired_at == row.ends_at
    with engine.connect() as connection:
        untouched = connection.execute(
            text("SELECT expired_at FROM silences WHERE id = 's1'")
        ).scalar_one()
    assert untouched is None


def test_purge_forgets_silences_ended_long_ago_but_not_until_resolved_ones(
    engine: Engine,
) -> None:
    store = SqlSuppressionStore(engine)
    saved_suppressions(store)  # s1 ends T0+2h, s2 until resolved, s3 expired at T0+1m
    assert store.purge_silences(T0 + HOUR) == 1
    assert [s.id for s in store.load_silences()] == ["s2", "s1"]
    assert store.purge_silences(T0 + 1000 * HOUR) == 1
    assert [s.id for s in store.load_silences()] == ["s2"]


def test_a_cancelled_window_saved_again_stands_again(engine: Engine) -> None:
    store = SqlSuppressionStore(engine)
    window = MaintenanceWindow("mw", OneOff(T0, T0 + HOUR), regions=frozenset({"440100"}))
    store.save_maintenance_window(window)
    store.remove_maintenance_window("mw", T0)
    assert store.load_maintenance_windows() == []
    store.save_maintenance_window(window)
    assert store.load_maintenance_windows() == [window]
    store.remove_maintenance_window("nothing-of-that-name", T0)  # nothing to cancel: no error


def test_rows_that_cannot_be_read_back_are_logged_and_skipped(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    store = SqlSuppressionStore(engine)
    saved_suppressions(store)
    with engine.begin() as connection:
        connection.execute(text("UPDATE silences SET matchers = 'region=\"' WHERE id = 's1'"))
        connection.execute(
            text("UPDATE maintenance_windows SET spec = '{\"schedule\": {}}' WHERE id = 'mw-once'")
        )
    with caplog.at_level(logging.ERROR, logger="alerts.sql_suppression_store"):
        assert [s.id for s in store.load_silences()] == ["s2", "s3"]
        assert [w.id for w in store.load_maintenance_windows()] == ["mw-nightly", "mw-weekly"]
    assert "silence s1 cannot be read back" in caplog.text
    assert "window mw-once cannot be read back" in caplog.text


def test_a_removed_database_is_a_clear_store_error(tmp_path: Path) -> None:
    folder = tmp_path / "var"
    engine = open_state_engine(f"sqlite:///{folder / 'state.db'}")
    migrate_to_head(engine)
    store = SqlSuppressionStore(engine)
    engine.dispose()
    shutil.rmtree(folder)
    silence = Silence(
        "s9", parse_matchers("device=gz-core1"), T0, T0 + HOUR, created_by="li", comment=""
    )
    try:
        with pytest.raises(StoreError) as raised:
            store.save_silence(silence)
        assert str(raised.value) == (
            "suppression store: saving silence s9 failed: unable to open database file"
        )
        with pytest.raises(StoreError, match=r"^suppression store: loading maintenance windows"):
            store.load_maintenance_windows()
        with pytest.raises(StoreError, match=r"^suppression store: loading on-call overrides"):
            store.load_overrides()
    finally:
        engine.dispose()
