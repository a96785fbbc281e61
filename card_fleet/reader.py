"""The PC/SC seam: the only module of ssnoc that imports pyscard (``smartcard``).

Three things cross it: :func:`list_readers`, :func:`card_present` and :func:`wait_for_card`, which
returns a :class:`CardSession` — one PC/SC context and one card connection, closed by ``with``.
Every PC/SC failure is translated here into ``card_fleet.errors`` (reader gone → ReaderUnavailable,
card pulled → CardRemoved, nothing inserted in time → NoCard, a card that will not answer →
CardRefused), naming the reader and the step; no pyscard type or code leaves this module.

Why pyscard's low-level ``smartcard.scard`` and not ``CardRequest``: a session owns exactly one
context, established and released here, which makes the session safe to run in any worker thread
(nothing is shared between threads, no hidden context lives on in a ``CardRequest``), and the raw
``SCARD_*`` results are what tell a pulled card from an unplugged reader. ``CardRequest`` also
spins up a thread per wait and, asked for a reader that does not exist, waits out its timeout
instead of saying so.

pcsc-lite's client library finds pcscd through its socket, ``/run/pcscd/pcscd.comm`` or the
``PCSCLITE_CSOCK_NAME`` environment variable — read once, when the process establishes its first
context; set it before any PC/SC call if pcscd runs privately (the lab does).

A session is not thread-safe: use it from one thread. Sessions in different threads are
independent.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any, Self

from smartcard import scard

from card_fleet.errors import CardError, CardRefused, CardRemoved, NoCard, ReaderUnavailable

_SUCCESS = scard.SCARD_S_SUCCESS
_READER_GONE = frozenset(
    {
        scard.SCARD_E_UNKNOWN_READER,
        scard.SCARD_E_READER_UNAVAILABLE,
        scard.SCARD_E_NO_READERS_AVAILABLE,
        scard.SCARD_E_NO_SERVICE,
        scard.SCARD_E_SERVICE_STOPPED,
    }
)
_CARD_GONE = frozenset({scard.SCARD_W_REMOVED_CARD, scard.SCARD_E_NO_SMARTCARD})
_CARD_MUTE = frozenset({scard.SCARD_W_UNRESPONSIVE_CARD, scard.SCARD_W_UNPOWERED_CARD})
_STATE_READER_GONE = scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE
_STATE_PRESENT = scard.SCARD_STATE_PRESENT
_STATE_MUTE = scard.SCARD_STATE_MUTE
_REMOVAL_NOTICE_MS = 1500
"""How long a failed command waits for pcscd to report the card gone (it polls every 400 ms)."""
_PROTOCOL_HEADERS = {
    scard.SCARD_PROTOCOL_T0: scard.SCARD_PCI_T0,
    scard.SCARD_PROTOCOL_T1: scard.SCARD_PCI_T1,
}


def list_readers() -> list[str]:
    """The names of the readers pcscd knows now (empty when there are none)."""
    with _Context("", "listing readers") as context:
        return context.reader_names()


def card_present(reader: str) -> bool:
    """Whether a card sits in ``reader`` now (powered or not). Raises ReaderUnavailable."""
    with _Context(reader, "checking for a card") as context:
        return bool(context.reader_state() & _STATE_PRESENT)


def wait_for_card(reader: str, timeout_s: float) -> CardSession:
    """Wait up to ``timeout_s`` for a card in ``reader`` and connect to it.

    A card already in the reader counts. Use the result in a ``with`` block. Raises
    ReaderUnavailable (no such reader, pcscd gone), NoCard (nothing came in time), CardRemoved
    (pulled before the connection was made) or CardRefused (it gives no ATR).
    """
    context = _Context(reader, "waiting for a card").__enter__()
    try:
        context.wait_until_present(timeout_s)
        return CardSession._connect(context)
    except BaseException:
        context.release()
        raise


class CardSession:
    """One connection to the card in one reader, on a PC/SC context of its own.

    ``transmit`` sends command APDUs; T=0's ``61xx``/``6Cxx`` follow-ups are the caller's
    (``card_fleet.apdu.exchange``), as pcsc-lite leaves them to applications.
    """

    def __init__(self, context: _Context, handle: Any, protocol: int, atr: bytes) -> None:
        self._context = context
        self._handle: Any = handle
        self._pci = _PROTOCOL_HEADERS[protocol]
        self._atr = atr

    @classmethod
    def _connect(cls, context: _Context) -> CardSession:
        step = "connecting to the card"
        hresult, handle, protocol = scard.SCardConnect(
            context.handle,
            context.reader,
            scard.SCARD_SHARE_SHARED,
            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
        )
        if hresult != _SUCCESS:
            raise context.failure(int(hresult), step)
        hresult, _name, _state, _protocol, atr = scard.SCardStatus(handle)
        if hresult != _SUCCESS:
            scard.SCardDisconnect(handle, scard.SCARD_LEAVE_CARD)
            raise context.failure(int(hresult), "reading the ATR")
        if int(protocol) not in _PROTOCOL_HEADERS:
            scard.SCardDisconnect(handle, scard.SCARD_LEAVE_CARD)
            raise CardRefused(context.reader, f"{step}: the card speaks neither T=0 nor T=1")
        return cls(context, handle, int(protocol), _as_bytes(atr))

    @property
    def reader(self) -> str:
        """The reader the card sits in."""
        return self._context.reader

    @property
    def atr(self) -> bytes:
        """The card's answer to reset."""
        return self._atr

    def transmit(self, apdu: bytes, *, step: str = "sending a command") -> tuple[bytes, int]:
        """Send one command APDU; return the response data and the status word SW1SW2.

        ``step`` says what the command is for; a failure's message names it.
        """
        if self._handle is None:
            raise CardError(self.reader, f"{step}: the card session is already closed")
        hresult, response = scard.SCardTransmit(self._handle, self._pci, list(apdu))
        if hresult != _SUCCESS:
            raise self._context.failure(int(hresult), step)
        answer = _as_bytes(response)
        if len(answer) < 2:
            # What a card pulled mid-command looks like through vpcd (and some USB readers):
            # an empty answer, the removal reported a poll later.
            raise self._context.broken_answer(step)
        return answer[:-2], int.from_bytes(answer[-2:], "big")

    def close(self) -> None:
        """Disconnect (leaving the card as it is) and release the context; safe to repeat."""
        if self._handle is not None:
            # A card pulled out makes the disconnect fail; the handle is gone either way.
            scard.SCardDisconnect(self._handle, scard.SCARD_LEAVE_CARD)
            self._handle = None
        self._context.release()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class _Context:
    """One PC/SC context, bound to the reader and step it is used for (for messages)."""

    def __init__(self, reader: str, step: str) -> None:
        self.reader = reader
        self.step = step
        self.handle: Any = None

    def __enter__(self) -> Self:
        hresult, handle = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != _SUCCESS:
            raise ReaderUnavailable(
                self.reader, f"{self.step}: the PC/SC service (pcscd) cannot be reached"
            )
        self.handle = handle
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()

    def release(self) -> None:
        if self.handle is not None:
            scard.SCardReleaseContext(self.handle)
            self.handle = None

    def reader_names(self) -> list[str]:
        hresult, names = scard.SCardListReaders(self.handle, [])
        if hresult == scard.SCARD_E_NO_READERS_AVAILABLE:
            return []
        if hresult != _SUCCESS:
            raise self.failure(int(hresult), self.step)
        return [str(name) for name in names]

    def reader_state(self) -> int:
        """The reader's ``SCARD_STATE_*`` flags now; raises ReaderUnavailable if it is not there."""
        names = self.reader_names()
        if self.reader not in names:
            present = ", ".join(repr(name) for name in names) or "none"
            raise ReaderUnavailable(
                self.reader, f"{self.step}: no such reader (readers: {present})"
            )
        return self._status_change(scard.SCARD_STATE_UNAWARE, 0)

    def wait_until_present(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        state = self.reader_state()
        while not state & _STATE_PRESENT or state & _STATE_MUTE:
            remaining_ms = int((deadline - time.monotonic()) * 1000)
            if remaining_ms <= 0:
                if state & _STATE_PRESENT:
                    raise CardRefused(self.reader, f"{self.step}: the card gives no ATR (mute)")
                raise NoCard(self.reader, f"{self.step}: no card within {timeout_s:g} s")
            state = self._status_change(state & ~scard.SCARD_STATE_CHANGED, remaining_ms)

    def _status_change(self, known_state: int, timeout_ms: int) -> int:
        hresult, states = scard.SCardGetStatusChange(
            self.handle, timeout_ms, [(self.reader, known_state)]
        )
        if hresult == scard.SCARD_E_TIMEOUT:
            return known_state
        if hresult != _SUCCESS:
            raise self.failure(int(hresult), self.step)
        _name, event_state, _atr = states[0]
        if int(event_state) & _STATE_READER_GONE:
            raise ReaderUnavailable(self.reader, f"{self.step}: the reader is gone")
        return int(event_state)

    def failure(self, hresult: int, step: str) -> CardError:
        """The card_fleet error for PC/SC result ``hresult`` during ``step``."""
        why = _describe(hresult)
        if hresult in _CARD_GONE:
            if self._reader_missing():
                return ReaderUnavailable(self.reader, f"{step}: the reader is gone")
            return CardRemoved(self.reader, f"{step}: the card was removed")
        if hresult in _READER_GONE:
            return ReaderUnavailable(self.reader, f"{step}: the reader is gone ({why})")
        if hresult in _CARD_MUTE:
            return CardRefused(self.reader, f"{step}: the card does not answer ({why})")
        if hresult == scard.SCARD_W_RESET_CARD:
            return CardError(self.reader, f"{step}: another application reset the card")
        # Transport errors (not transacted, comm error): the card may have gone mid-command.
        return self._classify_breakdown(step, CardError(self.reader, f"{step}: {why}"))

    def broken_answer(self, step: str) -> CardError:
        """The error for a response too short to hold a status word."""
        refusal = CardRefused(self.reader, f"{step}: the card answered without a status word")
        return self._classify_breakdown(step, refusal)

    def _classify_breakdown(self, step: str, otherwise: CardError) -> CardError:
        if self._reader_missing():
            return ReaderUnavailable(self.reader, f"{step}: the reader is gone")
        if self._card_gone_within(_REMOVAL_NOTICE_MS):
            return CardRemoved(self.reader, f"{step}: the card was removed")
        return otherwise

    def _reader_missing(self) -> bool:
        hresult, names = scard.SCardListReaders(self.handle, [])
        return hresult != _SUCCESS or self.reader not in [str(name) for name in names]

    def _card_gone_within(self, notice_ms: int) -> bool:
        """Whether the card is out of the reader, waiting up to ``notice_ms`` for pcscd to see it.

        pcscd learns of a removal by polling the reader (every 400 ms for vpcd), so right after a
        failed command the card may still be listed as present.
        """
        deadline = time.monotonic() + notice_ms / 1000
        known = scard.SCARD_STATE_UNAWARE
        while True:
            remaining_ms = max(0, int((deadline - time.monotonic()) * 1000))
            wait_ms = 0 if known == scard.SCARD_STATE_UNAWARE else remaining_ms
            hresult, states = scard.SCardGetStatusChange(
                self.handle, wait_ms, [(self.reader, known)]
            )
            if hresult == scard.SCARD_E_TIMEOUT:
                return False
            if hresult != _SUCCESS:
                return True
            state = int(states[0][1])
            if not state & _STATE_PRESENT:
                return True
            if known != scard.SCARD_STATE_UNAWARE and remaining_ms == 0:
                return False
            known = state & ~scard.SCARD_STATE_CHANGED


def _describe(hresult: int) -> str:
    return f"{scard.SCardGetErrorMessage(hresult)} (0x{hresult & 0xFFFFFFFF:08X})"


def _as_bytes(values: Any) -> bytes:
    # SWIG hands back a list of ints (negative ones on some builds): keep the low byte.
    return bytes(int(value) & 0xFF for value in values)


class PcscReaders:
    """The station's readers through pcscd: what ``ProvisioningStation`` gets outside tests."""

    def list_readers(self) -> list[str]:
        """See :func:`list_readers`."""
        return list_readers()

    def card_present(self, reader: str) -> bool:
        """See :func:`card_present`."""
        return card_present(reader)

    def wait_for_card(self, reader: str, timeout_s: float) -> CardSession:
        """See :func:`wait_for_card`."""
        return wait_for_card(reader, timeout_s)
