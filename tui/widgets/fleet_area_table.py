"""The fleet's areas side by side — a province's cities or a city's counties — each with its
health at a glance: online share in its health colour, silent terminals, read-failure rate,
outliers, PSAM failures and version drift."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar

from rich.text import Text

from tui.fleet_models import AreaHealthInfo
from tui.units import MISSING
from tui.widgets.fleet_palette import (
    BAD,
    DIM,
    count_text,
    counted,
    failure_rate_text,
    online_text,
)
from tui.widgets.keyed_table import Column, KeyedTable, Row

_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")


def area_name(code: str, names: Mapping[str, str]) -> str:
    """``越秀区 440104`` (the code alone when the name is unknown)."""
    name = names.get(code)
    return f"{name} {code}" if name else code


def versions_text(majority: str | None, drift: int) -> Text:
    """The majority version, with how many terminals run another one."""
    if majority is None:
        return Text(MISSING, style=DIM)
    text = Text(majority)
    if drift:
        text.append(f" +{drift} off", "yellow")
    return text


def area_summary(area: AreaHealthInfo, names: Mapping[str, str]) -> Text:
    """The area's figures on one line, above the table of its parts."""
    line = Text(area_name(area.code, names), "bold")
    states = ", ".join(f"{n} {state}" for state, n in area.terminals_by_state.items() if n)
    line.append(f" · {area.terminals} terminals")
    line.append(f" ({states})" if states else "", DIM)
    line.append(" · online ")
    line.append_text(online_text(area.online_share, area.online, area.active))
    line.append(" · ")
    line.append(f"{area.silent} silent", BAD if area.silent else DIM)
    line.append(" · read failures ")
    line.append_text(failure_rate_text(area.read_failure_rate))
    line.append(" · ")
    line.append(counted(len(area.outliers), "outlier"), "yellow" if area.outliers else DIM)
    line.append(" · ")
    psam = f"PSAM {area.psam_missing} missing, {area.psam_error} in error"
    line.append(psam, BAD if area.psam_failures else DIM)
    return line


def area_cells(area: AreaHealthInfo, names: Mapping[str, str]) -> tuple[Text, ...]:
    return (
        Text(area_name(area.code, names), "bold"),
        Text(str(area.terminals), justify="right"),
        Text(str(area.active), justify="right"),
        online_text(area.online_share, area.online, area.active),
        count_text(area.silent, BAD),
        failure_rate_text(area.read_failure_rate),
        count_text(len(area.outliers)),
        count_text(area.psam_failures, BAD),
        versions_text(area.majority_firmware, area.firmware_drift),
        versions_text(area.majority_parameter, area.parameter_drift),
    )


class FleetAreaTable(KeyedTable):
    """One row per area, keyed by its division code; Enter drills into it."""

    DEFAULT_CSS = KeyedTable.DEFAULT_CSS + _CSS

    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("area", "AREA", 20),
        Column("terminals", "TERMINALS", 9),
        Column("active", "ACTIVE", 6),
        Column("online", "ONLINE", 16),
        Column("silent", "SILENT", 6),
        Column("failures", "READ FAIL", 9),
        Column("outliers", "OUTLIERS", 8),
        Column("psam", "PSAM FAIL", 9),
        Column("firmware", "FIRMWARE", 18),
        Column("parameters", "PARAMETERS", 18),
    )

    def show(self, areas: Sequence[AreaHealthInfo], names: Mapping[str, str]) -> None:
        """Worst online share first (areas without active terminals last), then by code."""
        ordered = sorted(
            areas,
            key=lambda a: (a.online_share is None, a.online_share or 0.0, a.code),
        )
        self.set_rows([Row(area.code, area_cells(area, names)) for area in ordered])
