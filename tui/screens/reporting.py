"""Trouble shown to the operator: the status line always, a notification when it changes.

A refresh every few seconds must not bury the screen in identical toasts, so a notification is
raised only when the problem is new, and once more when the API is back. A worker that dies of
anything else (a bug) is reported too, and the console keeps running.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.worker import Worker, WorkerState

from tui.client import ApiError, ApiUnavailable
from tui.widgets.status_line import StatusLine


class ApiProblemReporter:
    def __init__(self, screen: Screen[Any]) -> None:
        self._screen = screen
        self._last: str | None = None

    @property
    def failing(self) -> bool:
        return self._last is not None

    def failed(self, error: ApiError) -> None:
        message = str(error)
        self._screen.query_one(StatusLine).fail(message)
        if message != self._last:
            title = "API unavailable" if isinstance(error, ApiUnavailable) else "API error"
            self._screen.notify(message, title=title, severity="error", timeout=8)
        self._last = message

    def worker_changed(self, event: Worker.StateChanged) -> None:
        """Call from the screen's ``on_worker_state_changed`` (the message does not bubble)."""
        error = event.worker.error
        if event.state is WorkerState.ERROR and error is not None:
            self._screen.log.error(f"worker {event.worker.name} failed: {error!r}")
            message = f"{type(error).__name__}: {error}"
            self._screen.query_one(StatusLine).fail(message)
            self._screen.notify(message, title="Console error", severity="error", timeout=8)

    def recovered(self) -> None:
        if self._last is not None:
            self._screen.notify("the API answers again", title="API back", timeout=4)
        self._last = None
