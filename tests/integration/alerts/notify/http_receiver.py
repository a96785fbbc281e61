"""A real HTTP server for the notify tests: uvicorn serving a plain ASGI app on 127.0.0.1.

It records every request (method, path, query, headers, raw body) and answers from a script of
responses (then a default), optionally after a delay. The listening socket is bound before the
server starts, so a test can hold a port that refuses connections ("the receiver is down") and
bring the server up on that very port later.
"""

from __future__ import annotations

import asyncio
import socket
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    """Lower-case names."""
    body: bytes


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)


class RecordingReceiver:
    """The ASGI app: records, then answers."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.requests: list[ReceivedRequest] = []
        self.script: deque[Answer] = deque()
        self.default = Answer()
        self.delay_s = 0.0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answer_next(self, *answers: Answer) -> None:
        self.script.extend(answers)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            event = await receive()
            body += event.get("body", b"")
            if not event.get("more_body"):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        self.requests.append(
            ReceivedRequest(
                method=scope["method"],
                path=scope["path"],
                query=scope["query_string"].decode("latin-1"),
                headers=headers,
                body=body,
            )
        )
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        answer = self.script.popleft() if self.script else self.default
        await send(
            {
                "type": "http.response.start",
                "status": answer.status,
                "headers": [(k.encode(), v.encode()) for k, v in answer.headers.items()],
            }
        )
        await send({"type": "http.response.body", "body": answer.body})


def reserved_port() -> socket.socket:
    """A bound, not yet listening TCP socket on 127.0.0.1: connecting to it is refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@asynccontextmanager
async def serving(sock: socket.socket) -> AsyncIterator[RecordingReceiver]:
    """Serve a :class:`RecordingReceiver` on ``sock`` until the block ends."""
    receiver = RecordingReceiver(sock.getsockname()[1])
    config = uvicorn.Config(
        receiver,
        lifespan="off",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(10):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.005)
        yield receiver
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def running_receiver() -> AsyncIterator[RecordingReceiver]:
    """A receiver on a fresh port."""
    sock = reserved_port()
    try:
        async with serving(sock) as receiver:
            yield receiver
    finally:
        sock.close()
