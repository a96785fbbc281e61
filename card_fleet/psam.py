"""Reading a terminal's PSAM: its terminal number (EF16) and serial number (EF15). Pure.

The commands are the ones terminal software sends (NOTES §6; the YuanTu/Minghua readers)::

    00A40000023F00      SELECT MF
    00A40200020015      SELECT EF15 (public information file)
    00B095010A          READ BINARY, SFI 15, offset 1, 10 bytes: the PSAM serial
    00A40200020016      SELECT EF16
    00B0960006          READ BINARY, SFI 16, 6 bytes: the terminal number, 12 BCD digits

A card that has no EF16 (an SS card or a bank card in the PSAM slot) is a
:class:`~card_fleet.errors.WrongCard`; any other unexpected status word or format is
:class:`~card_fleet.errors.CardRefused`.
"""

from __future__ import annotations

from dataclasses import dataclass

from card_fleet import apdu
from card_fleet.apdu import Transmit
from card_fleet.errors import CardRefused, WrongCard

EF15_SFI = 0x15
EF16_SFI = 0x16
SERIAL_LENGTH = 10
TERMINAL_NUMBER_LENGTH = 6
TERMINAL_NUMBER_DIGITS = 12

# What a card that is not a PSAM answers to the PSAM's files and commands.
_NOT_A_PSAM = frozenset({0x6A82, 0x6A86, 0x6B00, 0x6D00, 0x6E00, 0x6981, 0x6986})


@dataclass(frozen=True, slots=True)
class PsamIdentity:
    """Who a PSAM says it is."""

    terminal_number: str
    """终端机编号 from EF16: 12 decimal digits; what the registry binds a terminal to."""
    serial: str
    """The PSAM's serial number from EF15, as 20 upper-case hex digits."""


def read_psam(card: Transmit) -> PsamIdentity:
    """Select the MF and read EF15's serial and EF16's terminal number."""
    _select(card, 0x3F00, p1=0x00, step="selecting the PSAM's MF")
    _select(card, 0x0015, p1=0x02, step="selecting EF15")
    serial = _read_binary(card, EF15_SFI, offset=1, length=SERIAL_LENGTH, step="reading EF15")
    _select(card, 0x0016, p1=0x02, step="selecting EF16")
    number_bytes = _read_binary(
        card, EF16_SFI, offset=0, length=TERMINAL_NUMBER_LENGTH, step="reading EF16"
    )
    try:
        terminal_number = apdu.decode_bcd(number_bytes, digits=TERMINAL_NUMBER_DIGITS)
    except ValueError as exc:
        raise CardRefused(card.reader, f"reading EF16: the terminal number is bad: {exc}") from None
    return PsamIdentity(terminal_number=terminal_number, serial=serial.hex().upper())


def _select(card: Transmit, fid: int, *, p1: int, step: str) -> None:
    _, sw = apdu.exchange(card, apdu.select_file(fid, p1=p1), step=step)
    _check(card, sw, step)


def _read_binary(card: Transmit, sfi: int, *, offset: int, length: int, step: str) -> bytes:
    data, sw = apdu.exchange(card, apdu.read_binary(sfi=sfi, offset=offset, le=length), step=step)
    _check(card, sw, step)
    if len(data) != length:
        raise CardRefused(card.reader, f"{step}: {len(data)} bytes where {length} belong")
    return data


def _check(card: Transmit, sw: int, step: str) -> None:
    if sw in _NOT_A_PSAM:
        raise WrongCard(
            card.reader, f"{step}: not a PSAM (the card answered {apdu.describe_sw(sw)})"
        )
    if sw != apdu.SW_OK:
        raise CardRefused(card.reader, f"{step}: the card answered {apdu.describe_sw(sw)}")
