"""Each simulated device's own SSH host key, kept across lab restarts.

The NOC pins a device's host key on first use and refuses a changed one, so the lab must present
the same key after ``lab down`` / ``lab up`` (a file per device under the lab directory, created
once, mode 0600) — and must be able to change one on purpose (:func:`replace_host_key`) for the
"host key changed" test. Ed25519: fast to make and accepted by paramiko.
"""

from __future__ import annotations

import os
from pathlib import Path

import asyncssh

HOST_KEY_ALGORITHM = "ssh-ed25519"


def load_or_create_host_key(path: Path) -> asyncssh.SSHKey:
    """The key at ``path``, made and written there (0600) first if there is none."""
    if path.exists():
        return asyncssh.read_private_key(path)
    return _write_new_key(path)


def replace_host_key(path: Path) -> str:
    """A new key at ``path`` (what a replaced device, or an attacker, would present); returns its
    fingerprint. A running simulator picks it up when told to reload (SIGHUP)."""
    return fingerprint(_write_new_key(path))


def fingerprint(key: asyncssh.SSHKey) -> str:
    """``SHA256:…`` as OpenSSH prints it."""
    return str(key.get_fingerprint("sha256"))


def _write_new_key(path: Path) -> asyncssh.SSHKey:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = asyncssh.generate_private_key(HOST_KEY_ALGORITHM)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(key.export_private_key())
    os.replace(partial, path)
    path.with_name(path.name + ".pub").write_bytes(key.export_public_key())
    return key
