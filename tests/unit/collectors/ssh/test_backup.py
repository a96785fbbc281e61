"""The backup step: scrub, read the author, store one version per real change, publish events."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from collectors.ssh.backup import EMPTY_CONFIG, record_backup
from core.clock import FakeClock
from core.events import BackupFailed, ConfigChanged, Event, EventBus
from core.model import Platform
from core.state.configs import ConfigRepository
from core.state.db import migrate_to_head, open_state_engine

CONFIGS = Path(__file__).resolve().parents[3] / "data" / "configs"
IOS, VRP = Platform.CISCO_IOS, Platform.HUAWEI_VRP
START = datetime(2026, 3, 2, 2, 30, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_state_engine(f"sqlite:///{tmp_path / 'state.db'}")
    migrate_to_head(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def repo(engine: Engine, clock: FakeClock) -> ConfigRepository:
    return ConfigRepository(engine, clock)


@pytest.fixture
def events() -> tuple[EventBus, list[Event]]:
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(Event, seen.append)
    return bus, seen


def isr() -> str:
    return (CONFIGS / "cisco_ios/handwritten_isr4331_16.9.txt").read_text()


def test_first_backup_is_a_baseline_without_an_event(
    repo: ConfigRepository, events: tuple[EventBus, list[Event]], clock: FakeClock
) -> None:
    bus, seen = events
    outcome = record_backup(repo, bus, clock, "mz-wan1", IOS, isr(), None)
    assert outcome.ok
    assert outcome.baseline
    assert not outcome.changed
    assert outcome.version_id is not None
    assert outcome.current_version_id == outcome.version_id
    assert outcome.secrets_removed == 24  # the certificate block counts once
    assert outcome.changed_by == "admin"
    assert outcome.changed_at == datetime(2026, 3, 2, 10, 22, 1, tzinfo=UTC)
    assert seen == []
    stored = repo.version(outcome.version_id)
    for secret in ("GdMzPsk2026!", "NocAuthKey2026", "Gd#Mz!Ro2026", "0822455D0A16544541"):
        assert secret not in stored.text
    assert stored.changed_by == "admin"
    assert stored.collected_at == START


def test_same_configuration_again_stores_and_publishes_nothing(
    repo: ConfigRepository, events: tuple[EventBus, list[Event]], clock: FakeClock
) -> None:
    bus, seen = events
    first = record_backup(repo, bus, clock, "mz-wan1", IOS, isr(), None)
    clock.advance(3600)
    later = isr().replace("10:22:01 UTC Mon Mar 2 2026", "11:40:12 UTC Mon Mar 2 2026")
    again = record_backup(repo, bus, clock, "mz-wan1", IOS, later, None)
    assert again.ok
    assert again.version_id is None
    assert not again.changed
    assert again.current_version_id == first.version_id
    assert seen == []
    assert repo.backup_status("mz-wan1").last_success_at == START.replace(hour=3)


def test_a_real_change_publishes_config_changed_with_the_author(
    repo: ConfigRepository, events: tuple[EventBus, list[Event]], clock: FakeClock
) -> None:
    bus, seen = events
    record_backup(repo, bus, clock, "mz-wan1", IOS, isr(), None)
    clock.advance(600)
    changed = (
        isr()
        .replace("by admin\n! NVRAM", "by liwei\n! NVRAM")
        .replace(" description LAN\n", " description LAN office 2\n")
        # A new secret value changes the device, but not the stored text: both are <removed>.
        .replace("GdMzPsk2026!", "Another!Psk")
    )
    outcome = record_backup(repo, bus, clock, "mz-wan1", IOS, changed, None)
    assert outcome.changed
    assert (outcome.lines_added, outcome.lines_removed) == (1, 1)
    assert seen == [
        ConfigChanged(
            at=clock.now(),
            device_id="mz-wan1",
            version_id=outcome.version_id or 0,
            lines_added=1,
            lines_removed=1,
            changed_by="liwei",
        )
    ]
    assert "Another!Psk" not in repo.version(outcome.version_id or 0).text


def test_a_failure_is_recorded_and_published_and_the_backup_kept(
    repo: ConfigRepository, events: tuple[EventBus, list[Event]], clock: FakeClock
) -> None:
    bus, seen = events
    first = record_backup(repo, bus, clock, "mz-wan1", IOS, isr(), None)
    clock.advance(3600)
    failed = record_backup(repo, bus, clock, "mz-wan1", IOS, None, "authentication failed")
    assert not failed.ok
    assert failed.error == "authentication failed"
    assert failed.current_version_id == first.version_id
    assert seen == [
        BackupFailed(at=clock.now(), device_id="mz-wan1", reason="authentication failed")
    ]
    status = repo.backup_status("mz-wan1")
    assert status.last_success_at == START
    assert status.last_failure_at == clock.now()
    assert len(repo.versions("mz-wan1")) == 1


@pytest.mark.parametrize("raw", [None, "", "  \r\n\n"])
def test_no_configuration_at_all_is_a_failure(
    raw: str | None,
    repo: ConfigRepository,
    events: tuple[EventBus, list[Event]],
    clock: FakeClock,
) -> None:
    bus, seen = events
    outcome = record_backup(repo, bus, clock, "mz-wan1", IOS, raw, None)
    assert not outcome.ok
    assert outcome.error == EMPTY_CONFIG
    assert outcome.current_version_id is None
    assert [type(e) for e in seen] == [BackupFailed]
    assert repo.versions("mz-wan1") == []


def test_a_platform_without_scrub_rules_never_stores_unscrubbed_text(
    repo: ConfigRepository, events: tuple[EventBus, list[Event]], clock: FakeClock
) -> None:
    bus, seen = events
    outcome = record_backup(repo, bus, clock, "db1", Platform.LINUX, "password=hunter2\n", None)
    assert not outcome.ok
    assert outcome.error is not None
    assert outcome.error.startswith("cannot scrub secrets:")
    assert repo.versions("db1") == []
    assert isinstance(seen[0], BackupFailed)
    assert seen[0].reason == outcome.error


def test_vrp_author_and_time_come_from_its_header(
    repo: ConfigRepository, events: tuple[EventBus, list[Event]], clock: FakeClock
) -> None:
    bus, _ = events
    text = (CONFIGS / "huawei_vrp/handwritten_ne40e_v800r011.txt").read_text()
    outcome = record_backup(repo, bus, clock, "gz-core1", VRP, text, None)
    assert outcome.ok
    assert outcome.secrets_removed == 13
    assert (outcome.changed_by, outcome.changed_at) == (
        "gzadmin",
        datetime(2026, 2, 27, 1, 14, 52, tzinfo=UTC),
    )
