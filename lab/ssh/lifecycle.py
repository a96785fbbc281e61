"""SSH in ``lab up | down | status``: simulator processes for the network, sshd for the hosts.

Under ``<lab>/ssh/``: ``host_keys/<device>`` (each device's key, kept across restarts),
``lab_root_ed25519`` (root's key on the hosts) and ``sshd_host_ed25519_key`` persist; ``run/``
(each responder's config and log) is remade by every ``lab up``. Devices are spread over
simulator processes in province order; one asyncio process serves dozens of devices, since an
SSH login costs the server a few milliseconds and the lab's answers cost nothing.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from core.errors import LabError
from lab.fault_store import faults_path
from lab.model import LabDevice, Province
from lab.processes import tcp_listening
from lab.ssh.hostkeys import replace_host_key
from lab.ssh.openssh import sshd_responders
from lab.ssh.process import Responder, responder_alive, simulator_argv
from lab.ssh.spec import SimulatorConfig, SshBehaviour, SshDeviceSpec
from lab.state import LabState, ResponderState, lab_dir_of, read_state

SSH_DIR = "ssh"
RUN_DIR = "run"
HOST_KEYS_DIR = "host_keys"
FAULTS_ACK_FILE = "faults.ack"
"""In a simulator's work directory: the faults generation it shows (:mod:`lab.ssh.fault_views`)."""


@dataclass
class SshLaunch:
    """What ``lab up`` starts for SSH, and which devices each responder serves."""

    simulators: list[tuple[Responder, list[str]]]
    sshd: list[tuple[Responder, list[str]]]
    lab_key_path: Path | None

    def all(self) -> list[Responder]:
        return [r for r, _ in self.simulators] + [r for r, _ in self.sshd]


def ssh_dir_of(lab_dir: Path) -> Path:
    return lab_dir / SSH_DIR


def host_key_path(lab_dir: Path, device_id: str) -> Path:
    return ssh_dir_of(lab_dir) / HOST_KEYS_DIR / device_id


def plan_ssh(
    lab_dir: Path,
    province: Province,
    province_path: Path,
    linux_ssh: bool,
    per_process: int,
    max_processes: int,
    behaviours: dict[str, SshBehaviour],
) -> SshLaunch:
    """Write every responder's configuration; nothing is started yet."""
    assert province.ssh_port is not None, "a province built with an SSH port"
    ssh_dir = ssh_dir_of(lab_dir)
    run_dir = ssh_dir / RUN_DIR
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    network = [d for d in province.devices if d.is_network_device]
    simulators = []
    for index, group in enumerate(_groups(network, per_process, max_processes)):
        work_dir = run_dir / f"simulator-{index:02d}"
        work_dir.mkdir()
        config_path = work_dir / "config.json"
        specs = tuple(_spec(lab_dir, d, province.ssh_port, behaviours.get(d.id)) for d in group)
        config = SimulatorConfig(
            province_path=province_path,
            devices=specs,
            faults_path=faults_path(lab_dir),
            faults_ack_path=work_dir / FAULTS_ACK_FILE,
        )
        config_path.write_text(config.model_dump_json(indent=1), encoding="utf-8")
        responder = Responder(
            argv=simulator_argv(config_path),
            config_path=config_path,
            endpoints=[(d.address, province.ssh_port) for d in group],
            work_dir=work_dir,
            what=f"ssh simulator {index:02d}",
        )
        simulators.append((responder, [d.id for d in group]))
    sshd: list[tuple[Responder, list[str]]] = []
    lab_key_path = None
    hosts = [d for d in province.devices if not d.is_network_device]
    if linux_ssh and hosts:
        responders = sshd_responders(
            ssh_dir, run_dir, [d.address for d in hosts], province.ssh_port
        )
        by_address = {d.address: d.id for d in hosts}
        sshd = [(r, [by_address[host] for host, _ in r.endpoints]) for r in responders]
        lab_key_path = ssh_dir / "lab_root_ed25519"
    return SshLaunch(simulators, sshd, lab_key_path)


def _groups(
    devices: list[LabDevice], per_process: int, max_processes: int
) -> list[list[LabDevice]]:
    if not devices:
        return []
    count = max(1, min(max_processes, math.ceil(len(devices) / per_process)))
    return [devices[i::count] for i in range(count)]


def _spec(
    lab_dir: Path, device: LabDevice, port: int, behaviour: SshBehaviour | None
) -> SshDeviceSpec:
    secrets = device.secrets
    return SshDeviceSpec(
        platform=device.platform,
        host=device.address,
        port=port,
        hostname=device.name,
        enable_secret=secrets.enable_secret if secrets else None,
        device_id=device.id,
        host_key_path=host_key_path(lab_dir, device.id),
        behaviour=behaviour or SshBehaviour(),
    )


def refuse_taken_tcp(endpoints: Sequence[tuple[str, int]]) -> None:
    taken = {(str(a), p) for a, p in tcp_listening()}
    clashes = [f"{h}:{p}" for h, p in endpoints if (h, p) in taken]
    if clashes:
        more = f" and {len(clashes) - 5} more" if len(clashes) > 5 else ""
        raise LabError(
            f"TCP address already in use: {', '.join(clashes[:5])}{more}; stop what holds it, "
            "or choose another network or SSH port"
        )


def launched_states(pairs: list[tuple[Responder, list[str]]]) -> tuple[ResponderState, ...]:
    states = []
    for index, (responder, devices) in enumerate(pairs):
        assert responder.pid is not None, "launch() first"
        states.append(
            ResponderState(
                index=index,
                pid=responder.pid,
                config_path=responder.config_path,
                work_dir=responder.work_dir,
                endpoints=tuple(responder.endpoints),
                devices=tuple(devices),
            )
        )
    return tuple(states)


def rekey_device(data_dir: Path, device_id: str) -> str:
    """Give ``device_id`` a new host key and make its simulator present it; returns the new
    fingerprint. What a replaced device — or a man in the middle — looks like to the NOC."""
    state = read_state(data_dir)
    if state is None:
        raise LabError("no lab is running here")
    simulator = _simulator_of(state, device_id)
    new_fingerprint = replace_host_key(host_key_path(lab_dir_of(data_dir), device_id))
    if responder_alive(simulator.pid, simulator.config_path):
        os.kill(simulator.pid, signal.SIGHUP)
    return new_fingerprint


def _simulator_of(state: LabState, device_id: str) -> ResponderState:
    for simulator in state.ssh_simulators:
        if device_id in simulator.devices:
            return simulator
    raise LabError(f"no simulated SSH device {device_id!r} in this lab")
