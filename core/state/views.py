"""What the state DB answers with: read models shared by the API and anything else that asks."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from core.model import (
    DeviceIdentity,
    DeviceRole,
    InterfaceObservation,
    LinkRole,
    LinkTier,
    Platform,
    RegionLevel,
    Status,
)


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class StatusCounts(_View):
    up: int = 0
    degraded: int = 0
    down: int = 0
    unknown: int = 0

    @property
    def total(self) -> int:
        return self.up + self.degraded + self.down + self.unknown


class RegionNode(_View):
    """A region with the worst status of every device in it and below it."""

    code: str
    name: str
    level: RegionLevel
    parent: str | None
    status: Status
    devices: StatusCounts = Field(description="Devices in this region and every region below it")
    children: list[RegionNode] = Field(default_factory=list)


class DeviceSummary(_View):
    id: str
    name: str
    region: str
    region_name: str
    site: str
    platform: Platform
    role: DeviceRole
    address: str
    status: Status
    os: str | None = None
    hardware: str | None = None
    uptime_s: float | None = None
    cpu_percent: float | None = None
    memory_percent: float | None = None
    last_poll_at: datetime | None = None
    last_error: str | None = None


class InterfaceView(InterfaceObservation):
    in_bps: float | None = None
    out_bps: float | None = None
    in_errors_per_s: float | None = None
    out_errors_per_s: float | None = None
    utilisation_percent: float | None = Field(
        default=None, description="Higher of in and out rate over speed"
    )
    updated_at: datetime | None = None
    link: str | None = Field(default=None, description="Inventory link this interface ends")


class LinkView(_View):
    id: str
    a_device: str
    a_interface: str
    b_device: str
    b_interface: str
    tier: LinkTier
    role: LinkRole
    capacity_bps: int | None = None


class DeviceDetail(DeviceSummary):
    identity: DeviceIdentity = DeviceIdentity()
    last_success_at: datetime | None = None
    consecutive_failures: int = 0
    poll_duration_s: float | None = None
    interfaces: list[InterfaceView] = Field(default_factory=list)
    links: list[LinkView] = Field(default_factory=list)


class InventorySyncReport(_View):
    regions: int
    sites: int
    devices_added: list[str]
    devices_removed: list[str]
    links: int
