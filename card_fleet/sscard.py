"""Reading a social-security card's basic data (EF05 issuer data, EF06 holder data). Pure.

Works over any :class:`~card_fleet.apdu.Transmit` (a PC/SC session or a test fake) with the
commands real readers send (NOTES §3 and §9)::

    00A404000F 7378312E73682EC9E7BBE1B1A3D5CF   SELECT SSSE       (611E → 00C000001E → FCI 9000)
    00A4020002EF05                              SELECT EF05
    00B2 <tag> 04 <Le>                          EF05 items: the record number is the tag
    00A4020002EF06                              SELECT EF06
    00B2 <tag> 30 <Le>                          EF06 items by tag (SFI 6): record numbers shift
                                                between generations, tags do not

Every status word is checked and every field's format verified (BCD dates, the card-number check
character, the GB 11643 check digit, the spec version). A card that answers SELECT SSSE with
``6A82`` is not a social-security card: :class:`~card_fleet.errors.WrongCard`.

The holder's data is personal: the dataclasses keep it out of ``repr`` and :func:`mask_citizen_id`
and :func:`mask_name` give what a screen may show. Error messages name the item, never its value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TypeVar

from card_fleet import apdu
from card_fleet.apdu import Transmit
from card_fleet.errors import CardRefused, WrongCard

SPEC_VERSIONS = frozenset({"1.00", "2.00", "3.00"})
"""EF05 tag 03: the card generations a terminal must read (NOTES §0)."""

SOCIAL_SECURITY_RID = bytes.fromhex("D156000005")
"""Bytes 4–8 of every card identification code (EF05 tag 01)."""

EF05_SFI = 0x05
EF06_SFI = 0x06
_SW_RECORD_NOT_FOUND = 0x6A83
_SW_FILE_NOT_FOUND = 0x6A82
_SW_SECURITY_NOT_SATISFIED = 0x6982


class Sex(StrEnum):
    """EF06 tag 0A, coded after GB/T 2261.1."""

    UNKNOWN = "unknown"
    MALE = "male"
    FEMALE = "female"
    UNSPECIFIED = "unspecified"


_SEX_CODES = {"0": Sex.UNKNOWN, "1": Sex.MALE, "2": Sex.FEMALE, "9": Sex.UNSPECIFIED}


@dataclass(frozen=True, slots=True)
class CardIssuerData:
    """EF05, the card-issuer data file."""

    card_id: str
    """卡识别码: 32 hex digits (region BCD + RID D156000005 + 8 card-unique bytes)."""
    issuing_region: str
    """The 6-digit division code at the head of the card id (e.g. ``440100``)."""
    card_type: str | None
    """卡类别 (tag 02); ``None`` when the card has no such record (its code list is not public)."""
    spec_version: str
    """规范版本: ``1.00``, ``2.00`` or ``3.00``."""
    issued_on: date
    expires_on: date
    card_number: str
    """卡号 printed on the card: 8 digits/letters and a check character."""


@dataclass(frozen=True, slots=True)
class CardHolder:
    """EF06, the holder's basic information. Personal data: kept out of ``repr``."""

    citizen_id: str = field(repr=False)
    """社会保障号码 = the 18-character citizen ID (GB 11643)."""
    name: str = field(repr=False)
    """姓名 (tag 09) with its extension (tag 4E) appended, decoded from GBK."""
    sex: Sex
    ethnicity: str
    """民族: the 2-digit GB 3304 code (``01`` = 汉)."""
    birthplace: str = field(repr=False)
    """出生地: a division code (6 digits)."""
    birth_date: date = field(repr=False)


@dataclass(frozen=True, slots=True)
class SocialSecurityCard:
    """What a terminal reads from a social-security card for basic information."""

    issuer: CardIssuerData
    holder: CardHolder


# --- masking --------------------------------------------------------------------------------------


def mask_citizen_id(citizen_id: str) -> str:
    """``440106199001011235`` → ``440106********1235``: region and last four only."""
    if len(citizen_id) <= 10:
        return "*" * len(citizen_id)
    return citizen_id[:6] + "*" * (len(citizen_id) - 10) + citizen_id[-4:]


