"""Reading a social-security card over a fake transmit: commands, checks, refusals, masking."""

from __future__ import annotations

from datetime import date

import pytest

from card_fleet import apdu, sscard
from card_fleet.errors import CardRefused, CardRemoved, WrongCard

CITIZEN_ID = "440106199001011235"
NAME = "张三"


def _record(tag: int, value: bytes) -> bytes:
    return bytes([tag, len(value)]) + value


def _padded(value: bytes, length: int) -> bytes:
    return value + b"\x00" * (length - len(value))


def notes_ef05() -> dict[int, bytes]:
    """EF05 of NOTES §9's test card, keyed by tag (= record number)."""
    return {
        0x01: bytes.fromhex("440100D1560000050011223344556677"),
        0x03: b"2.00",
        0x05: bytes.fromhex("20240101"),
        0x06: bytes.fromhex("20340101"),
        0x07: b"X00000019",
    }


def notes_ef06() -> list[tuple[int, bytes]]:
    """EF06 of NOTES §9's test card, in record order (V2 layout)."""
    return [
        (0x08, CITIZEN_ID.encode()),
        (0x09, _padded(NAME.encode("gbk"), 30)),
        (0x4E, b"\x00" * 20),
        (0x0A, b"1"),
        (0x0B, bytes.fromhex("01")),
        (0x0C, bytes.fromhex("440106")),
        (0x0D, bytes.fromhex("19900101")),
    ]


class FakeSocialSecurityCard:
    """A T=0 social-security card as NOTES §7/§9 describe it, over the ``Transmit`` seam.

    SELECT SSSE answers ``611E`` (or the FCI at once with ``t0=False``); READ RECORD understands
    P2's SFI and number/tag modes and answers a wrong Le with ``6Cxx``; GET RESPONSE hands over a
    pending FCI. Faults: ``ssse=False`` (not an SS card: ``6A82``), ``locked_ef06`` (a 3.0 card
    before external authentication: ``6982``), ``remove_after`` (the card is pulled after that
    many commands).
    """

    reader = "Fake Card Reader 01"
    atr = bytes.fromhex("3B6D0000008154443686605328A8888888")
    FCI = bytes.fromhex("6F1C840F7378312E73682EC9E7BBE1B1A3D5CFA5099F0C06860101000000")

    def __init__(
        self,
        *,
        ef05: dict[int, bytes] | None = None,
        ef06: list[tuple[int, bytes]] | None = None,
        t0: bool = True,
        ssse: bool = True,
        locked_ef06: bool = False,
        remove_after: int | None = None,
        answers: dict[str, tuple[bytes, int]] | None = None,
    ) -> None:
        ef05_items = notes_ef05() if ef05 is None else ef05
        # EF05's record number is its tag; a missing tag leaves its slot empty.
        self.files: dict[int, list[bytes | None]] = {
            0x05: [
                _record(tag, ef05_items[tag]) if tag in ef05_items else None for tag in range(1, 8)
            ],
            0x06: [_record(tag, value) for tag, value in (ef06 or notes_ef06())],
        }
        self.t0 = t0
        self.ssse = ssse
        self.locked_ef06 = locked_ef06
        self.remove_after = remove_after
        self.answers = answers or {}
        self.sent: list[str] = []
        self.steps: list[str] = []
        self._in_ssse = False
        self._current_ef: int | None = None
        self._pending = b""

    def transmit(self, command: bytes, *, step: str = "") -> tuple[bytes, int]:
        if self.remove_after is not None and len(self.sent) >= self.remove_after:
            raise CardRemoved(self.reader, f"{step}: the card was removed")
        hex_command = command.hex().upper()
        self.sent.append(hex_command)
        self.steps.append(step)
        if hex_command in self.answers:
            return self.answers[hex_command]
        pending, self._pending = self._pending, b""
        ins, p1, p2 = command[1], command[2], command[3]
        if command[0] != 0x00:
            return b"", 0x6E00
        if ins == 0xA4:
            return self._select(p1, command[5 : 5 + command[4]])
        if ins == 0xB2:
            return self._read_record(p1, p2, command[4] if len(command) == 5 else 0)
        if ins == 0xC0:
            if not pending:
                return b"", 0x6985
            return pending[: command[4] or 256], 0x9000
        return b"", 0x6D00

    def _select(self, p1: int, data: bytes) -> tuple[bytes, int]:
        if p1 == 0x04:
            if data != apdu.SSSE_AID or not self.ssse:
                return b"", 0x6A82
            self._in_ssse, self._current_ef = True, None
            if self.t0:
                self._pending = self.FCI
                return b"", 0x6100 | len(self.FCI)
            return self.FCI, 0x9000
        if self._in_ssse and data in (b"\xef\x05", b"\xef\x06"):
            self._current_ef = data[1]
            return b"", 0x9000
        return b"", 0x6A82

    def _read_record(self, p1: int, p2: int, le: int) -> tuple[bytes, int]:
        ef = p2 >> 3 or self._current_ef
        if not self._in_ssse or ef not in self.files:
            return b"", 0x6986 if ef is None else 0x6A82
        self._current_ef = ef
        if ef == 0x06 and self.locked_ef06:
            return b"", 0x6982
        records = self.files[ef]
        if p2 & 0x07 == 0x04:
            record = records[p1 - 1] if 1 <= p1 <= len(records) else None
        elif p2 & 0x07 == 0x00:
            record = next((r for r in records if r is not None and r[0] == p1), None)
        else:
            return b"", 0x6A86
        if record is None:
            return b"", 0x6A83
        if le not in (0, len(record)):
            return b"", 0x6C00 | len(record)
        return record, 0x9000


