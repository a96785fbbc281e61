"""Reading a CSV file of terminals to register: pure parsing, one error per bad field and row.

The header names the columns (any order, any case)::

    serial,model,kind,site,county[,id,firmware_version,parameter_version]

The file may be UTF-8 with or without the BOM Excel writes, or GBK (what Excel on a Chinese
Windows saves as "CSV"). A file that cannot be read at all raises
:class:`~card_fleet.errors.ImportRefused`; a bad row becomes a :class:`RowError` naming its
line, its column and the reason, and the good rows are returned to be registered. Whether a
serial or id is already in the registry is the registry's question, not this module's.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Container, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from card_fleet.errors import ImportRefused
from card_fleet.model import Terminal, TerminalKind

if TYPE_CHECKING:
    from _csv import Reader

REQUIRED_COLUMNS = ("serial", "model", "kind", "site", "county")
OPTIONAL_COLUMNS = ("id", "firmware_version", "parameter_version")
MAX_LENGTHS = {
    "serial": 64,
    "model": 64,
    "site": 255,
    "id": 32,
    "firmware_version": 64,
    "parameter_version": 64,
}
"""The state DB's column widths (core/state/terminal_tables.py)."""
TERMINAL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
"""An id given by hand: letters, digits, ``.``, ``_`` and ``-`` (it travels in credentials)."""
_DIVISION_CODE = re.compile(r"\d{6}")
_KINDS = ", ".join(kind.value for kind in TerminalKind)


@dataclass(frozen=True, slots=True)
class RowError:
    """Why one row of an import was not registered."""

    line: int
    """Line of the file where the row starts (the header is line 1)."""
    column: str | None
    """The column at fault; None when the row as a whole is (too many fields)."""
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.column is None else f"line {self.line}, {self.column}"
        return f"{where}: {self.reason}"


@dataclass(frozen=True, slots=True)
class TerminalDraft:
    """A terminal to register, its fields checked (but not yet against the registry)."""

    line: int
    serial: str
    model: str
    kind: TerminalKind
    site: str
    county: str
    terminal_id: str | None = None
    firmware_version: str | None = None
    parameter_version: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedTerminalCsv:
    """What a file held: the good rows, and one error per bad field of the bad rows."""

    drafts: tuple[TerminalDraft, ...]
    errors: tuple[RowError, ...]


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import did: the terminals registered, and why the other rows were not."""

    added: tuple[Terminal, ...]
    errors: tuple[RowError, ...]
    """Ordered by line."""


def decode_csv(data: str | bytes) -> str:
    """The file's text: UTF-8 (with or without a BOM), else GBK; refused when neither."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("gbk")
            except UnicodeDecodeError:
                raise ImportRefused(
                    "the file is neither UTF-8 nor GBK text; save it from Excel as "
                    "'CSV UTF-8 (comma delimited)'"
                ) from None
    else:
        text = data.removeprefix("\ufeff")
    if "\x00" in text:
        raise ImportRefused("the file holds NUL characters (UTF-16?); save it as CSV UTF-8")
    return text


