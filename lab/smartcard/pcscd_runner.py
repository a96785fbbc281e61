"""A private pcscd with N vpcd readers, in network, mount and PID namespaces of its own.

What was found on this machine (pcsc-lite 1.9.9, vsmartcard-vpcd 0.8, util-linux 2.38; for
TRAPS.md):

- **pcscd ignores ``PCSCLITE_CSOCK_NAME``**: 1.9.9 always binds ``/run/pcscd/pcscd.comm`` and
  refuses to start if that file exists ("Another pcscd seems to be running"), even stale. Only the
  **client** library (libpcsclite, hence pyscard) honours the variable — read once, when the
  process establishes its first context, and kept for the process's life.
- So pcscd runs under ``unshare --mount --net --pid --fork --kill-child``; inside, ``lo`` is brought
  up, a tmpfs covers ``/run`` and a directory of ours (``<home>/pcscd``) is bind-mounted on
  ``/run/pcscd``. The socket pcscd binds there is a pathname socket on the real filesystem,
  reachable from any network namespace: a pyscard client **outside** needs only
  ``PCSCLITE_CSOCK_NAME=<home>/pcscd/pcscd.comm`` set before its first PC/SC call (and nothing
  else: 0.13 ms per APDU measured that way, client outside, card inside).
- vpcd listens on 0.0.0.0 — inside the private network namespace, so any number of these stacks
  (xdist workers, the lab, a system pcscd) use the same ports without meeting. The virtual cards
  must connect from inside too: the card station (:mod:`lab.smartcard.station`) runs in there.
- ``--pid`` makes the station PID 1 of its namespace: when it dies, however it dies, the kernel
  kills pcscd with it; ``--kill-child`` does the same when ``unshare`` itself is killed. Nothing
  outlives the station but the stale socket files, which the next start clears.
- One reader.conf.d entry serves two readers (``DEVICENAME /dev/null:0xPORT``: ports PORT and
  PORT+1); each entry needs its **own copy** of libifdvpcd.so (the driver keeps static state per
  loaded file) and its own FRIENDLYNAME — with one name for all, pcscd names two readers
  "Virtual PCD 00 00" and pyscard connects to the wrong one. pcscd's log must stay outside the
  conf directory (it parses every file there). At most 16 readers (pcsc-lite's limit).
- Not as root: ``--map-root-user`` is added (untested here: CI and tests run as root).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from core.errors import LabError

PCSCD = Path("/usr/sbin/pcscd")
VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
PCSC_SOCKET_ENV = "PCSCLITE_CSOCK_NAME"
"""The one variable a pyscard client needs to reach a private pcscd (set before its first
context)."""
SOCKET_NAME = "pcscd.comm"
FIRST_VPCD_PORT = 0x8C7B
MAX_READERS = 16
READERS_PER_ENTRY = 2
MAX_UNIX_SOCKET_PATH = 107
"""sun_path holds 108 bytes with the terminating NUL."""
_RUN = Path("/run")
_RUN_PCSCD = Path("/run/pcscd")


@dataclass(frozen=True, slots=True)
class ReaderSlot:
    """One vpcd reader: its index in the station, its PC/SC name and its TCP port."""

    index: int
    name: str
    port: int


def reader_slots(readers: int) -> tuple[ReaderSlot, ...]:
    """The readers of ``readers`` vpcd slots (rounded up to a whole conf entry of two)."""
    if not 1 <= readers <= MAX_READERS:
        raise LabError(f"pcscd takes 1 to {MAX_READERS} readers, not {readers}")
    entries = -(-readers // READERS_PER_ENTRY)
    return tuple(
        ReaderSlot(
            index=entry * READERS_PER_ENTRY + slot,
            name=f"{_friendly_name(entry)} 00 {slot:02X}",
            port=FIRST_VPCD_PORT + entry * READERS_PER_ENTRY + slot,
        )
        for entry in range(entries)
        for slot in range(READERS_PER_ENTRY)
    )


def _friendly_name(entry: int) -> str:
    return f"Virtual PCD {entry}"


@dataclass(frozen=True, slots=True)
class PcscdLayout:
    """Where a private pcscd keeps its files, all under ``home``."""

    home: Path

    @property
    def conf_dir(self) -> Path:
        """reader.conf.d: the vpcd entries and nothing else."""
        return self.home / "reader.conf.d"

    @property
    def driver_dir(self) -> Path:
        return self.home / "drivers"

    @property
    def socket_dir(self) -> Path:
        """Bind-mounted on /run/pcscd inside the namespace."""
        return self.home / "pcscd"

    @property
    def socket_path(self) -> Path:
        """The client socket, as clients outside the namespace see it."""
        return self.socket_dir / SOCKET_NAME

    @property
    def log_path(self) -> Path:
        return self.home / "pcscd.log"

    def client_environment(self) -> dict[str, str]:
        """What a pyscard client's environment needs to reach this pcscd."""
        return {PCSC_SOCKET_ENV: str(self.socket_path)}

    def write(self, readers: int) -> tuple[ReaderSlot, ...]:
        """Fresh conf entries and driver copies for ``readers``; stale sockets cleared."""
        require_prerequisites()
        if len(str(self.socket_path)) > MAX_UNIX_SOCKET_PATH:
            raise LabError(
                f"{self.socket_path} is too long for a Unix socket "
                f"({MAX_UNIX_SOCKET_PATH} bytes at most): use a shorter data directory"
            )
        slots = reader_slots(readers)
        for directory in (self.conf_dir, self.driver_dir, self.socket_dir):
            shutil.rmtree(directory, ignore_errors=True)
            directory.mkdir(parents=True)
        for entry, first in enumerate(slots[::READERS_PER_ENTRY]):
            driver = self.driver_dir / f"libifdvpcd-{entry:02d}.so"
            shutil.copyfile(VPCD_DRIVER.resolve(), driver)
            (self.conf_dir / f"vpcd-{entry:02d}").write_text(
                f'FRIENDLYNAME "{_friendly_name(entry)}"\n'
                f"DEVICENAME /dev/null:0x{first.port:04X}\n"
                f"LIBPATH {driver}\n"
                f"CHANNELID 0x{first.port:04X}\n",
                encoding="ascii",
            )
        return slots


