"""Splicing a fault's records onto a running agent's: counters carry on, never backwards."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.model import DeviceRole, LinkRole
from lab.fault_agents import (
    IF_LAST_CHANGE,
    IF_OPER_STATUS,
    SILENT_FILE,
    SYS_UP_TIME,
    is_silent,
    parse_records,
    replace_data_file,
    served_value,
    splice,
)
from lab.faults import Faults, apply_faults
from lab.model import Province
from lab.snmprec import COUNTER32_MAX, Record, counter32, counter64, render
from lab.snmprec_writer import device_records

EPOCH = 1_700_000_000.0
NOW = EPOCH + 3_600.0
SETTLE = 0.5
IF_HC_IN_OCTETS = "1.3.6.1.2.1.31.1.1.1.6."


def served(records: list[Record], oid: str, at: float) -> float:
    record = next(r for r in records if r.oid == oid)
    return served_value(record, at, EPOCH)


def test_a_numeric_counter_is_served_as_snmpsim_computes_it() -> None:
    record = counter64("1.1", 1_000, 10.5)
    assert served_value(record, EPOCH + 4, EPOCH) == 1_042
    static = counter32("1.2", 77, 0)
    assert served_value(static, NOW, EPOCH) == 77


def test_a_counter32_wraps_at_its_maximum() -> None:
    record = counter32("1.1", COUNTER32_MAX - 10, 5)
    assert served_value(record, EPOCH + 1, EPOCH) == COUNTER32_MAX - 5
    assert served_value(record, EPOCH + 4, EPOCH) == pytest.approx(10)


def test_records_that_did_not_change_stay_exactly_as_they_were() -> None:
    old = [Record("1.1", "4", "name"), counter64("1.2", 500, 20)]
    # Same rate, another initial value (a regenerated file): the running counter is kept.
    new = [Record("1.1", "4", "name"), counter64("1.2", 9_999, 20)]
    assert splice(old, new, now_s=NOW, epoch_s=EPOCH, settle_s=SETTLE) == old


def test_a_counter_that_stops_stands_at_its_value_when_it_stopped() -> None:
    old = [counter64("1.2", 500, 20)]
    spliced = splice(old, [counter64("1.2", 0, 0)], now_s=NOW, epoch_s=EPOCH, settle_s=SETTLE)
    assert spliced[0].tag == "70"
    # It switches once the settle time is over: never below what the old file answered.
    assert int(spliced[0].value) == 500 + 20 * (NOW + SETTLE - EPOCH)


def test_a_counter_that_speeds_up_goes_on_from_its_value_at_the_new_rate() -> None:
    old = [counter64("1.2", 500, 20)]
    new = [counter64("1.2", 0, 1_000)]
    spliced = splice(old, new, now_s=NOW, epoch_s=EPOCH, settle_s=SETTLE)
    before = served(old, "1.2", NOW)
    assert served(spliced, "1.2", NOW) >= before
    assert served(spliced, "1.2", NOW) - before < 1
    assert served(spliced, "1.2", NOW + 10) - served(spliced, "1.2", NOW) == pytest.approx(10_000)


def test_a_stopped_counter32_starts_again_from_where_it_stood() -> None:
    standing = [counter32("1.3", 123_456, 0)]
    spliced = splice(standing, [counter32("1.3", 0, 50)], now_s=NOW, epoch_s=EPOCH, settle_s=0)
    assert spliced[0].tag == "65:numeric"
    assert "max=4294967295,wrap=1" in spliced[0].value
    assert served(spliced, "1.3", NOW) == 123_456
    assert served(spliced, "1.3", NOW + 2) == 123_556


def test_if_last_change_moves_only_where_the_status_changed() -> None:
    uptime = Record(SYS_UP_TIME, "67:numeric", "rate=100,initial=5000")
    old = [
        uptime,
        Record(f"{IF_OPER_STATUS}1", "2", "1"),
        Record(f"{IF_LAST_CHANGE}1", "67", "42"),
        Record(f"{IF_OPER_STATUS}2", "2", "1"),
        Record(f"{IF_LAST_CHANGE}2", "67", "43"),
    ]
    new = [
        uptime,
        Record(f"{IF_OPER_STATUS}1", "2", "2"),
        Record(f"{IF_LAST_CHANGE}1", "67", "7"),
        Record(f"{IF_OPER_STATUS}2", "2", "1"),
        Record(f"{IF_LAST_CHANGE}2", "67", "8"),
    ]
    spliced = {r.oid: r for r in splice(old, new, now_s=NOW, epoch_s=EPOCH, settle_s=SETTLE)}
    assert spliced[f"{IF_LAST_CHANGE}1"].value == str(5000 + 100 * 3600)
    assert spliced[f"{IF_LAST_CHANGE}2"].value == "43"
    assert spliced[f"{IF_OPER_STATUS}1"].value == "2"


def test_records_no_longer_generated_are_dropped_and_new_ones_added() -> None:
    old = [Record("1.1", "4", "a"), Record("1.0.8802.1", "4", "neighbour")]
    new = [Record("1.1", "4", "a"), Record("1.5", "2", "3")]
    assert splice(old, new, now_s=NOW, epoch_s=EPOCH, settle_s=SETTLE) == new


def test_no_counter_of_a_real_device_goes_backwards_over_fail_and_recover(
    small: Province,
) -> None:
    county = next(d for d in small.devices if d.role is DeviceRole.ACCESS)
    primary = next(
        lk for lk in small.links if lk.b.device == county.id and lk.role is LinkRole.PRIMARY
    )
    backup = next(
        lk for lk in small.links if lk.b.device == county.id and lk.role is LinkRole.BACKUP
    )
    faults = Faults().with_link(primary.id, datetime(2026, 3, 1, tzinfo=UTC))
    failed = apply_faults(small, faults)
    original = device_records(county, small)
    down = splice(
        original,
        device_records(failed.device_by_id()[county.id], failed),
        now_s=NOW,
        epoch_s=EPOCH,
        settle_s=SETTLE,
    )
    back = splice(down, original, now_s=NOW + 60, epoch_s=EPOCH, settle_s=SETTLE)
    # The Counter64 columns (Counter32 ones may wrap, as real ones do).
    for oid in (r.oid for r in original if r.tag.startswith("70")):
        series = [
            served(original, oid, NOW - 1),
            served(original, oid, NOW),
            served(down, oid, NOW),
            served(down, oid, NOW + 30),
            served(down, oid, NOW + 60),
            served(back, oid, NOW + 60),
            served(back, oid, NOW + 90),
        ]
        assert series == sorted(series), oid
    ports = county.interface_by_name()
    primary_oid = f"{IF_HC_IN_OCTETS}{ports[primary.b.interface].if_index}"
    backup_oid = f"{IF_HC_IN_OCTETS}{ports[backup.b.interface].if_index}"
    # Down: the primary stands still; the backup grows at both links' rates.
    assert served(down, primary_oid, NOW + 30) == served(down, primary_oid, NOW + 60)
    grown = served(down, backup_oid, NOW + 60) - served(down, backup_oid, NOW + 30)
    expected = ports[primary.b.interface].in_bytes_per_s + ports[backup.b.interface].in_bytes_per_s
    assert grown == pytest.approx(30 * expected, rel=1e-9)
    # Back: the primary grows again at its own rate; the lab's LLDP rows are back.
    assert served(back, primary_oid, NOW + 90) - served(back, primary_oid, NOW + 60) == (
        pytest.approx(30 * ports[primary.b.interface].in_bytes_per_s)
    )
    assert {r.oid for r in back} == {r.oid for r in original}


def test_a_silent_file_covers_every_oid() -> None:
    records = parse_records(SILENT_FILE)
    assert [r.oid for r in records] == ["0", "1", "2"]
    assert all(r.tag == ":silence" for r in records)
    assert is_silent(SILENT_FILE)
    assert not is_silent(render([Record("1.1", "4", "x")]))


def test_a_rewritten_file_is_dated_at_least_a_second_later(tmp_path: Path) -> None:
    path = tmp_path / "lab-x.snmprec"
    replace_data_file(path, "1.1|4|a\n")
    first = int(path.stat().st_mtime)
    replace_data_file(path, "1.1|4|b\n")
    assert int(path.stat().st_mtime) >= first + 1
    assert path.read_text() == "1.1|4|b\n"
    assert os.listdir(tmp_path) == ["lab-x.snmprec"]


def test_parse_reads_back_what_the_writer_renders(small: Province) -> None:
    records = device_records(small.devices[0], small)
    assert parse_records(render(records)) == sorted(
        records, key=lambda r: tuple(int(p) for p in r.oid.split("."))
    )
