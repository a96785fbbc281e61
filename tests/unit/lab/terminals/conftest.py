"""A small real heartbeat API for the simulator's tests, and the small lab's fleet.

:class:`HeartbeatApi` is ``http.server`` on 127.0.0.1 (a free port) in a thread of its own: it
takes ``POST /api/v1/terminals/heartbeat`` with a bearer token, records every beat, answers 401
for a token it does not know (or has revoked), and replies with the target versions a test sets.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from core.clock import FakeClock
from lab.model import Province
from lab.terminals.faults import TerminalFault, plan_terminal_faults
from lab.terminals.fleet import LabTerminal, generate_fleet

SEED = 7
BUSY_MONDAY = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
"""10:00 in Guangdong on a Monday: every kind of terminal reads cards."""


@dataclass
class Beat:
    terminal_id: str
    body: dict[str, Any]


@dataclass
class HeartbeatApi:
    """What the test API knows and has received; change it from the test between beats."""

    tokens: dict[str, str]
    """token → terminal id."""
    url: str = ""
    beats: list[Beat] = field(default_factory=list)
    revoked: set[str] = field(default_factory=set)
    status: dict[str, int] = field(default_factory=dict)
    """terminal id → a status to answer instead of 200."""
    target_firmware: dict[str, str] = field(default_factory=dict)
    target_parameters: dict[str, str] = field(default_factory=dict)
    next_heartbeat_s: int = 60
    lock: threading.Lock = field(default_factory=threading.Lock)

    def beats_of(self, terminal_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return [b.body for b in self.beats if b.terminal_id == terminal_id]

    def beating(self) -> set[str]:
        with self.lock:
            return {b.terminal_id for b in self.beats}

    def count(self) -> int:
        with self.lock:
            return len(self.beats)

    def answer(self, authorization: str | None, body: dict[str, Any]) -> tuple[int, object]:
        token = (authorization or "").removeprefix("Bearer ")
        terminal_id = self.tokens.get(token)
        if terminal_id is None or token in self.revoked:
            return 401, {"detail": "unknown or revoked terminal credential"}
        with self.lock:
            self.beats.append(Beat(terminal_id, body))
        status = self.status.get(terminal_id, 200)
        if status != 200:
            return status, {"detail": "not now"}
        return 200, {
            "target_firmware_version": self.target_firmware.get(terminal_id),
            "target_parameter_version": self.target_parameters.get(terminal_id),
            "next_heartbeat_s": self.next_heartbeat_s,
        }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the simulator's pooled client expects
    disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms stall between
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        if self.path != "/api/v1/terminals/heartbeat":
            self._reply(404, {"detail": "not found"})
            return
        status, document = self.server.api.answer(
            self.headers.get("Authorization"), json.loads(raw)
        )
        self._reply(status, document)

    def _reply(self, status: int, document: object) -> None:
        payload = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the tests read the recorded beats, not a request log


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the simulator opens dozens of connections at once

    def __init__(self, api: HeartbeatApi) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.api = api


@pytest.fixture(scope="session")
def small_fleet(small: Province) -> tuple[LabTerminal, ...]:
    return generate_fleet(small, SEED)


@pytest.fixture(scope="session")
def small_faults(small_fleet: tuple[LabTerminal, ...]) -> dict[str, TerminalFault]:
    return plan_terminal_faults(small_fleet, SEED)


@pytest.fixture
def tokens(small_fleet: tuple[LabTerminal, ...]) -> dict[str, str]:
    """Terminal id → token, as the lab's enrollment would issue them."""
    return {t.id: f"token-{t.id}" for t in small_fleet}


@pytest.fixture
def busy_clock() -> FakeClock:
    return FakeClock(BUSY_MONDAY)


@pytest.fixture
def heartbeat_api(tokens: dict[str, str]) -> Iterator[HeartbeatApi]:
    api = HeartbeatApi(tokens={token: terminal for terminal, token in tokens.items()})
    server = _Server(api)
    host, port = server.server_address[:2]
    api.url = f"http://{host!s}:{port}"
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="heartbeat-api", daemon=True
    )
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
