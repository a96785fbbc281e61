"""ISO 7816-4 as the lab's virtual cards speak it: C-APDUs in, R-APDUs and status words out.

Only short APDUs: the cards the lab imitates are T=0 cards, and T=0 has no extended lengths (an
extended C-APDU is answered ``67 00``). What every command processor here shares lives in this
module as well: the T=0 response chain (``61 xx`` then GET RESPONSE, ``6C xx`` for a wrong Le),
GET CHALLENGE, and :class:`CardOs`, the power cycle and command loop around both.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

from core.errors import LabError

RandomBytes = Callable[[int], bytes]
"""Where a card's random numbers come from (``os.urandom``; a fixed source in tests)."""

INS_GET_RESPONSE = 0xC0
INS_GET_CHALLENGE = 0x84
CHALLENGE_LENGTHS = frozenset({4, 8, 16})
"""GET CHALLENGE lengths real terminals ask for (NOTES §3: 08, sometimes 04 or 10)."""


class Sw(IntEnum):
    """The status words the virtual cards answer with (NOTES §3 and §7)."""

    OK = 0x9000
    WRONG_LENGTH = 0x6700
    """Lc (or Le) is not what the command needs; also any malformed C-APDU."""
    COMMAND_INCOMPATIBLE = 0x6981
    """The command does not suit the file's structure (READ BINARY on a record file)."""
    SECURITY_NOT_SATISFIED = 0x6982
    CONDITIONS_NOT_SATISFIED = 0x6985
    """GET RESPONSE with nothing pending; a PSAM key used before its DF is selected."""
    NO_CURRENT_EF = 0x6986
    WRONG_DATA = 0x6A80
    FILE_NOT_FOUND = 0x6A82
    """Unknown AID or FID — and what a card without the SSSE answers to SELECT SSSE."""
    RECORD_NOT_FOUND = 0x6A83
    WRONG_P1_P2 = 0x6A86
    WRONG_OFFSET = 0x6B00
    """READ BINARY past the end of the file."""
    INS_NOT_SUPPORTED = 0x6D00
    CLA_NOT_SUPPORTED = 0x6E00


def more_data(available: int) -> int:
    """``61 xx``: ``available`` bytes wait for GET RESPONSE (xx = 00 means 256)."""
    return 0x6100 | (available & 0xFF)


def wrong_le(exact: int) -> int:
    """``6C xx``: the answer is ``exact`` bytes long; send the command again with Le = xx."""
    return 0x6C00 | (exact & 0xFF)


class MalformedApdu(LabError):
    """Bytes that are not a short C-APDU; the card answers ``67 00``."""


