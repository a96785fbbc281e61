"""Reading a terminal CSV file: good rows, every kind of bad row (with its line, column and
reason), Excel's BOM, GBK, and files that cannot be read at all."""

from __future__ import annotations

import pytest

from card_fleet.csv_import import RowError, TerminalDraft, decode_csv, parse_terminal_csv
from card_fleet.errors import ImportRefused
from card_fleet.model import TerminalKind

COUNTIES = {"440103", "440104", "440305"}
HEADER = "serial,model,kind,site,county,id,firmware_version,parameter_version\n"
BAD_KIND = "unknown kind 'atm' (one of kiosk, counter, hospital, pharmacy)"


def parse(text: str | bytes) -> tuple[list[TerminalDraft], list[RowError]]:
    parsed = parse_terminal_csv(text, known_counties=COUNTIES)
    return list(parsed.drafts), list(parsed.errors)


def test_a_good_file_gives_one_draft_per_row_with_its_line() -> None:
    drafts, errors = parse(
        HEADER
        + "SN-001,YT-K9,kiosk,越秀区社保局一楼大厅,440103,,FW1.0,P20260101\n"
        + " SN-002 , CR-2 , Counter ,海珠区社保局,440104,T-HZ-1,,\n"
        + "SN-003,HP-1,HOSPITAL,南山医院,440305,,,\n"
    )
    assert errors == []
    assert drafts == [
        TerminalDraft(
            2,
            "SN-001",
            "YT-K9",
            TerminalKind.KIOSK,
            "越秀区社保局一楼大厅",
            "440103",
            None,
            "FW1.0",
            "P20260101",
        ),
        TerminalDraft(
            3, "SN-002", "CR-2", TerminalKind.COUNTER, "海珠区社保局", "440104", "T-HZ-1"
        ),
        TerminalDraft(4, "SN-003", "HP-1", TerminalKind.HOSPITAL, "南山医院", "440305"),
    ]


def test_the_header_may_be_in_any_order_and_case_with_only_the_required_columns() -> None:
    drafts, errors = parse(
        " County ,KIND,serial,Site,model\r\n440103,pharmacy,SN-9,大药房,PH-1\r\n"
    )
    assert errors == []
    assert drafts == [TerminalDraft(2, "SN-9", "PH-1", TerminalKind.PHARMACY, "大药房", "440103")]


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        (",M,kiosk,S,440103", "serial", "missing"),
        ("SN,M,kiosk,  ,440103", "site", "missing"),
        ("SN,M,kiosk,S", "county", "missing"),
        ("SN,M,atm,S,440103", "kind", BAD_KIND),
        ("SN,M,kiosk,S,440199", "county", "unknown county 440199"),
        ("SN,M,kiosk,S,4401", "county", "'4401' is not a 6-digit division code"),
        ("SN,M,kiosk,S,越秀区", "county", "'越秀区' is not a 6-digit division code"),
        ("S" * 65 + ",M,kiosk,S,440103", "serial", "too long (65 > 64 characters)"),
        ("SN,M,kiosk,S,440103,T 1", "id", "'T 1' may hold only letters, digits, '.', '_', '-'"),
        ("SN,M,kiosk,S,440103,,,,extra", None, "9 fields where the header has 8"),
    ],
)
def test_a_bad_row_is_an_error_naming_line_column_and_reason(
    row: str, column: str | None, reason: str
) -> None:
    drafts, errors = parse(HEADER + "GOOD-1,M,kiosk,S,440103\n" + row + "\n")
    assert [draft.serial for draft in drafts] == ["GOOD-1"]
    assert errors == [RowError(3, column, reason)]


def test_every_bad_field_of_a_row_is_reported() -> None:
    _, errors = parse(HEADER + ",M,atm,,440199\n")
    assert errors == [
        RowError(2, "serial", "missing"),
        RowError(2, "site", "missing"),
        RowError(2, "kind", BAD_KIND),
        RowError(2, "county", "unknown county 440199"),
    ]
    assert str(errors[0]) == "line 2, serial: missing"


