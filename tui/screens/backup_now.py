"""``b``: back a device up now — ask first, then ask the API, then say what came of it.

Shared by the screens that offer the key (device, config history, the fleet board); each hides
it in read-only mode (``check_action``), and the server refuses it anyway to a principal without
the permission.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.screen import Screen

from tui.api_models import BackupResult
from tui.client import ApiError, NocApiClient
from tui.screens.confirm import ConfirmScreen

ACTION = "backup"
"""The screens' action name for ``b`` (``action_backup``), which read-only mode hides."""


def describe(result: BackupResult) -> tuple[str, str]:
    """(title, message) for the operator."""
    device = result.device_id
    if result.error is not None:
        return "Backup failed", f"{device}: {result.error}"
    if result.baseline:
        return "Backed up", f"{device}: first version #{result.version_id} stored"
    if result.changed:
        return (
            "Configuration changed",
            f"{device}: new version #{result.version_id} "
            f"(+{result.lines_added} −{result.lines_removed})",
        )
    return "Backed up", f"{device}: unchanged since version #{result.current_version_id}"


class BackupNow:
    """One screen's backup action for one device; ``done`` runs after an answer (to reload)."""

    def __init__(
        self,
        screen: Screen[Any],
        client: NocApiClient,
        done: Callable[[], None] | None = None,
    ) -> None:
        self._screen = screen
        self._client = client
        self._done = done
        self.last_result: BackupResult | None = None

    def ask(self, device_id: str) -> None:
        question = ConfirmScreen(
            f"Back up {device_id} now?",
            "The NOC logs into the device over SSH, reads its running configuration and stores "
            "it, secrets scrubbed, if it changed.",
            yes="Back up",
        )
        self._screen.app.push_screen(question, callback=lambda yes: self._answered(device_id, yes))

    def _answered(self, device_id: str, yes: bool | None) -> None:
        if not yes:
            return
        self._screen.notify(f"backing up {device_id}…", title="Backup", timeout=3)
        self._screen.run_worker(
            self._run(device_id), group="backup-now", exclusive=True, exit_on_error=False
        )

    async def _run(self, device_id: str) -> None:
        try:
            result = await self._client.backup_now(device_id)
        except ApiError as exc:
            self._screen.notify(str(exc), title="Backup not done", severity="error", timeout=10)
            return
        self.last_result = result
        title, message = describe(result)
        if result.error is not None:
            self._screen.notify(message, title=title, severity="error", timeout=10)
        else:
            self._screen.notify(message, title=title, timeout=10)
        if self._done is not None:
            self._done()
