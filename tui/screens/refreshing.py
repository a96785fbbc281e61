"""A screen that keeps itself current: the behaviour the province and device screens share."""

from __future__ import annotations

from textual.screen import Screen
from textual.worker import Worker

from tui.client import NocApiClient
from tui.screens.reporting import ApiProblemReporter


class RefreshingScreen(Screen[None]):
    """Reloads every ``refresh_interval_s`` while it is shown, and at once when shown again.

    Subclasses implement :meth:`action_refresh` (start their loading workers) and call
    :meth:`start_refreshing` from ``on_mount``.
    """

    def __init__(self, client: NocApiClient, refresh_interval_s: float) -> None:
        super().__init__()
        self._client = client
        self._refresh_interval_s = refresh_interval_s
        self._started = False
        self._problems = ApiProblemReporter(self)

    def start_refreshing(self) -> None:
        self.set_interval(self._refresh_interval_s, self._tick)
        self.action_refresh()

    def action_refresh(self) -> None:
        raise NotImplementedError

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self._problems.worker_changed(event)

    def _tick(self) -> None:
        # A screen under another (the province under a device) need not load what nobody sees;
        # it catches up the moment it is shown again.
        if self.is_current:
            self.action_refresh()

    def on_screen_resume(self) -> None:
        if self._started:
            self.action_refresh()
        self._started = True
