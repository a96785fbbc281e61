"""One simulated terminal: what it reports, and how it takes a new version."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from core.clock import FakeClock
from lab.terminals.behaviour import (
    BeatReply,
    HeartbeatBody,
    Install,
    InstallPolicy,
    SimulatedTerminal,
    StopReason,
    activity_factor,
    start_terminals,
)
from lab.terminals.fleet import LabTerminal, LabTerminalKind

from .conftest import SEED

_FIELDS = set(HeartbeatBody.__annotations__)


def test_a_heartbeat_has_exactly_the_api_s_fields(
    small_fleet: tuple[LabTerminal, ...], busy_clock: FakeClock
) -> None:
    terminal = SimulatedTerminal.start(small_fleet[0], None, SEED, busy_clock.now())
    busy_clock.advance(60)
    body = terminal.heartbeat(busy_clock.now())

    assert (
        set(body)
        == _FIELDS
        == {
            "reader_present",
            "card_reads",
            "card_read_failures",
            "psam_status",
            "firmware_version",
            "parameter_version",
            "blacklist_version",
            "uptime_s",
            "free_storage_mb",
            "unsent_transactions",
        }
    )
    assert body["firmware_version"] == small_fleet[0].firmware_version
    assert body["uptime_s"] >= 3_600


def test_counts_run_from_the_last_accepted_beat(
    small_fleet: tuple[LabTerminal, ...], busy_clock: FakeClock
) -> None:
    hospital = next(t for t in small_fleet if t.kind is LabTerminalKind.HOSPITAL)
    terminal = SimulatedTerminal.start(hospital, None, SEED, busy_clock.now())
    busy_clock.advance(600)
    first = terminal.heartbeat(busy_clock.now())["card_reads"]
    busy_clock.advance(600)
    unaccepted = terminal.heartbeat(busy_clock.now())["card_reads"]
    terminal.accepted(BeatReply(None, None, 60), busy_clock.now(), InstallPolicy())
    busy_clock.advance(60)
    after = terminal.heartbeat(busy_clock.now())["card_reads"]

    assert 0 < first < unaccepted  # nothing was accepted: the reads add up
    assert after < unaccepted


def test_cut_off_a_terminal_queues_its_transactions_and_shows_them_once_back(
    small_fleet: tuple[LabTerminal, ...], busy_clock: FakeClock
) -> None:
    hospital = next(t for t in small_fleet if t.kind is LabTerminalKind.HOSPITAL)
    terminal = SimulatedTerminal.start(hospital, None, SEED, busy_clock.now())
    for _ in range(30):
        busy_clock.advance(60)
        terminal.account(busy_clock.now(), online=False)
    busy_clock.advance(60)
    back = terminal.heartbeat(busy_clock.now())
    terminal.accepted(BeatReply(None, None, 60), busy_clock.now(), InstallPolicy())
    busy_clock.advance(60)
    drained = terminal.heartbeat(busy_clock.now())

    assert back["unsent_transactions"] >= back["card_reads"] > 30
    assert drained["unsent_transactions"] <= 2


@pytest.mark.parametrize(
    ("kind", "local_time", "busy"),
    [
        (LabTerminalKind.COUNTER, datetime(2026, 1, 5, 10, 0), 1.0),  # Monday morning
        (LabTerminalKind.COUNTER, datetime(2026, 1, 5, 20, 0), 0.0),  # office closed
        (LabTerminalKind.COUNTER, datetime(2026, 1, 3, 10, 0), 0.0),  # Saturday
        (LabTerminalKind.KIOSK, datetime(2026, 1, 3, 10, 0), 0.05),  # self-service lobby
        (LabTerminalKind.HOSPITAL, datetime(2026, 1, 5, 3, 0), 0.25),  # emergency at night
        (LabTerminalKind.PHARMACY, datetime(2026, 1, 3, 21, 0), 1.0),
    ],
)
def test_how_busy_a_terminal_is_follows_local_time(
    kind: LabTerminalKind, local_time: datetime, busy: float
) -> None:
    utc = (local_time.replace(tzinfo=UTC)).timestamp() - 8 * 3_600
    assert activity_factor(kind, datetime.fromtimestamp(utc, UTC)) == busy


def test_a_target_firmware_is_installed_after_a_delay_and_reboots(
    small_fleet: tuple[LabTerminal, ...], busy_clock: FakeClock
) -> None:
    terminal = SimulatedTerminal.start(small_fleet[0], None, SEED, busy_clock.now())
    policy = InstallPolicy(firmware_delay_s=100, parameter_delay_s=100)
    terminal.accepted(BeatReply("3.3.0", "P20260201", 60), busy_clock.now(), policy)

    busy_clock.advance(40)  # before even the quickest install
    assert terminal.apply_installs(busy_clock.now(), policy) == []
    busy_clock.advance(120)
    assert sorted(terminal.apply_installs(busy_clock.now(), policy)) == sorted(
        [Install.FIRMWARE, Install.PARAMETER]
    )
    body = terminal.heartbeat(busy_clock.now())
    assert (body["firmware_version"], body["parameter_version"]) == ("3.3.0", "P20260201")
    assert body["uptime_s"] < 120


def test_a_rollback_before_the_install_cancels_it(
    small_fleet: tuple[LabTerminal, ...], busy_clock: FakeClock
) -> None:
    original = small_fleet[0].firmware_version
    terminal = SimulatedTerminal.start(small_fleet[0], None, SEED, busy_clock.now())
    policy = InstallPolicy()
    terminal.accepted(BeatReply("3.3.0", None, 60), busy_clock.now(), policy)
    terminal.accepted(BeatReply(original, None, 60), busy_clock.now(), policy)
    busy_clock.advance(3_600)

    assert terminal.apply_installs(busy_clock.now(), policy) == []
    assert terminal.firmware_version == original


def test_a_bad_firmware_kills_about_its_share(
    small_fleet: tuple[LabTerminal, ...], busy_clock: FakeClock
) -> None:
    many = [replace(small_fleet[0], id=f"T440103-{n:04d}") for n in range(1_000)]
    terminals = start_terminals(many, {}, SEED, busy_clock.now())
    policy = InstallPolicy(
        bad_firmware_versions=frozenset({"6.6.6"}), bad_firmware_failure_share=0.25
    )
    for terminal in terminals:
        terminal.accepted(BeatReply("6.6.6", None, 60), busy_clock.now(), policy)
    busy_clock.advance(3_600)
    outcomes = [o for t in terminals for o in t.apply_installs(busy_clock.now(), policy)]

    dead = outcomes.count(Install.BRICKED)
    assert 180 < dead < 320
    assert outcomes.count(Install.FIRMWARE) == 1_000 - dead
    assert sum(t.stopped is StopReason.BRICKED for t in terminals) == dead


@pytest.mark.parametrize(
    "document",
    [
        [],
        {"next_heartbeat_s": 0},
        {"next_heartbeat_s": True},
        {"next_heartbeat_s": 60, "target_firmware_version": 3},
        {"next_heartbeat_s": 60, "target_parameter_version": ""},
    ],
)
def test_a_malformed_reply_is_refused(document: object) -> None:
    with pytest.raises(ValueError, match=r"."):
        BeatReply.parse(document)


def test_a_reply_is_read() -> None:
    reply = BeatReply.parse(
        {
            "target_firmware_version": "3.3.0",
            "target_parameter_version": None,
            "next_heartbeat_s": 30,
        }
    )
    assert reply == BeatReply("3.3.0", None, 30)
