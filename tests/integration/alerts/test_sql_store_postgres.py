"""Alerts, silences, maintenance windows and overrides on a real PostgreSQL server: the same
scenarios as on SQLite, then a clear StoreError once the server is gone."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, MetaData

from alerts.sql_store import SqlAlertStore
from alerts.sql_suppression_store import SqlSuppressionStore
from core.errors import StoreError
from core.state.alert_tables import (
    AlertHistoryRow,
    AlertRow,
    MaintenanceWindowRow,
    OnCallOverrideRow,
    SilenceRow,
)
from core.state.db import migrate_to_head, open_state_engine
from tests.support.addresses import fresh_address
from tests.support.postgres import running_postgres
from tests.unit.alerts.test_sql_store_scenarios import (
    run_restart_scenario,
    run_suppression_scenario,
)
from tests.unit.alerts.timeline import T0

pytestmark = pytest.mark.integration
ROWS = (AlertRow, AlertHistoryRow, SilenceRow, MaintenanceWindowRow, OnCallOverrideRow)


def schema_differences(engine: Engine) -> list[object]:
    ours = MetaData(naming_convention=AlertRow.metadata.naming_convention)
    for row in ROWS:
        row.__table__.to_metadata(ours)  # type: ignore[attr-defined]
    names = {row.__tablename__ for row in ROWS}
    with engine.connect() as connection:
        return [
            diff
            for diff in compare_metadata(MigrationContext.configure(connection), ours)
            if diff[0] != "remove_table"
            and not (diff[0] == "remove_index" and diff[1].table.name not in names)
        ]


def test_alert_store_and_suppressions_on_postgresql() -> None:
    with running_postgres(fresh_address(), 5432) as url:
        engine = open_state_engine(url)
        restarted = open_state_engine(url)  # the process after a restart
        try:
            migrate_to_head(engine)
            assert schema_differences(engine) == []
            run_restart_scenario(SqlAlertStore(engine), SqlAlertStore(restarted))
            run_suppression_scenario(SqlSuppressionStore(engine), SqlSuppressionStore(restarted))
        finally:
            restarted.dispose()
    try:
        # The server is gone: every call says which store failed doing what, and why.
        with pytest.raises(StoreError, match=r"^alert store: loading alerts failed: .+"):
            SqlAlertStore(engine).load_alerts(T0)
        with pytest.raises(StoreError, match=r"^suppression store: loading silences failed: .+"):
            SqlSuppressionStore(engine).load_silences()
    finally:
        engine.dispose()
