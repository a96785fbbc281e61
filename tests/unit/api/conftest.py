"""An API over a real state DB and a real metric store (tmp SQLite files), reached in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from api.app import create_app
from core.metrics.sqlite_store import SqliteMetricStore
from core.state.repository import StateRepository
from tests.unit.api.auth_fakes import ADMIN_HEADERS
from tests.unit.api.scenario import SshStores, fill_metrics, open_state, open_stores, services
from tests.unit.api.ssh_scenario import fill_ssh_state


@pytest.fixture
def state_db(tmp_path: Path) -> Iterator[tuple[Engine, StateRepository]]:
    engine, repository = open_state(tmp_path)
    yield engine, repository
    engine.dispose()


@pytest.fixture
def state(state_db: tuple[Engine, StateRepository]) -> StateRepository:
    return state_db[1]


@pytest.fixture
def stores(state_db: tuple[Engine, StateRepository]) -> SshStores:
    """Configurations, accounts, SSH facts and host keys of the fixed scenario."""
    return fill_ssh_state(open_stores(state_db[0]))


@pytest.fixture
def metrics(tmp_path: Path) -> Iterator[SqliteMetricStore]:
    store = SqliteMetricStore(tmp_path / "metrics.db")
    fill_metrics(store)
    yield store
    store.close()


@pytest.fixture
async def client(
    state: StateRepository, metrics: SqliteMetricStore, stores: SshStores
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(services(state, metrics, stores))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers=ADMIN_HEADERS
    ) as http:
        yield http
