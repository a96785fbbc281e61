"""APDU builders, status words, SIMPLE-TLV, BCD/GBK decoding, check characters, 61xx/6Cxx."""

from __future__ import annotations

from datetime import date

import pytest

from card_fleet import apdu
from card_fleet.errors import CardRefused


class ScriptedCard:
    """Answers each command with the next scripted (data, SW) and records what was sent."""

    reader = "Scripted Reader 00"

    def __init__(self, answers: list[tuple[str, int]]) -> None:
        self.answers = [(bytes.fromhex(data), sw) for data, sw in answers]
        self.sent: list[str] = []
        self.steps: list[str] = []

    def transmit(self, command: bytes, *, step: str = "") -> tuple[bytes, int]:
        self.sent.append(command.hex().upper())
        self.steps.append(step)
        return self.answers.pop(0)


# --- builders: byte for byte the commands of NOTES §3, §6 and §9 ---------------------------------


def test_select_ssse_is_the_command_every_reader_sends() -> None:
    assert (
        apdu.select_by_name(apdu.SSSE_AID).hex().upper()
        == "00A404000F7378312E73682EC9E7BBE1B1A3D5CF"
    )


def test_ssse_aid_spells_sx1_sh_and_shehui_baozhang_in_gbk() -> None:
    assert apdu.SSSE_AID[:7] == b"sx1.sh."
    assert apdu.SSSE_AID[7:].decode("gbk") == "社会保障"


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (apdu.select_file(0xEF05), "00A4020002EF05"),
        (apdu.select_file(0xEF06), "00A4020002EF06"),
        (apdu.SELECT_MF, "00A40000023F00"),
        (apdu.select_file(0x0015), "00A40200020015"),
        (apdu.read_record(1, le=0), "00B2010400"),
        (apdu.read_record(7, sfi=5, le=0x0B), "00B2072C0B"),
        (apdu.read_record_by_tag(0x08, sfi=6, le=0x14), "00B2083014"),
        (apdu.read_record_by_tag(0x4E, sfi=6, le=0x16), "00B24E3016"),
        (apdu.read_record_by_tag(0x05, sfi=5, le=0x06), "00B2052806"),
        (apdu.read_binary(sfi=0x15, offset=1, le=10), "00B095010A"),
        (apdu.read_binary(sfi=0x16, le=6), "00B0960006"),
        (apdu.read_binary(offset=0x0102, le=6), "00B0010206"),
        (apdu.get_response(0x1E), "00C000001E"),
    ],
)
def test_builders_produce_the_documented_bytes(command: bytes, expected: str) -> None:
    assert command.hex().upper() == expected


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("00B2083018", "00B2083014"),  # case 2: Le replaced
        ("00B20830", "00B2083014"),  # case 1: Le appended
        ("00A4020002EF05", "00A4020002EF0514"),  # case 3: Le appended after the data
        ("00A4020002EF0500", "00A4020002EF0514"),  # case 4: Le replaced after the data
    ],
)
def test_with_le_sets_the_le_of_every_apdu_case(command: str, expected: str) -> None:
    assert apdu.with_le(bytes.fromhex(command), 0x14).hex().upper() == expected


def test_with_le_refuses_an_apdu_whose_lc_does_not_fit() -> None:
    with pytest.raises(ValueError, match="Lc"):
        apdu.with_le(bytes.fromhex("00A4020005EF05"), 0x10)


@pytest.mark.parametrize("sfi", [0, 31])
def test_short_ef_identifiers_are_1_to_30(sfi: int) -> None:
    with pytest.raises(ValueError, match="short EF"):
        apdu.read_record_by_tag(0x08, sfi=sfi, le=0)


