"""The social-security card's command processor, against every example of NOTES §9 and the
errors a terminal must be able to meet."""

from __future__ import annotations

import pytest

from lab.smartcard.card_files import (
    BANK_CARD_ATR,
    CARDS,
    PBOC_DEBIT_AID,
    SS_CARD_ATR,
    SSSE_AID,
    TEST_CARD,
    ContactCard,
)
from lab.smartcard.sscard_os import SocialSecurityCardOs

SELECT_SSSE = "00A404000F" + SSSE_AID.hex().upper()
FCI = TEST_CARD.fci().hex().upper()
NAME = "091E" + "D5C5C8FD" + "00" * 26

NOTES_SECTION_9 = [
    (SELECT_SSSE, "611E"),
    ("00C000001E", FCI + "9000"),
    ("00A4020002EF05", "9000"),
    ("00B2010400", "0110440100D1560000050011223344556677" + "9000"),
    ("00B2030400", "0304322E3030" + "9000"),
    ("00B2050400", "050420240101" + "9000"),
    ("00B2060400", "060420340101" + "9000"),
    ("00B2072C0B", "0709" + b"X00000019".hex().upper() + "9000"),
    ("00B2083014", "0812" + b"440106199001011235".hex().upper() + "9000"),
    ("00B2093020", NAME + "9000"),
    ("00B24E3016", "4E14" + "00" * 20 + "9000"),
    ("00B20A3003", "0A0131" + "9000"),
    ("00B20B3003", "0B0101" + "9000"),
    ("00B20C3005", "0C03440106" + "9000"),
    ("00B20D3006", "0D0419900101" + "9000"),
    ("00B2080018", "6C14"),
    ("00A4040006D15600000599", "6A82"),
    ("00FF000000", "6D00"),
    ("80B2083014", "6E00"),
]


def run(card: SocialSecurityCardOs, command: str) -> str:
    return card.execute(bytes.fromhex(command)).hex().upper()


@pytest.fixture
def card() -> SocialSecurityCardOs:
    test_card = CARDS["test-card"]
    assert isinstance(test_card, ContactCard)
    os_ = SocialSecurityCardOs(test_card, random_bytes=lambda n: bytes(range(n)))
    os_.power_up()
    return os_


def test_every_example_of_the_notes_answers_exactly_as_written(card: SocialSecurityCardOs) -> None:
    for command, expected in NOTES_SECTION_9:
        assert run(card, command) == expected, command


def test_the_atr_is_the_guangdong_sample(card: SocialSecurityCardOs) -> None:
    assert card.atr == SS_CARD_ATR
    assert card.atr.hex().upper() == "3B6D0000008154443686605328A8888888"


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("00B2080014", "0812" + b"440106199001011235".hex().upper() + "9000"),
        ("00B2090020", NAME + "9000"),
        ("00B2020420", NAME + "9000"),
        ("00B2020400", NAME + "9000"),
    ],
    ids=["tag, current EF", "name by tag", "name by number", "Le 00"],
)
def test_ef06_reads_on_the_current_ef_after_select(
    card: SocialSecurityCardOs, command: str, expected: str
) -> None:
    run(card, SELECT_SSSE)
    assert run(card, "00A4000002EF06") == "9000"
    assert run(card, command) == expected


def test_sfi_reads_work_without_selecting_the_ef_and_make_it_current(
    card: SocialSecurityCardOs,
) -> None:
    run(card, SELECT_SSSE)
    assert run(card, "00B2052806") == "050420240101" + "9000"
    assert run(card, "00B2070400").startswith("0709")  # EF05 is current now


def test_t0_mode_off_answers_the_fci_at_once() -> None:
    test_card = CARDS["test-card"]
    assert isinstance(test_card, ContactCard)
    card = SocialSecurityCardOs(test_card, t0_mode=False)
    assert run(card, SELECT_SSSE) == FCI + "9000"
    assert run(card, SELECT_SSSE + "00") == FCI + "9000"
    assert run(card, "00A4040C0F" + SSSE_AID.hex()) == "9000"


