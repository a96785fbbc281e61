"""The credentials vault on a real PostgreSQL server: the same scenarios as on SQLite."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from core.state.db import migrate_to_head, open_state_engine
from tests.support.addresses import fresh_address
from tests.support.postgres import running_postgres
from tests.unit.core.security.test_vault import SECRETS, VAULT_SCENARIOS

pytestmark = pytest.mark.integration


def test_vault_on_postgresql(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with running_postgres(fresh_address(), 5432) as url:
        engine = open_state_engine(url)
        try:
            migrate_to_head(engine)
            for scenario in VAULT_SCENARIOS:
                key_dir = tmp_path / scenario.__name__
                scenario(engine, key_dir)
        finally:
            engine.dispose()
    for secret in SECRETS:
        assert secret not in caplog.text
