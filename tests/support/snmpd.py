"""A real net-snmp ``snmpd`` for a test, on a fresh loopback address, in the test's tmp dir.

Each agent writes its own configuration (``-C``: no system config is read), keeps its persistent
state (engine boots, localized USM users) under its own directory through ``SNMP_PERSISTENT_DIR``,
and gets its own random engine ID: a USM engine (pysnmp's) that meets two agents with one engine ID
would mix their boot counters and time windows. The listening address is the positional
``udp:ADDR:PORT`` argument only; repeating it as ``agentAddress`` binds twice and snmpd exits.

Readiness is the bound endpoint in ``/proc/net/udp`` (snmpd binds after it has read its config and
created its users), with a deadline; a process that exits early fails the test with its log tail.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from pathlib import Path

import pytest
from pydantic import SecretStr

from collectors.snmp.transport import SnmpTarget
from core.credentials import AuthProtocol, PrivProtocol, SnmpV2cCredential, SnmpV3Credential
from lab.snmpsim_runner import bound_udp_endpoints
from tests.support.addresses import fresh_address

SNMPD = Path("/usr/sbin/snmpd")
START_TIMEOUT_S = 15.0

# createUser spells the protocols its own way.
_AUTH_TOKENS = {
    AuthProtocol.MD5: "MD5",
    AuthProtocol.SHA: "SHA",
    AuthProtocol.SHA224: "SHA-224",
    AuthProtocol.SHA256: "SHA-256",
    AuthProtocol.SHA384: "SHA-384",
    AuthProtocol.SHA512: "SHA-512",
}
_PRIV_TOKENS = {
    PrivProtocol.DES: "DES",
    PrivProtocol.AES128: "AES",
    PrivProtocol.AES192: "AES192",
    PrivProtocol.AES256: "AES256",
}


@dataclass(frozen=True)
class SnmpdUser:
    """One SNMPv3 authPriv user the agent knows."""

    name: str
    auth_protocol: AuthProtocol
    auth_key: str
    priv_protocol: PrivProtocol
    priv_key: str

    def credential(
        self, *, auth_key: str | None = None, priv_key: str | None = None, name: str | None = None
    ) -> SnmpV3Credential:
        """This user's credential; the keyword arguments make a deliberately wrong one."""
        return SnmpV3Credential(
            user=name or self.name,
            auth_protocol=self.auth_protocol,
            auth_key=SecretStr(auth_key or self.auth_key),
            priv_protocol=self.priv_protocol,
            priv_key=SecretStr(priv_key or self.priv_key),
        )

    def create_user_line(self) -> str:
        return (
            f"createUser {self.name} {_AUTH_TOKENS[self.auth_protocol]} {self.auth_key} "
            f"{_PRIV_TOKENS[self.priv_protocol]} {self.priv_key}"
        )


DEFAULT_USERS: tuple[SnmpdUser, ...] = (
    SnmpdUser(
        "noc-sha256-aes", AuthProtocol.SHA256, "auth-pass-256", PrivProtocol.AES128, "priv-pass-128"
    ),
    SnmpdUser(
        "noc-sha-aes", AuthProtocol.SHA, "auth-pass-sha", PrivProtocol.AES128, "priv-pass-aes"
    ),
    SnmpdUser("noc-md5-des", AuthProtocol.MD5, "auth-pass-md5", PrivProtocol.DES, "priv-pass-des"),
    SnmpdUser(
        "noc-sha512-aes256",
        AuthProtocol.SHA512,
        "auth-pass-512",
        PrivProtocol.AES256,
        "priv-pass-256",
    ),
)
"""Users every agent gets: the common SHA-2/AES pair, the legacy SHA and MD5/DES ones, and the
strongest pair (SHA-512/AES-256, Blumenthal key extension) to prove both adapters reach it."""


