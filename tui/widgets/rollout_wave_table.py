"""A rollout's waves, planned and opened: when each opened, how many terminals it took, and its
gate — soaking until judged, then passed, failed or overridden with its figures in one line
(terminals back on the target, read failures before and after, PSAM failures)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from rich.text import Text

from tui.fleet_models import RolloutInfo, WaveInfo
from tui.units import MISSING, format_time
from tui.widgets.fleet_palette import DIM, outcome_text
from tui.widgets.keyed_table import Column, KeyedTable, Row

_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")


def _where(regions: tuple[str, ...], names: Mapping[str, str]) -> Text:
    if not regions:
        return Text("scope", DIM)
    return Text(", ".join(names.get(code, code) for code in regions))


def _opened(wave: WaveInfo) -> tuple[Text, ...]:
    summary = wave.summary or ""
    style = "red" if wave.passed is False else ""
    return (
        Text(format_time(wave.opened_at)),
        Text(str(wave.members), justify="right"),
        outcome_text(wave.outcome, wave.passed),
        Text(format_time(wave.judged_at) if wave.judged_at else MISSING, DIM),
        Text(summary or MISSING, style if summary else DIM),
    )


_NOT_YET = (
    Text("not yet", DIM),
    Text(MISSING, DIM, justify="right"),
    Text(MISSING, DIM),
    Text(MISSING, DIM),
    Text(MISSING, DIM),
)


class RolloutWaveTable(KeyedTable):
    """One row per planned step (keyed by its number), filled in as the waves open."""

    DEFAULT_CSS = KeyedTable.DEFAULT_CSS + _CSS

    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("wave", "WAVE", 12),
        Column("where", "WHERE", 14),
        Column("opened", "OPENED", 23),
        Column("members", "TERMINALS", 9),
        Column("gate", "GATE", 10),
        Column("judged", "JUDGED", 23),
        Column("figures", "GATE FIGURES"),
    )

    def show(self, rollout: RolloutInfo | None, names: Mapping[str, str]) -> None:
        if rollout is None:
            self.set_rows([])
            return
        opened = {wave.number: wave for wave in rollout.waves}
        rows = []
        for step in rollout.planned_waves:
            wave = opened.get(step.number)
            cells = _opened(wave) if wave is not None else _NOT_YET
            label = Text(step.label, "bold" if wave is not None else DIM)
            rows.append(Row(str(step.number), (label, _where(step.regions, names), *cells)))
        self.set_rows(rows)
