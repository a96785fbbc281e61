"""The load generator of the heartbeat benchmark (bench/heartbeats.py, part 1): a lean asyncio
HTTP/1.1 keep-alive client, standard library only.

httpx costs a few hundred microseconds of CPU per request, as much as the server it would
measure. Here every terminal's request is prepared once as raw bytes (request line, headers, JSON
body); a connection (an ``asyncio.Protocol``) writes them and reads back the status line and a
``Content-Length`` body. One request in flight per connection (no pipelining), as a terminal does.

- **closed loop**: every connection sends its next heartbeat as soon as the answer to the last
  one arrives: the most the server accepts. Counted: answers that arrive inside the window.
- **open loop**: heartbeats are due on a fixed schedule (``rate`` per second) whatever the server
  does, and each latency runs from when it was *due*, so a slow server cannot hide its queue.

Both start with a closed-loop warm-up whose answers are not measured (but are counted among the
heartbeats sent, for the nothing-lost check). The client's own CPU time and the server's (from
/proc) are read at the window's edges.

Loaded by bench/heartbeats.py (which keeps its folder off sys.path), not run alone.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

PATH = "/api/v1/terminals/heartbeat"
OPEN_LOOP_GRACE_S = 5.0
"""An open-loop heartbeat not sent within this long after the window is dropped (counted)."""
_HEAD_END = b"\r\n\r\n"
_CONNECTION_FAILED = 0


def requests_for(tokens_path: Path, host: str, port: int, share: int, shares: int) -> list[bytes]:
    """One ready-to-send request per terminal of this load process's share of the fleet."""
    prepared = []
    tokens = json.loads(tokens_path.read_text())[share::shares]
    for number, (token, firmware, parameter) in enumerate(tokens):
        body = json.dumps(
            {
                "reader_present": True,
                "card_reads": number % 7,
                "card_read_failures": 1 if number % 50 == 0 else 0,
                "psam_status": "ok",
                "firmware_version": firmware,
                "parameter_version": parameter,
                "blacklist_version": "bl-20260301",
                "uptime_s": 86_400 + number,
                "free_storage_mb": 1500 + number % 1000,
                "unsent_transactions": number % 3,
            },
            separators=(",", ":"),
        ).encode()
        head = (
            f"POST {PATH} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        prepared.append(head + body)
    return prepared


def _content_length(head: bytes) -> int:
    at = head.find(b"content-length:")
    if at < 0:
        return 0
    end = head.find(b"\r\n", at)
    return int(head[at + len(b"content-length:") : end if end >= 0 else len(head)])


class _Connection(asyncio.Protocol):
    """One keep-alive connection with at most one request in flight."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[int] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(_HEAD_END)
        if end < 0 or self.waiter is None:
            return
        head = bytes(self.buffer[:end]).lower()
        length = _content_length(head)
        if len(self.buffer) < end + 4 + length:
            return
        del self.buffer[: end + 4 + length]
        waiter, self.waiter = self.waiter, None
        if not waiter.done():
            waiter.set_result(int(head[9:12]))

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(_CONNECTION_FAILED)

    async def send(self, request: bytes) -> int:
        """The status code of the answer (0: the connection failed)."""
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.waiter


@dataclass(slots=True)
class _Tally:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    accepted_total: int = 0
    """200 answers over the whole run, warm-up included."""
    dropped: int = 0


def _server_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Worker:
    """One connection's loop; reconnects when the server drops it."""

    def __init__(self, host: str, port: int, requests: Iterator[bytes], tally: _Tally) -> None:
        self.host, self.port, self.requests, self.tally = host, port, requests, tally
        self.connection: _Connection | None = None

    async def one(self) -> int:
        if self.connection is None or self.connection.transport is None:
            try:
                _, self.connection = await asyncio.get_running_loop().create_connection(
                    _Connection, self.host, self.port
                )
            except OSError:
                self.connection = None
                await asyncio.sleep(0.05)
                return _CONNECTION_FAILED
        status = await self.connection.send(next(self.requests))
        if status == 200:
            self.tally.accepted_total += 1
        return status

    async def closed(self, measure_from: float, stop_at: float, measured: bool) -> None:
        while (began := time.perf_counter()) < stop_at:
            status = await self.one()
            done = time.perf_counter()
            if measured and began >= measure_from and done <= stop_at:
                self.tally.latencies_ms.append((done - began) * 1000)
                self.tally.statuses[status] += 1

    async def open(self, schedule: Iterator[float], give_up_at: float) -> None:
        for due in schedule:
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            elif time.perf_counter() > give_up_at:
                self.tally.dropped += 1
                continue
            status = await self.one()
            self.tally.latencies_ms.append((time.perf_counter() - due) * 1000)
            self.tally.statuses[status] += 1


async def run_load(
    host: str,
    port: int,
    requests: list[bytes],
    *,
    mode: str,
    connections: int,
    warmup_s: float,
    measure_s: float,
    rate: float,
    server_pid: int,
) -> dict[str, object]:
    """One measurement (after a warm-up); the figures as a JSON-able dict."""
    tally = _Tally()
    cycle = itertools.cycle(requests)
    workers = [_Worker(host, port, cycle, tally) for _ in range(connections)]
    start = time.perf_counter()
    warm_until = start + warmup_s
    await asyncio.gather(*(w.closed(warm_until, warm_until, measured=False) for w in workers))
    cpu_before, server_before = time.process_time(), _server_cpu_s(server_pid)
    began = time.perf_counter()
    if mode == "closed":
        stop_at = began + measure_s
        await asyncio.gather(*(w.closed(began, stop_at, measured=True) for w in workers))
    else:
        count = int(rate * measure_s)
        schedule = (began + 0.05 + i / rate for i in range(count))  # one shared schedule
        give_up_at = began + measure_s + OPEN_LOOP_GRACE_S
        await asyncio.gather(*(w.open(schedule, give_up_at) for w in workers))
    wall = time.perf_counter() - began if mode == "open" else measure_s
    cpu, server_cpu = time.process_time() - cpu_before, _server_cpu_s(server_pid) - server_before
    for worker in workers:
        if worker.connection is not None and worker.connection.transport is not None:
            worker.connection.transport.close()
    return {
        "mode": mode,
        "wall_s": wall,
        "latencies_ms": [round(v, 3) for v in tally.latencies_ms],
        "statuses": {str(k): v for k, v in tally.statuses.items()},
        "accepted_total": tally.accepted_total,
        "dropped": tally.dropped,
        "client_cpu_s": cpu,
        "server_cpu_s": server_cpu,
    }