# --- status words --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sw", "meaning"),
    [
        (0x9000, "9000 success"),
        (0x6A82, "6A82 file or application not found"),
        (0x6982, "6982 security status not satisfied"),
        (0x611E, "611E 30 more bytes"),
        (0x6C14, "6C14 wrong Le, the right one is 20"),
        (0x63C2, "63C2 verification failed, 2 tries left"),
        (0x6123, "6123 35 more bytes"),
        (0x1234, "1234 unknown status word"),
    ],
)
def test_describe_sw(sw: int, meaning: str) -> None:
    assert apdu.describe_sw(sw).startswith(meaning)


# --- exchange: T=0's follow-ups ------------------------------------------------------------------


def test_exchange_fetches_a_pending_response_with_get_response() -> None:
    card = ScriptedCard([("", 0x611E), ("6F1C84", 0x9000)])
    data, sw = apdu.exchange(card, apdu.select_by_name(apdu.SSSE_AID), step="selecting SSSE")
    assert (data.hex().upper(), sw) == ("6F1C84", 0x9000)
    assert card.sent[1] == "00C000001E"
    assert card.steps == ["selecting SSSE", "selecting SSSE"]


def test_exchange_resends_with_the_le_a_6cxx_asks_for() -> None:
    card = ScriptedCard([("", 0x6C14), ("0812" + "00" * 18, 0x9000)])
    _, sw = apdu.exchange(card, bytes.fromhex("00B2083018"), step="reading")
    assert sw == 0x9000
    assert card.sent == ["00B2083018", "00B2083014"]


def test_exchange_follows_a_6cxx_after_get_response_with_get_response() -> None:
    card = ScriptedCard([("", 0x6110), ("", 0x6C08), ("0102030405060708", 0x9000)])
    data, _ = apdu.exchange(card, bytes.fromhex("80FA000008"), step="x")
    assert card.sent[1:] == ["00C0000010", "00C0000008"]
    assert len(data) == 8


def test_exchange_collects_data_across_chained_61xx() -> None:
    card = ScriptedCard([("", 0x6102), ("AABB", 0x6101), ("CC", 0x9000)])
    data, sw = apdu.exchange(card, bytes.fromhex("00CA000000"), step="x")
    assert (data.hex().upper(), sw) == ("AABBCC", 0x9000)


def test_exchange_returns_an_error_status_word_untouched() -> None:
    card = ScriptedCard([("", 0x6A82)])
    assert apdu.exchange(card, apdu.select_by_name(apdu.SSSE_AID), step="x") == (b"", 0x6A82)


def test_exchange_gives_up_on_a_card_that_never_finishes() -> None:
    card = ScriptedCard([("", 0x6101)] * 20)
    with pytest.raises(CardRefused, match="reading EF05: the card never finished"):
        apdu.exchange(card, bytes.fromhex("00B2010400"), step="reading EF05")


# --- SIMPLE-TLV ----------------------------------------------------------------------------------


def test_parse_simple_tlv_reads_one_record() -> None:
    record = apdu.parse_simple_tlv(bytes.fromhex("0304322E3030"))
    assert record == apdu.TlvRecord(tag=0x03, value=b"2.00")