# --- the happy path ------------------------------------------------------------------------------


def test_reads_the_notes_test_card() -> None:
    card = sscard.read_card(FakeSocialSecurityCard())

    assert card.issuer == sscard.CardIssuerData(
        card_id="440100D1560000050011223344556677",
        issuing_region="440100",
        card_type=None,
        spec_version="2.00",
        issued_on=date(2024, 1, 1),
        expires_on=date(2034, 1, 1),
        card_number="X00000019",
    )
    holder = card.holder
    assert (holder.citizen_id, holder.name) == (CITIZEN_ID, NAME)
    assert holder.sex is sscard.Sex.MALE
    assert (holder.ethnicity, holder.birthplace) == ("01", "440106")
    assert holder.birth_date == date(1990, 1, 1)


def test_sends_exactly_the_documented_commands() -> None:
    fake = FakeSocialSecurityCard()
    sscard.read_card(fake)
    assert fake.sent == [
        "00A404000F7378312E73682EC9E7BBE1B1A3D5CF",
        "00C000001E",
        "00A4020002EF05",
        "00B2010412",
        "00B2020403",  # card type: absent on the test card (6A83), which is allowed
        "00B2030406",
        "00B2050406",
        "00B2060406",
        "00B207040B",
        "00A4020002EF06",
        "00B2083014",
        "00B2093020",
        "00B24E3016",
        "00B20A3003",
        "00B20B3003",
        "00B20C3005",
        "00B20D3006",
    ]


def test_steps_name_the_file_and_tag_but_no_value() -> None:
    fake = FakeSocialSecurityCard()
    sscard.read_card(fake)
    assert "reading EF06 tag 08 (citizen id)" in fake.steps
    assert not any(CITIZEN_ID in step or NAME in step for step in fake.steps)


def test_a_card_answering_select_with_the_fci_at_once_is_read_too() -> None:
    fake = FakeSocialSecurityCard(t0=False)
    assert sscard.read_card(fake).issuer.card_number == "X00000019"
    assert "00C000001E" not in fake.sent


def test_holder_data_stays_out_of_repr() -> None:
    card = sscard.read_card(FakeSocialSecurityCard())
    shown = repr(card)
    assert CITIZEN_ID not in shown
    assert NAME not in shown
    assert "1990" not in shown


def test_card_type_is_read_when_the_card_has_it() -> None:
    ef05 = notes_ef05() | {0x02: b"3"}
    assert sscard.read_card(FakeSocialSecurityCard(ef05=ef05)).issuer.card_type == "3"


def test_name_extension_is_appended() -> None:
    ef06 = [
        (tag, _padded("张".encode("gbk"), 30) if tag == 0x09 else value)
        for tag, value in notes_ef06()
    ]
    ef06 = [
        (tag, _padded("三丰".encode("gbk"), 20) if tag == 0x4E else value) for tag, value in ef06
    ]
    assert sscard.read_card(FakeSocialSecurityCard(ef06=ef06)).holder.name == "张三丰"


def test_a_1_00_card_without_name_extension_is_read_by_tag() -> None:
    # Gen 1: no tag 4E, so record numbers shift — reading by tag does not care.
    ef06 = [(tag, value) for tag, value in notes_ef06() if tag != 0x4E]
    ef05 = notes_ef05() | {0x03: b"1.00"}
    card = sscard.read_card(FakeSocialSecurityCard(ef05=ef05, ef06=ef06))
    assert card.issuer.spec_version == "1.00"
    assert card.holder.birth_date == date(1990, 1, 1)


def test_a_wrong_le_is_corrected_through_6cxx() -> None:
    # A card whose card-number record is one byte longer than the layout: 6C0C, then refused
    # for its length — the re-send itself worked.
    fake = FakeSocialSecurityCard(ef05=notes_ef05() | {0x07: b"X000000190"})
    with pytest.raises(CardRefused, match="10 bytes where the layout has 9"):
        sscard.read_card(fake)
    assert fake.sent[-2:] == ["00B207040B", "00B207040C"]


# --- refusals ------------------------------------------------------------------------------------


def test_a_card_without_ssse_is_the_wrong_card() -> None:
    with pytest.raises(WrongCard, match="selecting SSSE: not a social-security card"):
        sscard.read_card(FakeSocialSecurityCard(ssse=False))


