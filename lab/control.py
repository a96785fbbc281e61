"""``ssnoc lab up | down | status``: start, stop and inspect the simulated province.

``lab_up`` builds the province, writes ``<data_dir>/lab/`` (inventory.yaml, credentials.yaml,
province.json, one data directory per shard) and starts the shards: several snmpsim processes,
each serving its own devices, because one process answers only ≈ 35–50 walks a second. It returns
once every agent is bound. Calling it while a lab is up **replaces** that lab: the old processes
are stopped first, so ``up`` is always safe to repeat (a changed seed or size takes effect).

With SSH (the default), every router and switch also answers SSH on its own address through
simulator processes, and the Linux hosts through one real sshd when this runs as root with OpenSSH
installed (:mod:`lab.ssh.lifecycle`); the inventory then gives each an ``ssh`` access and the
credentials file an ``ssh`` section.

``lab_down`` stops every process ``lab.json`` records, even if some already died, and removes it.
``lab_status`` reports, per shard and SSH responder, whether its process is alive and its endpoints
bound.

Faults (``ssnoc lab fail|recover``, :mod:`lab.fault_control`) live in faults.json beside lab.json:
``lab down`` clears them with the lab, and ``lab up`` always starts a healthy one. Every shard
counts its counters from one epoch, recorded in lab.json, so a fault can change a rate while the
counters go on.
"""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from ipaddress import IPv4Address
from pathlib import Path

from core.errors import LabError
from lab.account_policy import write_account_policy
from lab.divisions import default_divisions_path, load_divisions
from lab.fault_store import remove_faults
from lab.files import write_agent_data, write_credentials, write_inventory, write_province
from lab.model import Province
from lab.province import build_province
from lab.smartcard.station import start_card_station, stop_card_station
from lab.snmpsim_runner import (
    SnmpsimProcess,
    bound_udp_endpoints,
    stop_pid,
)
from lab.ssh.lifecycle import SshLaunch, launched_states, plan_ssh, refuse_taken_tcp
from lab.ssh.openssh import sshd_unavailable_reason
from lab.ssh.process import Responder, stop_responder
from lab.state import (
    LabOptions,
    LabState,
    ShardState,
    lab_dir_of,
    read_state,
    remove_state,
    write_state,
)
from lab.status import LabStatusReport, ResponderStatus, ShardStatus, lab_status
from lab.terminals.process import stop_simulator

Progress = Callable[[str], None]

__all__ = [
    "LabDownReport",
    "LabOptions",
    "LabState",
    "LabStatusReport",
    "ResponderStatus",
    "ShardStatus",
    "lab_down",
    "lab_status",
    "lab_up",
    "plan_shards",
]


@dataclass(frozen=True, slots=True)
class LabDownReport:
    was_recorded: bool
    """False when no lab.json was found: nothing to stop."""
    stopped_pids: tuple[int, ...] = ()
    """snmpsim shards stopped."""
    already_gone_pids: tuple[int, ...] = ()
    ssh_stopped_pids: tuple[int, ...] = ()
    """SSH simulators and sshd stopped."""
    ssh_already_gone_pids: tuple[int, ...] = ()
    faults_cleared: int = 0
    """Faults that were in force (they end with the lab)."""


