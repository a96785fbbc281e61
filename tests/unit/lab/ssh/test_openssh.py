"""The lab's sshd: root by the lab's key only, on the hosts' addresses, 16 addresses per sshd."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.ssh import openssh
from lab.ssh.openssh import sshd_config, sshd_responders, sshd_unavailable_reason


def test_the_config_lets_root_in_by_key_only(tmp_path: Path) -> None:
    text = sshd_config(
        tmp_path, tmp_path / "hk", tmp_path / "ak", ["127.1.0.11", "127.1.0.12"], 2222
    )
    lines = set(text.splitlines())
    assert {
        "Port 2222",
        "ListenAddress 127.1.0.11",
        "ListenAddress 127.1.0.12",
        f"HostKey {tmp_path / 'hk'}",
        f"AuthorizedKeysFile {tmp_path / 'ak'}",
        f"PidFile {tmp_path / 'sshd.pid'}",
        "PermitRootLogin prohibit-password",
        "PasswordAuthentication no",
        "AllowUsers root",
        "UsePAM no",
    } <= lines


def test_responders_take_sixteen_addresses_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(openssh, "PRIVILEGE_SEPARATION_DIR", tmp_path / "run-sshd")
    addresses = [f"127.1.{n // 200}.{n % 200 + 1}" for n in range(20)]
    responders = sshd_responders(tmp_path / "ssh", tmp_path / "run", addresses, 2222)
    assert [len(r.endpoints) for r in responders] == [16, 4]
    key = tmp_path / "ssh" / openssh.LAB_KEY_NAME
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    public = key.with_name(key.name + ".pub").read_bytes()
    for responder in responders:
        assert (responder.work_dir / "authorized_keys").read_bytes() == public
        assert responder.argv == ["/usr/sbin/sshd", "-D", "-e", "-f", str(responder.config_path)]


def test_without_root_the_hosts_have_no_ssh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(openssh.os, "geteuid", lambda: 1000)
    reason = sshd_unavailable_reason()
    assert reason is not None
    assert "root" in reason


def test_without_sshd_the_hosts_have_no_ssh(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(openssh.os, "geteuid", lambda: 0)
    monkeypatch.setattr(openssh, "SSHD", tmp_path / "sshd")
    reason = sshd_unavailable_reason()
    assert reason is not None
    assert "openssh-server" in reason
