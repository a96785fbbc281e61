"""Alerts and their history in the state DB (SQLite): restart, retention, append-only history,
one transaction per save, and a clear StoreError when the database is gone."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, MetaData, event, text

from alerts.evaluation import AlertEngine
from alerts.history import InMemoryAlertStore
from alerts.model import DeviceFact, StateSnapshot, Transition, TransitionKind
from alerts.sql_store import SqlAlertStore
from core.clock import FakeClock
from core.errors import StoreError
from core.state.alert_tables import (
    AlertHistoryRow,
    AlertRow,
    MaintenanceWindowRow,
    OnCallOverrideRow,
    SilenceRow,
)
from core.state.db import migrate_to_head, open_state_engine
from tests.unit.alerts.test_sql_store_scenarios import RULES, run_restart_scenario
from tests.unit.alerts.timeline import T0, FakeMetrics, Timeline, rules_from_yaml

MINUTE = timedelta(minutes=1)


def migrated(path: Path) -> Engine:
    engine = open_state_engine(f"sqlite:///{path}")
    migrate_to_head(engine)
    return engine


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = migrated(tmp_path / "state.db")
    yield engine
    engine.dispose()


def test_the_in_memory_store_passes_the_restart_scenario() -> None:
    store = InMemoryAlertStore()
    run_restart_scenario(store, store)


def test_a_new_engine_on_the_same_sqlite_file_restores_alerts_acks_and_history(
    engine: Engine, tmp_path: Path
) -> None:
    restarted = open_state_engine(f"sqlite:///{tmp_path / 'state.db'}")  # another process
    try:
        run_restart_scenario(SqlAlertStore(engine), SqlAlertStore(restarted))
    finally:
        restarted.dispose()


def test_migration_0006_creates_exactly_the_declared_tables(engine: Engine) -> None:
    rows = (AlertRow, AlertHistoryRow, SilenceRow, MaintenanceWindowRow, OnCallOverrideRow)
    ours = MetaData(naming_convention=AlertRow.metadata.naming_convention)
    for row in rows:
        row.__table__.to_metadata(ours)  # type: ignore[attr-defined]
    names = {row.__tablename__ for row in rows}
    with engine.connect() as connection:
        diffs = [
            diff
            for diff in compare_metadata(MigrationContext.configure(connection), ours)
            if diff[0] != "remove_table"  # every other table of the state DB
            and not (diff[0] == "remove_index" and diff[1].table.name not in names)
        ]
    assert diffs == []


def fired_alert(store: SqlAlertStore) -> tuple[Timeline, str]:
    """gz-core1 down: an alert fired at T0, saved through ``store``."""
    tl = Timeline(RULES, every="1m", store=store)
    tl.at("0s").device("gz-core1", "down")
    tl.run(until="0s")
    return tl, tl.alert("device-unreachable").fingerprint


def refuse_history_rewrites(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TRIGGER history_never_rewritten BEFORE UPDATE ON alert_history "
                "BEGIN SELECT RAISE(ABORT, 'history rewritten'); END"
            )
        )


def test_history_is_appended_never_rewritten(engine: Engine) -> None:
    refuse_history_rewrites(engine)
    store = SqlAlertStore(engine)
    tl, fingerprint = fired_alert(store)
    for n in range(3):
        tl.by_people(
            tl.time(n + 1),
            tl.engine.acknowledge(fingerprint, f"user{n}", f"note {n}", tl.time(n + 1)),
        )
    tl.at("5m").device("gz-core1", "up")
    tl.run(until="5m")

    kinds = [h["kind"] for h in store.history(fingerprint)]
    assert kinds == ["fired", "acknowledged", "acknowledged", "acknowledged", "resolved"]
    with engine.connect() as connection:
        rows = connection.execute(
            text('SELECT kind, "by", note FROM alert_history ORDER BY id')
        ).all()
    assert [tuple(row) for row in rows][1:4] == [
        ("acknowledged", f"user{n}", f"note {n}") for n in range(3)
    ]
    assert [Transition.from_dict(h) for h in store.history(fingerprint)] == tl.engine.history(
        fingerprint
    )


def test_a_save_is_one_transaction(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TRIGGER history_full BEFORE INSERT ON alert_history "
                "WHEN NEW.kind = 'resolved' BEGIN SELECT RAISE(ABORT, 'history is full'); END"
            )
        )
    store = SqlAlertStore(engine)
    tl, fingerprint = fired_alert(store)
    tl.at("1m").device("gz-core1", "up")
    tl.run(until="1m")

    (failure,) = tl.results[-1][1].failures
    assert failure.source == "store"
    assert failure.reason == f"alert store: saving alert {fingerprint} failed: history is full"
    (stored,) = store.load_alerts(T0)
    assert stored["status"] == "firing"  # the alert's update went back with its history
    assert [h["kind"] for h in store.history(fingerprint)] == ["fired"]


def test_a_cycle_of_many_alerts_is_written_in_one_commit(engine: Engine) -> None:
    commits: list[int] = []
    event.listen(engine, "commit", lambda _connection: commits.append(1))
    store = SqlAlertStore(engine)
    tl = Timeline(RULES, every="1m", store=store)
    for n in range(50):
        tl.at("0s").device(f"gz-acc{n}", "down")
    tl.run(until="0s")

    assert len(commits) == 1  # a storm costs one commit, not one per alert
    assert len(store.load_alerts(T0)) == 50
    assert all(
        [h["kind"] for h in store.history(a["fingerprint"])] == ["fired"]
        for a in store.load_alerts(T0)
    )


def test_one_refused_alert_in_a_batch_holds_back_only_itself(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TRIGGER one_refused BEFORE INSERT ON alerts "
                "WHEN NEW.data LIKE '%gz-acc7%' BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        )
    store = SqlAlertStore(engine)
    tl = Timeline(RULES, every="1m", store=store)
    for n in range(10):
        tl.at("0s").device(f"gz-acc{n}", "down")
    tl.run(until="0s")

    (failure,) = tl.results[-1][1].failures
    assert failure.source == "store"
    assert failure.reason.endswith("refused")
    saved = {a["labels"]["device"] for a in store.load_alerts(T0)}
    assert saved == {f"gz-acc{n}" for n in range(10)} - {"gz-acc7"}


def test_history_given_with_another_alert_is_refused(engine: Engine) -> None:
    store = SqlAlertStore(engine)
    fired_alert(store)
    (alert,) = store.load_alerts(T0)
    stray = Transition("0123456789abcdef", T0, TransitionKind.FIRED, None, None).to_dict()
    with pytest.raises(ValueError, match="saved with that alert"):
        store.save(alert, [stray])


def test_forget_removes_an_alert_and_its_history(engine: Engine) -> None:
    store = SqlAlertStore(engine)
    _, fingerprint = fired_alert(store)
    store.forget(fingerprint)
    assert store.load_alerts(T0) == []
    assert store.history(fingerprint) == []
    store.forget(fingerprint)  # nothing left: no error


def test_prune_drops_long_resolved_alerts_with_their_history(engine: Engine) -> None:
    store = SqlAlertStore(engine)
    tl = Timeline(RULES, every="1m", store=store)
    tl.at("0s").device("gz-core1", "down").device("sz-core1", "down")
    tl.at("1m").device("gz-core1", "up")
    tl.run(until="2m")
    gone = tl.alert("device-unreachable", device="gz-core1").fingerprint

    assert store.prune_resolved(tl.time("1m")) == 0  # resolved at 1m: not before it
    assert store.prune_resolved(tl.time("2m")) == 1
    assert store.history(gone) == []
    assert [a["labels"]["device"] for a in store.load_alerts(T0 - MINUTE)] == ["sz-core1"]


def test_a_damaged_row_is_logged_and_skipped(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    store = SqlAlertStore(engine)
    tl = Timeline(RULES, every="1m", store=store)
    tl.at("0s").device("gz-core1", "down").device("sz-core1", "down")
    tl.run(until="0s")
    damaged = tl.alert("device-unreachable", device="gz-core1").fingerprint
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE alerts SET data = '{not json' WHERE fingerprint = :fp"), {"fp": damaged}
        )
    with caplog.at_level(logging.ERROR, logger="alerts.sql_store"):
        assert [a["labels"]["device"] for a in store.load_alerts(T0)] == ["sz-core1"]
    assert f"alert {damaged} cannot be read back" in caplog.text


def alert_dict(store: SqlAlertStore) -> dict[str, Any]:
    fired_alert(store)
    (alert,) = store.load_alerts(T0)
    return alert


def test_a_removed_database_is_a_clear_store_error(tmp_path: Path) -> None:
    folder = tmp_path / "var"
    engine = migrated(folder / "state.db")
    store = SqlAlertStore(engine)
    alert = alert_dict(store)
    engine.dispose()
    shutil.rmtree(folder)  # the disk was wiped under a running NOC
    try:
        with pytest.raises(StoreError) as raised:
            store.save(alert, [])
        assert str(raised.value) == (
            f"alert store: saving alert {alert['fingerprint']} failed: unable to open database file"
        )
        with pytest.raises(StoreError, match=r"^alert store: loading alerts failed: unable to"):
            store.load_alerts(T0)
        with pytest.raises(StoreError, match=r"^alert store: reading the history of alert"):
            store.history(alert["fingerprint"])

        # At start the engine cannot restore: it says why, and does not start empty-handed.
        fresh = AlertEngine(rules_from_yaml(RULES), store=store)
        with pytest.raises(StoreError, match="loading alerts failed"):
            fresh.restore(T0)
        # Running, a cycle goes on and reports the store, keeping the writes for later.
        down = StateSnapshot(devices=(DeviceFact("sz-core1", "down"),))
        result = fresh.evaluate(T0, FakeMetrics(FakeClock(T0)), down)
        assert result.of_kind(TransitionKind.FIRED)
        assert [f.source for f in result.failures] == ["store"]
        assert "unable to open database file" in result.failures[0].reason
    finally:
        engine.dispose()


def test_a_database_never_migrated_names_the_missing_table(tmp_path: Path) -> None:
    engine = open_state_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        with pytest.raises(StoreError, match="loading alerts failed: no such table: alerts"):
            SqlAlertStore(engine).load_alerts(T0)
    finally:
        engine.dispose()
