"""What the lab's faults mean for a simulator's devices: who is silent, and how the rest look.

A simulator reads the lab's faults.json when it starts and whenever ``ssnoc lab fail|recover``
sends it SIGUSR1, works out the faults' effect on the province (:func:`lab.faults.apply_faults`)
and acknowledges the file's generation by writing it to its ack file, which the command waits
for. The province is read once: it does not change while a lab runs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from lab.fault_store import read_faults_file
from lab.faults import apply_faults, fault_effect
from lab.files import read_province
from lab.model import LabDevice, Province


@dataclass(frozen=True, slots=True)
class FaultViews:
    generation: int
    """The faults.json generation these views show."""
    views: dict[str, LabDevice]
    """Device id → the device as the faults leave it, for devices the faults change."""
    silent: frozenset[str]
    """Devices that must not answer: failed, or cut off from the cores."""


class FaultReader:
    """Reads faults.json against the lab's province (read once, on first use)."""

    def __init__(self, province_path: Path, faults_path: Path) -> None:
        self._province_path = province_path
        self._faults_path = faults_path
        self._province: Province | None = None

    def read(self) -> FaultViews:
        if self._province is None:
            self._province = read_province(self._province_path)
        province = self._province
        recorded = read_faults_file(self._faults_path)
        faulted = apply_faults(province, recorded.faults)
        original = province.device_by_id()
        views = {d.id: d for d in faulted.devices if d != original[d.id]}
        silent = fault_effect(province, recorded.faults).silent_devices
        return FaultViews(recorded.generation, views, silent)


def acknowledge(ack_path: Path, generation: int) -> None:
    """Record, atomically, the faults generation this simulator now shows."""
    partial = ack_path.with_name(ack_path.name + ".partial")
    partial.write_text(f"{generation}\n", encoding="utf-8")
    os.replace(partial, ack_path)


def acknowledged(ack_path: Path) -> int | None:
    """The generation a simulator last acknowledged; None when it has not yet."""
    try:
        return int(ack_path.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None
