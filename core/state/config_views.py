"""What the configuration store answers with: versions, diffs, backup status (read models)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.model import Platform


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class StoreOutcome(_View):
    """What storing one collected configuration did."""

    device_id: str
    version_id: int | None = Field(description="The version stored, or None: nothing changed")
    current_version_id: int = Field(description="The device's newest version after this store")
    changed: bool = Field(description="A new version that differs from an earlier one")
    baseline: bool = Field(default=False, description="The device's first version")
    lines_added: int = 0
    lines_removed: int = 0


class ConfigVersionSummary(_View):
    id: int
    device_id: str
    collected_at: datetime
    sha256: str = Field(description="Of the normalised text (volatile lines left out)")
    lines: int
    lines_added: int = Field(description="Against the version before (all lines for the first)")
    lines_removed: int
    changed_by: str | None = Field(default=None, description="Who changed it, as the device says")
    changed_at: datetime | None = Field(default=None, description="When, as the device says")


class ConfigVersion(ConfigVersionSummary):
    text: str = Field(description="Scrubbed of secrets, otherwise as collected")


DiffKind = Literal["hunk", "context", "added", "removed"]


class DiffLine(_View):
    kind: DiffKind
    text: str = Field(description="The line without its +/-/space prefix; the @@ header for hunks")


class ConfigDiff(_View):
    """A unified diff between two versions of one device's configuration."""

    device_id: str
    from_id: int
    to_id: int
    from_collected_at: datetime
    to_collected_at: datetime
    lines: list[DiffLine] = Field(default_factory=list)
    lines_added: int = 0
    lines_removed: int = 0

    def unified(self) -> str:
        """The diff as the text ``diff -u`` prints (headers name the versions)."""
        prefix = {"hunk": "", "context": " ", "added": "+", "removed": "-"}
        out = [
            f"--- version {self.from_id} ({self.from_collected_at.isoformat()})",
            f"+++ version {self.to_id} ({self.to_collected_at.isoformat()})",
        ]
        out.extend(prefix[line.kind] + line.text for line in self.lines)
        return "\n".join(out) + "\n"


class BackupStatusView(_View):
    """The backup record of one device; all times None for a device never tried."""

    device_id: str
    device_name: str | None = None
    platform: Platform | None = None
    region: str | None = None
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    last_error: str | None = None
    last_version_id: int | None = None
    last_changed_at: datetime | None = Field(
        default=None, description="When the newest version was stored (the last real change seen)"
    )

    @property
    def failing(self) -> bool:
        """The last attempt failed (a later success clears it; the failure stays on record)."""
        if self.last_failure_at is None:
            return False
        return self.last_success_at is None or self.last_failure_at > self.last_success_at
