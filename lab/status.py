"""``lab status``: is every responder of the running lab alive, and are its endpoints bound?

Read from lab.json, faults.json and /proc alone, in any process: per snmpsim shard, its UDP
endpoints; per SSH simulator and sshd, its listening TCP endpoints — less those of devices a fault
has silenced, which must not listen; and the end of the log of any that died.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from pathlib import Path

from lab.fault_store import LabFaults, read_faults
from lab.processes import tcp_listening
from lab.snmpsim_runner import log_tail, responder_alive, udp_endpoints_of
from lab.ssh.process import log_tail as ssh_log_tail
from lab.ssh.process import responder_alive as ssh_alive
from lab.state import LabState, ResponderState, read_state

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class ShardStatus:
    index: int
    pid: int
    alive: bool
    endpoints_bound: int
    endpoints_total: int
    devices: int
    log_tail: str | None = None
    """The end of the shard's log, when its process is gone."""

    @property
    def healthy(self) -> bool:
        return self.alive and self.endpoints_bound == self.endpoints_total


@dataclass(frozen=True, slots=True)
class ResponderStatus:
    """An SSH simulator process or sshd: alive, and how many of its addresses listen."""

    kind: str
    index: int
    pid: int
    alive: bool
    listening: int
    endpoints_total: int
    """Endpoints that should listen: those of devices a fault silenced are not counted."""
    log_tail: str | None = None
    silenced: int = 0
    """Endpoints closed because their device is silent (a fault)."""

    @property
    def healthy(self) -> bool:
        return self.alive and self.listening == self.endpoints_total


@dataclass(frozen=True, slots=True)
class LabStatusReport:
    state: LabState | None
    shards: tuple[ShardStatus, ...] = field(default=())
    ssh: tuple[ResponderStatus, ...] = field(default=())
    faults: LabFaults = field(default_factory=LabFaults)
    """The faults in force (faults.json)."""

    @property
    def recorded(self) -> bool:
        return self.state is not None

    @property
    def shards_alive(self) -> int:
        return sum(s.alive for s in self.shards)

    @property
    def endpoints_bound(self) -> int:
        return sum(s.endpoints_bound for s in self.shards)

    @property
    def endpoints_total(self) -> int:
        return sum(s.endpoints_total for s in self.shards)

    @property
    def all_up(self) -> bool:
        return (
            bool(self.shards)
            and all(s.healthy for s in self.shards)
            and all(r.healthy for r in self.ssh)
        )


def lab_status(data_dir: Path, progress: Progress | None = None) -> LabStatusReport:
    """Per shard: is its responder alive, how many of its endpoints does it hold; and totals."""
    say = progress or _quiet
    state = read_state(data_dir)
    if state is None:
        say("no lab is recorded here")
        return LabStatusReport(state=None)
    shards = []
    for shard in state.shards:
        alive = responder_alive(shard.pid, shard.data_dir)
        bound = udp_endpoints_of(shard.pid) if alive else set()
        wanted = {(IPv4Address(host), port) for host, port in shard.endpoints}
        shards.append(
            ShardStatus(
                index=shard.index,
                pid=shard.pid,
                alive=alive,
                endpoints_bound=len(wanted & bound),
                endpoints_total=len(wanted),
                devices=len(shard.devices),
                log_tail=None if alive else log_tail(shard.work_dir),
            )
        )
    faults = read_faults(state.lab_dir)
    silent = frozenset(faults.silent_devices)
    ssh = tuple(
        _responder_status(kind, responder, silent)
        for kind, group in (("ssh simulator", state.ssh_simulators), ("sshd", state.sshd))
        for responder in group
    )
    report = LabStatusReport(state=state, shards=tuple(shards), ssh=ssh, faults=faults)
    say(
        f"{report.shards_alive}/{len(shards)} shards alive, "
        f"{report.endpoints_bound}/{report.endpoints_total} endpoints bound, "
        f"{sum(r.healthy for r in ssh)}/{len(ssh)} SSH responders healthy"
        + (f", {faults.faults.count} faults in force" if faults.faults.count else "")
    )
    return report


def _responder_status(
    kind: str, responder: ResponderState, silent: frozenset[str]
) -> ResponderStatus:
    alive = ssh_alive(responder.pid, responder.config_path)
    listening = tcp_listening(responder.pid) if alive else set()
    wanted = {
        (IPv4Address(host), port)
        for (host, port), device in zip(responder.endpoints, responder.devices, strict=True)
        if device not in silent
    }
    return ResponderStatus(
        kind=kind,
        index=responder.index,
        pid=responder.pid,
        alive=alive,
        listening=len(wanted & listening),
        endpoints_total=len(wanted),
        log_tail=None if alive else ssh_log_tail(responder.work_dir),
        silenced=len(responder.endpoints) - len(wanted),
    )


def _quiet(_message: str) -> None:
    """Progress nobody asked to see."""