def test_parse_simple_tlv_reads_a_three_byte_length() -> None:
    record = apdu.parse_simple_tlv(bytes.fromhex("07FF0003414243"))
    assert record.value == b"ABC"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("03", "at least 2 bytes"),
        ("0304322E30", "says 4 value bytes, the record holds 3"),
        ("0304322E303000", "says 4 value bytes, the record holds 5"),
        ("000100", "not a valid SIMPLE-TLV tag"),
        ("07FF00", "cut short"),
    ],
)
def test_parse_simple_tlv_refuses_malformed_records(data: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        apdu.parse_simple_tlv(bytes.fromhex(data))


# --- BCD, an, GBK --------------------------------------------------------------------------------


def test_decode_bcd_strips_the_f_padding() -> None:
    assert apdu.decode_bcd(bytes.fromhex("4401FF")) == "4401"
    assert apdu.decode_bcd(bytes.fromhex("440106"), digits=6) == "440106"


@pytest.mark.parametrize("data", ["4A0106", "44F106"])
def test_decode_bcd_refuses_non_decimal_nibbles(data: str) -> None:
    with pytest.raises(ValueError, match="not BCD"):
        apdu.decode_bcd(bytes.fromhex(data))


def test_decode_bcd_checks_the_digit_count() -> None:
    with pytest.raises(ValueError, match="expected 12 BCD digits, got 10"):
        apdu.decode_bcd(bytes.fromhex("4401000000FF"), digits=12)


def test_decode_bcd_date() -> None:
    assert apdu.decode_bcd_date(bytes.fromhex("20340101")) == date(2034, 1, 1)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("20241301", "not a calendar date"),
        ("20240230", "not a calendar date"),
        ("2024010A", "not BCD"),
        ("202401", "4 bytes"),
        ("202401FF", "expected 8 BCD digits"),
    ],
)
def test_decode_bcd_date_refuses_bad_dates(data: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        apdu.decode_bcd_date(bytes.fromhex(data))


def test_decode_an_strips_zero_ff_and_space_padding() -> None:
    assert apdu.decode_an(b"X00000019\x00\x00") == "X00000019"
    assert apdu.decode_an(b"2.00  \xff") == "2.00"


def test_decode_an_refuses_non_ascii_and_control_bytes() -> None:
    with pytest.raises(ValueError, match="not ASCII"):
        apdu.decode_an("张".encode("gbk"))
    with pytest.raises(ValueError, match="control characters"):
        apdu.decode_an(b"AB\x01C")


def test_decode_gbk_reads_a_padded_name() -> None:
    field = "张三".encode("gbk") + b"\x00" * 26
    assert apdu.decode_gbk(field) == "张三"


def test_decode_gbk_refuses_bytes_that_are_not_gbk() -> None:
    with pytest.raises(ValueError, match="not GBK"):
        apdu.decode_gbk(b"\xd5")


# --- check characters (NOTES §2) -----------------------------------------------------------------


def test_the_notes_card_number_is_valid() -> None:
    assert apdu.card_number_check_character("X0000001") == "9"
    assert apdu.is_valid_card_number("X00000019")


@pytest.mark.parametrize(
    ("body", "check"),
    [
        ("00000000", "0"),  # Σ = 0: 11 − 0 = 11 → '0'
        ("10000000", "8"),  # Σ = 3: 11 − 3 = 8
        ("40000000", "X"),  # Σ = 12 ≡ 1: 11 − 1 = 10 → 'X'
        ("00000001", "9"),  # Σ = 2 (the last weight): 9
        ("A0000000", "3"),  # letters count A = 10: Σ = 30 ≡ 8 → 3
    ],
)
def test_card_number_check_character(body: str, check: str) -> None:
    assert apdu.card_number_check_character(body) == check


@pytest.mark.parametrize("body", ["0000000", "a0000000", "0000000-"])
def test_card_number_body_is_8_digits_or_capitals(body: str) -> None:
    with pytest.raises(ValueError, match="8 digits"):
        apdu.card_number_check_character(body)


@pytest.mark.parametrize(
    "number", ["X00000018", "X0000001", "x00000019", "X000000199", "X0000-019"]
)
def test_bad_card_numbers(number: str) -> None:
    assert not apdu.is_valid_card_number(number)


def test_the_notes_citizen_id_is_valid() -> None:
    assert apdu.citizen_id_check_digit("44010619900101123") == "5"
    assert apdu.is_valid_citizen_id("440106199001011235")


def test_citizen_id_check_digit_can_be_x() -> None:
    # The standard's own example: 11010519491231002X.
    assert apdu.is_valid_citizen_id("11010519491231002X")


@pytest.mark.parametrize(
    "citizen_id",
    [
        "440106199001011234",  # wrong check digit
        "44010619900101123",  # too short
        "440106199013011232",  # month 13, with the check digit right for those 17 digits
        "4401061990010112X5",
    ],
)
def test_bad_citizen_ids(citizen_id: str) -> None:
    assert not apdu.is_valid_citizen_id(citizen_id)
