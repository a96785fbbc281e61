"""Observed LLDP neighbours on a real PostgreSQL server: migration 0004 and the same scenario as
on SQLite (tests/unit/core/state/test_neighbours.py)."""

from __future__ import annotations

import pytest

from core.state.db import open_state_engine
from tests.support.addresses import fresh_address
from tests.support.postgres import running_postgres
from tests.unit.core.state.test_neighbours import run_neighbour_scenario

pytestmark = pytest.mark.integration


def test_neighbour_store_on_postgresql() -> None:
    with running_postgres(fresh_address(), 5432) as url:
        engine = open_state_engine(url)
        try:
            run_neighbour_scenario(engine)
        finally:
            engine.dispose()
