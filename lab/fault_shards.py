"""Rewriting the data files of a running lab's agents when its faults change.

Only the agents the change touches are rewritten — those whose device looks different under the
new faults, and those falling silent or answering again — each in its own shard's data directory,
where its snmpsim process picks the new file up at the next request (:mod:`lab.fault_agents`
splices it so counters carry on). No process restarts.

A silent agent's file is the silent one; what it would answer is kept beside the shard, in
``silenced/``, and goes on being updated by later changes, so that when it answers again its
counters have carried on as if it had never stopped (it was alive, only unreachable).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from lab.fault_agents import (
    SILENT_FILE,
    is_silent,
    parse_records,
    replace_data_file,
    splice,
)
from lab.model import LabDevice, Province
from lab.snmprec import Record, render
from lab.snmprec_writer import data_file_name, device_records
from lab.state import LabState, ShardState

SILENCED_DIR = "silenced"


@dataclass(frozen=True, slots=True)
class _Rewrite:
    device: LabDevice
    served: Path
    shadow: Path
    old: list[Record]
    new: list[Record]
    silent: bool


def agents_to_rewrite(
    before: Province,
    after: Province,
    silent_before: frozenset[str],
    silent_after: frozenset[str],
) -> list[str]:
    """Ids of the devices whose agents must change, in province order."""
    previous = before.device_by_id()
    return [
        device.id
        for device in after.devices
        if device != previous[device.id]
        or (device.id in silent_before) != (device.id in silent_after)
    ]


def rewrite_agents(
    state: LabState,
    after: Province,
    device_ids: list[str],
    silent_after: frozenset[str],
    settle_s: float,
) -> float:
    """Rewrite ``device_ids``' data files for the province ``after``; returns the wall-clock time
    by which every change has taken effect (see :func:`lab.fault_agents.splice`)."""
    assert state.counter_epoch is not None, "a lab started with a counter epoch"
    shards = {device: shard for shard in state.shards for device in shard.devices}
    devices = after.device_by_id()
    # Everything slow first: the switch time is taken just before the files are written.
    rewrites = [
        _prepare(devices[d], after, shards[d], d in silent_after) for d in device_ids if d in shards
    ]
    now_s = time.time()
    for rewrite in rewrites:
        records = splice(
            rewrite.old,
            rewrite.new,
            now_s=now_s,
            epoch_s=state.counter_epoch,
            settle_s=settle_s,
        )
        text = render(records)
        if rewrite.silent:
            _write_shadow(rewrite.shadow, text)
            if not is_silent(_read(rewrite.served)):
                replace_data_file(rewrite.served, SILENT_FILE)
        else:
            replace_data_file(rewrite.served, text)
            rewrite.shadow.unlink(missing_ok=True)
    return now_s + settle_s


def _prepare(device: LabDevice, province: Province, shard: ShardState, silent: bool) -> _Rewrite:
    served = shard.data_dir / data_file_name(device)
    shadow = shard.work_dir / SILENCED_DIR / data_file_name(device)
    current = _read(shadow) if shadow.exists() else _read(served)
    # A silent file with no record of what the agent would answer (it should not happen): the
    # agent starts afresh from its generated records.
    old = [] if is_silent(current) else parse_records(current)
    return _Rewrite(device, served, shadow, old, device_records(device, province), silent)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="latin-1")
    except FileNotFoundError:
        return ""


def _write_shadow(path: Path, text: str) -> None:
    path.parent.mkdir(mode=0o700, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="latin-1")
    os.replace(partial, path)
