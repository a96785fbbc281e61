"""The devices of a region: one row per device, status coloured, refreshed in place."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType

from core.state.views import DeviceSummary
from tui.palette import status_text
from tui.units import MISSING, format_age, format_duration
from tui.widgets.keyed_table import Column, KeyedTable, Row

_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")


def _cpu(value: float | None) -> Text:
    if value is None:
        return Text(MISSING, style="bright_black", justify="right")
    style = "red bold" if value >= 90 else "yellow" if value >= 70 else ""
    return Text(f"{value:.1f}", style=style, justify="right")


def device_row(device: DeviceSummary, now: datetime | None) -> Row:
    return Row(
        key=device.id,
        cells=(
            device.id,
            device.name,
            device.region_name,
            device.platform.value,
            device.role.value,
            device.address,
            status_text(device.status),
            _cpu(device.cpu_percent),
            Text(format_duration(device.uptime_s), justify="right"),
            Text(format_age(device.last_poll_at, now), justify="right"),
        ),
    )


class DeviceTable(KeyedTable):
    DEFAULT_CSS = KeyedTable.DEFAULT_CSS + _CSS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Open"),
    ]

    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("id", "ID"),
        Column("name", "NAME"),
        Column("region", "REGION"),
        Column("platform", "PLATFORM"),
        Column("role", "ROLE"),
        Column("address", "ADDRESS"),
        Column("status", "STATUS"),
        Column("cpu", "CPU%"),
        Column("uptime", "UPTIME"),
        Column("last_poll", "LAST POLL"),
    )

    def show(self, devices: Sequence[DeviceSummary], now: datetime | None) -> None:
        """``now`` is the server's time, for the age of each last poll."""
        self.set_rows([device_row(d, now) for d in devices])