def check_fields(
    values: Mapping[str, str | None], *, line: int, known_counties: Container[str]
) -> tuple[TerminalDraft | None, list[RowError]]:
    """A draft of one terminal from its raw fields, or the errors that keep it out."""
    errors: list[RowError] = []
    clean: dict[str, str | None] = {}
    for column in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS):
        value = (values.get(column) or "").strip()
        if not value:
            if column in REQUIRED_COLUMNS:
                errors.append(RowError(line, column, "missing"))
            clean[column] = None
            continue
        limit = MAX_LENGTHS.get(column)
        if limit is not None and len(value) > limit:
            errors.append(RowError(line, column, f"too long ({len(value)} > {limit} characters)"))
        clean[column] = value
    kind = _kind(clean["kind"])
    if clean["kind"] is not None and kind is None:
        errors.append(RowError(line, "kind", f"unknown kind '{clean['kind']}' (one of {_KINDS})"))
    county = clean["county"]
    if county is not None and not _DIVISION_CODE.fullmatch(county):
        errors.append(RowError(line, "county", f"'{county}' is not a 6-digit division code"))
    elif county is not None and county not in known_counties:
        errors.append(RowError(line, "county", f"unknown county {county}"))
    terminal_id = clean["id"]
    if terminal_id is not None and not TERMINAL_ID.fullmatch(terminal_id):
        errors.append(
            RowError(line, "id", f"'{terminal_id}' may hold only letters, digits, '.', '_', '-'")
        )
    if errors or kind is None:
        return None, errors
    return (
        TerminalDraft(
            line=line,
            serial=clean["serial"] or "",
            model=clean["model"] or "",
            kind=kind,
            site=clean["site"] or "",
            county=county or "",
            terminal_id=terminal_id,
            firmware_version=clean["firmware_version"],
            parameter_version=clean["parameter_version"],
        ),
        [],
    )


def parse_terminal_csv(data: str | bytes, *, known_counties: Container[str]) -> ParsedTerminalCsv:
    """Every row of a terminal CSV file checked; a later row repeating a serial or id of an
    earlier one is an error naming that line (the earlier row stands)."""
    rows = csv.reader(io.StringIO(decode_csv(data), newline=""))
    try:
        header, header_line = _header(rows)
        drafts: list[TerminalDraft] = []
        errors: list[RowError] = []
        first_line_of: dict[tuple[str, str], int] = {}
        end_of_previous = header_line
        for fields in rows:
            line, end_of_previous = end_of_previous + 1, rows.line_num
            if not any(field.strip() for field in fields):
                continue  # blank lines and rows of empty cells, as Excel leaves them
            if any(field.strip() for field in fields[len(header) :]):
                errors.append(
                    RowError(line, None, f"{len(fields)} fields where the header has {len(header)}")
                )
                continue
            draft, row_errors = check_fields(
                dict(zip(header, fields, strict=False)), line=line, known_counties=known_counties
            )
            errors.extend(row_errors)
            if draft is not None:
                repeated = _repeated(draft, first_line_of)
                if repeated is None:
                    drafts.append(draft)
                else:
                    errors.append(repeated)
    except csv.Error as exc:
        raise ImportRefused(f"line {rows.line_num}: not readable as CSV: {exc}") from None
    return ParsedTerminalCsv(tuple(drafts), tuple(errors))


def _header(rows: Reader) -> tuple[list[str], int]:
    for fields in rows:
        if any(field.strip() for field in fields):
            header = [field.strip().lower() for field in fields]
            break
    else:
        raise ImportRefused("the file is empty: it needs a header line naming the columns")
    where = f"header (line {rows.line_num})"
    unknown = [name for name in header if name not in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)]
    if unknown:
        raise ImportRefused(
            f"{where}: unknown column(s) {', '.join(repr(n) for n in unknown)}; the columns are "
            f"{', '.join(REQUIRED_COLUMNS)} and optionally {', '.join(OPTIONAL_COLUMNS)}"
        )
    doubled = sorted({name for name in header if header.count(name) > 1})
    if doubled:
        raise ImportRefused(f"{where}: column(s) named twice: {', '.join(doubled)}")
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise ImportRefused(f"{where}: required column(s) missing: {', '.join(missing)}")
    return header, rows.line_num


def _kind(value: str | None) -> TerminalKind | None:
    try:
        return None if value is None else TerminalKind(value.lower())
    except ValueError:
        return None


def _repeated(draft: TerminalDraft, first_line_of: dict[tuple[str, str], int]) -> RowError | None:
    keys = [("serial", draft.serial)]
    if draft.terminal_id is not None:
        keys.append(("id", draft.terminal_id))
    for column, value in keys:
        earlier = first_line_of.get((column, value))
        if earlier is not None:
            return RowError(draft.line, column, f"'{value}' is already on line {earlier}")
    for key in keys:
        first_line_of[key] = draft.line
    return None
