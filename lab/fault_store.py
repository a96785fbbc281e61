"""``<data_dir>/lab/faults.json``: the faults in force in a running lab, for every process.

``ssnoc lab fail|recover`` write it; ``lab status`` and ``lab faults`` read it; ``lab down`` clears
it (a stopped lab has no faults) and so does ``lab up`` (a new lab starts healthy); the SSH
simulators read it when told to (SIGUSR1) and acknowledge its ``generation``. Besides the faults
themselves it records their effect — the links down and the devices silent — so a reader needs
no province to know which agents should answer.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import LabError
from lab.faults import Faults

FAULTS_FILE = "faults.json"


class LabFaults(BaseModel):
    """The content of faults.json."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    generation: int = Field(
        default=0, ge=0, description="Counts the changes; the SSH simulators acknowledge it"
    )
    faults: Faults = Field(default_factory=Faults)
    down_links: tuple[str, ...] = Field(
        default=(), description="Failed links and the links of failed devices"
    )
    silent_devices: tuple[str, ...] = Field(
        default=(), description="Failed devices and those cut off from the cores"
    )
    updated_at: datetime | None = None


def faults_path(lab_dir: Path) -> Path:
    return lab_dir / FAULTS_FILE


def read_faults(lab_dir: Path) -> LabFaults:
    """The faults in force in the lab at ``lab_dir``; none when it has no faults.json."""
    return read_faults_file(faults_path(lab_dir))


def read_faults_file(path: Path) -> LabFaults:
    """The faults ``path`` records; none when it is missing."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return LabFaults()
    except OSError as exc:
        raise LabError(f"{path} cannot be read: {exc}") from None
    try:
        return LabFaults.model_validate_json(text)
    except ValidationError as exc:
        raise LabError(
            f"{path} is not a lab faults file ({exc.error_count()} errors); "
            "`ssnoc lab up` starts the lab again without faults"
        ) from None


def write_faults(lab_dir: Path, faults: LabFaults) -> Path:
    """Write faults.json atomically: a simulator reading it never sees half a file."""
    path = faults_path(lab_dir)
    partial = path.with_suffix(".json.partial")
    partial.write_text(faults.model_dump_json(indent=2), encoding="utf-8")
    os.replace(partial, path)
    return path


def remove_faults(lab_dir: Path) -> LabFaults:
    """Forget every fault; returns those that were in force (an unreadable file counts as none)."""
    try:
        previous = read_faults(lab_dir)
    except LabError:
        previous = LabFaults()
    faults_path(lab_dir).unlink(missing_ok=True)
    return previous
