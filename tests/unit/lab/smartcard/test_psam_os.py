"""The PSAM: EF15 serial, EF16 terminal number by SFI and after SELECT, the DF, the test cipher."""

from __future__ import annotations

import pytest

from lab.smartcard.card_files import CARDS, PSAM_ATR, PsamData
from lab.smartcard.psam_os import LAB_TEST_SM4_KEY, PsamOs, lab_test_encrypt

SELECT_DF = "00A4040006D15600000590"


def run(psam: PsamOs, command: str) -> str:
    return psam.execute(bytes.fromhex(command)).hex().upper()


def make(name: str = "psam", *, t0_mode: bool = True) -> PsamOs:
    data = CARDS[name]
    assert isinstance(data, PsamData)
    psam = PsamOs(data, t0_mode=t0_mode, random_bytes=lambda n: b"\xa5" * n)
    psam.power_up()
    return psam


def test_the_terminal_number_by_sfi_and_after_select() -> None:
    psam = make()
    assert psam.atr == PSAM_ATR
    assert run(psam, "00B0960006") == "440103000001" + "9000"
    assert run(psam, "00A40000023F00") == "9000"
    assert run(psam, "00A40200020016") == "9000"
    assert run(psam, "00B0000006") == "440103000001" + "9000"


def test_the_serial_sits_at_offset_1_of_ef15() -> None:
    psam = make("psam-2")
    assert run(psam, "00A40200020015") == "9000"
    assert run(psam, "00B095010A") == "44010400000000000002" + "9000"
    assert run(psam, "00B095000E").startswith("44" + "44010400000000000002")


def test_psams_differ_in_terminal_number() -> None:
    numbers = {run(make(n), "00B0960006") for n in ("psam", "psam-2", "psam-bound")}
    assert len(numbers) == 3


@pytest.mark.parametrize(
    ("commands", "expected"),
    [
        (["00B0000006"], "6986"),
        (["00B0970006"], "6A82"),
        (["00B0960007"], "6C06"),
        (["00B0960600"], "6B00"),
        (["00A40200020017"], "6A82"),
        (["00A4040006D15600000591"], "6A82"),
        (["00A4020001EF"], "6700"),
        (["00A4080002EF05"], "6A86"),
        (["80FA0000081122334455667788"], "6985"),
        ([SELECT_DF, "80FA0000031122"], "6700"),
        ([SELECT_DF, "80FA00000311223344"], "6700"),
        ([SELECT_DF, "80FA0100081122334455667788"], "6A86"),
        (["00FA0000081122334455667788"], "6E00"),
        (["80B0960006"], "6E00"),
        (["00EE000000"], "6D00"),
        (["00C0000000"], "6985"),
    ],
    ids=[
        "no current EF",
        "unknown SFI",
        "Le past the end",
        "offset past the end",
        "unknown FID",
        "unknown AID",
        "short FID",
        "bad P1",
        "cipher before the DF",
        "cipher on 3 bytes",
        "cipher on 4 bytes",
        "cipher with P1",
        "cipher with CLA 00",
        "READ BINARY with CLA 80",
        "unknown INS",
        "nothing pending",
    ],
)
def test_errors(commands: list[str], expected: str) -> None:
    psam = make()
    for command in commands[:-1]:
        run(psam, command)
    assert run(psam, commands[-1]) == expected


def test_the_test_key_is_the_sm4_standard_example() -> None:
    plain = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    assert plain == LAB_TEST_SM4_KEY
    assert lab_test_encrypt(plain).hex().upper() == "681EDF34D206965E86B3E94F536E4246"


def test_the_cipher_answers_through_get_response_under_t0() -> None:
    psam = make()
    assert run(psam, SELECT_DF) == "9000"
    random = bytes.fromhex("1122334455667788")
    assert run(psam, "80FA000008" + random.hex()) == "6110"
    expected = lab_test_encrypt(random)
    assert run(psam, "00C0000010") == expected.hex().upper() + "9000"
    assert expected == lab_test_encrypt(random + bytes(8))


def test_without_t0_the_cipher_answers_at_once() -> None:
    psam = make(t0_mode=False)
    run(psam, SELECT_DF)
    block = bytes(range(16))
    assert run(psam, "80FA000010" + block.hex()) == lab_test_encrypt(block).hex().upper() + "9000"


def test_selecting_the_mf_leaves_the_df_and_a_power_cycle_forgets_everything() -> None:
    psam = make()
    run(psam, SELECT_DF)
    run(psam, "00A40000023F00")
    assert run(psam, "80FA0000081122334455667788") == "6985"
    run(psam, SELECT_DF)
    run(psam, "00A40200020016")
    psam.reset()
    assert run(psam, "00B0000006") == "6986"
    assert run(psam, "80FA0000081122334455667788") == "6985"
    assert run(psam, "0084000008") == "A5" * 8 + "9000"
