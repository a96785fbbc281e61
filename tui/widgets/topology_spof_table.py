"""A region's single points of failure: what kind, which device or link, and what its failure
would cut off. The finding's own explanation is shown apart, for the row under the cursor."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from rich.text import Text

from tui.topology_models import RedundancyFinding
from tui.widgets.keyed_table import Column, KeyedTable, Row
from tui.widgets.topology_palette import DIM

_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")

KIND_WORDS = {
    "articulation_point": ("cut point", "bold red"),
    "bridge": ("bridge", "red"),
    "shared_path": ("shared path", "yellow"),
    "no_backup_path": ("no backup", "yellow"),
    "unconnected": ("unconnected", "bold red"),
}
"""How each kind of finding reads in a narrow column, and its colour."""


def finding_key(finding: RedundancyFinding) -> str:
    return f"{finding.kind}:{finding.element.kind}:{finding.element.id}"


def finding_row(finding: RedundancyFinding) -> Row:
    words, style = KIND_WORDS.get(finding.kind, (finding.kind, ""))
    affected = len(finding.affected_device_ids)
    return Row(
        key=finding_key(finding),
        cells=(
            Text(words, style=style),
            Text(finding.element.id),
            Text(
                f"{affected} device{'s' if affected != 1 else ''}" if affected else "—",
                style="" if affected else DIM,
            ),
        ),
    )


class SpofTable(KeyedTable):
    DEFAULT_CSS = KeyedTable.DEFAULT_CSS + _CSS

    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("kind", "KIND", 11),
        Column("element", "DEVICE / LINK", 22),
        Column("affected", "AT RISK", 11),
    )

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._findings: dict[str, RedundancyFinding] = {}

    @property
    def selected(self) -> RedundancyFinding | None:
        key = self.cursor_key
        return self._findings.get(key) if key is not None else None

    def show(self, findings: Sequence[RedundancyFinding]) -> None:
        # One row per key: a finding the server repeats (under two regions) is one finding.
        self._findings = {finding_key(f): f for f in findings}
        self.set_rows([finding_row(f) for f in self._findings.values()])
