"""NOC users, sessions, tokens and lockout on a real PostgreSQL server: as on SQLite."""

from __future__ import annotations

import pytest

from core.state.db import migrate_to_head, open_state_engine
from tests.support.addresses import fresh_address
from tests.support.postgres import running_postgres
from tests.unit.core.security.test_users import run_user_scenario

pytestmark = pytest.mark.integration


def test_user_directory_on_postgresql() -> None:
    with running_postgres(fresh_address(), 5432) as url:
        engine = open_state_engine(url)
        try:
            migrate_to_head(engine)
            run_user_scenario(engine)
        finally:
            engine.dispose()
