"""Rollouts of terminal firmware and parameters, oldest first: what each moves to what, where,
its state, and how far its waves have come."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar

from rich.text import Text

from tui.fleet_models import RolloutInfo
from tui.units import MISSING, format_time
from tui.widgets.fleet_palette import DIM, rollout_state_text
from tui.widgets.keyed_table import Column, KeyedTable, Row

_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")


def scope_text(regions: Sequence[str], names: Mapping[str, str]) -> Text:
    if not regions:
        return Text("whole fleet", DIM)
    return Text(", ".join(names.get(code, code) for code in regions))


def progress_text(rollout: RolloutInfo) -> Text:
    """``2/4 · 10 %``: waves opened of those planned, and the last one's label."""
    planned = len(rollout.planned_waves)
    current = rollout.current_wave
    if current is None:
        return Text(f"0/{planned}", DIM)
    return Text(f"{len(rollout.waves)}/{planned} · {current.label}")


def rollout_cells(rollout: RolloutInfo, names: Mapping[str, str]) -> tuple[Text, ...]:
    return (
        Text(rollout.id, "bold"),
        Text(rollout.component),
        Text(rollout.target_version, "bold"),
        Text(rollout.previous_version or MISSING, "" if rollout.previous_version else DIM),
        rollout_state_text(rollout.state),
        progress_text(rollout),
        scope_text(rollout.regions, names),
        Text(rollout.created_by),
        Text(format_time(rollout.started_at) if rollout.started_at else "not started", DIM),
    )


class RolloutTable(KeyedTable):
    """One row per rollout, keyed by its id."""

    DEFAULT_CSS = KeyedTable.DEFAULT_CSS + _CSS

    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("id", "ROLLOUT", 14),
        Column("component", "WHAT", 9),
        Column("target", "TARGET", 12),
        Column("previous", "FROM", 12),
        Column("state", "STATE", 11),
        Column("progress", "WAVES", 16),
        Column("scope", "SCOPE", 20),
        Column("created_by", "BY", 12),
        Column("started", "STARTED", 23),
    )

    def show(self, rollouts: Sequence[RolloutInfo], names: Mapping[str, str]) -> None:
        self.set_rows([Row(r.id, rollout_cells(r, names)) for r in rollouts])
