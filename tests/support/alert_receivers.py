"""Real receivers of the NOC's notifications, for tests that run the server as a process: a
webhook server (uvicorn serving :class:`RecordingReceiver`, in a thread of its own) and an SMTP
server (aiosmtpd, which runs its own thread), each on a loopback address the caller chooses.

Both start before the server, so its alerting configuration can name them, and both record
what they get: the test reads ``requests`` and ``messages`` from its own thread (list appends
are atomic; read a copy).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from aiosmtpd.controller import Controller

from tests.integration.alerts.notify.http_receiver import RecordingReceiver
from tests.integration.alerts.notify.smtp_servers import Mailbox

START_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class WebhookServer:
    """A running webhook server and what it has received."""

    base_url: str
    """``http://host:port`` (no trailing slash)."""
    receiver: RecordingReceiver


@dataclass(frozen=True)
class SmtpServer:
    """A running SMTP server and the mailbox it fills."""

    host: str
    port: int
    mailbox: Mailbox


def free_tcp_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def free_udp_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@contextmanager
def webhook_server(host: str) -> Iterator[WebhookServer]:
    """Serve a :class:`RecordingReceiver` on ``host`` (a free port) until the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = int(sock.getsockname()[1])
    receiver = RecordingReceiver(port)
    config = uvicorn.Config(
        receiver, lifespan="off", log_config=None, access_log=False, timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    failure: list[BaseException] = []

    def serve() -> None:
        try:
            asyncio.run(server.serve(sockets=[sock]))
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread below
            failure.append(exc)

    # Not the caller's loop: the e2e tests are synchronous and wait with time.sleep.
    thread = threading.Thread(target=serve, name=f"webhook-{host}:{port}", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started:
            if failure or not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the webhook server on {host}:{port} did not start: {failure}")
            time.sleep(0.01)
        yield WebhookServer(f"http://{host}:{port}", receiver)
    finally:
        server.should_exit = True
        thread.join(START_TIMEOUT_S)
        sock.close()


@contextmanager
def smtp_server(host: str, mailbox: Mailbox | None = None) -> Iterator[SmtpServer]:
    """aiosmtpd on ``host`` (a free port), keeping what it accepts in ``mailbox``."""
    box = mailbox or Mailbox()
    controller = Controller(box, hostname=host, port=free_tcp_port(host))
    controller.start()
    try:
        yield SmtpServer(host, controller.port, box)
    finally:
        controller.stop()
