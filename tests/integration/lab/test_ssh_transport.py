"""The simulator's SSH side seen through plain paramiko: host keys, paging, exec, concurrency."""

from __future__ import annotations

import base64
import hashlib
import os
import time
from concurrent.futures import ThreadPoolExecutor
from ipaddress import IPv4Address
from pathlib import Path

import paramiko
import pytest

from lab.processes import tcp_listening
from lab.ssh.hostkeys import replace_host_key
from lab.ssh.testing import SimulatedEndpoint, running_ssh_device
from tests.support.addresses import fresh_address

pytestmark = pytest.mark.integration

PORT = 2222


def client_for(endpoint: SimulatedEndpoint) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    # A throwaway client for a simulator the test just started; the NOC pins keys instead.
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(
        endpoint.host,
        endpoint.port,
        endpoint.username,
        endpoint.password,
        look_for_keys=False,
        allow_agent=False,
        timeout=5,
    )
    return client


def presented_fingerprint(endpoint: SimulatedEndpoint) -> str:
    client = client_for(endpoint)
    try:
        transport = client.get_transport()
        assert transport is not None
        blob = transport.get_remote_server_key().asbytes()
    finally:
        client.close()
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def read_until(channel: paramiko.Channel, ending: str, timeout_s: float = 5.0) -> str:
    """What the device writes up to and including ``ending``."""
    data = ""
    deadline = time.monotonic() + timeout_s
    while not data.endswith(ending):
        if time.monotonic() > deadline:
            raise AssertionError(f"no {ending!r} after {data[-200:]!r}")
        if channel.recv_ready():
            data += channel.recv(65536).decode()
        else:
            time.sleep(0.005)
    return data


def test_the_endpoint_names_the_key_the_server_presents() -> None:
    with running_ssh_device("cisco_ios", fresh_address(), PORT) as endpoint:
        assert presented_fingerprint(endpoint) == endpoint.host_key_fingerprint


def test_a_host_key_file_keeps_the_key_until_it_is_replaced(tmp_path: Path) -> None:
    key = tmp_path / "lab-dev1.key"
    address = fresh_address()
    with running_ssh_device("huawei_vrp", address, PORT, host_key_path=key) as endpoint:
        first = endpoint.host_key_fingerprint
    with running_ssh_device("huawei_vrp", address, PORT, host_key_path=key) as endpoint:
        assert presented_fingerprint(endpoint) == first
    replaced = replace_host_key(key)
    with running_ssh_device("huawei_vrp", address, PORT, host_key_path=key) as endpoint:
        assert presented_fingerprint(endpoint) == replaced != first


def test_output_pages_at_the_more_prompt_when_paging_is_on() -> None:
    with running_ssh_device("huawei_vrp", fresh_address(), PORT) as endpoint:
        client = client_for(endpoint)
        try:
            channel = client.invoke_shell(width=200, height=50)
            read_until(channel, "<LAB-DEV1>")
            channel.send(b"display current-configuration\r")
            first = read_until(channel, "  ---- More ----")
            assert first.count("\r\n") == 1 + 24  # the echoed command, then one screen
            channel.send(b" ")
            assert "\x1b[16D" in read_until(channel, "  ---- More ----")
            channel.send(b"q")
            read_until(channel, "<LAB-DEV1>")
            channel.send(b"dis\x7fsp ver\r")  # a typo, erased
            assert "VRP (R) software" in read_until(channel, "<LAB-DEV1>")
        finally:
            client.close()


def test_an_exec_request_runs_one_command() -> None:
    with running_ssh_device("cisco_ios", fresh_address(), PORT) as endpoint:
        client = client_for(endpoint)
        try:
            _, stdout, _ = client.exec_command("show version", timeout=5)
            text = stdout.read().decode()
            assert stdout.channel.recv_exit_status() == 0
        finally:
            client.close()
    assert text.startswith("Cisco IOS Software")
    assert "LAB-DEV1 uptime is" in text
    assert not text.rstrip().endswith("#")


def test_sixteen_sessions_at_once_are_answered_at_once() -> None:
    with running_ssh_device("hp_comware", fresh_address(), PORT) as endpoint:

        def version(_: int) -> float:
            began = time.monotonic()
            client = client_for(endpoint)
            try:
                _, stdout, _ = client.exec_command("display version", timeout=10)
                assert "Comware Software" in stdout.read().decode()
            finally:
                client.close()
            return time.monotonic() - began

        with ThreadPoolExecutor(16) as pool:
            times = list(pool.map(version, range(48)))
    assert max(times) < 5.0


def test_the_device_listens_inside_the_block_only_and_hangs_up_at_its_end() -> None:
    with running_ssh_device("zte_zxros", fresh_address(), PORT) as endpoint:
        wanted = (IPv4Address(endpoint.host), endpoint.port)
        assert wanted in tcp_listening(os.getpid())
        client = client_for(endpoint)
        channel = client.invoke_shell()
        read_until(channel, "LAB-DEV1#")
        with (
            pytest.raises(OSError, match="in use"),
            running_ssh_device("zte_zxros", endpoint.host, PORT),
        ):
            pass  # the address is taken: starting a second one fails, in this thread
    try:
        deadline = time.monotonic() + 5
        while not channel.closed and not channel.exit_status_ready():
            assert time.monotonic() < deadline, "the session outlived the simulator"
            time.sleep(0.01)
    finally:
        client.close()
    assert wanted not in tcp_listening()
