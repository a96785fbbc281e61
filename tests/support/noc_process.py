"""Running the NOC as a newcomer does, for end-to-end tests: `ssnoc lab up`, `ssnoc serve` in a
real process, and the API over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from tests.conftest import SHARED
from tests.support.addresses import fresh_address, fresh_block

T = TypeVar("T")


def free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def ssnoc(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ssnoc", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def lab_users(env: dict[str, str]) -> dict[str, str]:
    """The lab's NOC users and their passwords, as `ssnoc lab up` wrote them."""
    text = (Path(env["SSNOC_DATA_DIR"]) / "lab" / "noc-users.txt").read_text()
    rows = [line.split("\t") for line in text.splitlines() if not line.startswith("#")]
    return {row[0]: row[2] for row in rows}


def login(url: str, username: str, password: str) -> dict[str, str]:
    answer = httpx.post(
        f"{url}/api/v1/auth/login", json={"username": username, "password": password}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def wait_for(condition: Callable[[], T | None], timeout_s: float, what: str) -> T:
    """Ask ``condition`` until it returns something truthy; fail naming ``what`` at the deadline."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout_s:g} s")
        time.sleep(0.25)


def answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/v1/livez", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass(frozen=True)
class RunningNoc:
    url: str
    env: dict[str, str]
    admin: dict[str, str]
    """The lab administrator's bearer header."""

    @property
    def data_dir(self) -> Path:
        return Path(self.env["SSNOC_DATA_DIR"])


@contextmanager
def running_noc(data_dir: Path, **settings: str) -> Iterator[RunningNoc]:
    """A small lab and a server over it; ``settings`` are SSNOC_* variables (e.g.
    ``SSNOC_POLL__INTERVAL_S="4"``). Everything is stopped and the lab taken down at the end."""
    host = fresh_address()
    port = free_port(host)
    env = dict(
        os.environ, SSNOC_DATA_DIR=str(data_dir), SSNOC_API__HOST=host, SSNOC_API__PORT=str(port)
    )
    env.update(settings)
    env.pop("SSNOC_CONFIG", None)
    divisions = str(SHARED / "data" / "guangdong_divisions.json")
    up = ssnoc("lab", "up", "--size", "small", "--network", fresh_block(),
               "--divisions", divisions, env=env)  # fmt: skip
    assert up.returncode == 0, up.stderr
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "ssnoc", "serve"], env=env, stdout=log, stderr=log
    )
    url = f"http://{host}:{port}"
    try:
        wait_for(lambda: answers(url), 30, "the API answering")
        yield RunningNoc(url, env, login(url, "liang.hua", lab_users(env)["liang.hua"]))
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        ssnoc("lab", "down", env=env)
