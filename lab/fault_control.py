"""``ssnoc lab fail | recover | faults``: inject faults into the running lab, and take them back.

A fault changes only what the agents answer, so the NOC sees it through its real collectors:

- ``fail link A B`` — both ends' ifOperStatus down (admin up), ifLastChange moved, their counters
  standing still; the traffic moved to the backup path; the LLDP rows over the link gone;
- ``fail device D`` — D answers nothing (SNMP times out, SSH refuses), its neighbours' ports to it
  go down as for a failed link;
- and any device left with no path from a data-centre core falls silent too (:mod:`lab.faults`).

``recover`` undoes a fault, or all of them: ports up again (ifLastChange moved), counters carrying
on from where they stood, LLDP back. The change is applied to the running processes in place —
the affected agents' data files rewritten (:mod:`lab.fault_shards`), the SSH responders told and
waited for (:mod:`lab.ssh.fault_notify`) — and recorded in faults.json (:mod:`lab.fault_store`).
A command returns once the agents answer the new way. Devices are named by id or hostname.
"""

from __future__ import annotations

import contextlib
import difflib
import fcntl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from core.clock import Clock, SystemClock
from core.errors import LabError
from core.model import Link
from lab.fault_shards import agents_to_rewrite, rewrite_agents
from lab.fault_store import LabFaults, read_faults, write_faults
from lab.faults import Faults, apply_faults, fault_effect, neighbours_of
from lab.files import read_province
from lab.model import LabDevice, Province
from lab.snmpsim_runner import responder_alive
from lab.ssh.fault_notify import notify_ssh
from lab.state import LabState, read_state

SETTLE_S = 0.5
"""How long after the files are written a slowing counter switches (:mod:`lab.fault_agents`)."""
_LOCK_FILE = "faults.lock"


@dataclass(frozen=True, slots=True)
class FaultChange:
    """What one ``fail`` or ``recover`` did."""

    message: str
    """E.g. ``link gz-core1 ↔ gz-liwan-acc1 (primary, city_county) down``."""
    newly_silent: tuple[str, ...]
    """Devices that stopped answering, besides one that failed."""
    answering_again: tuple[str, ...]
    agents_rewritten: tuple[str, ...]
    faults: LabFaults
    """faults.json after the change."""
    elapsed_s: float

    def describe(self) -> str:
        """The change in a line or two, for people."""
        parts = [self.message]
        if not self.agents_rewritten and not self.faults.faults.count:
            return self.message
        if self.newly_silent:
            behind = ", ".join(self.newly_silent)
            parts.append(f"{len(self.newly_silent)} devices behind it silent: {behind}")
        elif not self.answering_again:
            parts.append("0 devices silent")
        if self.answering_again:
            again = ", ".join(self.answering_again)
            parts.append(f"{len(self.answering_again)} devices answer again: {again}")
        return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class _Lab:
    state: LabState
    province: Province
    recorded: LabFaults

    @property
    def faults(self) -> Faults:
        return self.recorded.faults


Mutation = Callable[[_Lab, datetime], tuple[Faults, str]]


def fail_link(data_dir: Path, a: str, b: str, clock: Clock | None = None) -> FaultChange:
    """Fail the link between devices ``a`` and ``b`` (ids or hostnames)."""

    def mutate(lab: _Lab, now: datetime) -> tuple[Faults, str]:
        link = _link_between(lab.province, a, b)
        if link.id in lab.faults.link_ids:
            raise LabError(f"{_describe_link(link)} has already failed")
        return lab.faults.with_link(link.id, now), f"{_describe_link(link)} down"

    return _change(data_dir, mutate, clock or SystemClock())


def recover_link(data_dir: Path, a: str, b: str, clock: Clock | None = None) -> FaultChange:
    """Bring back the link between ``a`` and ``b``."""

    def mutate(lab: _Lab, now: datetime) -> tuple[Faults, str]:
        link = _link_between(lab.province, a, b)
        if link.id not in lab.faults.link_ids:
            failed_ends = [e.device for e in (link.a, link.b) if e.device in lab.faults.device_ids]
            why = f": it is down because {' and '.join(failed_ends)} failed" if failed_ends else ""
            raise LabError(f"{_describe_link(link)} has not failed{why}")
        return lab.faults.without_link(link.id), f"{_describe_link(link)} up"

    return _change(data_dir, mutate, clock or SystemClock())


def fail_device(data_dir: Path, device: str, clock: Clock | None = None) -> FaultChange:
    """Fail ``device`` (id or hostname): it answers nothing, its links go down."""

    def mutate(lab: _Lab, now: datetime) -> tuple[Faults, str]:
        found = _device(lab.province, device)
        if found.id in lab.faults.device_ids:
            raise LabError(f"device {found.id} has already failed")
        return lab.faults.with_device(found.id, now), f"device {found.id} failed"

    return _change(data_dir, mutate, clock or SystemClock())


