"""A device keeps its host key across restarts until it is replaced on purpose."""

from __future__ import annotations

import re
from pathlib import Path

from lab.ssh.hostkeys import fingerprint, load_or_create_host_key, replace_host_key


def test_a_key_is_made_once_private_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "gz-core1"
    first = fingerprint(load_or_create_host_key(path))
    assert re.fullmatch(r"SHA256:[A-Za-z0-9+/]{43}", first)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert path.with_name("gz-core1.pub").read_text().startswith("ssh-ed25519 ")
    assert fingerprint(load_or_create_host_key(path)) == first


def test_replacing_a_key_changes_the_fingerprint(tmp_path: Path) -> None:
    path = tmp_path / "gz-core1"
    before = fingerprint(load_or_create_host_key(path))
    after = replace_host_key(path)
    assert after != before
    assert fingerprint(load_or_create_host_key(path)) == after
    assert not list(tmp_path.glob("*.partial"))
