"""Configuration versions and backup status on SQLite (the embedded default).

``run_config_scenario`` is written once and also run against PostgreSQL
(tests/integration/core/test_configs_postgres.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from core.clock import FakeClock
from core.errors import NotFound
from core.model import Platform
from core.state.configs import ConfigDiffRefused, ConfigRepository, normalised_lines
from core.state.db import migrate_to_head, open_state_engine
from core.state.tables import DeviceRow

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
IOS_V1 = (
    "Building configuration...\n"
    "\n"
    "Current configuration : 1200 bytes\n"
    "!\n"
    "! Last configuration change at 10:00:00 CST Mon Mar 2 2026 by admin\n"
    "! NVRAM config last updated at 10:01:00 CST Mon Mar 2 2026 by admin\n"
    "!\n"
    "hostname gz-core1\n"
    "!\n"
    "interface GigabitEthernet0/0\n"
    " description uplink\n"
    " ip address 10.0.0.1 255.255.255.252\n"
    "!\n"
    "ntp clock-period 36028797018963968\n"
    "end\n"
)


def devices(engine: Engine, *rows: tuple[str, Platform]) -> None:
    with Session(engine) as session, session.begin():
        for device_id, platform in rows:
            session.add(
                DeviceRow(
                    id=device_id,
                    name=device_id.upper(),
                    site_id="gz",
                    region_code="440100",
                    platform=platform.value,
                    role="core",
                    address="127.0.0.1",
                )
            )


def edit(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new)


def run_config_scenario(engine: Engine) -> None:
    """Versions, volatile lines, diffs, failures and staleness, end to end."""
    migrate_to_head(engine)
    clock = FakeClock(T0)
    repo = ConfigRepository(engine, clock)
    devices(
        engine,
        ("gz-core1", Platform.CISCO_IOS),
        ("gz-acc1", Platform.HUAWEI_VRP),
        ("gz-acc2", Platform.HP_COMWARE),
        ("gz-host1", Platform.LINUX),
    )

    first = repo.store("gz-core1", IOS_V1, collected_at=T0, changed_by="admin", changed_at=T0)
    assert first.baseline
    assert not first.changed
    assert first.version_id is not None
    assert first.current_version_id == first.version_id
    assert (first.lines_added, first.lines_removed) == (9, 0)  # volatile lines not counted

    # Same text again, and then only the lines a device rewrites by itself: no new version.
    again = repo.store("gz-core1", IOS_V1, collected_at=T0 + timedelta(hours=1))
    assert (again.version_id, again.changed, again.current_version_id) == (
        None,
        False,
        first.version_id,
    )
    volatile_only = IOS_V1
    for old, new in [
        ("1200 bytes", "1212 bytes"),
        ("10:00:00 CST Mon Mar 2 2026 by admin", "11:30:00 CST Mon Mar 2 2026 by ops"),
        ("10:01:00 CST", "11:31:00 CST"),
        ("36028797018963968", "36028797018963970"),
    ]:
        volatile_only = edit(volatile_only, old, new)
    volatile_only = volatile_only.replace("\n", "\r\n").replace("uplink", "uplink  ")
    assert (
        repo.store("gz-core1", volatile_only, collected_at=T0 + timedelta(hours=2)).version_id
        is None
    )
    assert len(repo.versions("gz-core1")) == 1

    # A real change is a new version, with its line counts.
    v2_text = edit(IOS_V1, " description uplink\n", " description uplink to GZ-DC\n shutdown\n")
    second = repo.store(
        "gz-core1", v2_text, collected_at=T0 + timedelta(hours=3), changed_by="ops", changed_at=T0
    )
    assert second.changed
    assert not second.baseline
    assert (second.lines_added, second.lines_removed) == (2, 1)
    v3_text = edit(v2_text, "hostname gz-core1\n", "hostname gz-core1-new\n")
    third = repo.store("gz-core1", v3_text, collected_at=T0 + timedelta(hours=4))
    assert third.changed
    assert (third.lines_added, third.lines_removed) == (1, 1)

    history = repo.versions("gz-core1")
    assert [v.id for v in history] == [third.version_id, second.version_id, first.version_id]
    assert history[1].changed_by == "ops"
    assert history[1].collected_at == T0 + timedelta(hours=3)
    assert history[1].collected_at.tzinfo is not None
    assert repo.version(second.version_id or 0).text == v2_text  # stored as collected

    # A diff between any two versions, either way round.
    forward = repo.diff(first.version_id or 0, third.version_id or 0)
    assert (forward.lines_added, forward.lines_removed) == (3, 2)
    assert [
        (line.kind, line.text) for line in forward.lines if line.kind in ("added", "removed")
    ] == [
        ("removed", "hostname gz-core1"),
        ("added", "hostname gz-core1-new"),
        ("removed", " description uplink"),
        ("added", " description uplink to GZ-DC"),
        ("added", " shutdown"),
    ]
    assert forward.lines[0].kind == "hunk"
    assert forward.unified().startswith(f"--- version {first.version_id} (")
    assert "\n+hostname gz-core1-new\n" in forward.unified()
    backward = repo.diff(third.version_id or 0, first.version_id or 0)
    assert (backward.lines_added, backward.lines_removed) == (2, 3)
    assert repo.diff(second.version_id or 0, second.version_id or 0).lines == []

    # Never across devices.
    other = repo.store(
        "gz-acc1", "!Software Version V200R019C10\n#\nsysname acc1\n#\nreturn\n", collected_at=T0
    )
    with pytest.raises(ConfigDiffRefused, match="different devices"):
        repo.diff(first.version_id or 0, other.version_id or 0)
    with pytest.raises(NotFound):
        repo.version(999_999)

    # A failure keeps the last success and the newest version on record.
    failed_at = T0 + timedelta(hours=5)
    repo.record_failure("gz-core1", failed_at, "timeout after 20 s")
    status = repo.backup_status("gz-core1")
    assert status.last_success_at == T0 + timedelta(hours=4)
    assert status.last_failure_at == failed_at
    assert status.last_attempt_at == failed_at
    assert status.last_error == "timeout after 20 s"
    assert status.last_version_id == third.version_id
    assert status.last_changed_at == T0 + timedelta(hours=4)
    assert status.failing

    # Stale: never backed up (tried or not), or last success more than a day ago; hosts aside.
    repo.record_failure("gz-acc2", T0, "authentication failed")
    now = T0 + timedelta(hours=26)
    stale = repo.stale(now)
    assert [s.device_id for s in stale] == ["gz-acc2", "gz-acc1"]
    assert stale[0].last_success_at is None
    assert stale[0].last_error == "authentication failed"
    assert stale[0].platform is Platform.HP_COMWARE
    assert stale[0].device_name == "GZ-ACC2"
    assert [s.device_id for s in repo.stale(now, older_than=timedelta(hours=30))] == ["gz-acc2"]
    assert "gz-host1" in [s.device_id for s in repo.stale(now, exclude=())]

    # Pruning keeps the newest versions of each device.
    assert repo.prune(keep_last=2) == 1
    assert [v.id for v in repo.versions("gz-core1")] == [third.version_id, second.version_id]
    assert repo.backup_status("gz-core1").last_version_id == third.version_id


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_state_engine(f"sqlite:///{tmp_path / 'state.db'}")
    migrate_to_head(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def repo(engine: Engine, clock: FakeClock) -> ConfigRepository:
    return ConfigRepository(engine, clock)


def test_config_scenario_on_sqlite(tmp_path: Path) -> None:
    engine = open_state_engine(f"sqlite:///{tmp_path / 'scenario.db'}")
    try:
        run_config_scenario(engine)
    finally:
        engine.dispose()


def test_platform_comes_from_the_inventory_when_not_given(
    engine: Engine, repo: ConfigRepository
) -> None:
    devices(engine, ("sz-acc1", Platform.HUAWEI_VRP))
    text = "!Software Version V200R019C10SPC500\n#\nsysname sz-acc1\n#\nreturn\n"
    assert repo.store("sz-acc1", text, collected_at=T0).baseline
    upgraded = edit(text, "V200R019C10SPC500", "V200R019C10SPC800")
    assert repo.store("sz-acc1", upgraded, collected_at=T0 + timedelta(hours=1)).version_id is None


def test_explicit_platform_wins(repo: ConfigRepository) -> None:
    text = "hostname a\nntp clock-period 17179\n"
    repo.store("ad-hoc", text, collected_at=T0, platform=Platform.HUAWEI_VRP)
    changed = repo.store(
        "ad-hoc",
        "hostname a\nntp clock-period 17180\n",
        collected_at=T0,
        platform=Platform.HUAWEI_VRP,
    )
    assert changed.changed  # on VRP that line is configuration, not noise


def test_a_device_the_inventory_does_not_know_gets_every_platforms_volatile_lines(
    repo: ConfigRepository,
) -> None:
    repo.store("unknown", "hostname a\nntp clock-period 1\n", collected_at=T0)
    assert (
        repo.store("unknown", "hostname a\nntp clock-period 2\n", collected_at=T0).version_id
        is None
    )


def test_volatile_lines_can_be_given_by_the_caller(engine: Engine, clock: FakeClock) -> None:
    repo = ConfigRepository(engine, clock, volatile={Platform.CISCO_IOS: [r"^! uptime "]})
    repo.store("r1", "! uptime 1\nhostname r1\n", collected_at=T0, platform=Platform.CISCO_IOS)
    same = repo.store(
        "r1", "! uptime 2\nhostname r1\n", collected_at=T0, platform=Platform.CISCO_IOS
    )
    assert same.version_id is None
    other = repo.store(
        "r1",
        "! uptime 2\nntp clock-period 5\nhostname r1\n",
        collected_at=T0,
        platform=Platform.CISCO_IOS,
    )
    assert other.changed  # the default IOS rules were replaced, not added to


def test_comware_release_line_and_vrp_display_timestamp_are_volatile(
    repo: ConfigRepository,
) -> None:
    cmw = "#\n version 7.1.045, Release 2418P06\n#\n sysname s1\n#\nreturn\n"
    repo.store("s1", cmw, collected_at=T0, platform=Platform.HP_COMWARE)
    upgraded = edit(cmw, "2418P06", "2418P10")
    assert (
        repo.store("s1", upgraded, collected_at=T0, platform=Platform.HP_COMWARE).version_id is None
    )
    vrp = "2026-03-02 10:00:01.123 +08:00\n#\nsysname s2\n#\nreturn\n"
    repo.store("s2", vrp, collected_at=T0, platform=Platform.HUAWEI_VRP)
    later = edit(vrp, "10:00:01.123", "11:00:09.456")
    assert repo.store("s2", later, collected_at=T0, platform=Platform.HUAWEI_VRP).version_id is None


def test_success_after_failure_clears_failing_but_keeps_the_record(repo: ConfigRepository) -> None:
    repo.record_failure("r1", T0, "refused")
    assert repo.backup_status("r1").failing
    repo.store("r1", "hostname r1\n", collected_at=T0 + timedelta(minutes=5))
    status = repo.backup_status("r1")
    assert not status.failing
    assert status.last_failure_at == T0
    assert status.last_error == "refused"
    assert status.last_success_at == T0 + timedelta(minutes=5)


def test_backup_status_of_an_inventory_device_never_tried_is_empty(
    engine: Engine, repo: ConfigRepository
) -> None:
    devices(engine, ("fs-acc1", Platform.ZTE_ZXROS))
    status = repo.backup_status("fs-acc1")
    assert status.last_attempt_at is None
    assert status.last_version_id is None
    assert not status.failing
    assert [s.device_id for s in repo.backup_statuses()] == ["fs-acc1"]
    with pytest.raises(NotFound):
        repo.backup_status("nowhere")
    assert repo.latest("fs-acc1") is None


def test_stale_uses_the_clock_when_no_time_is_given(
    engine: Engine, repo: ConfigRepository, clock: FakeClock
) -> None:
    devices(engine, ("jm-acc1", Platform.CISCO_IOS))
    repo.store("jm-acc1", "hostname jm\n", collected_at=clock.now())
    assert repo.stale() == []
    clock.advance(24 * 3600 + 1)
    assert [s.device_id for s in repo.stale()] == ["jm-acc1"]


def test_prune_needs_to_keep_at_least_one(repo: ConfigRepository) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        repo.prune(keep_last=0)


def test_normalised_lines_ignore_endings_trailing_space_and_outer_blank_lines() -> None:
    assert normalised_lines("\r\n\r\nhostname a  \r\n!\r\n\r\n", ()) == ["hostname a", "!"]