def mask_name(name: str) -> str:
    """``张三`` → ``张*``: the family name's first character only."""
    if len(name) <= 1:
        return "*" * len(name)
    return name[0] + "*" * (len(name) - 1)


# --- reading --------------------------------------------------------------------------------------


def read_card(card: Transmit) -> SocialSecurityCard:
    """Select SSSE, then read and check EF05 and EF06."""
    select_ssse(card)
    issuer = read_issuer_data(card)
    holder = read_holder(card)
    return SocialSecurityCard(issuer=issuer, holder=holder)


def select_ssse(card: Transmit) -> bytes:
    """SELECT the SSSE DDF by name; returns its FCI. ``6A82`` → :class:`WrongCard`."""
    step = "selecting SSSE"
    fci, sw = apdu.exchange(card, apdu.select_by_name(apdu.SSSE_AID), step=step)
    if sw == _SW_FILE_NOT_FOUND:
        raise WrongCard(card.reader, f"{step}: not a social-security card (no SSSE application)")
    _expect_ok(card, sw, step)
    return fci


def read_issuer_data(card: Transmit) -> CardIssuerData:
    """SELECT EF05 and read tags 01, 02, 03, 05, 06, 07 (SSSE must be selected)."""
    _select_ef(card, 0xEF05)
    card_id = _read(card, EF05_SFI, 0x01, "card id", length=16)
    if card_id[3:8] != SOCIAL_SECURITY_RID:
        raise CardRefused(card.reader, "EF05 card id: no social-security RID D156000005 in it")
    region = _decoded(card, "EF05 card id", lambda: apdu.decode_bcd(card_id[:3], digits=6))
    type_value = _read_optional(card, EF05_SFI, 0x02, "card type", length=1)
    card_type = None
    if type_value is not None:
        card_type = _decoded(card, "EF05 card type", lambda: apdu.decode_an(type_value)) or None
    version_value = _read(card, EF05_SFI, 0x03, "spec version", length=4)
    version = _decoded(card, "EF05 spec version", lambda: apdu.decode_an(version_value))
    if version not in SPEC_VERSIONS:
        raise CardRefused(card.reader, "EF05 spec version: not 1.00, 2.00 or 3.00")
    issued_on = _read_date(card, EF05_SFI, 0x05, "issue date")
    expires_on = _read_date(card, EF05_SFI, 0x06, "expiry date")
    if expires_on <= issued_on:
        raise CardRefused(card.reader, "EF05: the card expires before it was issued")
    number_value = _read(card, EF05_SFI, 0x07, "card number", length=9)
    number = _decoded(card, "EF05 card number", lambda: apdu.decode_an(number_value))
    if not apdu.is_valid_card_number(number):
        raise CardRefused(card.reader, "EF05 card number: the check character is wrong")
    return CardIssuerData(
        card_id=card_id.hex().upper(),
        issuing_region=region,
        card_type=card_type,
        spec_version=version,
        issued_on=issued_on,
        expires_on=expires_on,
        card_number=number,
    )


def read_holder(card: Transmit) -> CardHolder:
    """SELECT EF06 and read tags 08, 09, 4E, 0A, 0B, 0C, 0D (SSSE must be selected)."""
    _select_ef(card, 0xEF06)
    id_value = _read(card, EF06_SFI, 0x08, "citizen id", length=18)
    citizen_id = _decoded(card, "EF06 citizen id", lambda: apdu.decode_an(id_value))
    if not apdu.is_valid_citizen_id(citizen_id):
        raise CardRefused(card.reader, "EF06 citizen id: not a valid GB 11643 number")
    name_value = _read(card, EF06_SFI, 0x09, "name", length=30)
    # Tag 4E is absent on 1.00 cards and may be absent or empty on 2.00 ones.
    extension = _read_optional(card, EF06_SFI, 0x4E, "name extension", length=20) or b""
    name = _decoded(
        card, "EF06 name", lambda: apdu.decode_gbk(apdu.strip_padding(name_value) + extension)
    )
    if not name:
        raise CardRefused(card.reader, "EF06 name: empty")
    sex_value = _read(card, EF06_SFI, 0x0A, "sex", length=1)
    sex_code = _decoded(card, "EF06 sex", lambda: apdu.decode_an(sex_value))
    if sex_code not in _SEX_CODES:
        raise CardRefused(card.reader, "EF06 sex: not a GB/T 2261.1 code")
    ethnicity_value = _read(card, EF06_SFI, 0x0B, "ethnicity", length=1)
    ethnicity = _decoded(card, "EF06 ethnicity", lambda: apdu.decode_bcd(ethnicity_value, digits=2))
    birthplace_value = _read(card, EF06_SFI, 0x0C, "birthplace", length=3)
    birthplace = _decoded(card, "EF06 birthplace", lambda: apdu.decode_bcd(birthplace_value))
    if len(birthplace) < 2:
        raise CardRefused(card.reader, "EF06 birthplace: not a division code")
    birth_date = _read_date(card, EF06_SFI, 0x0D, "birth date")
    if citizen_id[6:14] != birth_date.strftime("%Y%m%d"):
        raise CardRefused(card.reader, "EF06: the birth date does not match the citizen id")
    return CardHolder(
        citizen_id=citizen_id,
        name=name,
        sex=_SEX_CODES[sex_code],
        ethnicity=ethnicity,
        birthplace=birthplace,
        birth_date=birth_date,
    )


