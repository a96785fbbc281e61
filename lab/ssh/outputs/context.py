"""What a command's output is made from, and the formats the platforms share.

An :class:`OutputContext` is one device at one moment: its state, how long it has been up, the
wall clock, and its running configuration (rendered on demand: most sessions never ask for it).
Counters that grow with time (errors) are rates in the lab's state, multiplied out here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from core.model import Platform
from lab.catalogue import HardwareModel, model_named
from lab.model import LabDevice, LabInterface

_MINUTE, _HOUR, _DAY, _WEEK, _YEAR = 60, 3600, 86_400, 7 * 86_400, 365 * 86_400


@dataclass(frozen=True, slots=True)
class OutputContext:
    device: LabDevice
    uptime_s: int
    now: datetime
    """Local wall-clock time on the device (the province runs on Beijing time)."""
    running_config: Callable[[], str]

    @property
    def model(self) -> HardwareModel:
        return model_named(self.device.platform, self.device.model)


Renderer = Callable[[OutputContext], str]


def _unit(count: int, name: str, plural: str | None = None, zero_singular: bool = True) -> str:
    if count == 1 or (count == 0 and zero_singular):
        return f"{count} {name}"
    return f"{count} {plural or name + 's'}"


def uptime_vrp(seconds: int) -> str:
    """``12 weeks, 3 days, 2 hours, 10 minutes`` (VRP says ``0 week, 1 day``)."""
    weeks, rest = divmod(seconds, _WEEK)
    days, rest = divmod(rest, _DAY)
    hours, rest = divmod(rest, _HOUR)
    return ", ".join(
        (
            _unit(weeks, "week"),
            _unit(days, "day"),
            _unit(hours, "hour"),
            _unit(rest // _MINUTE, "minute"),
        )
    )


def uptime_comware(seconds: int) -> str:
    """``0 weeks, 3 days, 2 hours, 10 minutes``."""
    weeks, rest = divmod(seconds, _WEEK)
    days, rest = divmod(rest, _DAY)
    hours, rest = divmod(rest, _HOUR)
    return f"{weeks} weeks, {days} days, {hours} hours, {rest // _MINUTE} minutes"


def uptime_ios(seconds: int) -> str:
    """``1 year, 31 weeks, 6 days, 9 hours, 55 minutes`` — leading zero units left out."""
    years, rest = divmod(seconds, _YEAR)
    weeks, rest = divmod(rest, _WEEK)
    days, rest = divmod(rest, _DAY)
    hours, rest = divmod(rest, _HOUR)
    parts = [(years, "year"), (weeks, "week"), (days, "day"), (hours, "hour")]
    while parts and parts[0][0] == 0:
        parts.pop(0)
    shown = [_unit(n, name, zero_singular=False) for n, name in parts]
    shown.append(_unit(rest // _MINUTE, "minute", zero_singular=False))
    return ", ".join(shown)


def uptime_zte(seconds: int) -> str:
    """``23 day(s), 10 hour(s), 59 minute(s)``."""
    days, rest = divmod(seconds, _DAY)
    hours, rest = divmod(rest, _HOUR)
    return f"{days} day(s), {hours} hour(s), {rest // _MINUTE} minute(s)"


def mac_dashed(mac: str) -> str:
    """``707b-e8ab-cdef`` (Huawei, H3C, ZTE)."""
    raw = mac.replace(":", "").lower()
    return f"{raw[0:4]}-{raw[4:8]}-{raw[8:12]}"


def mac_dotted(mac: str) -> str:
    """``001b.54ab.cdef`` (Cisco)."""
    raw = mac.replace(":", "").lower()
    return f"{raw[0:4]}.{raw[4:8]}.{raw[8:12]}"


# Short interface names: (long prefix, short prefix) per platform, longest prefixes first.
SHORT_NAMES: dict[Platform, tuple[tuple[str, str], ...]] = {
    Platform.HUAWEI_VRP: (("XGigabitEthernet", "XGE"), ("GigabitEthernet", "GE")),
    Platform.HP_COMWARE: (
        ("Ten-GigabitEthernet", "XGE"),
        ("M-GigabitEthernet", "M-GE"),
        ("GigabitEthernet", "GE"),
        ("Vlan-interface", "Vlan"),
        ("InLoopBack", "InLoop"),
        ("LoopBack", "Loop"),
    ),
    Platform.CISCO_IOS: (
        ("TenGigabitEthernet", "Te"),
        ("GigabitEthernet", "Gi"),
        ("FastEthernet", "Fa"),
        ("Loopback", "Lo"),
        ("Vlan", "Vl"),
    ),
    Platform.ZTE_ZXROS: (),
    Platform.LINUX: (),
}


def short_name(platform: Platform, name: str) -> str:
    for long, short in SHORT_NAMES[platform]:
        if name.startswith(long):
            return short + name[len(long) :]
    return name


def is_physical(interface: LabInterface) -> bool:
    return interface.lldp


def utilisation(bytes_per_s: float, speed_bps: int) -> str:
    """VRP's InUti/OutUti: ``0%``, ``0.38%``, ``13.57%``."""
    if speed_bps <= 0 or bytes_per_s <= 0:
        return "0%"
    percent = min(100.0, bytes_per_s * 8 * 100 / speed_bps)
    return "0%" if percent < 0.005 else f"{percent:.2f}%"


def errors_so_far(interface: LabInterface, uptime_s: int) -> int:
    return int(interface.in_errors_per_s * uptime_s)


def bandwidth(speed_bps: int) -> str:
    """``1G``, ``10G``, ``100G``, ``100M``."""
    if speed_bps >= 1_000_000_000:
        return f"{speed_bps // 1_000_000_000}G"
    return f"{max(1, speed_bps // 1_000_000)}M"


def system_description_lines(
    neighbour_platform: Platform | None, model: str, name: str
) -> list[str]:
    """The neighbour's sysDescr as LLDP carries it, one line per line."""
    if neighbour_platform is None or not model:
        return [""]
    text = model_named(neighbour_platform, model).identity(name)
    return [line for line in re.split(r"\r?\n", text) if line]
