"""Response bodies the API defines itself; inventory and state come as the core's read models
(:mod:`core.state.views`), so the console parses exactly what the repository produced."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from core.metrics.store import Aggregate
from core.state.ssh_views import PinnedHostKey, SshFactsView, StoredAccount, StoredHostUnit
from core.state.views import StatusCounts


class _Schema(BaseModel):
    model_config = ConfigDict(frozen=True)


class ErrorBody(_Schema):
    code: str = Field(description="Stable machine-readable code, e.g. not_found")
    message: str = Field(description="For people: what was wrong, naming the parameter or object")


class ErrorResponse(_Schema):
    """The one shape of every error answer."""

    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [{"error": {"code": "not_found", "message": "no device 'gz-core9'"}}]
        },
    )

    error: ErrorBody


class Liveness(_Schema):
    """The API process is up."""

    status: str
    version: str
    time: datetime


class Health(_Schema):
    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "status": "ok",
                    "version": "0.1.0",
                    "time": "2026-03-01T08:00:00Z",
                    "devices": {"up": 120, "degraded": 2, "down": 1, "unknown": 0},
                }
            ]
        },
    )

    status: str = Field(description="ok when the API can read the state DB")
    version: str
    time: datetime = Field(description="The server's clock, UTC")
    devices: StatusCounts = Field(description="Devices of the whole network by status")


class SeriesInfo(_Schema):
    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "name": "interface_in_bps",
                    "labels": {"device": "gz-core1", "if_index": "3", "if_name": "GE1/0/3"},
                }
            ]
        },
    )

    name: str
    labels: dict[str, str]


class SeriesPoints(SeriesInfo):
    points: list[tuple[float, float]] = Field(
        description="[epoch seconds of the step's start, value], in time order; "
        "steps without data are absent"
    )


class QueryRangeResult(_Schema):
    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "name": "device_cpu_percent",
                    "start": "2026-03-01T08:00:00Z",
                    "end": "2026-03-01T09:00:00Z",
                    "step_s": 60.0,
                    "aggregate": "avg",
                    "series": [
                        {
                            "name": "device_cpu_percent",
                            "labels": {"device": "gz-core1", "region": "440100"},
                            "points": [[1772352000.0, 12.5], [1772352060.0, 13.0]],
                        }
                    ],
                }
            ]
        },
    )

    name: str
    start: datetime
    end: datetime
    step_s: float
    aggregate: Aggregate
    series: list[SeriesPoints]


class BackupNowResult(_Schema):
    """What one on-demand backup came to; also what the ``backup_now`` hook of
    :class:`~api.deps.ApiServices` returns (the composition root builds it from the collector's
    outcome). A failed backup is an answer too (``error`` set), not an HTTP error: the request
    did what was asked, the device did not."""

    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "device_id": "gz-core1",
                    "at": "2026-03-01T08:00:30Z",
                    "changed": True,
                    "baseline": False,
                    "version_id": 7,
                    "current_version_id": 7,
                    "lines_added": 3,
                    "lines_removed": 1,
                    "error": None,
                }
            ]
        },
    )

    device_id: str
    at: datetime | None = Field(default=None, description="When the attempt ended, UTC")
    changed: bool = Field(
        default=False, description="A new version was stored that differs from an earlier one"
    )
    baseline: bool = Field(default=False, description="The device's first version was stored")
    version_id: int | None = Field(
        default=None, description="The version this attempt stored; null when nothing changed"
    )
    current_version_id: int | None = Field(
        default=None, description="The device's newest version after the attempt"
    )
    lines_added: int = 0
    lines_removed: int = 0
    error: str | None = Field(default=None, description="Why the backup failed; null on success")


class AccountView(StoredAccount):
    """A stored account with the audit's verdict on it."""

    privileged: bool = Field(
        description="May change the device or host: privilege 15 / level 3 / network-admin, "
        "uid 0, or named by a sudoers rule"
    )


class DeviceSsh(_Schema):
    """What SSH says about one device or host."""

    device_id: str
    facts: SshFactsView | None = Field(description="The last CLI facts; null if never collected")
    host_units: list[StoredHostUnit] = Field(
        description="Named services of a Linux host, by unit (empty for network devices)"
    )
    host_keys: list[PinnedHostKey] = Field(
        description="The SSH host keys pinned for the device (trusted on first use)"
    )
