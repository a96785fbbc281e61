"""Agents that misbehave on purpose, each a UDP socket served by a thread.

- :func:`silent_agent` binds and never answers (a firewalled or hung device).
- :func:`garbage_agent` answers every datagram with random bytes that are not BER.
- :func:`truncated_agent` answers with a well-formed SNMPv2c GetResponse to the very request (same
  community and request-id) with its tail cut off, so every length in it promises more bytes than
  arrive.
- :func:`looping_agent` answers every request with the same varbind: a walk through it never
  advances, the classic broken GETBULK implementation.
- :func:`error_status_agent` answers every request with an error-status (genErr by default).

Each is a context manager yielding a :class:`BadAgent` (its address and the datagrams it has
received, so a test can count a client's retries); it stops when the block ends. They run in a
thread rather than in the test's event loop so they behave the same under any loop and keep
answering while the client under test blocks. The thread waits on the socket and on a wake-up pipe,
so stopping needs no polling interval.
"""

from __future__ import annotations

import os
import select
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tests.support.addresses import fresh_address

Reply = Callable[[bytes], bytes | None]

AGENT_PORT = 16100


@dataclass
class BadAgent:
    host: str
    port: int
    received: list[bytes] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for_requests(self, count: int, timeout_s: float = 5.0) -> int:
        """Block until ``count`` datagrams have arrived (or the deadline); returns how many did."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout=timeout_s)
            return len(self.received)


@contextmanager
def udp_agent(reply: Reply, host: str | None = None, port: int = AGENT_PORT) -> Iterator[BadAgent]:
    """Serve ``reply`` (request bytes → answer bytes, or None for no answer) on ``host:port``."""
    address = host or fresh_address()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((address, port))
    wake_read, wake_write = os.pipe()
    agent = BadAgent(address, port)

    def serve() -> None:
        while True:
            ready, _, _ = select.select([sock, wake_read], [], [])
            if wake_read in ready:
                return
            data, peer = sock.recvfrom(65535)
            with agent.arrived:
                agent.received.append(data)
                agent.arrived.notify_all()
            answer = reply(data)
            if answer is not None:
                sock.sendto(answer, peer)

    thread = threading.Thread(target=serve, name=f"bad-agent-{address}", daemon=True)
    thread.start()
    try:
        yield agent
    finally:
        os.write(wake_write, b"x")
        thread.join(timeout=5)
        sock.close()
        os.close(wake_read)
        os.close(wake_write)


@contextmanager
def silent_agent(host: str | None = None) -> Iterator[BadAgent]:
    with udp_agent(lambda _: None, host) as agent:
        yield agent


@contextmanager
def garbage_agent(host: str | None = None) -> Iterator[BadAgent]:
    # 0x30 would open a SEQUENCE, as a real message does; garbage must not even start like one.
    def reply(_: bytes) -> bytes:
        noise = bytearray(os.urandom(48))
        noise[0] = 0xFF
        return bytes(noise)

    with udp_agent(reply, host) as agent:
        yield agent


@contextmanager
def truncated_agent(host: str | None = None) -> Iterator[BadAgent]:
    def reply(request: bytes) -> bytes | None:
        parsed = parse_v2c_request(request)
        if parsed is None:
            return None
        community, request_id, oid = parsed
        whole = v2c_response(community, request_id, [(oid, _octets(b"x" * 40))])
        return whole[: len(whole) - 25]

    with udp_agent(reply, host) as agent:
        yield agent


@contextmanager
def looping_agent(oid: str, host: str | None = None) -> Iterator[BadAgent]:
    """Answers every request, whatever it asks, with ``oid`` = INTEGER 1."""

    def reply(request: bytes) -> bytes | None:
        parsed = parse_v2c_request(request)
        if parsed is None:
            return None
        community, request_id, _ = parsed
        return v2c_response(community, request_id, [(encode_oid(oid), _integer(1))])

    with udp_agent(reply, host) as agent:
        yield agent


@contextmanager
def error_status_agent(status: int = 5, host: str | None = None) -> Iterator[BadAgent]:
    """Answers every request with error-status ``status`` (5: genErr) at index 1, echoing the
    request's first varbind with a NULL value, as agents do."""

    def reply(request: bytes) -> bytes | None:
        parsed = parse_v2c_request(request)
        if parsed is None:
            return None
        community, request_id, oid = parsed
        return v2c_response(community, request_id, [(oid, _NULL)], error_status=status)

    with udp_agent(reply, host) as agent:
        yield agent


