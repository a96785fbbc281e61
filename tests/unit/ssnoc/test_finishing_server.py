"""A SIGTERM stops the server like a SIGINT: its clean-up (the fleet's last flush, the pid file)
runs before the process ends, and the process ends with status 0 (plain uvicorn re-raises the
SIGTERM after shutting down, and the process dies before any `finally` runs)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.noc_process import free_port, wait_for

SCRIPT = """
import asyncio, sys
from pathlib import Path
import uvicorn
from ssnoc.server import FinishingServer

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})

async def main():
    server_class = FinishingServer if sys.argv[3] == "finishing" else uvicorn.Server
    server = server_class(uvicorn.Config(app, host="127.0.0.1", port=int(sys.argv[1]),
                                         log_level="warning", lifespan="off"))
    try:
        await server.serve()
    finally:
        Path(sys.argv[2]).write_text("cleaned up")

asyncio.run(main())
"""


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.parametrize(
    ("kind", "cleaned", "status"), [("finishing", True, 0), ("plain", False, -15)]
)
def test_sigterm_lets_the_server_clean_up(
    tmp_path: Path, kind: str, cleaned: bool, status: int
) -> None:
    port = free_port("127.0.0.1")
    marker = tmp_path / "marker"
    process = subprocess.Popen([sys.executable, "-c", SCRIPT, str(port), str(marker), kind])
    try:
        wait_for(lambda: answers(f"http://127.0.0.1:{port}/"), 20, "the server answering")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == status
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert marker.exists() is cleaned
