"""A device's interfaces with live rates: admin/oper state coloured, utilisation flagged."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from rich.text import Text

from core.state.views import InterfaceView
from tui.palette import port_state_text, utilisation_text
from tui.units import MISSING, format_rate, format_speed
from tui.widgets.keyed_table import Column, KeyedTable, Row

_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")


def _right(text: str) -> Text:
    return Text(text, justify="right")


def interface_row(interface: InterfaceView) -> Row:
    shut = interface.admin_status == "down"
    return Row(
        key=str(interface.if_index),
        cells=(
            _right(str(interface.if_index)),
            interface.name or interface.descr or MISSING,
            interface.alias or "",
            port_state_text(interface.admin_status, muted=shut),
            port_state_text(interface.oper_status, muted=shut),
            _right(format_speed(interface.speed_bps)),
            _right(format_rate(interface.in_bps)),
            _right(format_rate(interface.out_bps)),
            utilisation_text(interface.utilisation_percent),
            interface.link or "",
        ),
    )


class InterfaceTable(KeyedTable):
    DEFAULT_CSS = KeyedTable.DEFAULT_CSS + _CSS

    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("if_index", "IF"),
        Column("name", "NAME"),
        Column("alias", "ALIAS"),
        Column("admin", "ADMIN"),
        Column("oper", "OPER"),
        Column("speed", "SPEED"),
        Column("in", "IN"),
        Column("out", "OUT"),
        Column("util", "UTIL"),
        Column("link", "LINK"),
    )

    def show(self, interfaces: Sequence[InterfaceView]) -> None:
        self.set_rows([interface_row(i) for i in interfaces])