def _read_date(card: Transmit, sfi: int, tag: int, item: str) -> date:
    value = _read(card, sfi, tag, item, length=4)
    return _decoded(card, f"EF{sfi:02X} {item}", lambda: apdu.decode_bcd_date(value))


# --- one command each -----------------------------------------------------------------------------


def _select_ef(card: Transmit, fid: int) -> None:
    step = f"selecting EF{fid & 0xFF:02X}"
    _, sw = apdu.exchange(card, apdu.select_file(fid), step=step)
    _expect_ok(card, sw, step)


def _read(card: Transmit, sfi: int, tag: int, item: str, *, length: int) -> bytes:
    step, data, sw = _send_read(card, sfi, tag, item, length=length)
    return _record_value(card, step, data, sw, tag, length=length)


def _read_optional(card: Transmit, sfi: int, tag: int, item: str, *, length: int) -> bytes | None:
    step, data, sw = _send_read(card, sfi, tag, item, length=length)
    if sw == _SW_RECORD_NOT_FOUND:
        return None
    return _record_value(card, step, data, sw, tag, length=length)


def _send_read(
    card: Transmit, sfi: int, tag: int, item: str, *, length: int
) -> tuple[str, bytes, int]:
    step = f"reading EF{sfi:02X} tag {tag:02X} ({item})"
    if sfi == EF05_SFI:
        # In EF05 the record number is the tag (NOTES §2): read by number in the current EF.
        command = apdu.read_record(tag, le=length + 2)
    else:
        command = apdu.read_record_by_tag(tag, sfi=sfi, le=length + 2)
    data, sw = apdu.exchange(card, command, step=step)
    return step, data, sw


def _record_value(
    card: Transmit, step: str, data: bytes, sw: int, tag: int, *, length: int
) -> bytes:
    if sw == _SW_SECURITY_NOT_SATISFIED:
        raise CardRefused(
            card.reader,
            f"{step}: the card wants external authentication first (a 3.0 card needs the "
            "RKSSSE key, which a provisioning station does not hold); use a 1.00/2.00 test card",
        )
    _expect_ok(card, sw, step)
    record = _decoded(card, step, lambda: apdu.parse_simple_tlv(data))
    if record.tag != tag:
        raise CardRefused(card.reader, f"{step}: the card answered with tag {record.tag:02X}")
    if len(record.value) != length:
        raise CardRefused(
            card.reader, f"{step}: {len(record.value)} bytes where the layout has {length}"
        )
    return record.value


# --- checks ---------------------------------------------------------------------------------------


def _expect_ok(card: Transmit, sw: int, step: str) -> None:
    if sw != apdu.SW_OK:
        raise CardRefused(card.reader, f"{step}: the card answered {apdu.describe_sw(sw)}")


_T = TypeVar("_T")


def _decoded(card: Transmit, what: str, decode: Callable[[], _T]) -> _T:
    """``decode()``, with a format error turned into :class:`CardRefused` naming ``what``."""
    try:
        return decode()
    except ValueError as exc:
        raise CardRefused(card.reader, f"{what}: {exc}") from None
