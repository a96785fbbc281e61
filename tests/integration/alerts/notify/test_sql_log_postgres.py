"""The notification log on a real PostgreSQL server: the same scenario as on SQLite."""

from __future__ import annotations

import pytest

from alerts.notify.sql_log import SqlNotificationLog
from core.state.db import migrate_to_head, open_state_engine
from tests.support.addresses import fresh_address
from tests.support.postgres import running_postgres
from tests.unit.alerts.notify.log_scenario import run_log_scenario

pytestmark = pytest.mark.integration


async def test_notification_log_on_postgresql() -> None:
    with running_postgres(fresh_address(), 5432) as url:
        engine = open_state_engine(url)
        try:
            migrate_to_head(engine)
            await run_log_scenario(SqlNotificationLog(engine), SqlNotificationLog(engine))
        finally:
            engine.dispose()
