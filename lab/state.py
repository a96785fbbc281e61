"""What ``lab up`` was asked for and what it started, kept in ``<data_dir>/lab/lab.json``.

``lab down`` and ``lab status`` work from this file alone, in another process, possibly long after
``lab up`` returned: it records every responder's pid, data directory and endpoints.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import LabError
from lab.ssh.spec import SshBehaviour

LAB_DIR_NAME = "lab"
STATE_FILE = "lab.json"


class LabOptions(BaseModel):
    """How to build and run the simulated province."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    data_dir: Path = Field(description="The lab writes everything under <data_dir>/lab/")
    size: str = Field(default="full", description="small, medium or full")
    seed: int = Field(default=1, description="Same seed, same province (platforms, traffic, …)")
    network: str = Field(
        default="127.20", description="Loopback prefix for device addresses: 127.20, 127.71.12, …"
    )
    port: int = Field(default=1161, ge=1, le=65535, description="UDP port of every agent")
    divisions_path: Path | None = Field(
        default=None, description="Divisions JSON; default ../shared/data/ beside the repository"
    )
    devices_per_shard: int = Field(
        default=25, ge=1, description="Devices per snmpsim process (one serves ≈ 35–50 walks/s)"
    )
    max_shards: int = Field(default=16, ge=1, description="Upper bound on snmpsim processes")
    ready_timeout_s: float = Field(
        default=120.0, gt=0, description="How long every process may take to bind its endpoints"
    )
    ssh: bool = Field(default=True, description="Routers and switches answer SSH; hosts too")
    ssh_port: int = Field(default=2222, ge=1, le=65535, description="TCP port of every SSH server")
    ssh_devices_per_process: int = Field(
        default=50, ge=1, description="Simulated devices per SSH simulator process"
    )
    ssh_max_processes: int = Field(default=8, ge=1, description="Upper bound on SSH simulators")
    ssh_behaviours: dict[str, SshBehaviour] = Field(
        default_factory=dict, description="Device id → slow or hanging answers, for tests"
    )


class ShardState(BaseModel):
    """One snmpsim process and the devices it serves."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    index: int
    pid: int
    data_dir: Path
    work_dir: Path
    endpoints: tuple[tuple[str, int], ...]
    devices: tuple[str, ...] = Field(description="Device ids, in the same order as endpoints")


class ResponderState(BaseModel):
    """An SSH responder: a simulator process for routers and switches, or an sshd for hosts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    index: int
    pid: int
    config_path: Path = Field(description="Also how its command line is recognised")
    work_dir: Path
    endpoints: tuple[tuple[str, int], ...]
    devices: tuple[str, ...] = Field(description="Device ids, in the same order as endpoints")


class LabState(BaseModel):
    """A running lab, as ``lab up`` left it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    options: LabOptions
    started_at: datetime
    lab_dir: Path
    inventory_path: Path
    credentials_path: Path
    province_path: Path
    shards: tuple[ShardState, ...]
    devices: int
    interfaces: int
    links: int
    varbinds: int
    startup_s: float = Field(description="Wall time from the call to every agent answering")
    ssh_port: int | None = Field(default=None, description="None: the lab runs no SSH")
    ssh_simulators: tuple[ResponderState, ...] = ()
    sshd: tuple[ResponderState, ...] = ()
    linux_ssh_note: str | None = Field(
        default=None, description="Why the Linux hosts have no SSH (not root, no sshd, …)"
    )
    lab_key_path: Path | None = Field(default=None, description="root's key on the Linux hosts")
    counter_epoch: float | None = Field(
        default=None,
        description="Wall-clock time (Unix seconds) every shard's counters count from; "
        "None: a lab started before fault injection, whose agents cannot be changed while running",
    )

    @property
    def endpoint_count(self) -> int:
        return sum(len(shard.endpoints) for shard in self.shards)


def lab_dir_of(data_dir: Path) -> Path:
    return data_dir / LAB_DIR_NAME


def read_state(data_dir: Path) -> LabState | None:
    """The running lab's state, or ``None`` when no lab is recorded under ``data_dir``."""
    path = lab_dir_of(data_dir) / STATE_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LabError(f"{path} cannot be read: {exc}") from None
    try:
        return LabState.model_validate_json(text)
    except ValidationError as exc:
        raise LabError(
            f"{path} is not a lab state file ({exc.error_count()} errors); "
            "stop its snmpsim processes by hand and delete it"
        ) from None


def write_state(state: LabState) -> Path:
    """Write lab.json atomically: a reader never sees half a file."""
    path = state.lab_dir / STATE_FILE
    partial = path.with_suffix(".json.partial")
    partial.write_text(state.model_dump_json(indent=2), encoding="utf-8")
    os.replace(partial, path)
    return path


def remove_state(data_dir: Path) -> bool:
    path = lab_dir_of(data_dir) / STATE_FILE
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
