"""The console against a real API (``create_app``) in-process, over a real state DB with fixed
data (tests may import the api package; the tui package never does)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from core.metrics.sqlite_store import SqliteMetricStore
from core.state.repository import StateRepository
from tests.unit.api.scenario import fill_metrics, open_state, services
from tui.app import NocConsole
from tui.client import NocApiClient

SIZE = (160, 40)


@pytest.fixture
def state(tmp_path: Path) -> Iterator[StateRepository]:
    engine, repository = open_state(tmp_path)
    yield repository
    engine.dispose()


@pytest.fixture
def api(state: StateRepository, tmp_path: Path) -> Iterator[FastAPI]:
    metrics = SqliteMetricStore(tmp_path / "metrics.db")
    fill_metrics(metrics)
    yield create_app(services(state, metrics))
    metrics.close()


def client_for(app: FastAPI) -> NocApiClient:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ssnoc.test")
    return NocApiClient(http)


MakeConsole = Callable[..., NocConsole]


@pytest.fixture
def make_console(api: FastAPI) -> MakeConsole:
    def make(client: NocApiClient | None = None, **options: object) -> NocConsole:
        return NocConsole(client or client_for(api), **options)  # type: ignore[arg-type]

    return make
