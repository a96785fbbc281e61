"""The .snmprec reader: every tag and encoding as snmpsim reads it, order, duplicates, bad lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.snmp.snmprec import load_snmprec, parse_snmprec
from collectors.snmp.transport import oid_key
from core.errors import MalformedResponse


def one(line: str) -> object:
    varbinds = parse_snmprec(line)
    assert len(varbinds) == 1
    return varbinds[0][1]


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ("1.3.6.1.2.1.1.7.0|2|-72", -72),
        ("1.3.6.1.2.1.2.2.1.10.1|65|4294967295", 4294967295),
        ("1.3.6.1.2.1.2.2.1.5.1|66|1000000000", 1000000000),
        ("1.3.6.1.2.1.1.3.0|67|123456", 123456),
        ("1.3.6.1.2.1.31.1.1.1.6.1|70|18446744073709551615", 18446744073709551615),
        ("1.3.6.1.2.1.1.5.0|4|core-sw-01", b"core-sw-01"),
        ("1.3.6.1.2.1.1.5.0|4|", b""),
        ("1.3.6.1.2.1.2.2.1.6.1|4x|0019e8a1b2c3", b"\x00\x19\xe8\xa1\xb2\xc3"),
        ("1.3.6.1.4.1.9.9.1.0|68x|9f780400", b"\x9fx\x04\x00"),
        ("1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.2011.2.23.95", "1.3.6.1.4.1.2011.2.23.95"),
        ("1.3.6.1.2.1.1.2.0|6|.1.3.6.1.4.1.9.1.516", "1.3.6.1.4.1.9.1.516"),
        ("1.3.6.1.2.1.4.20.1.1.10.0.0.1|64|10.0.0.1", "10.0.0.1"),
        # snmpsim's own recorder always writes IpAddress in hex.
        ("1.3.6.1.2.1.4.20.1.1.10.0.0.1|64x|0a000001", "10.0.0.1"),
        ('1.3.6.1.2.1.1.4.0|4e|\\"private\\"', b'"private"'),
        ("1.0.8802.1.1.2.1.3.5.0|4e|(\\x00\\x00\\x00", b"(\x00\x00\x00"),
        ("1.3.6.1.2.1.1.1.0|4e|a\\tb\\nc\\\\", b"a\tb\nc\\"),
    ],
)
def test_each_tag_becomes_the_seams_plain_type(line: str, value: object) -> None:
    assert one(line) == value


def test_a_latin1_byte_in_a_plain_value_is_that_byte() -> None:
    # snmpsim reads files as Latin-1: each byte of a plain value is served unchanged.
    raw = "1.3.6.1.2.1.1.5.0|4|caf\xe9 \x85x".encode("latin-1")
    assert parse_snmprec(raw.decode("latin-1")) == [("1.3.6.1.2.1.1.5.0", b"caf\xe9 \x85x")]


def test_text_beyond_latin1_stands_for_its_utf8_bytes() -> None:
    assert one("1.3.6.1.2.1.1.6.0|4|广州") == "广州".encode()


def test_a_file_is_read_as_snmpsim_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "dev.snmprec"
    path.write_bytes(b"1.3.6.1.2.1.1.5.0|4|GBK \xb9\xe3\xd6\xdd\r\n1.3.6.1.2.1.1.7.0|2|72\n")
    assert load_snmprec(path) == [
        ("1.3.6.1.2.1.1.5.0", b"GBK \xb9\xe3\xd6\xdd"),
        ("1.3.6.1.2.1.1.7.0", 72),
    ]


def test_trailing_blanks_are_lost_as_in_snmpsim() -> None:
    assert one("1.3.6.1.2.1.47.1.1.1.1.2.10|4|Temp1   \t") == b"Temp1"


@pytest.mark.parametrize(
    "line",
    [
        "1.3.6.1.2.1.1.9.0|5|",
        "1.3.6.1.2.1.1.9.0|128|",
        "1.3.6.1.2.1.1.9.0|129|",
        "1.3.6.1.2.1.1.9.0|130|",
        "1.3.6.1.2.1.2.2.1.10.1|65:numeric|rate=100,max=4294967295,wrap=1",
    ],
)
def test_null_markers_and_variations_without_initial_value_are_absent(line: str) -> None:
    assert parse_snmprec(line) == []


def test_a_variation_serves_its_initial_value() -> None:
    assert one("1.3.6.1.2.1.31.1.1.1.6.1|70:numeric|rate=1000,initial=500") == 500


def test_redacted_hex_is_served_as_its_text() -> None:
    assert one("1.3.6.1.2.1.2.2.1.6.1|4x|346288XXYYZZ") == b"346288XXYYZZ"


def test_lines_are_sorted_numerically_not_as_text() -> None:
    text = "\n".join(
        [
            "1.3.6.1.2.1.2.2.1.10.1|65|5",
            "1.3.6.1.2.1.2.2.1.2.1|4|eth0",
            "1.3.6.1.2.1.2.2.1.1.1|2|1",
            "1.3.6.1.2.1.2.2.1.2.10|4|eth9",
        ]
    )
    oids = [oid for oid, _ in parse_snmprec(text)]
    assert oids == [
        "1.3.6.1.2.1.2.2.1.1.1",
        "1.3.6.1.2.1.2.2.1.2.1",
        "1.3.6.1.2.1.2.2.1.2.10",
        "1.3.6.1.2.1.2.2.1.10.1",
    ]


def test_duplicates_leave_one_varbind_and_the_last_line_wins() -> None:
    text = "1.3.6.1.2.1.1.5.0|4|old\n.1.3.6.1.2.1.1.5.0|4|new\n1.3.6.1.2.1.1.5.0|4|new\n"
    assert parse_snmprec(text) == [("1.3.6.1.2.1.1.5.0", b"new")]


def test_comments_and_blank_lines_are_skipped() -> None:
    text = "# recorded 2024\n\n   \n1.3.6.1.2.1.1.7.0|2|72\n"
    assert parse_snmprec(text) == [("1.3.6.1.2.1.1.7.0", 72)]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("1.3.6.1.2.1.1.5.0 core-sw-01", "expected OID|TAG|VALUE"),
        ("1.3.6.1.2.1.1.7.0|2|seventy-two", "invalid literal"),
        ("1.3.6.1.2.1.1.7.0|99|1", "unknown tag"),
        ("sysName.0|4|x", "not a numeric OID"),
        ("1.3.6.1.2.1.1.7.0|2x|48", "hex encoding"),
        ("1.3.6.1.2.1.4.20.1.1.1|64|10.0.0.300", "bad IpAddress"),
        ("1.3.6.1.2.1.1.4.0|4e|bad \\q escape", "unknown escape"),
    ],
)
def test_a_bad_line_is_reported_with_its_file_and_line(line: str, reason: str) -> None:
    text = f"1.3.6.1.2.1.1.1.0|4|ok\n{line}\n"
    with pytest.raises(MalformedResponse) as caught:
        parse_snmprec(text, "dev.snmprec")
    assert caught.value.target == "dev.snmprec:2"
    assert reason in caught.value.reason


def test_a_real_recording_reads_whole_and_in_order(shared_dir: Path) -> None:
    varbinds = load_snmprec(shared_dir / "snmprec" / "recordings" / "vrp_5720.snmprec")
    keys = [oid_key(oid) for oid, _ in varbinds]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    values = dict(varbinds)
    assert values["1.3.6.1.2.1.1.2.0"] == "1.3.6.1.4.1.2011.2.23.291"
    assert values["1.3.6.1.2.1.31.1.1.1.1.1"] == b"InLoopBack0"
    assert all(isinstance(value, int | bytes | str) for value in values.values())
