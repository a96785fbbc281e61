"""Who a device is and how it is: identity, uptime, load, last poll and last error."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from core.state.views import DeviceDetail
from tui.palette import STATUS_MARK, STATUS_STYLE
from tui.units import MISSING, format_age, format_duration, format_percent, format_time

_KEY = "bright_black"


def _pair(key: str, value: str | Text) -> Text:
    return Text.assemble((f"{key} ", _KEY), value)


def device_summary(device: DeviceDetail, now: datetime | None) -> RenderableType:
    ident = device.identity
    title = Text.assemble(
        (f"{STATUS_MARK} {device.name}", STATUS_STYLE[device.status]),
        "  ",
        (device.id, "bold"),
        "  ",
        (device.status.value, STATUS_STYLE[device.status]),
        "   ",
        (f"{device.region_name} {device.region}", ""),
        (f" · {device.site} · {device.role.value} · {device.platform.value} · ", _KEY),
        device.address,
    )
    grid = Table.grid(padding=(0, 3), expand=False)
    for _ in range(3):
        grid.add_column(no_wrap=True)
    grid.add_row(
        _pair("vendor", ident.vendor or MISSING),
        _pair("os", " ".join(v for v in (ident.os, ident.version) if v) or MISSING),
        _pair("hardware", ident.hardware or MISSING),
    )
    grid.add_row(
        _pair("serial", ident.serial or MISSING),
        _pair("uptime", format_duration(device.uptime_s)),
        _pair(
            "cpu / memory",
            f"{format_percent(device.cpu_percent)} / {format_percent(device.memory_percent)}",
        ),
    )
    failures = device.consecutive_failures
    grid.add_row(
        _pair(
            "last poll",
            f"{format_time(device.last_poll_at)} ({format_age(device.last_poll_at, now)})",
        ),
        _pair("last success", format_age(device.last_success_at, now)),
        _pair(
            "failures",
            Text(str(failures), style="red bold" if failures else ""),
        ),
    )
    lines: list[RenderableType] = [title, grid]
    # Why a device is degraded: an enabled interface at the end of an inventory link is not up.
    broken = [
        f"{i.name or i.if_index} ({i.link})"
        for i in device.interfaces
        if i.link and i.admin_status != "down" and i.oper_status not in ("up", None)
    ]
    if broken:
        lines.append(Text.assemble(("linked and down ", _KEY), (", ".join(broken), "yellow")))
    if device.last_error:
        lines.append(Text.assemble(("last error ", _KEY), (device.last_error, "red")))
    table = Table.grid()
    for line in lines:
        table.add_row(line)
    return table


class DeviceHeader(Static):
    DEFAULT_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")

    def show(self, device: DeviceDetail, now: datetime | None) -> None:
        self.update(device_summary(device, now))
