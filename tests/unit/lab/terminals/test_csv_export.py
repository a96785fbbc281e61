"""The generated fleet as the registry's CSV import."""

from __future__ import annotations

import csv
from pathlib import Path

from lab.terminals.csv_export import CSV_COLUMNS, fleet_csv, write_fleet_csv
from lab.terminals.fleet import LabTerminal


def test_the_header_is_the_registry_s(small_fleet: tuple[LabTerminal, ...]) -> None:
    first_line = fleet_csv(small_fleet).split("\n", 1)[0]
    assert first_line == "serial,model,kind,site,county,id,firmware_version,parameter_version"
    assert tuple(first_line.split(",")) == CSV_COLUMNS


def test_every_terminal_reads_back(tmp_path: Path, small_fleet: tuple[LabTerminal, ...]) -> None:
    path = write_fleet_csv(small_fleet, tmp_path / "terminals.csv")

    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))

    assert len(rows) == len(small_fleet)
    for row, terminal in zip(rows, small_fleet, strict=True):
        assert row == {
            "serial": terminal.serial,
            "model": terminal.model,
            "kind": terminal.kind.value,
            "site": terminal.site,
            "county": terminal.county,
            "id": terminal.id,
            "firmware_version": terminal.firmware_version,
            "parameter_version": terminal.parameter_version,
        }
    assert not list(tmp_path.glob("*.partial"))


def test_it_is_utf8_without_a_byte_order_mark(
    tmp_path: Path, small_fleet: tuple[LabTerminal, ...]
) -> None:
    raw = write_fleet_csv(small_fleet, tmp_path / "terminals.csv").read_bytes()
    assert raw.startswith(b"serial,")
    assert "区".encode() in raw
    assert b"\r\n" not in raw
