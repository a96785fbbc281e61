"""``ssnoc lab ssh-device`` serves one device from recordings until it is stopped."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from netmiko import ConnectHandler
from netmiko.exceptions import NetmikoAuthenticationException

from tests.support.addresses import fresh_address

pytestmark = pytest.mark.integration


def wait_listening(host: str, port: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1]
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"ssnoc lab ssh-device did not listen on {host}:{port}")


def test_a_recorded_device_answers_until_stopped(tmp_path: Path, shared_dir: Path) -> None:
    recordings = tmp_path / "recorded"
    recordings.mkdir()
    raw = sorted((shared_dir / "cli" / "cisco_ios" / "show_version").glob("*.raw"))[0]
    (recordings / "show_version.raw").write_bytes(raw.read_bytes())
    host, port = fresh_address(), 2222
    process = subprocess.Popen(
        [sys.executable, "-m", "ssnoc", "lab", "ssh-device", "--platform", "cisco_ios",
         "--listen", f"{host}:{port}", "--outputs", str(recordings), "--username", "tac",
         "--password", "tac-pass", "--hostname", "router1", "--enable-secret", "en"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_listening(host, port, process)
        with pytest.raises(NetmikoAuthenticationException):
            ConnectHandler(
                device_type="cisco_ios", host=host, port=port, username="tac", password="x"
            )
        connection = ConnectHandler(
            device_type="cisco_ios",
            host=host,
            port=port,
            username="tac",
            password="tac-pass",
            secret="en",
        )
        try:
            assert connection.base_prompt == "router1"
            connection.enable()
            version = connection.send_command("sh ver")
        finally:
            connection.disconnect()
        assert version.strip() == raw.read_text().replace("\r\n", "\n").strip()
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert f"cisco_ios router1 listening on {host}:{port} (host key SHA256:" in err
