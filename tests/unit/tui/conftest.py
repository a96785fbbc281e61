"""The console against a real API (``create_app``) in-process, over a real state DB with fixed
data (tests may import the api package; the tui package never does)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from api.app import create_app
from api.schemas import BackupNowResult
from core.metrics.sqlite_store import SqliteMetricStore
from core.state.repository import StateRepository
from tests.unit.api.auth_fakes import ADMIN_HEADERS
from tests.unit.api.scenario import NOW, SshStores, fill_metrics, open_state, open_stores, services
from tests.unit.api.ssh_scenario import fill_ssh_state
from tui.app import NocConsole
from tui.client import NocApiClient

SIZE = (160, 40)


class FakeCollector:
    """Stands in for the SSH collector behind ``POST /devices/{id}/backup``: "fetches" the text
    it was given for the device (or fails with ``error``) and stores it through the real
    configuration repository, as the real one does."""

    def __init__(self, stores: SshStores) -> None:
        self._configs = stores.configs
        self.texts: dict[str, str] = {}
        self.error: str | None = None
        self.asked: list[str] = []

    async def __call__(self, device_id: str) -> BackupNowResult:
        self.asked.append(device_id)
        if self.error is not None:
            self._configs.record_failure(device_id, NOW, self.error)
            return BackupNowResult(device_id=device_id, at=NOW, error=self.error)
        latest = self._configs.latest(device_id)
        text = self.texts.get(device_id) or (latest.text if latest else "hostname X\n")
        stored = self._configs.store(device_id, text, collected_at=NOW)
        return BackupNowResult(
            device_id=device_id,
            at=NOW,
            changed=stored.changed,
            baseline=stored.baseline,
            version_id=stored.version_id,
            current_version_id=stored.current_version_id,
            lines_added=stored.lines_added,
            lines_removed=stored.lines_removed,
        )


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
    return fill_ssh_state(open_stores(state_db[0]))


@pytest.fixture
def collector(stores: SshStores) -> FakeCollector:
    return FakeCollector(stores)


@pytest.fixture
def metrics(tmp_path: Path) -> Iterator[SqliteMetricStore]:
    store = SqliteMetricStore(tmp_path / "metrics.db")
    fill_metrics(store)
    yield store
    store.close()


@pytest.fixture
def api(
    state: StateRepository,
    metrics: SqliteMetricStore,
    stores: SshStores,
    collector: FakeCollector,
) -> FastAPI:
    return create_app(services(state, metrics, stores, backup_now=collector))


def client_for(app: FastAPI) -> NocApiClient:
    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://ssnoc.test", headers=ADMIN_HEADERS
    )
    return NocApiClient(http)


MakeConsole = Callable[..., NocConsole]


@pytest.fixture
def make_console(api: FastAPI) -> MakeConsole:
    def make(client: NocApiClient | None = None, **options: object) -> NocConsole:
        return NocConsole(client or client_for(api), **options)  # type: ignore[arg-type]

    return make
