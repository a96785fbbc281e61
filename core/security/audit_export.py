"""Exporting the audit trail for a period: JSON lines or CSV, streamed in seq order.

Both formats carry every field, the sequence numbers and both hashes, so an export kept
elsewhere is a witness of the chain as it was (see :mod:`core.security.audit_record` for how a
record hashes). JSON lines hold ``before``/``after`` as objects; CSV holds them as their JSON
text, and an absent value as an empty cell.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime
from typing import Literal, TextIO

from sqlalchemy import ColumnElement, Engine

from core.security.audit_record import CHUNK_ROWS, iter_rows, record_from_row, utc_instant
from core.state.tables import AuditRecordRow

EXPORT_FIELDS = (
    "seq",
    "at",
    "actor",
    "client",
    "action",
    "target",
    "region_code",
    "outcome",
    "detail",
    "before",
    "after",
    "prev_hash",
    "hash",
)
"""The columns of an export, in order (the CSV header row)."""


def export_records(
    engine: Engine,
    out: TextIO,
    *,
    fmt: Literal["jsonl", "csv"],
    since: datetime | None = None,
    until: datetime | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> int:
    """Write the records written from ``since`` (inclusive) to ``until`` (exclusive) to ``out``,
    oldest first, as ``fmt``; returns how many. Open a CSV file with ``newline=""``."""
    if fmt not in ("jsonl", "csv"):
        raise ValueError(f"unknown export format {fmt!r}: use jsonl or csv")
    conditions: list[ColumnElement[bool]] = []
    if since is not None:
        conditions.append(AuditRecordRow.at >= utc_instant(since))
    if until is not None:
        conditions.append(AuditRecordRow.at < utc_instant(until))
    writer = csv.writer(out) if fmt == "csv" else None
    if writer is not None:
        writer.writerow(EXPORT_FIELDS)
    written = 0
    for row in iter_rows(engine, *conditions, chunk_rows=chunk_rows):
        fields = record_from_row(row).as_json()
        if writer is not None:
            writer.writerow(_csv_cell(fields[name]) for name in EXPORT_FIELDS)
        else:
            out.write(json.dumps(fields, ensure_ascii=False) + "\n")
        written += 1
    return written


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return str(value)
