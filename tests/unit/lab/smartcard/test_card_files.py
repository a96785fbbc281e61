"""The cards' data: encodings (cn, an, GBK), check digits, EF05/EF06 records, FCI, PSAM files."""

from __future__ import annotations

import pytest

from lab.smartcard.card_files import (
    CARDS,
    EXPIRED_CARD,
    SSSE_AID,
    TEST_CARD,
    ContactCard,
    PsamData,
    SocialSecurityCardData,
    bcd,
    card_number_check,
    citizen_id_check,
    text,
)


def test_cn_is_bcd_padded_with_f_and_an_is_padded_with_00() -> None:
    assert bcd("440106", 3) == bytes.fromhex("440106")
    assert bcd("12345", 3) == bytes.fromhex("12345F")
    assert text("张三", 6, "gbk") == bytes.fromhex("D5C5C8FD0000")
    with pytest.raises(ValueError, match="digits"):
        bcd("44A1", 2)
    with pytest.raises(ValueError, match="needs"):
        text("X000000190", 9)


@pytest.mark.parametrize("card", [TEST_CARD, EXPIRED_CARD], ids=["test", "expired"])
def test_the_synthetic_numbers_carry_valid_check_characters(card: SocialSecurityCardData) -> None:
    assert citizen_id_check(card.holder.ssn[:17]) == card.holder.ssn[17]
    assert card_number_check(card.card_number[:8]) == card.card_number[8]


def test_the_notes_examples_have_valid_check_characters() -> None:
    assert citizen_id_check("44010619900101123") == "5"
    assert card_number_check("X0000001") == "9"


def test_ef05_of_the_test_card_is_the_notes_example() -> None:
    records = {r.tag: r.encoded.hex().upper() for r in TEST_CARD.ef05().records}
    assert records[1] == "0110440100D1560000050011223344556677"
    assert records[3] == "0304322E3030"
    assert records[5] == "050420240101"
    assert records[6] == "060420340101"
    assert records[7] == "0709" + b"X00000019".hex().upper()
    assert [r.tag for r in TEST_CARD.ef05().records] == [1, 2, 3, 4, 5, 6, 7]


def test_ef06_is_in_gen2_order_with_a_gbk_name() -> None:
    ef06 = TEST_CARD.ef06()
    assert [r.tag for r in ef06.records] == [0x08, 0x09, 0x4E, 0x0A, 0x0B, 0x0C, 0x0D]
    name = ef06.first_with_tag(0x09)
    assert name is not None
    assert name.encoded[:2] == bytes.fromhex("091E")
    assert name.value.rstrip(b"\x00").decode("gbk") == "张三"
    assert ef06.record(3) == ef06.first_with_tag(0x4E)
    assert ef06.record(8) is None
    assert ef06.sfi == 6


def test_the_fci_is_30_bytes_with_the_aid_and_the_algorithm() -> None:
    fci = TEST_CARD.fci()
    assert len(fci) == 0x1E
    assert fci[:4] == bytes.fromhex("6F1C840F")
    assert fci[4:19] == SSSE_AID
    assert bytes.fromhex("9F0C03860101") in fci


def test_the_expired_card_expired_before_it_could_be_used_now() -> None:
    assert EXPIRED_CARD.expiry_date < "20250101" < TEST_CARD.expiry_date


def test_psam_files_hold_the_serial_at_offset_1_and_the_terminal_number_in_bcd() -> None:
    psam = CARDS["psam"]
    assert isinstance(psam, PsamData)
    assert psam.ef15().content[1:11] == psam.serial
    assert len(psam.ef15().content) == 14
    assert psam.ef16().content == bytes.fromhex("440103000001")
    assert (psam.ef15().sfi, psam.ef16().sfi) == (0x15, 0x16)


def test_the_catalogue_has_distinct_psams_and_a_card_that_is_not_a_social_security_card() -> None:
    psams = [c for c in CARDS.values() if isinstance(c, PsamData)]
    assert len({p.terminal_number for p in psams}) == len({p.serial for p in psams}) == 3
    wrong = CARDS["wrong-card"]
    assert isinstance(wrong, ContactCard)
    assert wrong.ssse is None
    assert {"test-card", "expired-card", "psam", "psam-2"} <= set(CARDS)
