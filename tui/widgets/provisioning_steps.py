"""The provisioning station's steps as they happen: each pending (·), under way (…), done (✓)
with what it found, or failed (✗) with why — so the technician sees where a run stands and
where it stopped."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from card_fleet.provisioning import ProvisioningStep

STEP_LABELS: dict[str, str] = {
    ProvisioningStep.TERMINAL: "terminal is registered",
    ProvisioningStep.READERS: "readers chosen",
    ProvisioningStep.PSAM: "PSAM read",
    ProvisioningStep.PSAM_BINDING: "PSAM bound nowhere else",
    ProvisioningStep.ACCEPTANCE: "acceptance test (test card)",
    ProvisioningStep.BIND: "bound, credential issued",
}
"""Every step, in the station's order."""


class StepState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


_MARKS = {
    StepState.PENDING: ("·", "bright_black"),
    StepState.RUNNING: ("…", "bold cyan"),
    StepState.DONE: ("✓", "green"),
    StepState.FAILED: ("✗", "bold red"),
}


@dataclass
class _Line:
    state: StepState = StepState.PENDING
    detail: str = ""


class ProvisioningSteps(Static):
    DEFAULT_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self._lines = {step: _Line() for step in STEP_LABELS}
        self._heard: set[str] = set()

    def on_mount(self) -> None:
        self._draw()

    def state_of(self, step: str) -> StepState:
        return self._lines[step].state

    def detail_of(self, step: str) -> str:
        return self._lines[step].detail

    def reset(self) -> None:
        """A new run: every step pending, the first under way."""
        self._lines = {step: _Line() for step in STEP_LABELS}
        self._heard = set()
        self._lines[ProvisioningStep.TERMINAL].state = StepState.RUNNING
        self._draw()

    def reported(self, step: str, detail: str) -> None:
        """The station reported ``step``: done (and the next under way). The acceptance test
        reports twice — first that it waits for the test card, then what it read."""
        if step not in self._lines:
            return
        waiting = step == ProvisioningStep.ACCEPTANCE and step not in self._heard
        self._heard.add(step)
        steps = list(self._lines)
        for earlier in steps[: steps.index(step)]:
            self._lines[earlier].state = StepState.DONE
        line = self._lines[step]
        line.detail = detail
        line.state = StepState.RUNNING if waiting else StepState.DONE
        following = steps[steps.index(step) + 1 :]
        if not waiting and following:
            self._lines[following[0]].state = StepState.RUNNING
        self._draw()

    def failed(self, why: str) -> None:
        """The step under way failed with ``why``; those after it never ran."""
        for line in self._lines.values():
            if line.state is StepState.RUNNING:
                line.state = StepState.FAILED
                line.detail = why
                break
        self._draw()

    def _draw(self) -> None:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(no_wrap=True, min_width=28)
        grid.add_column()
        for step, label in STEP_LABELS.items():
            line = self._lines[step]
            mark, style = _MARKS[line.state]
            pending = line.state is StepState.PENDING
            grid.add_row(
                Text(mark, style),
                Text(label, "bright_black" if pending else "bold"),
                Text(line.detail, "red" if line.state is StepState.FAILED else ""),
            )
        self.update(grid)
