"""What an SSH simulator process serves: device specs, written as JSON by ``lab up``.

A :class:`SshDeviceSpec` is one device on one address: its platform, hostname, logins, where its
outputs come from (the lab's state — a device of province.json or given whole — or a directory of
recordings, or both: recordings win), its host key file, and how it misbehaves for tests.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from core.model import Platform
from lab.model import LabDevice


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SshLogin(_Frozen):
    username: str
    password: str
    privilege: int = Field(default=15, ge=0, le=15)


class SshBehaviour(_Frozen):
    """Slow or hanging answers, for tests of timeouts."""

    command_delay_s: float = Field(default=0.0, ge=0, description="Before every answer")
    hanging_commands: tuple[str, ...] = Field(
        default=(), description="Commands (full spelling or as typed) that never answer"
    )


class SshDeviceSpec(_Frozen):
    platform: Platform
    host: str
    port: int = Field(ge=1, le=65535)
    hostname: str
    logins: tuple[SshLogin, ...] = Field(
        default=(), description="Besides the device's own local accounts"
    )
    enable_secret: str | None = None
    device_id: str | None = Field(default=None, description="A device of the config's province")
    device: LabDevice | None = Field(default=None, description="A device given whole")
    outputs_dir: Path | None = None
    host_key_path: Path
    behaviour: SshBehaviour = SshBehaviour()


class SimulatorConfig(_Frozen):
    """One simulator process: its devices, and the province file their ``device_id`` refer to."""

    province_path: Path | None = None
    devices: tuple[SshDeviceSpec, ...]
    faults_path: Path | None = Field(
        default=None, description="The lab's faults.json, read at start and on SIGUSR1"
    )
    faults_ack_path: Path | None = Field(
        default=None, description="Where the process writes the faults generation it now shows"
    )
