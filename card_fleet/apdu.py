"""ISO 7816-4 commands and the data formats of the social-security card and the PSAM. Pure.

What lives here: the command builders the reader code sends (SELECT, READ RECORD, READ BINARY,
GET RESPONSE), what status words mean, SIMPLE-TLV records, BCD (``cn``) and ``an`` fields, GBK
names, the card-number check character and the GB 11643 citizen-ID check digit, and
:func:`exchange`, which hides T=0's ``61xx``/``6Cxx`` dance (pcsc-lite and pyscard do not do it
for us). Layouts and values follow /work/shared/sscard/NOTES.md (§1–§3, §6, §7).

Decoders raise :class:`ValueError` with a message that names the field but never echoes its
value (the value may be a card holder's data); the card readers turn it into ``CardRefused``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from card_fleet.errors import CardRefused

SSSE_AID = bytes.fromhex("7378312E73682EC9E7BBE1B1A3D5CF")
"""The social-security system environment: ASCII "sx1.sh." + GBK "社会保障" (NOTES §1)."""

SW_OK = 0x9000

_SW_MEANINGS: dict[int, str] = {
    0x9000: "success",
    0x6281: "part of the returned data may be corrupted",
    0x6283: "the selected file is invalidated",
    0x6581: "memory error",
    0x6700: "wrong length (Lc or P1/P2 inconsistent)",
    0x6981: "command incompatible with the file structure",
    0x6982: "security status not satisfied (authentication needed)",
    0x6983: "authentication method blocked (locked)",
    0x6984: "referenced data invalidated",
    0x6985: "conditions of use not satisfied",
    0x6986: "command not allowed (no current EF)",
    0x6988: "secure-messaging data incorrect",
    0x6A80: "incorrect data field",
    0x6A81: "function not supported (application locked)",
    0x6A82: "file or application not found",
    0x6A83: "record not found",
    0x6A86: "incorrect P1/P2",
    0x6A88: "referenced data (key) not found",
    0x6B00: "wrong parameters P1/P2",
    0x6D00: "instruction not supported",
    0x6E00: "class not supported",
    0x6F00: "no precise diagnosis",
    0x9303: "application permanently locked",
}


def describe_sw(sw: int) -> str:
    """Status word ``sw`` and its meaning, e.g. ``"6A82 file or application not found"``."""
    sw1, sw2 = sw >> 8, sw & 0xFF
    if sw in _SW_MEANINGS:
        meaning = _SW_MEANINGS[sw]
    elif sw1 == 0x61:
        meaning = f"{sw2 or 256} more bytes waiting for GET RESPONSE"
    elif sw1 == 0x6C:
        meaning = f"wrong Le, the right one is {sw2 or 256}"
    elif sw1 == 0x63 and sw2 & 0xF0 == 0xC0:
        meaning = f"verification failed, {sw2 & 0x0F} tries left"
    else:
        meaning = "unknown status word"
    return f"{sw:04X} {meaning}"


# --- command builders -----------------------------------------------------------------------------


def select_by_name(aid: bytes) -> bytes:
    """SELECT by DF name, case 3 (no Le), as every social-security reader sends it."""
    return bytes([0x00, 0xA4, 0x04, 0x00, len(aid)]) + aid


def select_file(fid: int, *, p1: int = 0x02) -> bytes:
    """SELECT a file by its two-byte identifier (P1 02: an EF under the current DF; 00: any)."""
    return bytes([0x00, 0xA4, p1, 0x00, 0x02, fid >> 8, fid & 0xFF])


SELECT_MF = select_file(0x3F00, p1=0x00)
"""``00A40000023F00``."""


def read_record_by_tag(tag: int, *, sfi: int, le: int) -> bytes:
    """READ RECORD of the first record whose tag is ``tag`` in the EF with short id ``sfi``.

    P2 = SFI<<3 | 000 (ISO 7816-4: P1 is a record identifier); EF05 gives ``28``, EF06 ``30``.
    """
    _check_sfi(sfi)
    return bytes([0x00, 0xB2, tag, sfi << 3, le & 0xFF])


def read_record(number: int, *, sfi: int | None = None, le: int = 0) -> bytes:
    """READ RECORD number ``number`` of the EF ``sfi`` (or of the current EF when ``None``)."""
    p2 = 0x04 if sfi is None else (sfi << 3) | 0x04
    if sfi is not None:
        _check_sfi(sfi)
    return bytes([0x00, 0xB2, number, p2, le & 0xFF])


def read_binary(*, sfi: int | None = None, offset: int = 0, le: int = 0) -> bytes:
    """READ BINARY of the current EF, or of EF ``sfi`` (P1 = 0x80 | SFI, P2 = offset)."""
    if sfi is None:
        if not 0 <= offset <= 0x7FFF:
            raise ValueError(f"offset {offset} out of range")
        return bytes([0x00, 0xB0, offset >> 8, offset & 0xFF, le & 0xFF])
    _check_sfi(sfi)
    if not 0 <= offset <= 0xFF:
        raise ValueError(f"offset {offset} out of range with a short EF id")
    return bytes([0x00, 0xB0, 0x80 | sfi, offset, le & 0xFF])


def get_response(le: int) -> bytes:
    """GET RESPONSE for ``le`` bytes (0 means 256), after a ``61xx``."""
    return bytes([0x00, 0xC0, 0x00, 0x00, le & 0xFF])


def with_le(apdu: bytes, le: int) -> bytes:
    """``apdu`` with its Le set to ``le`` (appended to a case-1/3 command, replaced otherwise)."""
    if len(apdu) < 4:
        raise ValueError("an APDU has at least four header bytes")
    if len(apdu) == 4:
        return apdu + bytes([le & 0xFF])
    body_length = apdu[4]
    if len(apdu) == 5:  # case 2: the fifth byte is the Le being replaced
        return apdu[:4] + bytes([le & 0xFF])
    if len(apdu) == 5 + body_length:  # case 3: data, no Le yet
        return apdu + bytes([le & 0xFF])
    if len(apdu) == 6 + body_length:  # case 4: replace the Le after the data
        return apdu[: 5 + body_length] + bytes([le & 0xFF])
    raise ValueError(f"Lc {body_length} does not match an APDU of {len(apdu)} bytes")


def _check_sfi(sfi: int) -> None:
    if not 1 <= sfi <= 30:
        raise ValueError(f"a short EF identifier is 1..30, not {sfi}")


# --- talking through a transmit seam --------------------------------------------------------------


class Transmit(Protocol):
    """One card in one reader: what card code needs from a PC/SC session (or from a fake).

    ``transmit`` sends one command APDU and returns the response data and the status word; it
    raises ``CardError`` subclasses naming ``step`` when the card or the reader fails.
    """

    @property
    def reader(self) -> str:
        """The reader's name, for messages."""
        ...

    def transmit(self, apdu: bytes, *, step: str = ...) -> tuple[bytes, int]:
        """Send ``apdu``; return (data, SW1SW2)."""
        ...