@contextmanager
def small_answer_agent(max_varbinds: int, host: str | None = None) -> Iterator[BadAgent]:
    """Answers a request of up to ``max_varbinds`` with INTEGER 7 for every OID, and a larger one
    with tooBig (error-status 1), as an agent with a small maximum message size does."""

    def reply(request: bytes) -> bytes | None:
        parsed = parse_v2c_request_oids(request)
        if parsed is None:
            return None
        community, request_id, oids = parsed
        if len(oids) > max_varbinds:
            return v2c_response(community, request_id, [(oids[0], _NULL)], error_status=1)
        return v2c_response(community, request_id, [(oid, _integer(7)) for oid in oids])

    with udp_agent(reply, host) as agent:
        yield agent


# --- just enough BER for the agents above ---------------------------------------------------


def _tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, value start, value end) of the TLV at ``pos``; IndexError if it is cut short."""
    tag = data[pos]
    length = data[pos + 1]
    start = pos + 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    end = start + length
    if end > len(data):
        raise IndexError("truncated TLV")
    return tag, start, end


def parse_v2c_request(data: bytes) -> tuple[bytes, int, bytes] | None:
    """(community, request-id, first OID's encoded TLV) of a v1/v2c request; None if it is not."""
    try:
        tag, pos, _ = _tlv(data, 0)
        if tag != 0x30:
            return None
        _, _, pos = _tlv(data, pos)  # version
        tag, start, pos = _tlv(data, pos)
        if tag != 0x04:
            return None  # SNMPv3: no community
        community = data[start:pos]
        _, pos, _ = _tlv(data, pos)  # the PDU
        _, start, pos = _tlv(data, pos)
        request_id = int.from_bytes(data[start:pos], "big", signed=True)
        _, _, pos = _tlv(data, pos)  # error-status / non-repeaters
        _, _, pos = _tlv(data, pos)  # error-index / max-repetitions
        _, pos, _ = _tlv(data, pos)  # varbind list
        _, pos, _ = _tlv(data, pos)  # first varbind
        _, _, end = _tlv(data, pos)
        return community, request_id, data[pos:end]
    except IndexError:
        return None


def parse_v2c_request_oids(data: bytes) -> tuple[bytes, int, list[bytes]] | None:
    """(community, request-id, every OID's encoded TLV) of a v1/v2c request; None if it is not."""
    first = parse_v2c_request(data)
    if first is None:
        return None
    community, request_id, _ = first
    try:
        _, pos, _ = _tlv(data, 0)
        for _ in range(2):  # version, community
            _, _, pos = _tlv(data, pos)
        _, pos, _ = _tlv(data, pos)  # the PDU
        for _ in range(3):  # request-id, error-status, error-index
            _, _, pos = _tlv(data, pos)
        _, pos, end = _tlv(data, pos)  # varbind list
        oids: list[bytes] = []
        while pos < end:
            _, start, next_pos = _tlv(data, pos)
            _, _, oid_end = _tlv(data, start)
            oids.append(data[start:oid_end])
            pos = next_pos
        return community, request_id, oids
    except IndexError:
        return None


def _encode(tag: int, value: bytes) -> bytes:
    length = len(value)
    if length < 0x80:
        header = bytes([tag, length])
    else:
        size = length.to_bytes((length.bit_length() + 7) // 8, "big")
        header = bytes([tag, 0x80 | len(size), *size])
    return header + value


_NULL = b"\x05\x00"


def _integer(value: int) -> bytes:
    return _encode(0x02, value.to_bytes((value.bit_length() + 8) // 8 or 1, "big", signed=True))


def _octets(value: bytes) -> bytes:
    return _encode(0x04, value)


def encode_oid(oid: str) -> bytes:
    arcs = [int(part) for part in oid.split(".")]
    body = bytearray([arcs[0] * 40 + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        rest = arc >> 7
        while rest:
            chunk.append(0x80 | (rest & 0x7F))
            rest >>= 7
        body.extend(reversed(chunk))
    return _encode(0x06, bytes(body))


def v2c_response(
    community: bytes, request_id: int, varbinds: list[tuple[bytes, bytes]], error_status: int = 0
) -> bytes:
    """A GetResponse; each varbind is (encoded OID TLV, encoded value TLV)."""
    bound = b"".join(_encode(0x30, oid + value) for oid, value in varbinds)
    status = _integer(error_status) + _integer(1 if error_status else 0)
    pdu = _encode(0xA2, _integer(request_id) + status + _encode(0x30, bound))
    return _encode(0x30, _integer(1) + _octets(community) + pdu)
