"""A real OpenSSH ``sshd`` for a test, on a fresh loopback address, in the test's tmp dir.

Each server has its own configuration (``-f``: the system's sshd_config is not read), its own host
key, its own PidFile and log, ``UsePAM no``, and listens on one loopback address only.

Who logs in: root, by key, with ``AuthorizedKeysFile`` pointing into the test's directory and
``AllowUsers root``. That needs no change to the machine (no ``useradd`` to undo if a test dies,
no clash between xdist workers) and root is what the tests run as anyway. ``StrictModes no``
because the key file sits under /tmp, which sshd's ownership checks of every parent directory
would refuse. Root must not be locked with ``!`` in /etc/shadow: with ``UsePAM no`` a locked
account cannot log in even by key (``*`` is fine) — the fixture checks and says so.

Readiness is the listening socket in ``/proc/net/tcp``, with a deadline; a server that exits early
fails the test with the tail of its log. Two more fixtures for failure cases: a port where a TCP
handshake completes but no SSH banner ever comes (:func:`silent_listener`), and one that nobody
listens on (refused at once).
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from collectors.ssh.target import SshTarget
from core.credentials import SshCredential
from core.model import Platform
from tests.support.addresses import fresh_address

SSHD = Path("/usr/sbin/sshd")
SSH_KEYGEN = Path("/usr/bin/ssh-keygen")
PRIVSEP_DIR = Path("/run/sshd")
START_TIMEOUT_S = 10.0
_TCP_LISTEN = "0A"


def make_key(path: Path, kind: str = "ed25519") -> Path:
    """A new passphrase-less key pair at ``path`` (and ``path.pub``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            str(SSH_KEYGEN),
            "-q",
            "-t",
            kind,
            "-N",
            "",
            "-C",
            f"ssnoc-test-{path.name}",
            "-f",
            str(path),
        ],
        check=True,
        capture_output=True,
    )
    return path


