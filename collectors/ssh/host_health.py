"""Health of a Linux host from its script sections: load, memory, disks, named services.

Turned into metric samples (``host_*`` in core/metrics/names.py) and unit states for the
``host_units`` table. A section that failed or is missing yields nothing rather than a zero, so a
gap in a graph means "not known", never "idle".
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from collectors.ssh.host_script import Section
from core.metrics import names
from core.metrics.store import Sample, SeriesKey
from core.state.ssh_views import HostUnitState, UnitState

_SYSTEMD_WORDS = {
    "active": UnitState.ACTIVE,
    "reloading": UnitState.ACTIVE,
    "inactive": UnitState.INACTIVE,
    "failed": UnitState.FAILED,
    "activating": UnitState.ACTIVATING,
    "deactivating": UnitState.INACTIVE,
}


@dataclass(frozen=True, slots=True)
class Filesystem:
    source: str
    mount: str
    size_kb: int
    used_kb: int
    available_kb: int

    @property
    def used_percent(self) -> float:
        # As df computes "Capacity": of the space a user could have, reserved blocks excluded.
        usable = self.used_kb + self.available_kb
        return 100.0 * self.used_kb / usable if usable else 0.0


@dataclass(frozen=True, slots=True)
class HostHealth:
    load1: float | None = None
    load5: float | None = None
    load15: float | None = None
    memory_total_kb: int | None = None
    memory_available_kb: int | None = None
    uptime_s: float | None = None
    filesystems: tuple[Filesystem, ...] = ()
    units: tuple[HostUnitState, ...] = ()
    unit_manager: str | None = None
    """``systemd`` or ``processes`` (no systemd on the host: process checks instead)."""
    problems: dict[str, str] = field(default_factory=dict)
    """Sections that failed, and how."""

    @property
    def memory_percent(self) -> float | None:
        if not self.memory_total_kb or self.memory_available_kb is None:
            return None
        used = self.memory_total_kb - self.memory_available_kb
        return 100.0 * used / self.memory_total_kb

    def samples(self, device_id: str, at_s: float) -> list[Sample]:
        """The health as metric samples at ``at_s`` (epoch seconds)."""
        device = ("device", device_id)
        out: list[Sample] = []
        if self.load1 is not None:
            out.append(Sample(SeriesKey(names.HOST_LOAD1, (device,)), at_s, self.load1))
        memory = self.memory_percent
        if memory is not None:
            out.append(Sample(SeriesKey(names.HOST_MEMORY_PERCENT, (device,)), at_s, memory))
        for fs in self.filesystems:
            key = SeriesKey.of(
                names.HOST_DISK_USED_PERCENT, {"device": device_id, "mount": fs.mount}
            )
            out.append(Sample(key, at_s, fs.used_percent))
        for unit in self.units:
            key = SeriesKey.of(names.HOST_UNIT_ACTIVE, {"device": device_id, "unit": unit.unit})
            out.append(Sample(key, at_s, 1.0 if unit.healthy else 0.0))
        return out

    def details(self) -> dict[str, Any]:
        """JSON-able summary for the ``ssh_facts`` row."""
        return {
            "load": [self.load1, self.load5, self.load15],
            "memory_total_kb": self.memory_total_kb,
            "memory_percent": self.memory_percent,
            "uptime_s": self.uptime_s,
            "filesystems": [
                {
                    "source": fs.source,
                    "mount": fs.mount,
                    "size_kb": fs.size_kb,
                    "used_kb": fs.used_kb,
                    "available_kb": fs.available_kb,
                    "used_percent": round(fs.used_percent, 2),
                }
                for fs in self.filesystems
            ],
            "unit_manager": self.unit_manager,
        }


def parse_health(sections: Mapping[str, Section]) -> HostHealth:
    problems: dict[str, str] = {}

    def usable(name: str) -> Section | None:
        section = sections.get(name)
        if section is None:
            problems[name] = "missing from the output"
            return None
        if not section.ok:
            problems[name] = f"exit status {section.exit_status}"
            # df prints what it can and exits 1 when one filesystem is unreadable: keep its lines
            return section if name == "df" and section.lines else None
        return section

    load = _loadavg(usable("loadavg"))
    total, available = _meminfo(usable("meminfo"))
    manager, units = parse_units(usable("units"))
    return HostHealth(
        load1=load[0],
        load5=load[1],
        load15=load[2],
        memory_total_kb=total,
        memory_available_kb=available,
        uptime_s=parse_uptime(usable("uptime")),
        filesystems=parse_df(usable("df")),
        units=units,
        unit_manager=manager,
        problems=problems,
    )


def _loadavg(section: Section | None) -> tuple[float | None, float | None, float | None]:
    if section is None or not section.lines:
        return None, None, None
    fields = section.lines[0].split()
    try:
        return float(fields[0]), float(fields[1]), float(fields[2])
    except (IndexError, ValueError):
        return None, None, None


def _meminfo(section: Section | None) -> tuple[int | None, int | None]:
    if section is None:
        return None, None
    values: dict[str, int] = {}
    for line in section.lines:
        key, _, rest = line.partition(":")
        number = rest.split()
        if number and number[0].isdigit():
            values[key.strip()] = int(number[0])
    total = values.get("MemTotal")
    available = values.get("MemAvailable")
    if available is None and "MemFree" in values:  # kernels before 3.14
        available = values["MemFree"] + values.get("Buffers", 0) + values.get("Cached", 0)
    return total, available


def parse_uptime(section: Section | None) -> float | None:
    if section is None or not section.lines:
        return None
    try:
        return float(section.lines[0].split()[0])
    except (IndexError, ValueError):
        return None


def parse_df(section: Section | None) -> tuple[Filesystem, ...]:
    """``df -P -k``: one line per filesystem (POSIX format never wraps); mount points may hold
    spaces, so the columns are read from the left and the rest of the line is the mount."""
    if section is None:
        return ()
    found: dict[str, Filesystem] = {}
    for line in section.lines[1:]:
        parts = line.split(None, 5)
        if len(parts) < 6 or not parts[1].isdigit():
            continue
        source, size, used, available, _capacity, mount = parts
        if not (used.isdigit() and available.isdigit()):
            continue
        # One mount point listed twice (bind mounts, stacked mounts): the last one is visible.
        found[mount] = Filesystem(source, mount, int(size), int(used), int(available))
    return tuple(found.values())


def parse_units(section: Section | None) -> tuple[str | None, tuple[HostUnitState, ...]]:
    if section is None:
        return None, ()
    manager: str | None = None
    units: list[HostUnitState] = []
    for line in section.lines:
        if line.startswith("#@manager "):
            manager = line.split(None, 1)[1].strip()
            continue
        unit, _, answer = line.partition("\t")
        if not unit:
            continue
        answer = answer.strip()
        if manager == "systemd":
            state = _SYSTEMD_WORDS.get(answer, UnitState.UNKNOWN)
            units.append(HostUnitState(unit=unit, state=state, detail=answer or None))
        else:
            pids = [p for p in shlex.split(answer) if p.isdigit()]
            if pids:
                detail = "pid " + " ".join(pids)
                units.append(HostUnitState(unit=unit, state=UnitState.RUNNING, detail=detail))
            else:
                units.append(HostUnitState(unit=unit, state=UnitState.ABSENT, detail=None))
    return manager, tuple(units)