def recover_device(data_dir: Path, device: str, clock: Clock | None = None) -> FaultChange:
    """Bring ``device`` back."""

    def mutate(lab: _Lab, now: datetime) -> tuple[Faults, str]:
        found = _device(lab.province, device)
        if found.id not in lab.faults.device_ids:
            why = ""
            if found.id in lab.recorded.silent_devices:
                why = ": it is silent because the faults in force cut it off from the cores"
            raise LabError(f"device {found.id} has not failed{why}")
        return lab.faults.without_device(found.id), f"device {found.id} recovered"

    return _change(data_dir, mutate, clock or SystemClock())


def recover_all(data_dir: Path, clock: Clock | None = None) -> FaultChange:
    """Take back every fault (nothing to do is not an error)."""

    def mutate(lab: _Lab, now: datetime) -> tuple[Faults, str]:
        count = lab.faults.count
        return Faults(), f"recovered {count} faults" if count else "no faults to recover"

    return _change(data_dir, mutate, clock or SystemClock())


def lab_faults(data_dir: Path) -> LabFaults:
    """The faults in force in the running lab."""
    state = _running_state(data_dir)
    return read_faults(state.lab_dir)


def _change(data_dir: Path, mutate: Mutation, clock: Clock) -> FaultChange:
    began = time.monotonic()
    state = _running_state(data_dir)
    with _locked(state.lab_dir):
        lab = _open(state)
        faults, message = mutate(lab, clock.now())
        if faults == lab.faults:
            return FaultChange(message, (), (), (), lab.recorded, _since(began))
        province = lab.province
        before, after = fault_effect(province, lab.faults), fault_effect(province, faults)
        faulted_before = apply_faults(province, lab.faults)
        faulted_after = apply_faults(province, faults)
        changed = agents_to_rewrite(
            faulted_before, faulted_after, before.silent_devices, after.silent_devices
        )
        settled_at = rewrite_agents(state, faulted_after, changed, after.silent_devices, SETTLE_S)
        recorded = LabFaults(
            generation=lab.recorded.generation + 1,
            faults=faults,
            down_links=tuple(sorted(after.down_links)),
            silent_devices=tuple(sorted(after.silent_devices)),
            updated_at=clock.now(),
        )
        write_faults(state.lab_dir, recorded)
        notify_ssh(state, recorded.generation, after.silent_devices)
        # Return once the agents answer the new way (a slowing counter switches at settled_at).
        time.sleep(max(0.0, settled_at - time.time()))
    order = [d.id for d in province.devices]
    return FaultChange(
        message=message,
        newly_silent=tuple(
            d for d in order if d in after.unreachable_devices - before.silent_devices
        ),
        answering_again=tuple(
            d for d in order if d in before.silent_devices - after.silent_devices
        ),
        agents_rewritten=tuple(changed),
        faults=recorded,
        elapsed_s=_since(began),
    )


def _since(began: float) -> float:
    return round(time.monotonic() - began, 3)


def _running_state(data_dir: Path) -> LabState:
    state = read_state(data_dir)
    if state is None:
        raise LabError(f"no lab is running in {data_dir}: start one with `ssnoc lab up`")
    return state


def _open(state: LabState) -> _Lab:
    if state.counter_epoch is None:
        raise LabError(
            "this lab was started by an earlier ssnoc that cannot change a running agent: "
            "start it again with `ssnoc lab up`"
        )
    if not any(responder_alive(shard.pid, shard.data_dir) for shard in state.shards):
        raise LabError(
            "the lab's agents are not running (see `ssnoc lab status`); `ssnoc lab up` starts them"
        )
    return _Lab(state, read_province(state.province_path), read_faults(state.lab_dir))


@contextlib.contextmanager
def _locked(lab_dir: Path) -> Iterator[None]:
    """One change at a time: two commands racing would each rewrite from the same old state."""
    with (lab_dir / _LOCK_FILE).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _device(province: Province, name: str) -> LabDevice:
    """The device ``name`` names: its id, or its hostname (any case)."""
    wanted = name.strip().lower()
    for device in province.devices:
        if device.id.lower() == wanted or device.name.lower() == wanted:
            return device
    known = [d.id for d in province.devices]
    close = difflib.get_close_matches(wanted, known, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else f"; devices: {', '.join(known[:8])}…"
    raise LabError(f"no device {name!r} in this lab{hint}")


def _link_between(province: Province, a: str, b: str) -> Link:
    first, second = _device(province, a), _device(province, b)
    if first.id == second.id:
        raise LabError(f"a link joins two devices: {a!r} and {b!r} are both {first.id}")
    links = [
        link for link in province.links if {link.a.device, link.b.device} == {first.id, second.id}
    ]
    if not links:
        peers = ", ".join(neighbours_of(province, first.id)) or "none"
        raise LabError(
            f"no link between {first.id} and {second.id}; {first.id}'s neighbours: {peers}"
        )
    if len(links) > 1:
        ids = ", ".join(link.id for link in links)
        raise LabError(f"{first.id} and {second.id} are joined by several links: {ids}")
    return links[0]


def _describe_link(link: Link) -> str:
    return f"link {link.a.device} ↔ {link.b.device} ({link.role}, {link.tier})"
