"""Reading a PSAM's terminal number and serial over a fake transmit."""

from __future__ import annotations

import pytest

from card_fleet import psam
from card_fleet.errors import CardRefused, CardRemoved, WrongCard

TERMINAL_NUMBER = "440100000001"
SERIAL = bytes.fromhex("44010000000000000001")


class FakePsam:
    """A PSAM with an MF, EF15 (issuer byte + 10-byte serial + more) and EF16 (6 BCD bytes).

    Understands SELECT by FID and READ BINARY of the current EF or by SFI; a wrong Le gets
    ``6Cxx``. ``remove_after`` pulls the card after that many commands.
    """

    reader = "Fake PSAM Reader 00"
    atr = bytes.fromhex("3B6D00000081544C0086840807230005C0")

    def __init__(
        self,
        *,
        terminal_number: bytes = bytes.fromhex(TERMINAL_NUMBER),
        serial: bytes = SERIAL,
        remove_after: int | None = None,
        answers: dict[str, tuple[bytes, int]] | None = None,
    ) -> None:
        self.files = {
            0x3F00: b"",
            0x0015: b"\x44" + serial + bytes.fromhex("0102030405060708"),
            0x0016: terminal_number,
        }
        self.remove_after = remove_after
        self.answers = answers or {}
        self.sent: list[str] = []
        self._current: int | None = None

    def transmit(self, command: bytes, *, step: str = "") -> tuple[bytes, int]:
        if self.remove_after is not None and len(self.sent) >= self.remove_after:
            raise CardRemoved(self.reader, f"{step}: the card was removed")
        self.sent.append(command.hex().upper())
        if self.sent[-1] in self.answers:
            return self.answers[self.sent[-1]]
        ins, p1, p2 = command[1], command[2], command[3]
        if ins == 0xA4:
            selected = int.from_bytes(command[5:7], "big")
            if selected not in self.files:
                return b"", 0x6A82
            self._current = selected
            return b"", 0x9000
        if ins == 0xB0:
            by_sfi = bool(p1 & 0x80)
            fid = p1 & 0x1F if by_sfi else self._current
            offset = p2 if by_sfi else p1 << 8 | p2
            if fid is None or fid not in self.files or fid == 0x3F00:
                return b"", 0x6A82 if by_sfi else 0x6986
            content = self.files[fid][offset:]
            le = command[4]
            if le > len(content):
                return b"", 0x6C00 | len(content)
            return content[: le or 256], 0x9000
        return b"", 0x6D00


def test_reads_terminal_number_and_serial() -> None:
    identity = psam.read_psam(FakePsam())
    assert identity == psam.PsamIdentity(
        terminal_number=TERMINAL_NUMBER, serial=SERIAL.hex().upper()
    )


def test_sends_the_commands_terminal_software_sends() -> None:
    fake = FakePsam()
    psam.read_psam(fake)
    assert fake.sent == [
        "00A40000023F00",
        "00A40200020015",
        "00B095010A",
        "00A40200020016",
        "00B0960006",
    ]


def test_a_card_without_ef16_is_not_a_psam() -> None:
    fake = FakePsam()
    del fake.files[0x0016]
    with pytest.raises(WrongCard, match="selecting EF16: not a PSAM"):
        psam.read_psam(fake)


def test_an_ss_card_in_the_psam_reader_is_the_wrong_card() -> None:
    fake = FakePsam(answers={"00A40000023F00": (b"", 0x6A82)})
    with pytest.raises(WrongCard, match="selecting the PSAM's MF: not a PSAM"):
        psam.read_psam(fake)


@pytest.mark.parametrize(
    ("terminal_number", "message"),
    [
        (bytes.fromhex("4401000000FF"), "expected 12 BCD digits, got 10"),
        (bytes.fromhex("4401000000A1"), "not BCD"),
    ],
)
def test_a_bad_terminal_number_is_refused(terminal_number: bytes, message: str) -> None:
    with pytest.raises(CardRefused, match=f"reading EF16: the terminal number is bad: {message}"):
        psam.read_psam(FakePsam(terminal_number=terminal_number))


def test_a_short_ef16_is_refused() -> None:
    # 5 bytes: the card answers 6C05 to Le 6; the re-send returns 5 bytes, which is too few.
    with pytest.raises(CardRefused, match="reading EF16: 5 bytes where 6 belong"):
        psam.read_psam(FakePsam(terminal_number=bytes.fromhex("4401000000")))


def test_a_locked_psam_is_refused_with_its_status_word() -> None:
    fake = FakePsam(answers={"00B0960006": (b"", 0x6983)})
    with pytest.raises(CardRefused, match="reading EF16: the card answered 6983") as caught:
        psam.read_psam(fake)
    assert not isinstance(caught.value, WrongCard)


def test_a_psam_pulled_mid_read_names_the_step() -> None:
    with pytest.raises(CardRemoved, match="reading EF15: the card was removed"):
        psam.read_psam(FakePsam(remove_after=2))
