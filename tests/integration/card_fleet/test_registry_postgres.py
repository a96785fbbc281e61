"""The terminal registry on a real PostgreSQL server: the schema of migration 0008, a whole
life, two stations racing for one PSAM, a CSV import, then a clear StoreError once the server
is gone."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, MetaData

import core.state.terminal_tables  # noqa: F401  (until migrations/env.py imports it)
from card_fleet.registry import SqlTerminalRegistry
from core.errors import StoreError
from core.state.db import migrate_to_head, open_state_engine
from core.state.terminal_tables import TerminalEventRow, TerminalRow
from tests.support.addresses import fresh_address
from tests.support.postgres import running_postgres
from tests.unit.card_fleet.registry_scenarios import (
    REGIONS,
    T0,
    run_life_scenario,
    run_psam_race,
)

pytestmark = pytest.mark.integration
ROWS = (TerminalRow, TerminalEventRow)
CSV = "serial,model,kind,site,county\nPG-1,M,kiosk,越秀区社保局,440103\nPG-2,M,atm,S,440103\n"


def schema_differences(engine: Engine) -> list[object]:
    ours = MetaData(naming_convention=TerminalRow.metadata.naming_convention)
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


def test_terminal_registry_on_postgresql() -> None:
    with running_postgres(fresh_address(), 5432) as url:
        engine = open_state_engine(url)
        other = open_state_engine(url)  # another process, or another provisioning station
        try:
            migrate_to_head(engine)
            assert schema_differences(engine) == []
            registry = SqlTerminalRegistry(engine, REGIONS)
            run_life_scenario(registry, SqlTerminalRegistry(other, REGIONS))
            run_psam_race(engine, registry, SqlTerminalRegistry(other, REGIONS))
            result = registry.import_csv(CSV.encode("gbk"), by="clerk", now=T0)
            assert [t.site for t in result.added] == ["越秀区社保局"]
            assert [(e.line, e.column) for e in result.errors] == [(3, "kind")]
        finally:
            other.dispose()
    try:
        # The server is gone: the call says which store failed doing what, and why.
        with pytest.raises(StoreError, match=r"^terminal registry: listing terminals failed: .+"):
            SqlTerminalRegistry(engine, REGIONS).list()
    finally:
        engine.dispose()
