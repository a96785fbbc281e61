"""A TCP connection on loopback whose one end plays vpcd (the card side needs TCP: it sets
TCP_QUICKACK, which a Unix socket pair refuses)."""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable, Iterator

import pytest

from lab.smartcard.vpcd_link import connect_to_vpcd


class FakeVpcd:
    """The reader's side of one card's connection: sends controls and C-APDUs, reads answers."""

    def __init__(self, connection: socket.socket) -> None:
        self.connection = connection
        connection.settimeout(5.0)

    def send(self, payload: bytes) -> None:
        self.connection.sendall(struct.pack(">H", len(payload)) + payload)

    def receive(self) -> bytes:
        (length,) = struct.unpack(">H", self._exactly(2))
        return self._exactly(length)

    def ask(self, payload: bytes) -> bytes:
        self.send(payload)
        return self.receive()

    def closed_by_card(self) -> bool:
        """True when the card's side closed the connection (recv gives EOF)."""
        try:
            return self.connection.recv(1) == b""
        except ConnectionResetError:
            return True

    def _exactly(self, size: int) -> bytes:
        received = b""
        while len(received) < size:
            chunk = self.connection.recv(size - len(received))
            if not chunk:
                raise ConnectionError("the card closed the connection")
            received += chunk
        return received


@pytest.fixture
def vpcd_listener() -> Iterator[tuple[int, Callable[[], FakeVpcd]]]:
    """A port to connect cards to, and a function that accepts the next one as a FakeVpcd."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        server.settimeout(5.0)
        accepted: list[socket.socket] = []

        def accept() -> FakeVpcd:
            connection, _ = server.accept()
            accepted.append(connection)
            return FakeVpcd(connection)

        yield server.getsockname()[1], accept
        for connection in accepted:
            connection.close()


@pytest.fixture
def card_and_vpcd(
    vpcd_listener: tuple[int, Callable[[], FakeVpcd]],
) -> tuple[socket.socket, FakeVpcd]:
    """A connected pair: the card's socket (as the station gets it) and the fake vpcd."""
    port, accept = vpcd_listener
    card_side = connect_to_vpcd("127.0.0.1", port, timeout_s=2.0)
    return card_side, accept()
