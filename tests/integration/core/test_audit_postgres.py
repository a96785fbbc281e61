"""The audit trail on a real PostgreSQL server: the same scenarios as on SQLite.

Appending, searching, verifying, every kind of tampering, pruning, exporting, and many threads
appending at once (where the head's row lock is what keeps the sequence gapless).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from core.state.db import migrate_to_head, open_state_engine
from tests.support.addresses import fresh_address
from tests.support.postgres import running_postgres
from tests.unit.core.security.test_audit_export import run_export_scenario
from tests.unit.core.security.test_audit_trail import (
    run_append_scenario,
    run_concurrent_appends,
    run_prune_scenario,
    run_search_scenario,
)
from tests.unit.core.security.test_audit_verify import (
    TAMPERINGS,
    run_clean_chain_scenario,
    run_tampering,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    # One server for the module: every scenario starts by emptying the trail.
    with running_postgres(fresh_address(), 5432) as url:
        engine = open_state_engine(url)
        try:
            migrate_to_head(engine)
            yield engine
        finally:
            engine.dispose()


def test_append_on_postgresql(engine: Engine) -> None:
    run_append_scenario(engine)


def test_search_on_postgresql(engine: Engine) -> None:
    run_search_scenario(engine)


def test_a_clean_chain_verifies_on_postgresql(engine: Engine) -> None:
    run_clean_chain_scenario(engine)


@pytest.mark.parametrize("name", list(TAMPERINGS))
def test_tampering_is_found_and_named_on_postgresql(engine: Engine, name: str) -> None:
    run_tampering(engine, name)


def test_prune_on_postgresql(engine: Engine) -> None:
    run_prune_scenario(engine)


def test_export_on_postgresql(engine: Engine) -> None:
    run_export_scenario(engine)


def test_concurrent_appends_on_postgresql(engine: Engine) -> None:
    run_concurrent_appends(engine, threads=8, each=25)
