"""Telling a running lab's SSH responders about changed faults, and waiting until they show them.

The simulator processes (routers and switches) are signalled (SIGUSR1): each re-reads faults.json
and acknowledges its generation in its ack file. The Linux hosts' sshd is a real OpenSSH: its
configuration is rewritten to listen only on the hosts that may answer, and a SIGHUP makes it
re-execute itself with it (it keeps its pid). An sshd whose every host is silent listens on a
free port of one of them instead — with no ListenAddress at all it would take every address.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Collection
from ipaddress import IPv4Address
from pathlib import Path

from core.errors import LabError
from lab.processes import tcp_listening
from lab.ssh.fault_views import acknowledged
from lab.ssh.lifecycle import FAULTS_ACK_FILE, ssh_dir_of
from lab.ssh.openssh import SSHD_HOST_KEY, sshd_config
from lab.ssh.process import log_tail, responder_alive
from lab.state import LabState, ResponderState

_POLL_S = 0.02


def notify_ssh(
    state: LabState, generation: int, silent_devices: Collection[str], timeout_s: float = 10.0
) -> None:
    """Make every live SSH responder show faults ``generation``; return once they all do.

    :class:`LabError` names a responder that did not in ``timeout_s`` (with its log's end).
    """
    deadline = time.monotonic() + timeout_s
    simulators = [s for s in state.ssh_simulators if responder_alive(s.pid, s.config_path)]
    for simulator in simulators:
        os.kill(simulator.pid, signal.SIGUSR1)
    sshds = [s for s in state.sshd if responder_alive(s.pid, s.config_path)]
    expected = {
        sshd.index: _reconfigure_sshd(state.lab_dir, sshd, silent_devices) for sshd in sshds
    }
    for simulator in simulators:
        ack = simulator.work_dir / FAULTS_ACK_FILE
        while not _caught_up(acknowledged(ack), generation):
            if time.monotonic() > deadline or not responder_alive(
                simulator.pid, simulator.config_path
            ):
                raise LabError(
                    f"ssh simulator {simulator.index:02d} did not take up the faults: "
                    f"{log_tail(simulator.work_dir)}"
                )
            time.sleep(_POLL_S)
    for sshd in sshds:
        wanted = expected[sshd.index]
        while _listening_on(sshd) != wanted:
            if time.monotonic() > deadline:
                raise LabError(f"sshd {sshd.index:02d} did not listen again on its hosts")
            time.sleep(_POLL_S)


def _reconfigure_sshd(
    lab_dir: Path, sshd: ResponderState, silent_devices: Collection[str]
) -> set[tuple[IPv4Address, int]]:
    """Rewrite the sshd's configuration for the hosts that may answer, SIGHUP it; returns the
    endpoints of its own it should then listen on."""
    answering = [
        (host, port)
        for (host, port), device in zip(sshd.endpoints, sshd.devices, strict=True)
        if device not in silent_devices
    ]
    listen = [host for host, _ in answering]
    port = sshd.endpoints[0][1]
    if not listen:
        parked_on = sshd.endpoints[0][0]
        listen = [f"{parked_on}:{_free_tcp_port(parked_on)}"]
    text = sshd_config(
        sshd.work_dir,
        ssh_dir_of(lab_dir) / SSHD_HOST_KEY,
        sshd.work_dir / "authorized_keys",
        listen,
        port,
    )
    if sshd.config_path.read_text(encoding="utf-8") != text:
        sshd.config_path.write_text(text, encoding="utf-8")
        os.kill(sshd.pid, signal.SIGHUP)
    return {(IPv4Address(host), p) for host, p in answering}


def _caught_up(shown: int | None, generation: int) -> bool:
    return shown is not None and shown >= generation


def _listening_on(sshd: ResponderState) -> set[tuple[IPv4Address, int]]:
    own = {(IPv4Address(host), port) for host, port in sshd.endpoints}
    return own & tcp_listening(sshd.pid)


def _free_tcp_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port
