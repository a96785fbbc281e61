"""Fixtures for SSH collection against real servers: a state DB for pinned keys, an event bus that
records, and the executor."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from collectors.ssh.executor import SshExecutor
from core.clock import SystemClock
from core.events import Event, EventBus
from core.state.db import migrate_to_head, open_state_engine
from core.state.host_keys import HostKeyStore
from tests.support.sshd import sshd_server  # noqa: F401  (a fixture)


class RecordingBus(EventBus):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[Event] = []
        self.subscribe(Event, self.events.append)


@pytest.fixture
def state_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_state_engine(f"sqlite:///{tmp_path / 'state.db'}")
    migrate_to_head(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def host_keys(state_engine: Engine) -> HostKeyStore:
    return HostKeyStore(state_engine, SystemClock())


@pytest.fixture
def bus() -> RecordingBus:
    return RecordingBus()


@pytest.fixture
async def executor() -> AsyncIterator[SshExecutor]:
    async with SshExecutor(max_workers=16) as pool:
        yield pool