@dataclass(frozen=True, slots=True)
class CommandApdu:
    """A short C-APDU. ``le`` is the Le byte as sent (0 asks for "everything", up to 256), or
    None when the command carries no Le."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None

    @classmethod
    def parse(cls, raw: bytes) -> CommandApdu:
        """Cases 1–4 of ISO 7816-3 §12.1, short form; :class:`MalformedApdu` otherwise."""
        if len(raw) < 4:
            raise MalformedApdu(f"{len(raw)} bytes: a C-APDU has at least 4")
        cla, ins, p1, p2 = raw[:4]
        if len(raw) == 4:
            return cls(cla, ins, p1, p2)
        if len(raw) == 5:
            return cls(cla, ins, p1, p2, le=raw[4])
        lc = raw[4]
        if lc == 0:
            raise MalformedApdu("extended length: T=0 cards take short APDUs only")
        if len(raw) == 5 + lc:
            return cls(cla, ins, p1, p2, bytes(raw[5:]))
        if len(raw) == 6 + lc:
            return cls(cla, ins, p1, p2, bytes(raw[5:-1]), raw[-1])
        raise MalformedApdu(f"Lc {lc} does not match the {len(raw) - 5} bytes that follow")

    def to_bytes(self) -> bytes:
        """The encoding :meth:`parse` reads back."""
        head = bytes((self.cla, self.ins, self.p1, self.p2))
        body = bytes((len(self.data),)) + self.data if self.data else b""
        tail = bytes((self.le,)) if self.le is not None else b""
        return head + body + tail


@dataclass(frozen=True, slots=True)
class ResponseApdu:
    """An R-APDU: response data and the status word."""

    data: bytes
    sw: int

    @classmethod
    def status(cls, sw: int) -> ResponseApdu:
        """A status word alone."""
        return cls(b"", sw)

    @classmethod
    def ok(cls, data: bytes = b"") -> ResponseApdu:
        return cls(data, Sw.OK)

    @classmethod
    def from_bytes(cls, raw: bytes) -> ResponseApdu:
        if len(raw) < 2:
            raise MalformedApdu(f"{len(raw)} bytes: an R-APDU ends with a 2-byte status word")
        return cls(bytes(raw[:-2]), int.from_bytes(raw[-2:], "big"))

    def to_bytes(self) -> bytes:
        return self.data + self.sw.to_bytes(2, "big")


def answer_with_le(data: bytes, le: int | None, lenient: bool) -> ResponseApdu:
    """``data`` for a command whose answer has a fixed length (a record, a pending response).

    Le 00 or absent → all of it; Le equal to its length → all of it; any other Le → ``6C len``
    so the terminal asks again (NOTES §3). ``lenient`` answers all of it whatever Le says, as
    vendor reader DLLs make a card look.
    """
    if lenient or le in (None, 0) or le == len(data):
        return ResponseApdu.ok(data)
    return ResponseApdu.status(wrong_le(len(data)))


class ResponseChain:
    """The T=0 answer that waits for GET RESPONSE (``61 xx`` → ``00 C0 00 00 xx``).

    It is kept until the next command, whatever that is, and then dropped (NOTES §7).
    """

    def __init__(self) -> None:
        self._pending: bytes | None = None

    def hold(self, data: bytes) -> ResponseApdu:
        """Keep ``data`` for GET RESPONSE and answer ``61 len``."""
        self._pending = data
        return ResponseApdu.status(more_data(len(data)))

    def take(self) -> bytes | None:
        """What waits (None if nothing); it is dropped either way."""
        pending, self._pending = self._pending, None
        return pending

    def get_response(self, command: CommandApdu, pending: bytes | None) -> ResponseApdu:
        """GET RESPONSE for ``pending`` (as :meth:`take` returned it)."""
        if command.p1 != 0 or command.p2 != 0:
            return ResponseApdu.status(Sw.WRONG_P1_P2)
        if pending is None:
            return ResponseApdu.status(Sw.CONDITIONS_NOT_SATISFIED)
        answer = answer_with_le(pending, command.le, lenient=False)
        if answer.sw != Sw.OK:
            self._pending = pending  # 6Cxx: the terminal asks again with the right Le
        return answer


def get_challenge(command: CommandApdu, random_bytes: RandomBytes = os.urandom) -> ResponseApdu:
    """GET CHALLENGE ``00 84 00 00 Le``: Le random bytes (4, 8 or 16)."""
    if command.p1 != 0 or command.p2 != 0:
        return ResponseApdu.status(Sw.WRONG_P1_P2)
    if command.data or command.le not in CHALLENGE_LENGTHS:
        return ResponseApdu.status(Sw.WRONG_LENGTH)
    return ResponseApdu.ok(random_bytes(command.le))


class CardOs(ABC):
    """A virtual card's operating system as vpcd drives it: power, reset, one C-APDU at a time.

    A subclass answers parsed commands in :meth:`_dispatch` and clears its own session state in
    :meth:`_reset_state`. Pure: bytes in, bytes out, no I/O.
    """

    def __init__(self, atr: bytes) -> None:
        self._atr = atr
        self._chain = ResponseChain()

    @property
    def atr(self) -> bytes:
        return self._atr

    def power_up(self) -> None:
        self._reset_state()

    def power_down(self) -> None:
        self._reset_state()

    def reset(self) -> None:
        self._reset_state()

    def execute(self, command: bytes) -> bytes:
        """The R-APDU for one C-APDU."""
        pending = self._chain.take()
        try:
            apdu = CommandApdu.parse(command)
        except MalformedApdu:
            return ResponseApdu.status(Sw.WRONG_LENGTH).to_bytes()
        return self._dispatch(apdu, pending).to_bytes()

    def _reset_state(self) -> None:
        """Power-up, power-down and reset: a pending response is dropped (subclasses add theirs)."""
        self._chain.take()

    @abstractmethod
    def _dispatch(self, apdu: CommandApdu, pending: bytes | None) -> ResponseApdu:
        """The answer to ``apdu``; ``pending`` is what waited for GET RESPONSE, if anything."""
