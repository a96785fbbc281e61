"""``lab status`` and ``lab down`` with SSH responders that died, from lab.json alone."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from lab.control import lab_down, lab_status
from lab.state import LabOptions, LabState, ResponderState, lab_dir_of, write_state


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def recorded_lab_with_ssh(data_dir: Path) -> LabState:
    lab_dir = lab_dir_of(data_dir)
    work_dir = lab_dir / "ssh" / "run" / "simulator-00"
    work_dir.mkdir(parents=True)
    (work_dir / "responder.log").write_text("Traceback…\nOSError: [Errno 98] address in use\n")
    responder = ResponderState(
        index=0,
        pid=dead_pid(),
        config_path=work_dir / "config.json",
        work_dir=work_dir,
        endpoints=(("127.20.0.1", 2222), ("127.20.0.2", 2222)),
        devices=("gd-dc1-core1", "gd-dc2-core1"),
    )
    state = LabState(
        options=LabOptions(data_dir=data_dir),
        started_at=datetime.now(UTC),
        lab_dir=lab_dir,
        inventory_path=lab_dir / "inventory.yaml",
        credentials_path=lab_dir / "credentials.yaml",
        province_path=lab_dir / "province.json",
        shards=(),
        devices=2,
        interfaces=2,
        links=0,
        varbinds=1,
        startup_s=1.0,
        ssh_port=2222,
        ssh_simulators=(responder,),
        linux_ssh_note="not running as root",
    )
    write_state(state)
    return state


def test_a_dead_simulator_is_reported_with_its_log(tmp_path: Path) -> None:
    recorded_lab_with_ssh(tmp_path)
    report = lab_status(tmp_path)
    (simulator,) = report.ssh
    assert (simulator.kind, simulator.alive, simulator.listening) == ("ssh simulator", False, 0)
    assert simulator.endpoints_total == 2
    assert simulator.log_tail is not None
    assert "address in use" in simulator.log_tail
    assert not report.all_up


def test_down_reports_ssh_responders_apart_from_the_shards(tmp_path: Path) -> None:
    state = recorded_lab_with_ssh(tmp_path)
    report = lab_down(tmp_path)
    assert report.stopped_pids == report.already_gone_pids == ()
    assert report.ssh_already_gone_pids == (state.ssh_simulators[0].pid,)
    assert not lab_status(tmp_path).recorded
