"""``i``: what one element's failure costs — a what-if while it works, the cost now when it is
down. The server's explanation first, then what is cut off and what is left on one path: regions
(by name and code), devices, service hosts, business services and card terminals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.client import ApiError, NocApiClient
from tui.topology_models import ElementRef, ImpactReport, ImpactScope
from tui.units import MISSING

_KEY = "bright_black"
_SHOWN = 8
"""Longer lists end with "and N more": the explanation has counted them already."""


def _listed(items: Sequence[str]) -> str:
    if not items:
        return MISSING
    shown = ", ".join(items[:_SHOWN])
    return f"{shown} and {len(items) - _SHOWN} more" if len(items) > _SHOWN else shown


def _regions(codes: Sequence[str], names: Mapping[str, str]) -> str:
    return _listed([f"{names[c]} {c}" if c in names else c for c in codes])


def _scope(
    title: str, scope: ImpactScope, services: Sequence[str], style: str, names: Mapping[str, str]
) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style=_KEY, no_wrap=True, min_width=14)
    grid.add_column()
    grid.add_row(Text(title, style=f"bold {style}"), "")
    if scope.empty and not services:
        grid.add_row("", Text("nothing", style="green"))
        return grid
    grid.add_row("regions", _regions(scope.region_codes, names))
    grid.add_row("devices", _listed(scope.device_ids))
    grid.add_row("service hosts", _listed(scope.service_host_ids))
    grid.add_row("services", Text(_listed(services), style=style if services else ""))
    terminals = Text(str(scope.terminals), style=style if scope.terminals else "")
    by_county = ", ".join(
        f"{names.get(code, code)} {count}"
        for code, count in sorted(scope.terminals_by_county.items())
    )
    if by_county:
        terminals.append(f"  ({by_county})", _KEY)
    grid.add_row("card terminals", terminals)
    return grid


def impact_summary(report: ImpactReport, names: Mapping[str, str]) -> RenderableType:
    """The report as the modal shows it; ``names``: region names by code, where known."""
    element = report.element
    headline = (
        Text(f"{element} is down: what it costs now", style="bold red")
        if report.failed_now
        else Text(f"what if {element} failed?", style="bold")
    )
    return Group(
        headline,
        Text(""),
        Text(report.explanation or MISSING),
        Text(""),
        _scope("cut off", report.cut_off, report.services_unavailable, "red", names),
        Text(""),
        _scope(
            "left on one path", report.loses_redundancy, report.services_degraded, "yellow", names
        ),
    )


class ImpactScreen(ModalScreen[None]):
    """Asks the API for the impact of ``element`` and shows it; Esc (or ``i``) closes."""

    CSS_PATH = "impact.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close"),
        Binding("i", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def __init__(
        self, client: NocApiClient, element: ElementRef, names: Mapping[str, str] | None = None
    ) -> None:
        super().__init__()
        self._client = client
        self.element = element
        self._names = dict(names or {})
        self.report: ImpactReport | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="impact"):
            yield Static(f"asking what {self.element} costs…", id="impact-report")

    def on_mount(self) -> None:
        box = self.query_one("#impact")
        box.border_title = f"impact · {self.element}"
        box.border_subtitle = "escape closes"
        self._load()

    @work(exclusive=True, group="impact", exit_on_error=False)
    async def _load(self) -> None:
        pane = self.query_one("#impact-report", Static)
        try:
            if self.element.kind == "link":
                report = await self._client.link_impact(self.element.id)
            else:
                report = await self._client.device_impact(self.element.id)
        except ApiError as exc:
            message = exc.message
            if exc.not_found:
                message = f"{self.element} is unknown, or outside your regions ({exc.message})"
            pane.update(Text(f"✗ {message}", style="red"))
            return
        self.report = report
        pane.update(impact_summary(report, self._names))
