"""What lab up plans for SSH: simulator configs over the network devices, sshd for the hosts."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import LabError
from lab.files import write_province
from lab.model import Province
from lab.ssh import openssh
from lab.ssh.lifecycle import host_key_path, plan_ssh, rekey_device
from lab.ssh.spec import SimulatorConfig, SshBehaviour


def test_devices_are_spread_over_simulators_and_hosts_over_sshd(
    tmp_path: Path, full: Province, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(openssh, "PRIVILEGE_SEPARATION_DIR", tmp_path / "run-sshd")
    province_path = write_province(tmp_path, full)
    slow = {"gz-core1": SshBehaviour(command_delay_s=0.5, hanging_commands=("show version",))}
    launch = plan_ssh(tmp_path, full, province_path, True, 50, 8, slow)
    network = [d for d in full.devices if d.is_network_device]
    assert len(launch.simulators) == 3
    served = [device for _, devices in launch.simulators for device in devices]
    assert sorted(served) == sorted(d.id for d in network)
    for responder, devices in launch.simulators:
        config = SimulatorConfig.model_validate_json(responder.config_path.read_text())
        assert config.province_path == province_path
        assert [s.device_id for s in config.devices] == devices
        assert list(responder.endpoints) == [(s.host, 2222) for s in config.devices]
        for spec in config.devices:
            assert spec.host_key_path == host_key_path(tmp_path, spec.device_id or "")
            assert spec.behaviour == slow.get(spec.device_id or "", SshBehaviour())
    hosts = [d.id for d in full.devices if not d.is_network_device]
    assert [devices for _, devices in launch.sshd] == [hosts]
    assert launch.lab_key_path == tmp_path / "ssh" / openssh.LAB_KEY_NAME


def test_without_sshd_only_the_network_is_planned(tmp_path: Path, small: Province) -> None:
    launch = plan_ssh(tmp_path, small, write_province(tmp_path, small), False, 50, 8, {})
    assert len(launch.simulators) == 1
    assert launch.sshd == []
    assert launch.lab_key_path is None


def test_rekey_needs_a_running_lab(tmp_path: Path) -> None:
    with pytest.raises(LabError, match="no lab"):
        rekey_device(tmp_path, "gz-core1")
