"""What one poll of one device produced, in the terms of the domain (no SNMP types here).

Collectors build :class:`DevicePollRecord`; the state DB and the metric store consume it. A failed
poll is a record too (``reachable=False`` with the reason), never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from core.model import DeviceIdentity


@dataclass(frozen=True, slots=True)
class InterfaceReading:
    """An interface's state and its rates over the last interval (``None`` on the first poll).

    A plain dataclass, not a pydantic model: the poller builds one per interface per poll, and
    everything in it has already been checked where it was read.
    """

    if_index: int
    name: str | None = None
    descr: str | None = None
    alias: str | None = None
    if_type: str | None = None
    speed_bps: int | None = None
    admin_status: str | None = None
    oper_status: str | None = None
    in_bps: float | None = None
    out_bps: float | None = None
    in_errors_per_s: float | None = None
    out_errors_per_s: float | None = None


class DevicePollRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    device_id: str
    at: datetime
    reachable: bool
    error: str | None = Field(default=None, description="Why the poll failed, for people")
    identity: DeviceIdentity | None = None
    uptime_s: float | None = None
    cpu_percent: float | None = None
    memory_percent: float | None = None
    interfaces: tuple[InterfaceReading, ...] | None = Field(
        default=None, description="None when interfaces were not read this time"
    )
    duration_s: float | None = None
