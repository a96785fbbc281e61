"""The lab's background processes, read from /proc: liveness, sockets, starting and stopping.

Every responder the lab starts (snmpsim, the SSH simulators, sshd) runs detached, in a session of
its own, and is managed later by pid from another process (``lab down``, ``lab status``). Before
a pid is signalled the caller checks that it still belongs to that responder (its command line),
so a pid reused by another program is never touched.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from ipaddress import IPv4Address
from pathlib import Path

from core.errors import LabError

Endpoint = tuple[IPv4Address, int]
# Runs the command in the background with its output in a file, and prints its pid.
_DETACH = 'log=$1; shift; "$@" </dev/null >>"$log" 2>&1 & echo $!'
_TCP_LISTEN = "0A"


def launch_detached(
    argv: Sequence[str], log_path: Path, env: Mapping[str, str] | None = None, what: str = ""
) -> int:
    """Start ``argv`` detached (nobody's child, its own session); returns its pid.

    A throwaway shell starts it, so it outlives this process without a zombie or a "still
    running" warning, and a Ctrl-C in the terminal that ran ``lab up`` does not reach it.
    """
    label = what or Path(argv[0]).name
    try:
        launcher = subprocess.run(
            ["/bin/sh", "-c", _DETACH, "sh", str(log_path), *argv],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=dict(env) if env is not None else None,
            start_new_session=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LabError(f"cannot start {label}: {exc}") from None
    if launcher.returncode != 0 or not launcher.stdout.strip().isdigit():
        raise LabError(f"cannot start {label}: {launcher.stderr.strip() or 'no pid'}")
    return int(launcher.stdout.strip())


def command_line(pid: int) -> list[bytes] | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None


def any_thread_running(pid: int) -> bool:
    """False once every thread of ``pid`` has exited (a zombie leader may still hold sockets
    while other threads run: it counts as running until they are gone)."""
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return False
    for task in tasks:
        try:
            state = (task / "stat").read_text().rsplit(")", 1)[-1].split()[0]
        except (OSError, IndexError):
            continue
        if state not in ("Z", "X"):
            return True
    return False


def running_with(pid: int, *markers: bytes) -> bool:
    """True while ``pid`` runs and its command line contains every marker. The line is searched
    as one string: sshd rewrites its own ("sshd: /usr/sbin/sshd -D -e -f … [listener] …").
    A zombie is reaped if it happens to be our child."""
    argv = command_line(pid)
    if argv is None:
        return False
    if not any_thread_running(pid):
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        return False
    joined = b" ".join(argv)
    return all(marker in joined for marker in markers)


def stop_process(pid: int, is_ours: Callable[[int], bool], timeout_s: float = 10.0) -> bool:
    """SIGTERM ``pid`` (SIGKILL after ``timeout_s``) if ``is_ours``; False if it was not running."""
    if not is_ours(pid):
        return False
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not is_ours(pid):
            return True
        time.sleep(0.02)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    while is_ours(pid) and time.monotonic() < deadline + 5:
        time.sleep(0.02)
    return True


def socket_inodes(pid: int) -> set[str]:
    inodes: set[str] = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
    except OSError:
        return set()
    return inodes


def _ipv4_table(name: str) -> list[tuple[Endpoint, str, str]]:
    """(address:port, state, inode) of every row of /proc/net/<name> (tcp or udp)."""
    try:
        lines = Path(f"/proc/net/{name}").read_text().splitlines()[1:]
    except OSError:
        return []
    rows = []
    for line in lines:
        fields = line.split()
        hex_addr, hex_port = fields[1].split(":")
        # /proc prints the address in host byte order (little-endian on x86 and arm64).
        address = IPv4Address(int.from_bytes(bytes.fromhex(hex_addr), "little"))
        rows.append(((address, int(hex_port, 16)), fields[3], fields[9]))
    return rows


def udp_bound(pid: int | None = None) -> set[Endpoint]:
    """UDP endpoints bound by ``pid`` (by anyone when None)."""
    inodes = socket_inodes(pid) if pid is not None else None
    return {e for e, _, inode in _ipv4_table("udp") if inodes is None or inode in inodes}


def tcp_listening(pid: int | None = None) -> set[Endpoint]:
    """TCP endpoints listening in ``pid`` (in anyone when None)."""
    inodes = socket_inodes(pid) if pid is not None else None
    return {
        e
        for e, state, inode in _ipv4_table("tcp")
        if state == _TCP_LISTEN and (inodes is None or inode in inodes)
    }
