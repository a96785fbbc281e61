"""What the lab's virtual cards hold, as data: file trees, SIMPLE-TLV records, holders, PSAMs.

Layouts follow /work/shared/sscard/NOTES.md: EF05 (issuer data) and EF06 (holder data) under the
SSSE DDF, records ``tag | len | value`` (§2), the SSSE's 30-byte FCI (§3, its layout [I]), a PSAM's
EF15 (serial at offset 1) and EF16 (terminal number, 6 bytes BCD) (§6). Every person, card number
and serial here is **synthetic** (check digits computed, §9); nothing comes from a real card.

The catalogue at the end names the cards the station can insert: ``test-card`` (a valid gen-2
Guangdong card), ``expired-card``, ``wrong-card`` (a bank card: no SSSE) and three PSAMs with
different terminal numbers and serials.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SSSE_AID = bytes.fromhex("7378312E73682EC9E7BBE1B1A3D5CF")
"""ASCII "sx1.sh." + GBK "社会保障" (NOTES §1)."""
PSAM_APPLICATION_AID = bytes.fromhex("D15600000590")
"""The PSAM's application DF as one writer selects it (NOTES §6, [S])."""
PBOC_DEBIT_AID = bytes.fromhex("A000000333010101")
"""UnionPay debit: what the lab's bank card (the "wrong card") answers to."""
SOCIAL_SECURITY_RID = bytes.fromhex("D156000005")

SS_CARD_ATR = bytes.fromhex("3B6D0000008154443686605328A8888888")
"""The Guangdong kiosk sample (NOTES §7, §9): T=0, 13 historical bytes, stable per card."""
PSAM_ATR = bytes.fromhex("3B6D00000081544C0086840807230005C0")
"""The PSAM ATR of a kiosk API sample (NOTES §6)."""
BANK_CARD_ATR = bytes.fromhex("3B6800000073C84012009000")
"""A plain T=0 ATR (8 historical bytes) for the lab's bank card."""

NAME_ENCODING = "gbk"
"""Names are GBK on these cards, never UTF-8 (NOTES §7)."""
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CARD_NUMBER_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def bcd(digits: str, length: int) -> bytes:
    """Format cn: compressed BCD, left-aligned, right-padded with F to ``length`` bytes."""
    if not digits.isdigit() or len(digits) > 2 * length:
        raise ValueError(f"{digits!r} is not at most {2 * length} decimal digits")
    return bytes.fromhex(digits.ljust(2 * length, "F"))


def text(value: str, length: int, encoding: str = "ascii") -> bytes:
    """Format an: the text's bytes, left-aligned, right-padded with 00 to ``length`` bytes."""
    encoded = value.encode(encoding)
    if len(encoded) > length:
        raise ValueError(f"{value!r} needs {len(encoded)} bytes; the field has {length}")
    return encoded.ljust(length, b"\x00")


