"""The lab's Linux hosts over SSH: real OpenSSH sshd on their addresses, root by the lab's key.

The hosts are this machine, so what the NOC collects from them (accounts, sudoers, load, disks)
is real. One sshd listens on every host address (sshd takes at most 16 listen addresses, so a
larger province gets one sshd per 16), with its own configuration, host key, pid file and
authorized_keys under the lab directory: root logs in with the lab's key only (generated once per
lab directory, 0600), nobody else logs in at all. It needs root (sshd drops privileges per
session) and Debian's openssh-server; without them the hosts stay without SSH.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from lab.ssh.hostkeys import load_or_create_host_key
from lab.ssh.process import Responder

SSHD = Path("/usr/sbin/sshd")
PRIVILEGE_SEPARATION_DIR = Path("/run/sshd")
MAX_LISTEN_ADDRESSES = 16
"""OpenSSH's MAX_LISTEN_SOCKS."""
LAB_KEY_NAME = "lab_root_ed25519"
SSHD_HOST_KEY = "sshd_host_ed25519_key"
"""The host key every lab sshd presents, in the lab's ssh directory."""


def sshd_unavailable_reason() -> str | None:
    """Why the lab cannot run sshd here, or None when it can."""
    if os.geteuid() != 0:
        return "not running as root: the Linux hosts have no SSH (sshd needs root)"
    if not os.access(SSHD, os.X_OK):
        return f"{SSHD} is missing: install openssh-server for SSH to the Linux hosts"
    return None


def lab_key(ssh_dir: Path) -> Path:
    """The lab's private key for root on the hosts (made once, 0600); its .pub beside it."""
    path = ssh_dir / LAB_KEY_NAME
    load_or_create_host_key(path)
    return path


def sshd_config(
    work_dir: Path, host_key: Path, authorized_keys: Path, addresses: Sequence[str], port: int
) -> str:
    listen = "".join(f"ListenAddress {address}\n" for address in addresses)
    return (
        f"# Written by `ssnoc lab up`: the lab's Linux hosts, root by the lab's key only.\n"
        f"Port {port}\n"
        f"{listen}"
        f"HostKey {host_key}\n"
        f"PidFile {work_dir / 'sshd.pid'}\n"
        "PermitRootLogin prohibit-password\n"
        "AllowUsers root\n"
        "PubkeyAuthentication yes\n"
        "PasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\n"
        f"AuthorizedKeysFile {authorized_keys}\n"
        # Without PAM, OpenSSH itself refuses locked accounts ('!' in /etc/shadow; '*' is fine).
        "UsePAM no\n"
        # The lab directory belongs to whoever ran `lab up`; sshd must not insist on root.
        "StrictModes no\n"
        "PrintMotd no\n"
        "PrintLastLog no\n"
        # The benchmark opens many sessions at once.
        "MaxStartups 200:30:400\n"
        "MaxSessions 32\n"
        "LoginGraceTime 30\n"
        "LogLevel ERROR\n"
        "Subsystem sftp internal-sftp\n"
    )


def sshd_responders(
    ssh_dir: Path, run_dir: Path, addresses: Sequence[str], port: int
) -> list[Responder]:
    """One sshd per 16 addresses, configured and ready to launch (nothing started yet)."""
    key_path = lab_key(ssh_dir)
    host_key = ssh_dir / SSHD_HOST_KEY
    load_or_create_host_key(host_key)
    PRIVILEGE_SEPARATION_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
    responders = []
    for index in range(0, len(addresses), MAX_LISTEN_ADDRESSES):
        chunk = list(addresses[index : index + MAX_LISTEN_ADDRESSES])
        work_dir = run_dir / f"sshd-{index // MAX_LISTEN_ADDRESSES:02d}"
        work_dir.mkdir(parents=True, exist_ok=True)
        authorized = work_dir / "authorized_keys"
        authorized.write_bytes(key_path.with_name(key_path.name + ".pub").read_bytes())
        config = work_dir / "sshd_config"
        config.write_text(sshd_config(work_dir, host_key, authorized, chunk, port))
        responders.append(
            Responder(
                argv=[str(SSHD), "-D", "-e", "-f", str(config)],
                config_path=config,
                endpoints=[(address, port) for address in chunk],
                work_dir=work_dir,
                what="sshd",
            )
        )
    return responders