_MAX_ROUNDS = 8
"""How many ``61xx``/``6Cxx`` follow-ups one command may take before the card is called broken."""


def exchange(card: Transmit, apdu: bytes, *, step: str) -> tuple[bytes, int]:
    """Send ``apdu`` and follow ``61xx`` with GET RESPONSE and ``6Cxx`` with a re-send.

    Returns every data byte the card gave and the final status word. Neither pcsc-lite nor
    pyscard does this for T=0 cards (NOTES §7), and a social-security card answers SELECT SSSE
    with ``611E`` and a wrong Le with ``6Cxx``.
    """
    collected = b""
    command = apdu
    for _ in range(_MAX_ROUNDS):
        data, sw = card.transmit(command, step=step)
        sw1, sw2 = sw >> 8, sw & 0xFF
        if sw1 == 0x61:
            collected += data
            command = get_response(sw2)
        elif sw1 == 0x6C:
            command = with_le(command, sw2)
        else:
            return collected + data, sw
    raise CardRefused(card.reader, f"{step}: the card never finished answering (61xx/6Cxx loop)")


# --- data formats ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TlvRecord:
    """One SIMPLE-TLV data object: a one-byte tag and its value."""

    tag: int
    value: bytes


def parse_simple_tlv(data: bytes) -> TlvRecord:
    """The one SIMPLE-TLV object a READ RECORD returns (``tag | len | value``).

    A length byte of ``FF`` is followed by two length bytes (ISO 7816-4 §5.2). Bytes after the
    value are refused: a record is exactly one object.
    """
    if len(data) < 2:
        raise ValueError(f"a SIMPLE-TLV record has at least 2 bytes, got {len(data)}")
    tag, length, start = data[0], data[1], 2
    if tag in (0x00, 0xFF):
        raise ValueError(f"tag {tag:02X} is not a valid SIMPLE-TLV tag")
    if length == 0xFF:
        if len(data) < 4:
            raise ValueError("a three-byte SIMPLE-TLV length is cut short")
        length, start = int.from_bytes(data[2:4], "big"), 4
    if len(data) != start + length:
        raise ValueError(
            f"tag {tag:02X} says {length} value bytes, the record holds {len(data) - start}"
        )
    return TlvRecord(tag=tag, value=data[start:])