def key_fingerprint(public_key_path: Path) -> str:
    """``SHA256:…`` as ssh-keygen prints it."""
    out = subprocess.run(
        [str(SSH_KEYGEN), "-l", "-E", "sha256", "-f", str(public_key_path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return out.split()[1]


def listening_tcp_endpoints() -> set[tuple[IPv4Address, int]]:
    """Every IPv4 address:port some process listens on (from /proc/net/tcp)."""
    try:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return set()
    found = set()
    for line in lines:
        fields = line.split()
        if fields[3] != _TCP_LISTEN:
            continue
        hex_addr, hex_port = fields[1].split(":")
        # /proc prints the address in host byte order (little-endian on x86 and arm64).
        address = IPv4Address(int.from_bytes(bytes.fromhex(hex_addr), "little"))
        found.add((address, int(hex_port, 16)))
    return found


@dataclass
class SshdServer:
    host: str
    port: int
    work_dir: Path
    host_key: Path
    client_key: Path
    """The private key root logs in with."""
    extra_config: tuple[str, ...] = ()
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    username = "root"

    @property
    def log_path(self) -> Path:
        return self.work_dir / "sshd.log"

    @property
    def host_key_fingerprint(self) -> str:
        return key_fingerprint(self.host_key.with_suffix(".pub"))

    def credential(self, key: Path | None = None) -> SshCredential:
        return SshCredential(username=self.username, private_key_path=key or self.client_key)

    def target(
        self,
        device_id: str = "host1",
        *,
        key: Path | None = None,
        timeout_s: float = 10.0,
        units: tuple[str, ...] = ("sshd", "cron", "pension-service"),
    ) -> SshTarget:
        return SshTarget(
            device_id=device_id,
            host=self.host,
            port=self.port,
            platform=Platform.LINUX,
            credential=self.credential(key),
            timeout_s=timeout_s,
            units=units,
        )

    def start(self) -> None:
        if not SSHD.exists():
            pytest.fail(f"{SSHD} is missing: apt-get install openssh-server")
        _check_root_can_use_keys()
        PRIVSEP_DIR.mkdir(parents=True, exist_ok=True)
        config = self.work_dir / "sshd_config"
        config.write_text(self._config())
        self.process = subprocess.Popen(
            [str(SSHD), "-D", "-f", str(config), "-E", str(self.log_path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wanted = (IPv4Address(self.host), self.port)
        deadline = time.monotonic() + START_TIMEOUT_S
        while wanted not in listening_tcp_endpoints():
            if self.process.poll() is not None:
                status = self.process.returncode
                self.process = None
                pytest.fail(f"sshd exited with status {status}: {self.log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail(
                    f"sshd did not listen on {self.host}:{self.port} in {START_TIMEOUT_S:g} s"
                )
            time.sleep(0.01)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart_with_host_key(self, host_key: Path) -> None:
        """The same endpoint, another server key (a replaced device, or someone in the middle)."""
        self.stop()
        self.host_key = host_key
        self.start()

    def log_tail(self, lines: int = 5) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return " | ".join(text.strip().splitlines()[-lines:]) or "no output"

    def _config(self) -> str:
        lines = [
            "# written by tests/support/sshd.py",
            f"ListenAddress {self.host}:{self.port}",
            f"HostKey {self.host_key}",
            f"PidFile {self.work_dir / 'sshd.pid'}",
            f"AuthorizedKeysFile {self.work_dir / 'authorized_keys'}",
            "AuthorizedKeysCommand none",
            "UsePAM no",
            "StrictModes no",
            "PermitRootLogin prohibit-password",
            "AllowUsers root",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UseDNS no",
            "PrintMotd no",
            "LogLevel VERBOSE",
            # Fleet tests open a few dozen sessions at once: the default (10:30:100) drops some.
            "MaxStartups 200",
            "MaxSessions 50",
            *self.extra_config,
        ]
        return "\n".join(lines) + "\n"


def start_sshd(
    work_dir: Path,
    *,
    host: str | None = None,
    port: int = 2222,
    host_key: Path | None = None,
    authorized: Sequence[Path] = (),
    extra_config: Sequence[str] = (),
) -> SshdServer:
    """Start sshd (a fresh host key and client key unless given); the caller stops it.

    ``authorized``: more public keys allowed to log in besides the server's own client key.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    host_key = host_key or make_key(work_dir / "ssh_host_ed25519_key")
    client_key = make_key(work_dir / "client_ed25519")
    keys = [client_key.with_suffix(".pub"), *authorized]
    (work_dir / "authorized_keys").write_text("".join(k.read_text() for k in keys))
    server = SshdServer(
        host=host or fresh_address(),
        port=port,
        work_dir=work_dir,
        host_key=host_key,
        client_key=client_key,
        extra_config=tuple(extra_config),
    )
    server.start()
    return server


@pytest.fixture
def sshd_server(tmp_path: Path) -> Iterator[SshdServer]:
    """A fresh sshd on a fresh loopback address, stopped after the test."""
    server = start_sshd(tmp_path / "sshd")
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def silent_listener(host: str | None = None) -> Iterator[tuple[str, int]]:
    """A TCP port whose handshake completes (the kernel's backlog) but which never speaks: an SSH
    client waits for a banner that never comes — a hung device, as the network shows it."""
    address = host or fresh_address()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((address, 0))
        sock.listen(64)
        yield address, sock.getsockname()[1]


def closed_port(host: str | None = None) -> tuple[str, int]:
    """An address and port nothing listens on: a connection is refused at once."""
    address = host or fresh_address()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((address, 0))
        port: int = sock.getsockname()[1]
    return address, port


def _check_root_can_use_keys() -> None:
    try:
        entry = next(
            line
            for line in Path("/etc/shadow").read_text().splitlines()
            if line.startswith("root:")
        )
    except (OSError, StopIteration):
        return
    if entry.split(":")[1].startswith("!"):
        pytest.fail(
            "root is locked ('!' in /etc/shadow): with UsePAM no sshd refuses key logins too; "
            "run `usermod -p '*' root` on this test machine"
        )
