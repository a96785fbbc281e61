"""Running snmpsim's command responder as a child process, and knowing when it is ready.

snmpsim picks a device's data by community (the data file's name), so each simulated device gets
its own loopback address *and* its own community; one process serves many endpoints. It refuses to
run as root unless ``SNMPSIM_ALLOW_ROOT`` is set, which we set: its privilege dropping breaks the
interpreter's lazy imports here (see TRAPS.md). Readiness is read from ``/proc/net/udp``: the
process is ready when every endpoint is bound, with no SNMP client needed in the lab.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address
from pathlib import Path

from core.errors import LabError

Endpoint = tuple[str, int]


def snmpsim_executable() -> str:
    """The command responder installed beside this interpreter (the project's venv)."""
    beside = Path(sys.executable).with_name("snmpsim-command-responder")
    if beside.exists():
        return str(beside)
    found = shutil.which("snmpsim-command-responder")
    if found is None:
        raise LabError("snmpsim-command-responder not found: install the project (make venv)")
    return found


@dataclass
class SnmpsimProcess:
    """One command responder serving ``data_dir`` on ``endpoints``."""

    data_dir: Path
    endpoints: Sequence[Endpoint]
    work_dir: Path
    max_var_binds: int = 64
    process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.work_dir / "snmpsim.log"

    def argv(self) -> list[str]:
        args = [
            snmpsim_executable(),
            f"--data-dir={self.data_dir}",
            f"--cache-dir={self.work_dir / 'cache'}",
            "--log-level=error",
            f"--logging-method=file:{self.log_path}",
            f"--max-var-binds={self.max_var_binds}",
        ]
        args += [f"--agent-udpv4-endpoint={host}:{port}" for host, port in self.endpoints]
        return args

    def start(self, timeout_s: float = 60.0) -> int:
        """Start the responder and wait until every endpoint is bound; returns its pid."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        (self.work_dir / "cache").mkdir(exist_ok=True)
        env = dict(os.environ, SNMPSIM_ALLOW_ROOT="true")
        stderr = (self.work_dir / "snmpsim.stderr").open("wb")
        self.process = subprocess.Popen(
            self.argv(),
            stdin=subprocess.DEVNULL,
            stdout=stderr,
            stderr=stderr,
            env=env,
            start_new_session=True,  # `lab down` and Ctrl-C in the console must not race
        )
        stderr.close()
        self.wait_ready(timeout_s)
        return self.process.pid

    def wait_ready(self, timeout_s: float) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout_s
        wanted = {(IPv4Address(h), p) for h, p in self.endpoints}
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LabError(
                    f"snmpsim exited with status {self.process.returncode}: {self._tail()}"
                )
            if wanted <= bound_udp_endpoints():
                return
            time.sleep(0.05)
        self.stop()
        raise LabError(f"snmpsim did not bind its {len(wanted)} endpoints in {timeout_s:g} s")

    def stop(self) -> None:
        if self.process is None:
            return
        stop_pid(self.process.pid)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def _tail(self) -> str:
        path = self.work_dir / "snmpsim.stderr"
        text = path.read_text(errors="replace") if path.exists() else ""
        return text.strip().splitlines()[-1] if text.strip() else "no output"


def stop_pid(pid: int) -> None:
    """SIGTERM a responder (and its session); silently done if it is already gone."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    except PermissionError:
        os.kill(pid, signal.SIGTERM)


def bound_udp_endpoints() -> set[tuple[IPv4Address, int]]:
    """Every IPv4 UDP address:port some process on this machine has bound."""
    bound: set[tuple[IPv4Address, int]] = set()
    try:
        lines = Path("/proc/net/udp").read_text().splitlines()[1:]
    except OSError:
        return bound
    for line in lines:
        local = line.split()[1]
        hex_addr, hex_port = local.split(":")
        # /proc prints the address in host byte order (little-endian on x86 and arm64).
        address = IPv4Address(int.from_bytes(bytes.fromhex(hex_addr), "little"))
        bound.add((address, int(hex_port, 16)))
    return bound
