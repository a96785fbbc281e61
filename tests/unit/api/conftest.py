"""An API over a real state DB and a real metric store (tmp SQLite files), reached in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from core.metrics.sqlite_store import SqliteMetricStore
from core.state.repository import StateRepository
from tests.unit.api.scenario import fill_metrics, open_state, services


@pytest.fixture
def state(tmp_path: Path) -> Iterator[StateRepository]:
    engine, repository = open_state(tmp_path)
    yield repository
    engine.dispose()


@pytest.fixture
def metrics(tmp_path: Path) -> Iterator[SqliteMetricStore]:
    store = SqliteMetricStore(tmp_path / "metrics.db")
    fill_metrics(store)
    yield store
    store.close()


@pytest.fixture
async def client(
    state: StateRepository, metrics: SqliteMetricStore
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(services(state, metrics))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http
