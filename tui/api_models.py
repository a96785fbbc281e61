"""The console's copies of the response bodies the API defines itself (the console does not
import the API). Everything else arrives as the core's read models.

They accept fields they do not know, so a newer server that adds one does not break an older
console; a field they need and do not get is an error (:class:`~tui.client.ApiError`).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from core.state.ssh_views import PinnedHostKey, SshFactsView, StoredAccount, StoredHostUnit


class DeviceAccount(StoredAccount):
    """An account with the API's verdict: may it change its device or host."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    privileged: bool


class DeviceSsh(BaseModel):
    model_config = ConfigDict(frozen=True)

    device_id: str
    facts: SshFactsView | None
    host_units: list[StoredHostUnit]
    host_keys: list[PinnedHostKey]


class BackupResult(BaseModel):
    """What a backup on demand came to; ``error`` is set when the device could not be backed
    up (the request itself succeeded)."""

    model_config = ConfigDict(frozen=True)

    device_id: str
    at: datetime | None = None
    changed: bool = False
    baseline: bool = False
    version_id: int | None = None
    current_version_id: int | None = None
    lines_added: int = 0
    lines_removed: int = 0
    error: str | None = None
