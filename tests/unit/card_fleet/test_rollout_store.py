"""Rollouts in the state DB (SQLite, migration 0010): the migration matches the tables, a new
service on the same database carries on where the last one stopped, a save is all or nothing,
and a database that is gone is a clear StoreError."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, MetaData, func, inspect, select, text

import core.state.rollout_tables  # noqa: F401  (until migrations/env.py imports it)
from card_fleet.rollout_service import RolloutChange, RolloutChanged, RolloutService
from card_fleet.rollout_store import SqlRolloutStore, plan_from_json, plan_to_json
from card_fleet.rollouts import (
    GatePolicy,
    RolloutComponent,
    RolloutMember,
    RolloutPlan,
    RolloutState,
    WaveOutcome,
    WaveSpec,
)
from core.errors import StoreError
from core.state.db import alembic_config, migrate_to_head, open_state_engine
from core.state.rollout_tables import (
    RolloutEventRow,
    RolloutMemberRow,
    RolloutRow,
    RolloutWaveRow,
)
from core.state.tables import Base
from tests.unit.card_fleet.test_rollout_service import Timeline, timeline
from tests.unit.card_fleet.test_rollouts import fleet

TABLES = (RolloutRow, RolloutWaveRow, RolloutMemberRow, RolloutEventRow)


def migrated(path: Path) -> Engine:
    engine = open_state_engine(f"sqlite:///{path}")
    migrate_to_head(engine)
    return engine


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = migrated(tmp_path / "state.db")
    yield engine
    engine.dispose()


def restarted(tl: Timeline, engine: Engine) -> RolloutService:
    """A new service (as after a restart) on the same database file, through a new engine."""
    again = open_state_engine(str(engine.url))
    return RolloutService(SqlRolloutStore(again), tl.sim, tl.sim.status)


def test_the_migration_creates_the_tables_as_declared(engine: Engine) -> None:
    ours = MetaData()
    for row in TABLES:
        Base.metadata.tables[row.__tablename__].to_metadata(ours)
    names = {row.__tablename__ for row in TABLES}
    with engine.connect() as connection:
        diffs = [
            diff
            for diff in compare_metadata(MigrationContext.configure(connection), ours)
            if diff[0] != "remove_table"  # every other table of the state DB
            and not (diff[0] == "remove_index" and diff[1].table.name not in names)
        ]
    assert diffs == []


def test_the_migration_goes_down_to_0009_and_up_again(engine: Engine) -> None:
    names = {row.__tablename__ for row in TABLES}
    command.downgrade(alembic_config(engine), "0009")
    assert not names & set(inspect(engine).get_table_names())
    assert "terminal_status" in inspect(engine).get_table_names()  # 0009's own tables stay
    migrate_to_head(engine)
    assert names <= set(inspect(engine).get_table_names())


def test_a_new_service_on_the_same_database_carries_on(engine: Engine) -> None:
    tl = timeline(fleet(20), SqlRolloutStore(engine))  # 120 terminals
    rollout_id = tl.start()
    tl.run(60)  # the pilot passed, 10 % opened
    tl.service.pause(rollout_id, "bob", "clinic opening hours", tl.clock.now())
    tl.service.resume(rollout_id, "bob", "closed now", tl.clock.now())
    before = tl.service.get(rollout_id)

    service = restarted(tl, engine)
    assert service.get(rollout_id) == before
    assert service.list() == tl.service.list()
    assert service.members(rollout_id) == tl.service.members(rollout_id)
    assert [m.wave for m in service.members(rollout_id)] == [0] * 6 + [1] * 6
    assert service.history(rollout_id) == tl.service.history(rollout_id)
    assert [c.change for c in service.history(rollout_id)] == [
        "created", "started", "wave_opened", "gate_passed", "wave_opened", "paused", "resumed",
    ]  # fmt: skip
    for terminal in tl.sim.terminals:
        place = (terminal.id, terminal.county, terminal.city)
        assert service.target_for(*place) == tl.service.target_for(*place)

    tl.service = service  # the old process is gone: the new one takes the next gate
    assert [(c.change, c.wave) for c in tl.run(60)] == [
        (RolloutChange.GATE_PASSED, 1),
        (RolloutChange.WAVE_OPENED, 2),
    ]
    assert restarted(tl, engine).get(rollout_id).waves == service.get(rollout_id).waves


def test_a_halt_and_a_roll_back_come_back_with_their_figures_and_targets(engine: Engine) -> None:
    tl = timeline(fleet(20), SqlRolloutStore(engine))
    tl.sim.failures_on["2.0"] = 9
    rollout_id = tl.start()
    tl.run(60)
    halted = restarted(tl, engine).get(rollout_id)
    assert halted.state is RolloutState.HALTED
    assert halted.reason == tl.service.get(rollout_id).reason
    assert halted.waves[0].outcome is WaveOutcome.FAILED
    assert halted.waves[0].figures == tl.decisions[-1].figures
    assert halted.waves[0].figures is not None
    assert not halted.waves[0].figures.passed
    assert restarted(tl, engine).history(rollout_id)[-1] == tl.decisions[-1]

    tl.service.roll_back(rollout_id, "carol", "reads fail", tl.clock.now())
    service = restarted(tl, engine)
    assert service.get(rollout_id).state is RolloutState.ROLLED_BACK
    pilot = [m.terminal_id for m in service.members(rollout_id)]
    assert {service.target_for(tid, "", "") for tid in pilot} == {("1.0", None)}


def test_a_plan_comes_back_from_json_as_it_was() -> None:
    plan = RolloutPlan(
        RolloutComponent.PARAMETER,
        "P-2026.03",
        previous_version=None,
        regions=frozenset({"440100", "440303"}),
        pilot_terminal_ids=("T440103-0001", "T440303-0002"),
        waves=(WaveSpec(25.5, frozenset({"440103"})), WaveSpec(100.0)),
        gate=GatePolicy(soak_s=7200, min_back_pct=90, max_psam_failures=3, online_within_s=900),
    )
    assert plan_from_json(plan_to_json(plan)) == plan


def test_a_save_is_all_or_nothing(engine: Engine) -> None:
    store = SqlRolloutStore(engine)
    tl = timeline(fleet(2), store)
    rollout_id = tl.start()
    rollout = tl.service.get(rollout_id)
    paused = replace(rollout, state=RolloutState.PAUSED)
    change = RolloutChanged(tl.clock.now(), rollout_id, RolloutChange.PAUSED, "bob", "paused")
    duplicate = tl.service.members(rollout_id)[0]  # already stored: the insert must fail
    with pytest.raises(StoreError, match=f"rollout store: saving rollout {rollout_id} failed"):
        store.save(paused, [change], [RolloutMember("T-new", 0, None, 0, 0), duplicate])
    again = SqlRolloutStore(engine)
    assert again.load_rollouts()[0].state is RolloutState.RUNNING
    assert "T-new" not in {m.terminal_id for m in again.load_members()[rollout_id]}
    assert [c.change for c in again.history(rollout_id)][-1] is RolloutChange.WAVE_OPENED


def test_members_are_written_and_read_in_bulk(engine: Engine) -> None:
    tl = timeline(fleet(500), SqlRolloutStore(engine))  # 3,000 terminals
    rollout_id = tl.start(RolloutPlan(RolloutComponent.FIRMWARE, "2.0", waves=(WaveSpec(100),)))
    with engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(RolloutMemberRow)).scalar()
    assert count == 3000
    assert len(restarted(tl, engine).members(rollout_id)) == 3000


def test_a_database_that_is_gone_is_a_store_error_naming_the_step(engine: Engine) -> None:
    store = SqlRolloutStore(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE rollout_events"))
    with pytest.raises(StoreError, match="reading the history of rollout RO-0001 failed: no such"):
        store.history("RO-0001")
    with engine.begin() as connection:
        connection.execute(text("PRAGMA foreign_keys=OFF"))
        connection.execute(text("DROP TABLE rollout_waves"))
    with pytest.raises(StoreError, match="rollout store: loading rollouts failed: no such table"):
        store.load_rollouts()
