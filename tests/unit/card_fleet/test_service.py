"""The fleet of one server process, end to end over a real SQLite state DB: a terminal is
registered, provisioned, beats, turns active, is counted online, falls silent, is suspended and
refused; the health reaches the county rows the alert engine reads."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from card_fleet.credentials import CredentialRefused
from card_fleet.model import TerminalState
from card_fleet.service import FleetService
from core.clock import FakeClock
from core.events import Event, EventBus, TerminalPsamChanged
from core.metrics.sqlite_store import SqliteMetricStore
from core.settings import FleetSettings
from core.state.fleet_views import read_county_fleet_health
from tests.unit.card_fleet.registry_scenarios import (
    PSAM_1,
    REGIONS,
    T0,
    engine_on_a_copy,
    migrated_template,
    register,
)

BEAT = {
    "reader_present": True,
    "card_reads": 12,
    "card_read_failures": 1,
    "psam_status": "ok",
    "firmware_version": "3.2.1",
    "parameter_version": "P2026.03",
    "blacklist_version": "B20260301",
    "uptime_s": 3600,
    "free_storage_mb": 900,
    "unsent_transactions": 0,
}


@pytest.fixture(scope="module")
def migrated_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def engine(migrated_file: Path, tmp_path: Path) -> Iterator[Engine]:
    engine = engine_on_a_copy(migrated_file, tmp_path)
    yield engine
    engine.dispose()


@pytest.fixture
def fleet(engine: Engine, tmp_path: Path) -> Iterator[FleetService]:
    metrics = SqliteMetricStore(tmp_path / "metrics.db")
    yield FleetService(engine, metrics, REGIONS, FakeClock(T0), FleetSettings(silent_after_s=300))
    metrics.close()


def clock_of(fleet: FleetService) -> FakeClock:
    assert isinstance(fleet.clock, FakeClock)
    return fleet.clock


def test_a_terminal_beats_turns_active_is_counted_and_falls_silent(fleet: FleetService) -> None:
    terminal = register(fleet.registry, "SN-1")
    token = fleet.registry.bind_and_issue(terminal.id, PSAM_1, by="tech", now=T0)

    reply = fleet.heartbeat(token, BEAT)
    assert reply.next_heartbeat_s == 60
    assert reply.target_firmware_version is None
    assert fleet.flush().activated == (terminal.id,)
    assert fleet.registry.get(terminal.id).state is TerminalState.ACTIVE

    county = fleet.publish_health().counties["440103"]
    assert (county.active, county.online, len(county.silent)) == (1, 1, 0)
    (row,) = read_county_fleet_health(fleet.engine)
    assert (row.county, row.active, row.online, row.silent) == ("440103", 1, 1, 0)

    clock_of(fleet).advance(301)
    county = fleet.publish_health().counties["440103"]
    assert (county.online, [s.terminal_id for s in county.silent]) == (0, [terminal.id])


def test_a_suspended_terminal_and_a_bad_body_are_refused(fleet: FleetService) -> None:
    terminal = register(fleet.registry, "SN-2")
    token = fleet.registry.bind_and_issue(terminal.id, PSAM_1, by="tech", now=T0)
    with pytest.raises(ValueError, match="card_reads"):
        fleet.heartbeat(token, {**BEAT, "card_reads": -1})
    with pytest.raises(ValueError, match="terminal_id"):
        fleet.heartbeat(token, {**BEAT, "terminal_id": "T440103-9999"})
    fleet.registry.move(
        terminal.id, TerminalState.SUSPENDED, by="tech", reason="kiosk moved", now=T0
    )
    with pytest.raises(CredentialRefused):
        fleet.heartbeat(token, BEAT)
    with pytest.raises(CredentialRefused):
        fleet.heartbeat("sst_nobody_" + "x" * 43, BEAT)


def test_the_run_loop_flushes_and_publishes_until_stopped(fleet: FleetService) -> None:
    terminal = register(fleet.registry, "SN-3")
    token = fleet.registry.bind_and_issue(terminal.id, PSAM_1, by="tech", now=T0)
    fleet.heartbeat(token, BEAT)
    fast = FleetSettings(flush_every_s=0.01, health_every_s=0.01, rollouts_every_s=0.01)
    fleet.settings = fast

    async def run_until_published() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(fleet.run(stop))
        for _ in range(500):
            if fleet.run_report().last_health_at is not None and fleet.ingest.pending == 0:
                break
            await asyncio.sleep(0.01)
        stop.set()
        await task

    asyncio.run(run_until_published())
    assert fleet.registry.get(terminal.id).state is TerminalState.ACTIVE
    assert fleet.run_report().heartbeats_accepted == 1


def test_psam_failures_are_published_once_and_their_recovery_too(
    engine: Engine, tmp_path: Path
) -> None:
    bus = EventBus()
    heard: list[Event] = []
    bus.subscribe(Event, heard.append)
    metrics = SqliteMetricStore(tmp_path / "m.db")
    fleet = FleetService(engine, metrics, REGIONS, FakeClock(T0), FleetSettings(), bus)
    try:
        terminal = register(fleet.registry, "SN-4")
        token = fleet.registry.bind_and_issue(terminal.id, PSAM_1, by="tech", now=T0)
        fleet.heartbeat(token, {**BEAT, "psam_status": "missing"})
        fleet.flush()
        fleet.publish_health()
        fleet.publish_health()  # nothing new: nothing published
        fleet.heartbeat(token, BEAT)
        fleet.publish_health()
    finally:
        metrics.close()
    changes = [e for e in heard if isinstance(e, TerminalPsamChanged)]
    assert [(e.terminal_id, e.region, e.psam_status) for e in changes] == [
        (terminal.id, "440103", "missing"),
        (terminal.id, "440103", "ok"),
    ]