def test_a_repeated_serial_or_id_is_an_error_on_the_later_row() -> None:
    drafts, errors = parse(
        HEADER
        + "SN-1,M,kiosk,S,440103,T-1\n"
        + "SN-2,M,kiosk,S,440103,T-2\n"
        + "SN-1,M,kiosk,S,440104\n"
        + "SN-3,M,kiosk,S,440104,T-2\n"
    )
    assert [draft.line for draft in drafts] == [2, 3]
    assert errors == [
        RowError(4, "serial", "'SN-1' is already on line 2"),
        RowError(5, "id", "'T-2' is already on line 3"),
    ]


def test_blank_lines_are_skipped_and_lines_count_from_the_file() -> None:
    drafts, errors = parse(
        "\n" + HEADER + '\n,,,,\nSN-1,M,kiosk,"two\nlines",440103\nSN-2,M,atm,S,440103\n'
    )
    assert [(draft.line, draft.site) for draft in drafts] == [(5, "two\nlines")]
    assert errors == [RowError(7, "kind", BAD_KIND)]


def test_trailing_empty_cells_from_excel_are_not_extra_fields() -> None:
    drafts, errors = parse("serial,model,kind,site,county\nSN-1,M,kiosk,S,440103,,,\n")
    assert errors == []
    assert [draft.serial for draft in drafts] == ["SN-1"]


ROWS = HEADER + "SN-1,M,kiosk,越秀区社保局,440103\n"


@pytest.mark.parametrize(
    "data",
    [
        ROWS,
        "\ufeff" + ROWS,
        ROWS.encode("utf-8"),
        b"\xef\xbb\xbf" + ROWS.encode("utf-8"),  # Excel's "CSV UTF-8"
        ROWS.encode("gbk"),  # Excel's "CSV" on a Chinese Windows
        ROWS.replace("\n", "\r\n").encode("gbk"),
    ],
    ids=["text", "text-bom", "utf8", "utf8-bom", "gbk", "gbk-crlf"],
)
def test_utf8_with_or_without_bom_and_gbk_read_the_same(data: str | bytes) -> None:
    drafts, errors = parse(data)
    assert errors == []
    assert [(draft.serial, draft.site) for draft in drafts] == [("SN-1", "越秀区社保局")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("", "the file is empty"),
        ("\n\n", "the file is empty"),
        ("SN-1,M,kiosk,S,440103\n", r"header \(line 1\): unknown column\(s\) 'sn-1', 'm'"),
        ("serial,model,kind,site\nSN-1,M,kiosk,S\n", "required column.s. missing: county"),
        ("serial,model,kind,site,county,firmware_verison\n", "unknown column.s. 'firmware_veri"),
        ("serial,model,kind,site,county,serial\n", "column.s. named twice: serial"),
        (ROWS.encode("utf-16"), "neither UTF-8 nor GBK"),
        (b"\x81\x20serial", "neither UTF-8 nor GBK"),
        ("serial\x00,model\n", "NUL characters"),
        (HEADER + 'SN-1,"M' + "x" * 200_000 + '",kiosk,S,440103\n', "line 2: not readable as CSV"),
    ],
    ids=[
        "empty",
        "blank",
        "no-header",
        "missing",
        "typo",
        "twice",
        "utf16",
        "bad-bytes",
        "nul",
        "huge-field",
    ],
)
def test_a_file_that_cannot_be_read_is_refused_as_a_whole(data: str | bytes, message: str) -> None:
    with pytest.raises(ImportRefused, match=message):
        parse(data)


def test_decode_keeps_text_as_is_apart_from_the_bom() -> None:
    assert decode_csv("\ufeffa,b") == "a,b"
    assert decode_csv("a,\ufeffb") == "a,\ufeffb"