def citizen_id_check(first_17: str) -> str:
    """The GB 11643 check character of a citizen ID (social-security number)."""
    total = sum(int(d) * w for d, w in zip(first_17, _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def card_number_check(first_8: str) -> str:
    """The check character of a printed card number (GB 11714 style, NOTES §2 EF05 rec 7)."""
    total = sum(int(c, 36) * w for c, w in zip(first_8, _CARD_NUMBER_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


@dataclass(frozen=True, slots=True)
class TlvRecord:
    """One SIMPLE-TLV record: READ RECORD returns ``tag | len | value`` whole."""

    tag: int
    value: bytes

    @property
    def encoded(self) -> bytes:
        return bytes((self.tag, len(self.value))) + self.value


@dataclass(frozen=True, slots=True)
class RecordFile:
    """A linear record EF; its SFI is the FID's low byte (EF05 → 5, NOTES §1)."""

    fid: int
    records: tuple[TlvRecord, ...]

    @property
    def sfi(self) -> int:
        return self.fid & 0x1F

    def record(self, number: int) -> TlvRecord | None:
        """Record ``number``, counted from 1."""
        return self.records[number - 1] if 1 <= number <= len(self.records) else None

    def first_with_tag(self, tag: int) -> TlvRecord | None:
        """The first record whose tag is ``tag`` (READ RECORD by record identifier)."""
        return next((r for r in self.records if r.tag == tag), None)


@dataclass(frozen=True, slots=True)
class TransparentFile:
    """A transparent (binary) EF, read with READ BINARY."""

    fid: int
    content: bytes

    @property
    def sfi(self) -> int:
        return self.fid & 0x1F


@dataclass(frozen=True, slots=True)
class CardHolder:
    """EF06's person (synthetic)."""

    ssn: str
    """社会保障号码 = citizen ID, 18 characters with a GB 11643 check character."""
    name: str
    """姓名, at most 30 bytes in GBK."""
    sex: str
    """"1" male, "2" female (GB/T 2261.1)."""
    ethnicity: str = "01"
    """GB 3304 code, two digits; 01 = 汉."""
    birthplace: str = "440106"
    """Six-digit division code."""
    birth_date: str = "19900101"
    """YYYYMMDD."""
    name_extension: str = ""
    """姓名扩展 (tag 4E, gen 2/3): present but empty on most cards."""


@dataclass(frozen=True, slots=True)
class SocialSecurityCardData:
    """EF05's issuer data and EF06's holder, from which the card's SSSE is built."""

    issuing_region: str
    """Six-digit division code that starts the card identifier (440100 = 广州市)."""
    card_unique: bytes
    """The identifier's last 8 bytes."""
    card_number: str
    """卡号: 8 characters and a check character."""
    issue_date: str
    expiry_date: str
    holder: CardHolder
    spec_version: str = "2.00"
    card_type: str = "1"
    """卡类别: the code list was not found (NOTES §10); one ASCII character."""
    initialising_org: str = "440000000000000000000001"
    """初始化机构编号: 12 bytes, format unconfirmed (NOTES §10); written here as 24 BCD digits."""
    algorithm: int = 1
    """The FCI's algorithm environment (9F0C … 86 01 xx): 01 the default (NOTES §3)."""

    @property
    def card_identifier(self) -> bytes:
        """卡识别码: region (BCD, 3 bytes) + RID D156000005 + 8 card-unique bytes."""
        return bcd(self.issuing_region, 3) + SOCIAL_SECURITY_RID + self.card_unique

    def ef05(self) -> RecordFile:
        """Issuer data; record number = tag (NOTES §2)."""
        values = (
            self.card_identifier,
            text(self.card_type, 1),
            text(self.spec_version, 4),
            bcd(self.initialising_org, 12),
            bcd(self.issue_date, 4),
            bcd(self.expiry_date, 4),
            text(self.card_number, 9),
        )
        return RecordFile(0xEF05, tuple(TlvRecord(i, v) for i, v in enumerate(values, 1)))

    def ef06(self) -> RecordFile:
        """Holder data, gen 2/3 order: tags 08, 09, 4E, 0A, 0B, 0C, 0D as records 1–7."""
        person = self.holder
        return RecordFile(
            0xEF06,
            (
                TlvRecord(0x08, text(person.ssn, 18)),
                TlvRecord(0x09, text(person.name, 30, NAME_ENCODING)),
                TlvRecord(0x4E, text(person.name_extension, 20, NAME_ENCODING)),
                TlvRecord(0x0A, text(person.sex, 1)),
                TlvRecord(0x0B, bcd(person.ethnicity, 1)),
                TlvRecord(0x0C, bcd(person.birthplace, 3)),
                TlvRecord(0x0D, bcd(person.birth_date, 4)),
            ),
        )

    def fci(self) -> bytes:
        """The SSSE's FCI, 0x1E bytes: ``6F 1C 84 0F <AID> A5 09 9F0C 03 86 01 <alg> 88 01 01``.

        Only its length and the 9F0C item are known from real cards (NOTES §10); the SFI of the
        directory EF (88) fills it to length, as a DDF's FCI may carry one.
        """
        proprietary = bytes((0x9F, 0x0C, 0x03, 0x86, 0x01, self.algorithm, 0x88, 0x01, 0x01))
        body = bytes((0x84, len(SSSE_AID))) + SSSE_AID + bytes((0xA5, len(proprietary)))
        body += proprietary
        return bytes((0x6F, len(body))) + body


@dataclass(frozen=True, slots=True)
class ContactCard:
    """A virtual contact card for :class:`lab.smartcard.sscard_os.SocialSecurityCardOs`.

    ``ssse`` is None for a card that is not a social-security card (SELECT SSSE → 6A82).
    """

    atr: bytes
    ssse: SocialSecurityCardData | None
    applications: dict[bytes, bytes] = field(default_factory=dict)
    """Other applications: AID → FCI, selectable by name."""


@dataclass(frozen=True, slots=True)
class PsamData:
    """A terminal's PSAM: MF with EF15 (public data) and EF16 (terminal number)."""

    serial: bytes
    """10 bytes (EF15 offset 1)."""
    terminal_number: str
    """终端机编号: 12 digits, stored as 6 bytes BCD in EF16."""
    issuer: int = 0x44
    """EF15's first byte (issuer identifier; 44 for Guangdong here, [I])."""
    version: int = 0x01
    key_type: int = 0x01
    atr: bytes = PSAM_ATR

    def ef15(self) -> TransparentFile:
        """14 bytes: issuer, serial (10), version, key type, FCI custom byte."""
        if len(self.serial) != 10:
            raise ValueError("a PSAM serial is 10 bytes")
        content = bytes((self.issuer,)) + self.serial + bytes((self.version, self.key_type, 0))
        return TransparentFile(0x0015, content)

    def ef16(self) -> TransparentFile:
        if len(self.terminal_number) != 12:
            raise ValueError("a terminal number is 12 digits")
        return TransparentFile(0x0016, bcd(self.terminal_number, 6))


def _bank_card_fci() -> bytes:
    label = b"UnionPay Debit"
    body = bytes((0x84, len(PBOC_DEBIT_AID))) + PBOC_DEBIT_AID
    body += bytes((0xA5, len(label) + 2, 0x50, len(label))) + label
    return bytes((0x6F, len(body))) + body


TEST_CARD = SocialSecurityCardData(
    issuing_region="440100",
    card_unique=bytes.fromhex("0011223344556677"),
    card_number="X00000019",
    issue_date="20240101",
    expiry_date="20340101",
    holder=CardHolder(ssn="440106199001011235", name="张三", sex="1"),
)
"""A valid gen-2 Guangdong card: the values of NOTES §9."""

EXPIRED_CARD = SocialSecurityCardData(
    issuing_region="440100",
    card_unique=bytes.fromhex("8899AABBCCDDEEFF"),
    card_number="X00000027",
    issue_date="20130101",
    expiry_date="20230101",
    holder=CardHolder(
        ssn="440103198506150026",
        name="王芳",
        sex="2",
        birthplace="440103",
        birth_date="19850615",
    ),
)
"""Valid in every field but its expiry, which is in the past."""

CARDS: dict[str, ContactCard | PsamData] = {
    "test-card": ContactCard(SS_CARD_ATR, TEST_CARD),
    "expired-card": ContactCard(SS_CARD_ATR, EXPIRED_CARD),
    "wrong-card": ContactCard(BANK_CARD_ATR, None, {PBOC_DEBIT_AID: _bank_card_fci()}),
    "psam": PsamData(bytes.fromhex("44010300000000000001"), "440103000001"),
    "psam-2": PsamData(bytes.fromhex("44010400000000000002"), "440104000002"),
    "psam-bound": PsamData(bytes.fromhex("44010500000000000003"), "440105000003"),
}
"""Every card the station can insert, by name."""
