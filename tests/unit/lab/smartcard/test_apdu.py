"""C-APDU parsing (cases 1–4, short only), R-APDUs, the Le rule, the T=0 response chain."""

from __future__ import annotations

import pytest

from lab.smartcard.apdu import (
    CommandApdu,
    MalformedApdu,
    ResponseApdu,
    ResponseChain,
    Sw,
    answer_with_le,
    get_challenge,
    more_data,
    wrong_le,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("00A40000", CommandApdu(0x00, 0xA4, 0x00, 0x00)),
        ("00B2010400", CommandApdu(0x00, 0xB2, 0x01, 0x04, le=0)),
        ("00A4020002EF05", CommandApdu(0x00, 0xA4, 0x02, 0x00, bytes.fromhex("EF05"))),
        ("00A4040002D15600", CommandApdu(0x00, 0xA4, 0x04, 0x00, bytes.fromhex("D156"), le=0)),
    ],
    ids=["case 1", "case 2", "case 3", "case 4"],
)
def test_the_four_cases_parse_and_encode_back(raw: str, expected: CommandApdu) -> None:
    parsed = CommandApdu.parse(bytes.fromhex(raw))
    assert parsed == expected
    assert parsed.to_bytes() == bytes.fromhex(raw)


@pytest.mark.parametrize(
    "raw",
    ["", "00A400", "00A4020003EF05", "00A402000000020000", "00A4020002EF050000"],
    ids=["empty", "3 bytes", "Lc too long", "extended", "two Le bytes"],
)
def test_malformed_commands_are_refused(raw: str) -> None:
    with pytest.raises(MalformedApdu):
        CommandApdu.parse(bytes.fromhex(raw))


def test_a_response_is_its_data_and_status_word() -> None:
    response = ResponseApdu.from_bytes(bytes.fromhex("0304322E30309000"))
    assert response == ResponseApdu(b"\x03\x042.00", Sw.OK)
    assert response.to_bytes().hex().upper() == "0304322E30309000"
    assert ResponseApdu.status(Sw.FILE_NOT_FOUND).to_bytes() == bytes.fromhex("6A82")
    with pytest.raises(MalformedApdu):
        ResponseApdu.from_bytes(b"\x90")


def test_61_and_6c_carry_the_length() -> None:
    assert more_data(0x1E) == 0x611E
    assert more_data(256) == 0x6100
    assert wrong_le(0x14) == 0x6C14


@pytest.mark.parametrize(
    ("le", "lenient", "expected"),
    [
        (None, False, "0102AABB9000"),
        (0, False, "0102AABB9000"),
        (4, False, "0102AABB9000"),
        (5, False, "6C04"),
        (3, False, "6C04"),
        (9, True, "0102AABB9000"),
    ],
)
def test_le_00_or_exact_gives_everything_else_6c(
    le: int | None, lenient: bool, expected: str
) -> None:
    answer = answer_with_le(bytes.fromhex("0102AABB"), le, lenient)
    assert answer.to_bytes().hex().upper() == expected


def test_get_response_gives_what_waits_once() -> None:
    chain = ResponseChain()
    assert chain.hold(b"\x6f" * 30).sw == 0x611E
    get_response = CommandApdu(0x00, 0xC0, 0x00, 0x00, le=0x1E)
    assert chain.get_response(get_response, chain.take()) == ResponseApdu.ok(b"\x6f" * 30)
    nothing = chain.get_response(get_response, chain.take())
    assert nothing.sw == Sw.CONDITIONS_NOT_SATISFIED


def test_a_wrong_le_on_get_response_keeps_the_answer_for_the_retry() -> None:
    chain = ResponseChain()
    chain.hold(b"abc")
    assert chain.get_response(CommandApdu(0, 0xC0, 0, 0, le=9), chain.take()).sw == 0x6C03
    retried = chain.get_response(CommandApdu(0, 0xC0, 0, 0, le=3), chain.take())
    assert retried == ResponseApdu.ok(b"abc")


def test_get_challenge_gives_le_random_bytes() -> None:
    answer = get_challenge(CommandApdu(0x00, 0x84, 0x00, 0x00, le=8), lambda n: b"\x5a" * n)
    assert answer == ResponseApdu.ok(b"\x5a" * 8)
    assert get_challenge(CommandApdu(0x00, 0x84, 0x00, 0x00, le=0)).sw == Sw.WRONG_LENGTH
    assert get_challenge(CommandApdu(0x00, 0x84, 0x01, 0x00, le=8)).sw == Sw.WRONG_P1_P2
    assert len(get_challenge(CommandApdu(0x00, 0x84, 0x00, 0x00, le=16)).data) == 16
