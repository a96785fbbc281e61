"""Exporting a period of the audit trail as JSON lines and CSV, and reading it back."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from core.clock import FakeClock
from core.security.audit_export import EXPORT_FIELDS
from core.security.audit_record import AuditRecord, canonical_json, record_hash
from core.security.audit_trail import AuditTrail
from tests.unit.core.security.test_audit_trail import T0, sqlite_engine, write_trail

PERIOD = (T0 + timedelta(minutes=2), T0 + timedelta(minutes=6))
"""Records 3–6 of the ten :func:`write_trail` writes (``until`` is exclusive)."""


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = sqlite_engine(tmp_path)
    yield engine
    engine.dispose()


def in_period(written: list[AuditRecord]) -> list[AuditRecord]:
    return [r for r in written if PERIOD[0] <= r.at < PERIOD[1]]


def csv_row(record: AuditRecord) -> dict[str, str]:
    def cell(value: object) -> str:
        if value is None:
            return ""
        return canonical_json(value) if isinstance(value, dict) else str(value)

    return {name: cell(value) for name, value in record.as_json().items()}


def run_export_scenario(engine: Engine) -> None:
    trail, _, written = write_trail(engine)
    expected = in_period(written)
    assert [r.seq for r in expected] == [3, 4, 5, 6]

    lines = io.StringIO()
    assert trail.export(lines, fmt="jsonl", since=PERIOD[0], until=PERIOD[1]) == 4
    exported = [json.loads(line) for line in lines.getvalue().splitlines()]
    assert exported == [r.as_json() for r in expected]
    assert exported[0]["before"] == {"description": "old uplink"}  # an object, not text

    table = io.StringIO()
    assert trail.export(table, fmt="csv", since=PERIOD[0], until=PERIOD[1]) == 4
    reader = csv.DictReader(io.StringIO(table.getvalue()))
    assert tuple(reader.fieldnames or ()) == EXPORT_FIELDS
    assert list(reader) == [csv_row(r) for r in expected]


def test_a_period_exports_as_json_lines_and_csv_and_reads_back(engine: Engine) -> None:
    run_export_scenario(engine)


def test_an_exported_record_still_proves_its_hash(engine: Engine) -> None:
    trail, _, _ = write_trail(engine)
    lines = io.StringIO()
    trail.export(lines, fmt="jsonl")
    exported = [json.loads(line) for line in lines.getvalue().splitlines()]
    assert len(exported) == 10
    for fields in exported:
        assert fields["hash"] == record_hash(
            seq=fields["seq"],
            at=datetime.fromisoformat(fields["at"]),
            actor=fields["actor"],
            client=fields["client"],
            action=fields["action"],
            target=fields["target"],
            region_code=fields["region_code"],
            outcome=fields["outcome"],
            detail=fields["detail"],
            before_json=None if fields["before"] is None else canonical_json(fields["before"]),
            after_json=None if fields["after"] is None else canonical_json(fields["after"]),
            prev_hash=fields["prev_hash"],
        )
    assert all(b["prev_hash"] == a["hash"] for a, b in itertools.pairwise(exported))


def test_export_to_a_file(engine: Engine, tmp_path: Path) -> None:
    trail, _, written = write_trail(engine)
    target = tmp_path / "audit.csv"
    with target.open("w", encoding="utf-8", newline="") as out:
        assert trail.export(out, fmt="csv", since=T0 + timedelta(minutes=8)) == 2
    with target.open(encoding="utf-8", newline="") as back:
        assert list(csv.DictReader(back)) == [csv_row(r) for r in written[8:]]


def test_an_empty_period_exports_only_the_header(engine: Engine) -> None:
    trail, _, _ = write_trail(engine)
    table = io.StringIO()
    assert trail.export(table, fmt="csv", until=T0) == 0
    assert table.getvalue().strip() == ",".join(EXPORT_FIELDS)
    lines = io.StringIO()
    assert trail.export(lines, fmt="jsonl", since=T0 + timedelta(days=1)) == 0
    assert lines.getvalue() == ""


def test_an_unknown_format_is_refused(engine: Engine) -> None:
    trail = AuditTrail(engine, FakeClock(T0))
    with pytest.raises(ValueError, match="xml"):
        trail.export(io.StringIO(), fmt="xml")  # type: ignore[arg-type]