def lab_up(options: LabOptions, progress: Progress | None = None) -> LabState:
    """Build the province, write ``<data_dir>/lab/`` and start every shard; replaces a running lab.

    Returns once every agent's endpoint is bound. Raises :class:`LabError` for a missing or broken
    divisions file, an address already in use, or a responder that fails to start (with the end
    of its log); nothing is left running then.
    """
    say = progress or _quiet
    began = time.monotonic()
    # Absolute paths in lab.json: `lab down` may run from another directory.
    options = options.model_copy(update={"data_dir": options.data_dir.resolve()})
    divisions_path = options.divisions_path or default_divisions_path()
    say(f"reading divisions from {divisions_path}")
    cities = load_divisions(divisions_path)
    ssh_port = options.ssh_port if options.ssh else None
    province = build_province(
        cities, options.size, options.seed, options.network, options.port, ssh_port
    )
    summary = province.summary()
    say(
        f"province ({options.size}, seed {options.seed}): {summary['devices']} devices, "
        f"{summary['interfaces']} interfaces, {summary['links']} links"
    )
    if read_state(options.data_dir) is not None:
        say("a lab is already up here: stopping it first")
        lab_down(options.data_dir, say)
    _refuse_taken_endpoints(province)
    linux_note = sshd_unavailable_reason() if options.ssh else "SSH is off in this lab"
    if options.ssh:
        refuse_taken_tcp([(d.address, options.ssh_port) for d in province.devices])

    lab_dir = lab_dir_of(options.data_dir)
    shutil.rmtree(lab_dir / "shards", ignore_errors=True)
    stale = remove_faults(lab_dir)  # faults of a lab that died without `lab down`
    if stale.faults.count:
        say(f"cleared {stale.faults.count} faults left by an earlier lab")
    # Private: the data files are named after the communities, and province.json lists them.
    lab_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    lab_dir.chmod(0o700)
    province_path = write_province(lab_dir, province)
    ssh = _plan_ssh(lab_dir, province, province_path, options, linux_note is None)
    inventory_path = write_inventory(lab_dir, province, linux_ssh=bool(ssh and ssh.sshd))
    credentials_path = write_credentials(
        lab_dir, province, ssh.lab_key_path if ssh is not None else None
    )
    write_account_policy(lab_dir, province)
    shard_devices = plan_shards(province, options.devices_per_shard, options.max_shards)
    counter_epoch = time.time()
    processes, varbinds = _prepare_shards(lab_dir, province, shard_devices, counter_epoch)
    say(f"wrote {varbinds} varbinds for {len(province.devices)} agents")
    say(f"starting {len(processes)} snmpsim shards")
    shards = _launch(processes, shard_devices)
    ssh_responders = _launch_ssh(ssh, processes)
    if ssh is not None:
        say(
            f"starting {len(ssh.simulators)} SSH simulators and {len(ssh.sshd)} sshd "
            f"on port {options.ssh_port}" + (f" ({linux_note})" if linux_note else "")
        )
    state = LabState(
        options=options,
        started_at=datetime.now(UTC),
        lab_dir=lab_dir,
        inventory_path=inventory_path,
        credentials_path=credentials_path,
        province_path=province_path,
        shards=shards,
        devices=len(province.devices),
        interfaces=province.interface_count(),
        links=len(province.links),
        varbinds=varbinds,
        startup_s=0.0,
        ssh_port=ssh_port,
        ssh_simulators=launched_states(ssh.simulators) if ssh else (),
        sshd=launched_states(ssh.sshd) if ssh else (),
        linux_ssh_note=linux_note,
        lab_key_path=ssh.lab_key_path if ssh else None,
        counter_epoch=counter_epoch,
    )
    # Recorded before waiting, so `lab down` finds the processes even if this call dies now.
    write_state(state)
    _wait_all_ready(processes, options, say, ssh_responders)
    _start_card_station(lab_dir, say)
    state = state.model_copy(update={"startup_s": round(time.monotonic() - began, 3)})
    write_state(state)
    say(f"lab up: {state.devices} agents on {len(shards)} shards in {state.startup_s:.1f} s")
    return state


def _start_card_station(lab_dir: Path, say: Progress) -> None:
    """The virtual card and PSAM behind a private pcscd; the lab goes on without them (with the
    reason said) where pcscd or namespaces are not available."""
    try:
        handle = start_card_station(lab_dir)
    except LabError as exc:
        say(f"no card station (the provisioning station will find no reader): {exc}")
        return
    say(f"card station: {len(handle.readers)} virtual readers, the PSAM in the first")


def lab_down(data_dir: Path, progress: Progress | None = None) -> LabDownReport:
    """Stop every responder lab.json records (those already dead are reported) and remove it.

    A recorded pid is signalled only while it is still that shard's responder, so a pid reused
    by another program after a reboot is left alone.
    """
    say = progress or _quiet
    state = read_state(data_dir)
    if state is None:
        say("no lab is recorded here: nothing to stop")
        return LabDownReport(was_recorded=False)
    stopped: list[int] = []
    gone: list[int] = []
    for shard in state.shards:
        if stop_pid(shard.pid, shard.data_dir):
            stopped.append(shard.pid)
        else:
            gone.append(shard.pid)
    ssh_stopped: list[int] = []
    ssh_gone: list[int] = []
    for responder in (*state.ssh_simulators, *state.sshd):
        if stop_responder(responder.pid, responder.config_path):
            ssh_stopped.append(responder.pid)
        else:
            ssh_gone.append(responder.pid)
    if stop_simulator(state.lab_dir):
        say("stopped the terminal simulator")
    if stop_card_station(state.lab_dir):
        say("stopped the card station")
    remove_state(data_dir)
    cleared = remove_faults(state.lab_dir).faults.count
    say(
        f"lab down: stopped {len(stopped) + len(ssh_stopped)} processes "
        f"({len(gone) + len(ssh_gone)} were already gone)"
        + (f"; {cleared} faults cleared" if cleared else "")
    )
    return LabDownReport(
        True, tuple(stopped), tuple(gone), tuple(ssh_stopped), tuple(ssh_gone), cleared
    )


