"""Running snmpsim's command responder as a child process, and knowing when it is ready.

snmpsim picks a device's data by community (the data file's name), so each simulated device gets
its own loopback address *and* its own community; one process serves many endpoints. It refuses to
run as root unless ``SNMPSIM_ALLOW_ROOT`` is set, which we set: its privilege dropping breaks the
interpreter's lazy imports here (see TRAPS.md). Readiness is read from ``/proc``: the process is
ready when every endpoint is bound *by that process* (its socket inodes), with no SNMP client
needed in the lab — and an address some other program holds is never mistaken for ours.

The responder runs detached, in a session of its own, and outlives the command that started it
(``ssnoc lab up`` returns; the agents keep answering); :func:`stop_pid` and
:func:`responder_alive` manage it later by pid, checking the pid still belongs to that responder
before signalling it.

Each responder loads the lab's variation modules (:mod:`lab.snmpsim_variations`): snmpsim's
``numeric`` counting from the lab's epoch (``counter_epoch``, shared by every shard of a lab, so
counters go on across a restart or a rewritten data file) and ``silence`` for agents that must not
answer.
"""

from __future__ import annotations

import contextlib
import importlib.util
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
from lab.processes import any_thread_running as _any_thread_running
from lab.processes import udp_bound
from lab.snmpsim_variations import NUMERIC_MODULE, write_variation_modules

Endpoint = tuple[str, int]
# Runs the responder in the background with its output in a file, and prints its pid.
_DETACH = 'log=$1; shift; "$@" </dev/null >>"$log" 2>&1 & echo $!'
_LISTENING = "Listening at UDP/IPv4 endpoint"
BIND_GRACE_S = 3.0
"""How long after announcing its endpoints a responder may take to bind them."""
_LOG_NOISE = ('Variation module "redis"', 'Variation module "sql"', "Log file ")


def snmpsim_executable() -> str:
    """The command responder installed beside this interpreter (the project's venv)."""
    beside = Path(sys.executable).with_name("snmpsim-command-responder")
    if beside.exists():
        return str(beside)
    found = shutil.which("snmpsim-command-responder")
    if found is None:
        raise LabError("snmpsim-command-responder not found: install the project (make venv)")
    return found


def numeric_variation_module() -> Path | None:
    """snmpsim's ``numeric`` variation module, the only one the lab's data uses."""
    spec = importlib.util.find_spec("snmpsim")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    module = Path(next(iter(spec.submodule_search_locations))) / "variation" / "numeric.py"
    return module if module.exists() else None


