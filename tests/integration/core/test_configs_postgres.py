"""Configuration versions and backup status on a real PostgreSQL server: as on SQLite."""

from __future__ import annotations

import pytest

from core.state.db import open_state_engine
from tests.support.addresses import fresh_address
from tests.support.postgres import running_postgres
from tests.unit.core.state.test_configs import run_config_scenario

pytestmark = pytest.mark.integration


def test_config_store_on_postgresql() -> None:
    with running_postgres(fresh_address(), 5432) as url:
        engine = open_state_engine(url)
        try:
            run_config_scenario(engine)
        finally:
            engine.dispose()