def test_lenient_ignores_a_wrong_le() -> None:
    test_card = CARDS["test-card"]
    assert isinstance(test_card, ContactCard)
    card = SocialSecurityCardOs(test_card, lenient=True)
    run(card, SELECT_SSSE)
    assert run(card, "00B2083018").startswith("0812")


@pytest.mark.parametrize(
    ("commands", "expected"),
    [
        ([SELECT_SSSE, "00B2080400"], "6986"),
        ([SELECT_SSSE, "00B2103400"], "6A83"),
        ([SELECT_SSSE, "00B2993000"], "6A83"),
        ([SELECT_SSSE, "00B2014C00"], "6A82"),
        (["00B2013400"], "6A82"),
        (["00A4020002EF05"], "6A82"),
        ([SELECT_SSSE, "00A4020002EF99"], "6A82"),
        ([SELECT_SSSE, "00A4020003EF0500"], "6700"),
        ([SELECT_SSSE, "00A4020001EF"], "6700"),
        ([SELECT_SSSE, "00B2013600"], "6A86"),
        ([SELECT_SSSE, "00B2003400"], "6A86"),
        (["00A4080002EF05"], "6A86"),
        (["00C0000000"], "6985"),
        ([SELECT_SSSE, "00A4020002EF05", "00C000001E"], "6985"),
        ([SELECT_SSSE, "00C0000010"], "6C1E"),
        (["0084000000"], "6700"),
        (["00A4"], "6700"),
        (["A0A4000002EF05"], "6E00"),
        ([SELECT_SSSE, "00B0860000"], "6981"),
        (["00B0000000"], "6986"),
    ],
    ids=[
        "no current EF",
        "no record 16",
        "no tag 99",
        "unknown SFI",
        "SFI outside SSSE",
        "EF outside SSSE",
        "unknown FID",
        "Lc 3 for a FID",
        "Lc 1 for a FID",
        "P2 mode 6",
        "record 0",
        "P1 08",
        "nothing pending",
        "dropped after the next command",
        "GET RESPONSE wrong Le",
        "challenge without Le",
        "2 bytes",
        "bad CLA",
        "READ BINARY on a record file",
        "READ BINARY without an EF",
    ],
)
def test_errors(card: SocialSecurityCardOs, commands: list[str], expected: str) -> None:
    for command in commands[:-1]:
        run(card, command)
    assert run(card, commands[-1]) == expected


def test_get_challenge_gives_eight_random_bytes(card: SocialSecurityCardOs) -> None:
    assert run(card, "0084000008") == "0001020304050607" + "9000"


def test_power_down_forgets_the_selection(card: SocialSecurityCardOs) -> None:
    run(card, SELECT_SSSE)
    run(card, "00A4020002EF05")
    card.power_down()
    card.power_up()
    assert run(card, "00B2010400") == "6986"
    run(card, SELECT_SSSE)
    card.reset()
    assert run(card, "00C000001E") == "6985"


def test_the_mf_can_be_selected_back(card: SocialSecurityCardOs) -> None:
    run(card, SELECT_SSSE)
    assert run(card, "00A40000023F00") == "9000"
    assert run(card, "00A4020002EF05") == "6A82"


def test_a_bank_card_is_not_a_social_security_card() -> None:
    wrong = CARDS["wrong-card"]
    assert isinstance(wrong, ContactCard)
    card = SocialSecurityCardOs(wrong)
    assert card.atr == BANK_CARD_ATR
    assert run(card, SELECT_SSSE) == "6A82"
    assert run(card, "00B2013400") == "6A82"
    answer = run(card, "00A4040008" + PBOC_DEBIT_AID.hex())
    assert answer.startswith("61")
    fci = run(card, "00C00000" + answer[2:])
    assert bytes.fromhex(fci[:-4]).startswith(bytes.fromhex("6F"))
    assert fci.endswith("9000")


def test_the_expired_card_reads_like_any_other_with_a_past_expiry() -> None:
    expired = CARDS["expired-card"]
    assert isinstance(expired, ContactCard)
    card = SocialSecurityCardOs(expired)
    run(card, SELECT_SSSE)
    assert run(card, "00B2062C06") == "060420230101" + "9000"
    name = bytes.fromhex(run(card, "00B2093020")[:-4])
    assert name[2:].rstrip(b"\x00").decode("gbk") == "王芳"
