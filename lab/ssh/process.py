"""Detached responders the lab runs for SSH — simulator processes and sshd — and their readiness.

A responder is ready when every endpoint it was given is listening *in that process* (its socket
inodes in /proc), so an address another program holds is never mistaken for ours; it is recognised
later, by ``lab down`` and ``lab status``, by its pid and a marker in its command line (its config
file's path).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address
from pathlib import Path

from core.errors import LabError
from lab.processes import (
    any_thread_running,
    launch_detached,
    running_with,
    stop_process,
    tcp_listening,
)

Endpoint = tuple[str, int]
_LOG_LINES = 5


@dataclass
class Responder:
    """One detached SSH responder serving ``endpoints``, configured by ``config_path``."""

    argv: Sequence[str]
    config_path: Path
    endpoints: Sequence[Endpoint]
    work_dir: Path
    what: str
    pid: int | None = None

    @property
    def log_path(self) -> Path:
        return self.work_dir / "responder.log"

    def launch(self) -> int:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.write_bytes(b"")
        self.pid = launch_detached(self.argv, self.log_path, what=self.what)
        return self.pid

    def wait_ready(self, timeout_s: float) -> None:
        """Return once every endpoint listens in this process; :class:`LabError` otherwise."""
        pid = self.pid
        assert pid is not None, "launch() first"
        deadline = time.monotonic() + timeout_s
        wanted = {(IPv4Address(h), p) for h, p in self.endpoints}
        while time.monotonic() < deadline:
            if not any_thread_running(pid):
                self.pid = None
                raise LabError(f"{self.what} stopped while starting: {log_tail(self.work_dir)}")
            if wanted <= tcp_listening(pid):
                return
            time.sleep(0.05)
        missing = wanted - tcp_listening(pid)
        self.stop()
        raise LabError(
            f"{self.what} did not listen on {len(missing)} of its {len(wanted)} endpoints in "
            f"{timeout_s:g} s: {log_tail(self.work_dir)}"
        )

    def stop(self) -> None:
        if self.pid is not None:
            stop_responder(self.pid, self.config_path)
        self.pid = None


def simulator_argv(config_path: Path) -> list[str]:
    """The simulator runs on this interpreter (the project's venv), as a module."""
    return [sys.executable, "-m", "lab.ssh.run", str(config_path)]


def responder_alive(pid: int, config_path: Path) -> bool:
    return running_with(pid, str(config_path).encode())


def stop_responder(pid: int, config_path: Path) -> bool:
    return stop_process(pid, lambda p: responder_alive(p, config_path))


def listening_count(pid: int, endpoints: Sequence[Endpoint]) -> int:
    wanted = {(IPv4Address(h), p) for h, p in endpoints}
    return len(wanted & tcp_listening(pid))


def log_tail(work_dir: Path, lines: int = _LOG_LINES) -> str:
    path = work_dir / "responder.log"
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "no output"
    useful = [line.strip() for line in text.splitlines() if line.strip()]
    return " | ".join(useful[-lines:]) if useful else "no output"