def test_other_select_errors_are_refusals_not_wrong_card() -> None:
    fake = FakeSocialSecurityCard(
        answers={apdu.select_by_name(apdu.SSSE_AID).hex().upper(): (b"", 0x6A81)}
    )
    with pytest.raises(CardRefused, match="selecting SSSE: the card answered 6A81") as caught:
        sscard.read_card(fake)
    assert not isinstance(caught.value, WrongCard)


def test_a_3_00_card_before_authentication_is_refused_clearly() -> None:
    fake = FakeSocialSecurityCard(locked_ef06=True, ef05=notes_ef05() | {0x03: b"3.00"})
    with pytest.raises(CardRefused, match=r"reading EF06 tag 08 .*external authentication"):
        sscard.read_card(fake)


def test_a_card_pulled_mid_read_names_the_step() -> None:
    with pytest.raises(CardRemoved, match=r"reading EF06 tag 09 \(name\): the card was removed"):
        sscard.read_card(FakeSocialSecurityCard(remove_after=11))


def test_a_missing_ef06_is_refused_at_its_select() -> None:
    fake = FakeSocialSecurityCard(answers={"00A4020002EF06": (b"", 0x6A82)})
    with pytest.raises(CardRefused, match="selecting EF06: the card answered 6A82"):
        sscard.read_card(fake)


@pytest.mark.parametrize(
    ("ef05_change", "message"),
    [
        ({0x01: bytes.fromhex("440100A0000003330011223344556677")}, "no social-security RID"),
        ({0x01: bytes.fromhex("44A100D1560000050011223344556677")}, "EF05 card id: not BCD"),
        ({0x03: b"4.00"}, "spec version: not 1.00, 2.00 or 3.00"),
        ({0x05: bytes.fromhex("20241301")}, "EF05 issue date: not a calendar date"),
        ({0x06: bytes.fromhex("20340A01")}, "EF05 expiry date: not BCD"),
        ({0x06: bytes.fromhex("20231231")}, "expires before it was issued"),
        ({0x07: b"X00000018"}, "card number: the check character is wrong"),
        ({0x07: b"X000\x010019"}, "card number: control characters"),
    ],
)
def test_bad_ef05_items_are_refused(ef05_change: dict[int, bytes], message: str) -> None:
    with pytest.raises(CardRefused, match=message):
        sscard.read_card(FakeSocialSecurityCard(ef05=notes_ef05() | ef05_change))


def _ef06_with(tag: int, value: bytes) -> list[tuple[int, bytes]]:
    return [(t, value if t == tag else v) for t, v in notes_ef06()]


@pytest.mark.parametrize(
    ("tag", "value", "message"),
    [
        (0x08, b"440106199001011234", "not a valid GB 11643 number"),
        (0x09, b"\x00" * 30, "EF06 name: empty"),
        (0x09, _padded(b"\xd5\xc5\x81", 30), "EF06 name: not GBK"),
        (0x0A, b"3", "EF06 sex: not a GB/T 2261.1 code"),
        (0x0B, bytes.fromhex("0F"), "EF06 ethnicity"),
        (0x0C, bytes.fromhex("4FFFFF"), "EF06 birthplace: not a division code"),
        (0x0D, bytes.fromhex("19900102"), "birth date does not match the citizen id"),
    ],
)
def test_bad_ef06_items_are_refused_without_echoing_them(
    tag: int, value: bytes, message: str
) -> None:
    with pytest.raises(CardRefused, match=message) as caught:
        sscard.read_card(FakeSocialSecurityCard(ef06=_ef06_with(tag, value)))
    assert CITIZEN_ID[:17] not in str(caught.value)


def test_a_record_with_another_tag_is_refused() -> None:
    fake = FakeSocialSecurityCard(answers={"00B2083014": (_record(0x09, b"x" * 18), 0x9000)})
    with pytest.raises(CardRefused, match=r"reading EF06 tag 08 .*answered with tag 09"):
        sscard.read_card(fake)


def test_a_record_that_is_not_simple_tlv_is_refused() -> None:
    fake = FakeSocialSecurityCard(answers={"00B2010412": (b"\x01\x10\x44", 0x9000)})
    with pytest.raises(CardRefused, match=r"reading EF05 tag 01 .*says 16 value bytes"):
        sscard.read_card(fake)


def test_an_unexpected_status_word_is_named() -> None:
    fake = FakeSocialSecurityCard(answers={"00B2093020": (b"", 0x6581)})
    with pytest.raises(CardRefused, match=r"reading EF06 tag 09 \(name\): .*6581 memory error"):
        sscard.read_card(fake)


# --- masking -------------------------------------------------------------------------------------


def test_mask_citizen_id_keeps_region_and_last_four() -> None:
    assert sscard.mask_citizen_id(CITIZEN_ID) == "440106********1235"


def test_mask_name_keeps_the_first_character() -> None:
    assert sscard.mask_name(NAME) == "张*"
    assert sscard.mask_name("欧阳娜娜") == "欧***"
    assert sscard.mask_name("张") == "*"


def test_short_values_are_masked_entirely() -> None:
    assert sscard.mask_citizen_id("12345") == "*****"