def decode_bcd(data: bytes, *, digits: int | None = None) -> str:
    """Compressed BCD (``cn``): digits left-aligned, right-padded with ``F`` nibbles.

    With ``digits`` the result must have exactly that many digits.
    """
    text = data.hex().upper()
    stripped = text.rstrip("F")
    if stripped and not stripped.isdigit():
        raise ValueError("not BCD: a nibble other than 0-9 before the F padding")
    if digits is not None and len(stripped) != digits:
        raise ValueError(f"expected {digits} BCD digits, got {len(stripped)}")
    return stripped


def decode_bcd_date(data: bytes) -> date:
    """A ``YYYYMMDD`` date in four BCD bytes."""
    if len(data) != 4:
        raise ValueError(f"a BCD date has 4 bytes, got {len(data)}")
    text = decode_bcd(data, digits=8)
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise ValueError("not a calendar date") from None


def strip_padding(value: bytes) -> bytes:
    """``value`` without its right padding (``00``, ``FF`` or spaces, as real readers strip)."""
    return value.rstrip(b"\x00\xff ")


def decode_an(value: bytes) -> str:
    """An ``an`` field of ASCII characters, right padding stripped."""
    stripped = strip_padding(value)
    try:
        text = stripped.decode("ascii")
    except UnicodeDecodeError:
        raise ValueError("not ASCII") from None
    if not text.isprintable():
        raise ValueError("control characters in a text field")
    return text


def decode_gbk(value: bytes) -> str:
    """A GBK (GB2312-compatible) text field such as a name, right padding stripped."""
    try:
        text = strip_padding(value).decode("gbk")
    except UnicodeDecodeError:
        raise ValueError("not GBK text") from None
    if not text.isprintable():
        raise ValueError("control characters in a text field")
    return text


# --- check characters -----------------------------------------------------------------------------

_CARD_NUMBER_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def card_number_check_character(body: str) -> str:
    """The check character of a card number's first eight characters (NOTES §2, GB 11714 style).

    ``11 − Σ cᵢ·wᵢ mod 11`` with w = 3,7,9,10,5,8,4,2 and A=10 … Z=35; 10 → ``X``, 11 → ``0``.
    """
    if len(body) != 8 or not all(c.isdigit() or "A" <= c <= "Z" for c in body):
        raise ValueError("a card number starts with 8 digits or upper-case letters")
    total = sum(int(c, 36) * w for c, w in zip(body, _CARD_NUMBER_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def is_valid_card_number(number: str) -> bool:
    """Whether ``number`` is 8 digits/letters followed by its right check character."""
    if len(number) != 9:
        return False
    try:
        return card_number_check_character(number[:8]) == number[8]
    except ValueError:
        return False


_CITIZEN_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def citizen_id_check_digit(body: str) -> str:
    """The GB 11643 check digit of a citizen ID's first 17 digits (``0``-``9`` or ``X``)."""
    if len(body) != 17 or not body.isdigit():
        raise ValueError("a citizen ID starts with 17 digits")
    total = sum(int(c) * w for c, w in zip(body, _CITIZEN_ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def is_valid_citizen_id(citizen_id: str) -> bool:
    """Whether ``citizen_id`` has 18 characters, a real birth date and the right check digit."""
    if len(citizen_id) != 18:
        return False
    try:
        date(int(citizen_id[6:10]), int(citizen_id[10:12]), int(citizen_id[12:14]))
        return citizen_id_check_digit(citizen_id[:17]) == citizen_id[17]
    except ValueError:
        return False