def plan_shards(province: Province, devices_per_shard: int, max_shards: int) -> list[list[str]]:
    """Device ids per shard: ceil(devices / per-shard) shards, capped; balanced by interfaces.

    Work grows with interfaces (a core has three times a county's), so the largest devices are
    dealt first, each to the lightest shard; each shard then lists its devices in province order.
    """
    count = max(1, min(max_shards, math.ceil(len(province.devices) / devices_per_shard)))
    loads = [0] * count
    members: list[list[int]] = [[] for _ in range(count)]
    order = sorted(
        range(len(province.devices)), key=lambda i: (-len(province.devices[i].interfaces), i)
    )
    for position in order:
        lightest = min(range(count), key=lambda s: (loads[s], len(members[s]), s))
        members[lightest].append(position)
        loads[lightest] += len(province.devices[position].interfaces)
    return [[province.devices[i].id for i in sorted(shard)] for shard in members if shard]


def _prepare_shards(
    lab_dir: Path, province: Province, shard_devices: list[list[str]], counter_epoch: float
) -> tuple[list[SnmpsimProcess], int]:
    """Each shard's data directory, holding only its devices' files; and the varbinds written."""
    processes: list[SnmpsimProcess] = []
    varbinds = 0
    devices = province.device_by_id()
    for index, device_ids in enumerate(shard_devices):
        shard_dir = lab_dir / "shards" / f"{index:02d}"
        varbinds += write_agent_data(shard_dir / "data", province, device_ids)
        endpoints = [(devices[d].address, devices[d].port) for d in device_ids]
        processes.append(
            SnmpsimProcess(shard_dir / "data", endpoints, shard_dir, counter_epoch=counter_epoch)
        )
    return processes, varbinds


def _launch(
    processes: list[SnmpsimProcess], shard_devices: list[list[str]]
) -> tuple[ShardState, ...]:
    """Start every responder (they start up in parallel); all or none."""
    try:
        pids = [process.launch() for process in processes]
    except LabError:
        for process in processes:
            process.stop()
        raise
    return tuple(
        ShardState(
            index=index,
            pid=pid,
            data_dir=process.data_dir,
            work_dir=process.work_dir,
            endpoints=tuple(process.endpoints),
            devices=tuple(shard_devices[index]),
        )
        for index, (process, pid) in enumerate(zip(processes, pids, strict=True))
    )


def _refuse_taken_endpoints(province: Province) -> None:
    taken = bound_udp_endpoints()
    clashes = [d for d in province.devices if (IPv4Address(d.address), d.port) in taken]
    if clashes:
        shown = ", ".join(f"{d.address}:{d.port}" for d in clashes[:5])
        more = f" and {len(clashes) - 5} more" if len(clashes) > 5 else ""
        raise LabError(
            f"address already in use: {shown}{more} (another lab or agent holds it); "
            "stop it, or choose another network or port"
        )


def _plan_ssh(
    lab_dir: Path, province: Province, province_path: Path, options: LabOptions, linux: bool
) -> SshLaunch | None:
    if not options.ssh:
        return None
    return plan_ssh(
        lab_dir,
        province,
        province_path,
        linux,
        options.ssh_devices_per_process,
        options.ssh_max_processes,
        options.ssh_behaviours,
    )


def _launch_ssh(ssh: SshLaunch | None, shards: list[SnmpsimProcess]) -> list[Responder]:
    """Start every SSH responder; all or none (the snmpsim shards too, if one fails)."""
    if ssh is None:
        return []
    responders = ssh.all()
    try:
        for responder in responders:
            responder.launch()
    except LabError:
        for responder in responders:
            responder.stop()
        for shard in shards:
            shard.stop()
        raise
    return responders


def _wait_all_ready(
    processes: list[SnmpsimProcess],
    options: LabOptions,
    say: Progress,
    ssh_responders: list[Responder],
) -> None:
    deadline = time.monotonic() + options.ready_timeout_s

    def give_up(what: str, exc: LabError) -> LabError:
        for other in processes:
            other.stop()
        for responder in ssh_responders:
            responder.stop()
        remove_state(options.data_dir)
        return LabError(f"{what} failed to start: {exc}")

    for index, process in enumerate(processes):
        try:
            process.wait_ready(max(0.1, deadline - time.monotonic()))
        except LabError as exc:
            raise give_up(f"shard {index:02d}", exc) from None
        say(f"shard {index:02d} ready ({len(process.endpoints)} agents)")
    for responder in ssh_responders:
        try:
            responder.wait_ready(max(0.1, deadline - time.monotonic()))
        except LabError as exc:
            raise give_up(responder.what, exc) from None
        say(f"{responder.what} ready ({len(responder.endpoints)} SSH endpoints)")


def _quiet(_message: str) -> None:
    """Progress nobody asked to see."""
