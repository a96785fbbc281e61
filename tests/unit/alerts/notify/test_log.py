"""The notification log, in memory and in the state DB (SQLite), passes the same scenario."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, MetaData

from alerts.notify.log import InMemoryNotificationLog
from alerts.notify.sql_log import SqlNotificationLog
from core.errors import StoreError
from core.state.db import migrate_to_head, open_state_engine
from core.state.notification_tables import NotificationAttemptRow, NotificationDeliveryRow
from tests.unit.alerts.notify.log_scenario import run_log_scenario


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_state_engine(f"sqlite:///{tmp_path / 'state.db'}")
    migrate_to_head(engine)
    yield engine
    engine.dispose()


async def test_in_memory_log() -> None:
    log = InMemoryNotificationLog()
    await run_log_scenario(log, log)


async def test_sql_log_on_sqlite(engine: Engine) -> None:
    await run_log_scenario(SqlNotificationLog(engine), SqlNotificationLog(engine))


def test_migration_0005_creates_exactly_the_declared_tables(engine: Engine) -> None:
    ours = MetaData(naming_convention=NotificationDeliveryRow.metadata.naming_convention)
    for row in (NotificationDeliveryRow, NotificationAttemptRow):
        row.__table__.to_metadata(ours)  # type: ignore[attr-defined]
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        diffs = [
            diff
            for diff in compare_metadata(context, ours)
            if diff[0] != "remove_table"  # every other table of the state DB
            and not (diff[0] == "remove_index" and not diff[1].table.name.startswith("notif"))
        ]
    assert diffs == []


async def test_a_broken_database_is_a_store_error(tmp_path: Path) -> None:
    engine = open_state_engine(f"sqlite:///{tmp_path / 'empty.db'}")  # never migrated
    try:
        with pytest.raises(StoreError, match="notification log"):
            await SqlNotificationLog(engine).pending()
    finally:
        engine.dispose()
