"""The vpcd wire protocol: one TCP connection per inserted card, served by a thread of its own.

vsmartcard's vpcd driver (loaded by pcscd) listens on a TCP port per reader; a virtual card
connects to it. Every message both ways is a 2-byte big-endian length and a payload. A 1-byte
payload from vpcd is a control: 00 power off, 01 power on, 02 reset, 04 send the ATR (pcscd asks
every 400 ms to see whether a card is present, so it is answered at any time, powered or not);
anything longer is a C-APDU, answered with the R-APDU. The connection existing *is* the
insertion; closing it is the removal. A 0-length message is never sent (vpcd reads it as "no
card").

Why threads and blocking sockets: ``TCP_QUICKACK`` must be set before **every** ``recv()``.
vpcd 0.8 writes the length and the payload separately; with Nagle on its side and delayed ACK on
ours, each APDU costs 40 ms. Quick ACKs bring it to ≈ 0.1–0.2 ms (measured through pcscd and
pyscard: 0.13 ms with, 50 ms without). An event loop does its own ``recv()`` calls, out of reach.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import threading
import time
from typing import Protocol

from core.errors import LabError
from lab.smartcard.apdu import ResponseApdu

_log = logging.getLogger(__name__)

CONTROL_POWER_OFF = 0x00
CONTROL_POWER_ON = 0x01
CONTROL_RESET = 0x02
CONTROL_SEND_ATR = 0x04
_LENGTH = struct.Struct(">H")
_NO_PRECISE_DIAGNOSIS = 0x6F00


class VirtualCard(Protocol):
    """A card's operating system as vpcd drives it."""

    @property
    def atr(self) -> bytes: ...

    def power_up(self) -> None: ...

    def power_down(self) -> None: ...

    def reset(self) -> None: ...

    def execute(self, command: bytes) -> bytes:
        """The R-APDU for a C-APDU."""
        ...


def encode_message(payload: bytes) -> bytes:
    """One vpcd message: length (2 bytes, big-endian) and payload; never empty."""
    if not payload or len(payload) > 0xFFFF:
        raise LabError(f"a vpcd message carries 1 to 65535 bytes, not {len(payload)}")
    return _LENGTH.pack(len(payload)) + payload


def connect_to_vpcd(host: str, port: int, timeout_s: float) -> socket.socket:
    """A connection to the vpcd reader on ``port``, retried while nothing listens yet."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            connection = socket.create_connection((host, port), timeout=max(0.1, timeout_s))
        except OSError as exc:
            if time.monotonic() >= deadline:
                raise LabError(f"no vpcd reader listens on {host}:{port}: {exc}") from None
            time.sleep(0.02)
            continue
        connection.settimeout(None)
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection


class VpcdLink:
    """One card in one reader: serves ``card`` over ``connection`` until removed.

    :meth:`remove` pulls the card now; :meth:`remove_after` lets it answer ``n`` more C-APDUs
    and then pulls it (a card drawn out mid-read). Counters are for ``status``.
    """

    def __init__(self, card: VirtualCard, connection: socket.socket, label: str) -> None:
        self.card = card
        self.label = label
        self.apdus_answered = 0
        self.atr_requests = 0
        self.powered = False
        self._connection = connection
        self._lock = threading.Lock()
        self._answers_left: int | None = None
        self._removed = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=f"vpcd {label}", daemon=True)

    def start(self) -> VpcdLink:
        self._thread.start()
        return self

    @property
    def inserted(self) -> bool:
        """False once the card is removed, or vpcd (pcscd) closed the connection."""
        return not self._removed.is_set()

    def remove(self, timeout_s: float = 5.0) -> None:
        """Pull the card: close the connection and wait for the serving thread to end."""
        self._pull()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout_s)

    def remove_after(self, apdus: int) -> None:
        """Answer ``apdus`` more C-APDUs, then pull the card (0: now)."""
        if apdus < 0:
            raise LabError("a card cannot be pulled after a negative number of commands")
        with self._lock:
            self._answers_left = apdus
        if apdus == 0:
            self.remove()

    def wait_removed(self, timeout_s: float) -> bool:
        return self._removed.wait(timeout_s)

    def _pull(self) -> None:
        self._removed.set()
        with contextlib.suppress(OSError):
            self._connection.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self._connection.close()

    def _serve(self) -> None:
        try:
            while not self._removed.is_set():
                payload = self._receive()
                if payload is None:
                    break
                if len(payload) == 1:
                    self._control(payload[0])
                elif self._answer(payload):
                    break
        except OSError as exc:
            if not self._removed.is_set():
                _log.info("%s: connection to vpcd lost: %s", self.label, exc)
        finally:
            self._pull()

    def _control(self, code: int) -> None:
        if code == CONTROL_SEND_ATR:
            self.atr_requests += 1
            self._send(self.card.atr)
        elif code == CONTROL_POWER_ON:
            self.powered = True
            self.card.power_up()
        elif code == CONTROL_POWER_OFF:
            self.powered = False
            self.card.power_down()
        elif code == CONTROL_RESET:
            self.card.reset()
        else:
            _log.warning("%s: unknown vpcd control byte %02X ignored", self.label, code)

    def _answer(self, command: bytes) -> bool:
        """Answer one C-APDU; True when the card is to be pulled now."""
        try:
            response = self.card.execute(command)
        except Exception:  # noqa: BLE001 - a task boundary: a card's bug answers, never hangs
            _log.exception("%s: the card failed on %s", self.label, command.hex())
            response = ResponseApdu.status(_NO_PRECISE_DIAGNOSIS).to_bytes()
        self.apdus_answered += 1  # before the answer goes: whoever saw it sees the count
        with self._lock:
            last = self._answers_left is not None and self._answers_left <= 1
            if self._answers_left is not None:
                self._answers_left -= 1
        self._send(response)
        return last

    def _send(self, payload: bytes) -> None:
        self._connection.sendall(encode_message(payload))

    def _receive(self) -> bytes | None:
        """One message from vpcd; None when it closed the connection."""
        header = self._receive_exactly(_LENGTH.size)
        if header is None:
            return None
        (length,) = _LENGTH.unpack(header)
        return self._receive_exactly(length) if length else b""

    def _receive_exactly(self, size: int) -> bytes | None:
        received = bytearray()
        while len(received) < size:
            # Re-armed before every recv: the kernel leaves quick-ACK mode on its own.
            self._connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            chunk = self._connection.recv(size - len(received))
            if not chunk:
                return None
            received += chunk
        return bytes(received)
