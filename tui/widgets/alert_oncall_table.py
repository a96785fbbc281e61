"""Who is on call now, per schedule: the team, the region it answers for, the person (an
override in force wins over the rotation), the rotation and the overrides still to come."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar

from rich.text import Text

from tui.alert_models import ScheduleInfo
from tui.units import MISSING
from tui.widgets.alert_palette import DIM
from tui.widgets.keyed_table import Column, KeyedTable, Row

_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")


def _overrides(schedule: ScheduleInfo) -> Text:
    if not schedule.overrides:
        return Text(MISSING, DIM)
    return Text(
        ", ".join(
            f"{o.user} {o.starts_at:%m-%d %H:%M}–{o.ends_at:%m-%d %H:%M}"
            for o in schedule.overrides
        )
    )


def schedule_row(schedule: ScheduleInfo, names: Mapping[str, str]) -> Row:
    rotation = schedule.rotation
    name = names.get(schedule.region)
    who = Text(schedule.on_call, "bold green") if schedule.on_call else Text("nobody", "bold red")
    turns = " → ".join(rotation.users)
    return Row(
        key=schedule.name,
        cells=(
            Text(schedule.name),
            Text(schedule.team),
            Text(f"{name} {schedule.region}" if name else schedule.region),
            who,
            Text(f"{turns}, {rotation.period}" if turns else MISSING, "" if turns else DIM),
            _overrides(schedule),
        ),
    )


class OnCallTable(KeyedTable):
    DEFAULT_CSS = KeyedTable.DEFAULT_CSS + _CSS

    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("schedule", "SCHEDULE", 22),
        Column("team", "TEAM", 12),
        Column("region", "REGION", 16),
        Column("on_call", "ON CALL NOW", 14),
        Column("rotation", "ROTATION", 32),
        Column("overrides", "OVERRIDES", 44),
    )

    def show(self, schedules: Sequence[ScheduleInfo], names: Mapping[str, str]) -> None:
        self.set_rows([schedule_row(s, names) for s in schedules])
