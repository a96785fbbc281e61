"""lab_up/down/status without starting processes: planning, refusals and stale state."""

from __future__ import annotations

import math
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.errors import LabError
from lab.control import lab_down, lab_status, lab_up, plan_shards
from lab.model import Province
from lab.state import LabOptions, LabState, ShardState, lab_dir_of, read_state, write_state


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def recorded_lab(data_dir: Path, pids: list[int]) -> LabState:
    lab_dir = lab_dir_of(data_dir)
    lab_dir.mkdir(parents=True)
    shards = tuple(
        ShardState(
            index=i,
            pid=pid,
            data_dir=lab_dir / "shards" / f"{i:02d}" / "data",
            work_dir=lab_dir / "shards" / f"{i:02d}",
            endpoints=(("127.20.0.1", 1161),),
            devices=("gd-dc1-core1",),
        )
        for i, pid in enumerate(pids)
    )
    for shard in shards:
        shard.work_dir.mkdir(parents=True)
        (shard.work_dir / "snmpsim.log").write_text("Traceback…\nSomeError: it broke\n")
    state = LabState(
        options=LabOptions(data_dir=data_dir),
        started_at=datetime.now(UTC),
        lab_dir=lab_dir,
        inventory_path=lab_dir / "inventory.yaml",
        credentials_path=lab_dir / "credentials.yaml",
        province_path=lab_dir / "province.json",
        shards=shards,
        devices=1,
        interfaces=1,
        links=0,
        varbinds=1,
        startup_s=1.0,
    )
    write_state(state)
    return state


@pytest.mark.parametrize(("per_shard", "cap"), [(25, 16), (10, 16), (10, 4), (1000, 16)])
def test_shards_hold_every_device_once_and_balance_the_work(
    full: Province, per_shard: int, cap: int
) -> None:
    shards = plan_shards(full, per_shard, cap)
    assert len(shards) == min(cap, math.ceil(len(full.devices) / per_shard))
    placed = [device for shard in shards for device in shard]
    assert sorted(placed) == sorted(d.id for d in full.devices)
    sizes = {d.id: len(d.interfaces) for d in full.devices}
    loads = [sum(sizes[d] for d in shard) for shard in shards]
    assert max(loads) - min(loads) <= max(sizes.values())


def test_status_and_down_without_a_lab_say_so(tmp_path: Path) -> None:
    messages: list[str] = []
    status = lab_status(tmp_path, messages.append)
    assert not status.recorded
    assert not status.all_up
    assert status.shards == ()
    report = lab_down(tmp_path, messages.append)
    assert not report.was_recorded
    assert messages == ["no lab is recorded here", "no lab is recorded here: nothing to stop"]


def test_a_lab_whose_processes_died_is_reported_down_then_cleared(tmp_path: Path) -> None:
    pid = dead_pid()
    recorded_lab(tmp_path, [pid])
    status = lab_status(tmp_path)
    assert status.recorded
    assert not status.all_up
    (shard,) = status.shards
    assert not shard.alive
    assert (shard.endpoints_bound, shard.endpoints_total) == (0, 1)
    assert "SomeError: it broke" in str(shard.log_tail)
    report = lab_down(tmp_path)
    assert report.was_recorded
    assert (report.stopped_pids, report.already_gone_pids) == ((), (pid,))
    assert read_state(tmp_path) is None


def test_a_pid_now_held_by_another_program_is_never_signalled(tmp_path: Path) -> None:
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        recorded_lab(tmp_path, [bystander.pid])
        assert not lab_status(tmp_path).shards[0].alive
        assert lab_down(tmp_path).already_gone_pids == (bystander.pid,)
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def test_a_broken_state_file_is_a_clear_error(tmp_path: Path) -> None:
    lab_dir_of(tmp_path).mkdir()
    (lab_dir_of(tmp_path) / "lab.json").write_text("{}")
    with pytest.raises(LabError, match=r"lab\.json is not a lab state file"):
        lab_status(tmp_path)


def test_up_with_a_missing_divisions_file_fails_before_starting_anything(tmp_path: Path) -> None:
    options = LabOptions(data_dir=tmp_path, divisions_path=tmp_path / "none.json", size="small")
    with pytest.raises(LabError, match=r"none\.json not found"):
        lab_up(options)
    assert not lab_dir_of(tmp_path).exists()


def test_up_refuses_an_unknown_size(tmp_path: Path, divisions_path: Path) -> None:
    options = LabOptions(data_dir=tmp_path, divisions_path=divisions_path, size="huge")
    with pytest.raises(
        LabError, match="unknown lab size 'huge'; choose one of small, medium, full"
    ):
        lab_up(options)