@dataclass
class SnmpdAgent:
    """A running snmpd and what a client needs to reach it."""

    host: str
    port: int
    community: str
    users: dict[str, SnmpdUser]
    work_dir: Path
    process: subprocess.Popen[bytes] | None = None
    engine_id: str = field(default="")

    @property
    def log_path(self) -> Path:
        return self.work_dir / "snmpd.log"

    def v2c(
        self, *, community: str | None = None, timeout_s: float = 2.0, retries: int = 1
    ) -> SnmpTarget:
        """A v2c target for this agent (``community`` overrides the right one)."""
        credential = SnmpV2cCredential(community=SecretStr(community or self.community))
        return SnmpTarget(self.host, self.port, credential, timeout_s=timeout_s, retries=retries)

    def v3(
        self, credential: SnmpV3Credential, *, timeout_s: float = 2.0, retries: int = 1
    ) -> SnmpTarget:
        return SnmpTarget(self.host, self.port, credential, timeout_s=timeout_s, retries=retries)

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

    def log_tail(self, lines: int = 5) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return " | ".join(text.strip().splitlines()[-lines:]) or "no output"


def snmpd_config(community: str, users: Sequence[SnmpdUser], engine_id: str) -> str:
    """The whole configuration: read-only v2c community, read-only v3 users, nothing else."""
    lines = [
        "# written by tests/support/snmpd.py",
        f"engineID {engine_id}",
        f"rocommunity {community} 127.0.0.0/8",
        "sysLocation ssnoc test bench",
        "sysContact noc@example.invalid",
        "sysServices 72",
        "dontLogTCPWrappersConnects yes",
        # No AgentX master: it would bind a socket of its own that parallel agents would share.
        "master off",
    ]
    for user in users:
        lines.append(user.create_user_line())
        lines.append(f"rouser {user.name} priv")
    return "\n".join(lines) + "\n"


def start_snmpd(
    host: str,
    port: int,
    work_dir: Path,
    *,
    community: str = "ssnoc-public",
    users: Sequence[SnmpdUser] = DEFAULT_USERS,
    engine_id: str | None = None,
) -> SnmpdAgent:
    """Start snmpd on ``host:port`` and return once it is bound; the caller stops it.

    A restart in the same ``work_dir`` with the previous agent's ``engine_id`` is a reboot (same
    engine, boots + 1); without it, a replacement (new engine ID).
    """
    if not SNMPD.exists():
        pytest.fail(f"{SNMPD} is missing: apt-get install snmpd")
    work_dir.mkdir(parents=True, exist_ok=True)
    persistent = work_dir / "persist"
    persistent.mkdir(exist_ok=True)
    engine_id = engine_id or f"ssnoc{secrets.token_hex(6)}"
    config = work_dir / "snmpd.conf"
    config.write_text(snmpd_config(community, users, engine_id))
    agent = SnmpdAgent(
        host, port, community, {u.name: u for u in users}, work_dir, engine_id=engine_id
    )
    env = dict(os.environ, MIBS="", SNMP_PERSISTENT_DIR=str(persistent), SNMPCONFPATH=str(work_dir))
    argv = [
        str(SNMPD),
        "-f",  # stay in the foreground: we own the process
        "-Lf",
        str(agent.log_path),
        "-C",  # read no configuration but ours
        "-c",
        str(config),
        "-p",
        str(work_dir / "snmpd.pid"),
        "-M",
        "/dev/null",  # no MIB files: snmpd is quiet and starts faster
        f"udp:{host}:{port}",
    ]
    agent.process = subprocess.Popen(
        argv,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wanted = (IPv4Address(host), port)
    deadline = time.monotonic() + START_TIMEOUT_S
    while wanted not in bound_udp_endpoints():
        if agent.process.poll() is not None:
            status = agent.process.returncode
            agent.process = None
            pytest.fail(f"snmpd exited with status {status}: {agent.log_tail()}")
        if time.monotonic() > deadline:
            agent.stop()
            pytest.fail(f"snmpd did not bind {host}:{port} in {START_TIMEOUT_S:g} s")
        time.sleep(0.02)
    return agent


@pytest.fixture
def snmpd_agent(tmp_path: Path) -> Iterator[SnmpdAgent]:
    """A fresh snmpd on a fresh loopback address, stopped after the test."""
    agent = start_snmpd(fresh_address(), 16100, tmp_path / "snmpd")
    try:
        yield agent
    finally:
        agent.stop()
