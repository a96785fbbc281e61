"""Waiting for the console to finish what it started, without sleeping."""

from __future__ import annotations

import contextlib
import io
from typing import Any

from rich.console import Console
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import WorkerCancelled

from tui.app import NocConsole


async def settle(pilot: Pilot[None]) -> None:
    """Until no worker runs and no message is pending (a finished load may start another)."""
    app = pilot.app
    assert isinstance(app, NocConsole)
    for _ in range(20):
        await pilot.pause()
        if not any(worker.is_running or worker.state.name == "PENDING" for worker in app.workers):
            await pilot.pause()
            if not any(worker.is_running for worker in app.workers) and not _tables_pending(app):
                return
        # A worker in an exclusive group is cancelled when the next one starts (a refresh
        # overtaking a load): that is not a failure, only a reason to look again.
        with contextlib.suppress(WorkerCancelled):
            await app.workers.wait_for_complete()
    raise AssertionError("the console kept working: workers never settled")


def _tables_pending(app: App[None]) -> bool:
    """A table measures its columns when its screen is idle: until then a snapshot would show
    every column at its header's width (seen under parallel runs)."""
    return any(
        table._updated_cells or table._require_update_dimensions  # no public flag says so
        for table in app.screen.query(DataTable)
    )


def text_of(widget: Static) -> str:
    """What a Static shows, as plain text (its content may be any Rich renderable)."""
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


def current(app: App[None]) -> Screen[Any]:
    """The screen on top now. A call, so mypy does not keep an earlier ``isinstance`` narrowing
    of ``app.screen`` across the keys pressed in between."""
    return app.screen


def showing(app: App[None], screen: Screen[Any]) -> bool:
    """``screen`` is on top (a call, for the same reason as :func:`current`)."""
    return app.screen is screen