@dataclass
class SnmpsimProcess:
    """One command responder serving ``data_dir`` on ``endpoints``."""

    data_dir: Path
    endpoints: Sequence[Endpoint]
    work_dir: Path
    max_var_binds: int = 64
    pid: int | None = None
    counter_epoch: float | None = None
    """Wall-clock time counters count from; None: when :meth:`launch` runs."""

    @property
    def log_path(self) -> Path:
        return self.work_dir / "snmpsim.log"

    @property
    def stderr_path(self) -> Path:
        return self.work_dir / "snmpsim.stderr"

    @property
    def variation_dir(self) -> Path:
        return self.work_dir / "variation"

    def argv(self) -> list[str]:
        args = [
            snmpsim_executable(),
            f"--data-dir={self.data_dir}",
            f"--cache-dir={self.work_dir / 'cache'}",
            "--log-level=error",
            f"--logging-method=file:{self.log_path}",
            f"--max-var-binds={self.max_var_binds}",
        ]
        if (self.variation_dir / NUMERIC_MODULE).exists():
            # Only the lab's: loading snmpsim's redis and sql modules fails noisily on every start.
            args.append(f"--variation-modules-dir={self.variation_dir}")
        args += [f"--agent-udpv4-endpoint={host}:{port}" for host, port in self.endpoints]
        return args

    def start(self, timeout_s: float = 60.0) -> int:
        """Start the responder and wait until every endpoint is bound; returns its pid."""
        pid = self.launch()
        self.wait_ready(timeout_s)
        return pid

    def launch(self) -> int:
        """Start the responder without waiting for it to bind; returns its pid.

        The responder is started by a throwaway shell, in a session of its own, so it is nobody's
        child: it outlives this process without a zombie or a "still running" warning, and a
        Ctrl-C in the terminal of ``ssnoc lab up`` does not reach it.
        """
        self.work_dir.mkdir(parents=True, exist_ok=True)
        (self.work_dir / "cache").mkdir(exist_ok=True)
        module = numeric_variation_module()
        if module is not None:
            if self.counter_epoch is None:
                self.counter_epoch = time.time()
            write_variation_modules(self.variation_dir, module, self.counter_epoch)
        self.stderr_path.write_bytes(b"")
        env = dict(os.environ, SNMPSIM_ALLOW_ROOT="true")
        try:
            launcher = subprocess.run(
                ["/bin/sh", "-c", _DETACH, "sh", str(self.stderr_path), *self.argv()],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                env=env,
                start_new_session=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise LabError(f"cannot start snmpsim: {exc}") from None
        if launcher.returncode != 0 or not launcher.stdout.strip().isdigit():
            raise LabError(f"cannot start snmpsim: {launcher.stderr.strip() or 'no pid'}")
        self.pid = int(launcher.stdout.strip())
        return self.pid

    def wait_ready(self, timeout_s: float) -> None:
        """Return once every endpoint is bound by this process; :class:`LabError` otherwise.

        pysnmp binds its sockets in the event loop after announcing "Listening at …" for each, and
        a bind that fails there (address in use, address not on this machine) is silent: the
        process runs on without the socket. So once every endpoint is announced, a short grace
        decides, rather than the whole timeout.
        """
        pid = self.pid
        assert pid is not None, "launch() first"
        deadline = time.monotonic() + timeout_s
        wanted = {(IPv4Address(h), p) for h, p in self.endpoints}
        announced_at: float | None = None
        while time.monotonic() < deadline:
            # Not responder_alive(): for a moment after launch the pid is still the shell that
            # is about to exec the responder, with the shell's command line.
            if not _any_thread_running(pid):
                self.pid = None
                raise LabError(f"snmpsim stopped while starting: {self.tail()}")
            missing = wanted - udp_endpoints_of(pid)
            if not missing:
                return
            if announced_at is None and self._announced() >= len(wanted):
                announced_at = time.monotonic()
            if announced_at is not None and time.monotonic() - announced_at > BIND_GRACE_S:
                self.stop()
                raise LabError(
                    f"snmpsim could not bind {_endpoint_list(missing)} "
                    "(address in use, or not an address of this machine)"
                )
            time.sleep(0.05)
        missing = wanted - udp_endpoints_of(pid)
        self.stop()
        raise LabError(
            f"snmpsim did not bind {len(missing)} of its {len(wanted)} endpoints in "
            f"{timeout_s:g} s: {self.tail()}"
        )

    def _announced(self) -> int:
        try:
            return self.log_path.read_text(errors="replace").count(_LISTENING)
        except OSError:
            return 0

    def stop(self) -> None:
        if self.pid is not None:
            stop_pid(self.pid, self.data_dir)
        self.pid = None

    def tail(self, lines: int = 5) -> str:
        return log_tail(self.work_dir, lines)


def _endpoint_list(endpoints: set[tuple[IPv4Address, int]], shown: int = 5) -> str:
    ordered = sorted(endpoints)
    text = ", ".join(f"{address}:{port}" for address, port in ordered[:shown])
    return text + (f" and {len(ordered) - shown} more" if len(ordered) > shown else "")


def log_tail(work_dir: Path, lines: int = 5) -> str:
    """The last meaningful lines snmpsim wrote (stderr, then its log), on one line."""
    text = ""
    for name in ("snmpsim.stderr", "snmpsim.log"):
        path = work_dir / name
        if path.exists():
            text += path.read_text(errors="replace")
    useful = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not any(noise in line for noise in _LOG_NOISE)
    ]
    return " | ".join(useful[-lines:]) if useful else "no output"


def responder_alive(pid: int, data_dir: Path | None = None) -> bool:
    """True while ``pid`` is a running snmpsim responder (serving ``data_dir``, when given).

    A pid that now belongs to some other program — reused after a reboot — counts as gone. So
    does a zombie, but only once every thread has exited: the leader of a dying thread group turns
    "Z" while its other threads still hold the sockets.
    """
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    if not _any_thread_running(pid):
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it if it happens to be our child
        return False
    if not any(arg.endswith(b"snmpsim-command-responder") for arg in argv[:2]):
        return False
    return data_dir is None or f"--data-dir={data_dir}".encode() in argv


def stop_pid(pid: int, data_dir: Path | None = None, timeout_s: float = 10.0) -> bool:
    """Stop responder ``pid`` (SIGTERM, then SIGKILL after ``timeout_s``); False if not running."""
    if not responder_alive(pid, data_dir):
        return False
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not responder_alive(pid):
            return True
        time.sleep(0.02)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    while responder_alive(pid) and time.monotonic() < deadline + 5:
        time.sleep(0.02)
    return True


def udp_endpoints_of(pid: int) -> set[tuple[IPv4Address, int]]:
    """The IPv4 UDP address:port pairs process ``pid`` has bound."""
    return udp_bound(pid)


def bound_udp_endpoints() -> set[tuple[IPv4Address, int]]:
    """Every IPv4 UDP address:port some process on this machine has bound."""
    return udp_bound()
