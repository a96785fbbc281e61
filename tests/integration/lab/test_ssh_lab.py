"""``lab up`` with SSH: every router and switch answers on its own address, the hosts are OpenSSH.

One small lab serves the read-only tests (two simulator processes, one sshd); the lifecycle test
starts its own. Logins come from the lab's own credentials file, as the NOC's would.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from collections.abc import Iterator
from ipaddress import IPv4Address
from pathlib import Path

import paramiko
import pytest
from netmiko import ConnectHandler

from core.credentials import load_credentials
from core.inventory import load_inventory
from core.model import Platform
from lab.control import lab_down, lab_status, lab_up
from lab.files import read_province
from lab.model import LINUX_SSH_CREDENTIAL, NETWORK_SSH_CREDENTIAL, Province
from lab.processes import tcp_listening
from lab.ssh.hostkeys import load_or_create_host_key
from lab.ssh.lifecycle import rekey_device
from lab.ssh.openssh import SSHD
from lab.state import LabOptions, LabState
from tests.conftest import SHARED
from tests.support.addresses import fresh_block

pytestmark = pytest.mark.integration

DIVISIONS = SHARED / "data" / "guangdong_divisions.json"
SSH_PORT = 2222
VERSION = {
    Platform.HUAWEI_VRP: "display version",
    Platform.HP_COMWARE: "display version",
    Platform.CISCO_IOS: "show version",
    Platform.ZTE_ZXROS: "show version",
}
needs_sshd = pytest.mark.skipif(
    os.geteuid() != 0 or not SSHD.exists(), reason="a real sshd needs root and openssh-server"
)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LabState, Province]]:
    options = LabOptions(
        data_dir=tmp_path_factory.mktemp("data"),
        size="small",
        seed=3,
        network=fresh_block(),
        divisions_path=DIVISIONS,
        devices_per_shard=10,
        ssh_port=SSH_PORT,
        ssh_devices_per_process=4,
        ready_timeout_s=60,
    )
    state = lab_up(options)
    try:
        yield state, read_province(state.province_path)
    finally:
        lab_down(options.data_dir)


def trusting_client() -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    # Test clients of a lab just started; the NOC pins host keys instead.
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    return client


def run_on_device(state: LabState, address: str, command: str) -> str:
    login = load_credentials(state.credentials_path).ssh(NETWORK_SSH_CREDENTIAL)
    assert login.password is not None
    client = trusting_client()
    client.connect(
        address,
        SSH_PORT,
        login.username,
        login.password.get_secret_value(),
        look_for_keys=False,
        allow_agent=False,
        timeout=5,
    )
    try:
        _, stdout, _ = client.exec_command(command, timeout=5)
        return str(stdout.read().decode())
    finally:
        client.close()


def presented_fingerprint(address: str) -> str:
    transport = paramiko.Transport((address, SSH_PORT))
    try:
        transport.start_client(timeout=5)
        blob = transport.get_remote_server_key().asbytes()
    finally:
        transport.close()
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def test_every_router_and_switch_answers_ssh_as_itself(lab: tuple[LabState, Province]) -> None:
    state, province = lab
    network = [d for d in province.devices if d.is_network_device]
    assert len(state.ssh_simulators) == 2
    assert sorted(d for s in state.ssh_simulators for d in s.devices) == sorted(
        d.id for d in network
    )
    for device in network:
        assert device.model in run_on_device(state, device.address, VERSION[device.platform])


def test_netmiko_logs_in_with_the_lab_credentials(lab: tuple[LabState, Province]) -> None:
    state, _ = lab
    login = load_credentials(state.credentials_path).ssh(NETWORK_SSH_CREDENTIAL)
    assert login.password is not None
    assert login.enable_secret is not None
    inventory = load_inventory(state.inventory_path)
    seen: set[Platform] = set()
    for device in inventory.devices:
        if device.ssh is None or device.platform in seen or device.platform is Platform.LINUX:
            continue
        seen.add(device.platform)
        assert device.ssh.credential == NETWORK_SSH_CREDENTIAL
        connection = ConnectHandler(
            device_type=device.platform.value,
            host=str(device.address),
            port=device.ssh.port,
            username=login.username,
            password=login.password.get_secret_value(),
            secret=login.enable_secret.get_secret_value(),
        )
        try:
            # netmiko's IOS driver keeps 16 characters (IOS shortens prompts in config mode).
            short = device.platform is Platform.CISCO_IOS
            assert connection.base_prompt == (device.name[:16] if short else device.name)
            connection.enable()
            assert connection.check_enable_mode() or device.platform in (
                Platform.HUAWEI_VRP,
                Platform.HP_COMWARE,
            )
        finally:
            connection.paramiko_cleanup()
    assert seen >= {Platform.HUAWEI_VRP, Platform.HP_COMWARE}


def test_status_counts_the_ssh_responders(lab: tuple[LabState, Province]) -> None:
    state, _ = lab
    report = lab_status(state.options.data_dir)
    assert report.all_up
    kinds = sorted(r.kind for r in report.ssh)
    assert kinds[:2] == ["ssh simulator", "ssh simulator"]
    assert sum(r.listening for r in report.ssh) == state.devices


@needs_sshd
def test_the_hosts_let_root_in_with_the_lab_key_only(
    lab: tuple[LabState, Province], tmp_path: Path
) -> None:
    state, province = lab
    assert state.linux_ssh_note is None
    login = load_credentials(state.credentials_path).ssh(LINUX_SSH_CREDENTIAL)
    assert login.private_key_path is not None
    assert oct(login.private_key_path.stat().st_mode & 0o777) == "0o600"
    hosts = [d for d in province.devices if not d.is_network_device]
    assert hosts
    for host in hosts:
        client = trusting_client()
        client.connect(
            host.address,
            SSH_PORT,
            "root",
            key_filename=str(login.private_key_path),
            look_for_keys=False,
            allow_agent=False,
            timeout=5,
        )
        try:
            _, stdout, _ = client.exec_command("id -u", timeout=5)
            assert stdout.read().decode().strip() == "0"
        finally:
            client.close()
    stranger = tmp_path / "stranger_ed25519"
    load_or_create_host_key(stranger)
    for credentials in ({"key_filename": str(stranger)}, {"password": "root"}):
        client = trusting_client()
        with pytest.raises(paramiko.AuthenticationException):
            client.connect(
                hosts[0].address,
                SSH_PORT,
                "root",
                look_for_keys=False,
                allow_agent=False,
                timeout=5,
                **credentials,  # type: ignore[arg-type]
            )
        client.close()


def test_lab_restarts_keep_host_keys_a_rekey_changes_one_and_down_frees_the_ports(
    tmp_path: Path,
) -> None:
    options = LabOptions(
        data_dir=tmp_path,
        size="small",
        network=fresh_block(),
        divisions_path=DIVISIONS,
        devices_per_shard=10,
        ssh_port=SSH_PORT,
        ready_timeout_s=60,
    )
    first = lab_up(options)
    province = read_province(first.province_path)
    device = next(d for d in province.devices if d.is_network_device)
    before = presented_fingerprint(device.address)
    second = lab_up(options)  # replaces the running lab
    try:
        assert presented_fingerprint(device.address) == before
        after = rekey_device(tmp_path, device.id)
        assert after != before
        deadline = time.monotonic() + 5
        while presented_fingerprint(device.address) != after:
            assert time.monotonic() < deadline, "the simulator kept presenting the old key"
            time.sleep(0.05)
    finally:
        lab_down(tmp_path)
    endpoints = {
        (IPv4Address(h), p)
        for responder in (*second.ssh_simulators, *second.sshd)
        for h, p in responder.endpoints
    }
    assert endpoints
    assert not endpoints & tcp_listening()
