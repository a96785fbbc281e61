"""Repository calls (SQLite, blocking) run in worker threads, never on the event loop."""

from __future__ import annotations

import threading

import httpx

from api.app import create_app
from core.state.repository import StateRepository
from core.state.views import RegionNode
from tests.unit.api.auth_fakes import ADMIN_HEADERS
from tests.unit.api.fakes import FakeMetricStore
from tests.unit.api.scenario import SshStores, services


class ThreadRecordingRepository(StateRepository):
    def __init__(self) -> None:  # no engine: nothing here touches it
        self.threads: list[int] = []

    def region_tree(self) -> list[RegionNode]:
        self.threads.append(threading.get_ident())
        return []


async def test_repository_reads_leave_the_event_loop_thread(stores: SshStores) -> None:
    repository = ThreadRecordingRepository()
    app = create_app(services(repository, FakeMetricStore(), stores))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test", headers=ADMIN_HEADERS
    ) as http:
        assert (await http.get("/api/v1/regions")).json() == []
        assert (await http.get("/api/v1/health")).status_code == 200
    assert len(repository.threads) == 2
    assert threading.get_ident() not in repository.threads