def require_prerequisites() -> None:
    """:class:`LabError` naming what is missing: pcscd, the vpcd driver, unshare, ip, mount."""
    missing = [str(p) for p in (PCSCD, VPCD_DRIVER) if not p.exists()]
    missing += [tool for tool in ("unshare", "ip", "mount") if shutil.which(tool) is None]
    if missing:
        raise LabError(
            "the virtual card readers need pcscd and vsmartcard-vpcd (apt install pcscd "
            f"vsmartcard-vpcd) and util-linux/iproute2; missing: {', '.join(missing)}"
        )


def namespace_argv(command: Sequence[str]) -> list[str]:
    """``command`` in new network, mount and PID namespaces; it is PID 1 there."""
    argv = ["unshare", "--mount", "--net", "--pid", "--fork", "--kill-child"]
    if os.geteuid() != 0:
        argv.append("--map-root-user")
    return [*argv, *command]


def enter_private_run(layout: PcscdLayout) -> None:
    """Inside the namespaces: loopback up, a private /run, our socket directory on /run/pcscd."""
    for argv in (
        ["ip", "link", "set", "lo", "up"],
        ["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", str(_RUN)],
        ["mkdir", "-p", str(_RUN_PCSCD)],
        ["mount", "--bind", str(layout.socket_dir), str(_RUN_PCSCD)],
    ):
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise LabError(f"{' '.join(argv)} failed: {done.stderr.strip() or done.returncode}")


class PcscdProcess:
    """pcscd in the foreground, a child of the calling process (the station)."""

    def __init__(self, layout: PcscdLayout, slots: Sequence[ReaderSlot], log_apdus: bool) -> None:
        self.layout = layout
        self.slots = tuple(slots)
        self._argv = [str(PCSCD), "--foreground", "--config", str(layout.conf_dir)]
        if log_apdus:
            self._argv.append("--apdu")
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self, timeout_s: float) -> None:
        """Start pcscd; return once its socket exists and every vpcd port listens."""
        with self.layout.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                self._argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout_s
        wanted = {slot.port for slot in self.slots}
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise LabError(f"pcscd exited with {self._process.returncode}: {self.log_tail()}")
            if self.layout.socket_path.exists() and wanted <= _listening_tcp_ports():
                return
            time.sleep(0.01)
        self.stop()
        raise LabError(f"pcscd was not ready in {timeout_s:g} s: {self.log_tail()}")

    def stop(self, timeout_s: float = 5.0) -> None:
        """SIGTERM (pcscd removes its socket), SIGKILL if it lingers."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout_s)

    def log_tail(self, lines: int = 5) -> str:
        with contextlib.suppress(OSError):
            tail = self.layout.log_path.read_text(errors="replace").strip().splitlines()
            return " | ".join(tail[-lines:]) or "(empty log)"
        return "(no log)"


def _listening_tcp_ports() -> set[int]:
    """TCP ports listening in this network namespace (/proc/net follows the reader's)."""
    ports: set[int] = set()
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] == "0A":
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports
