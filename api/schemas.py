"""Response bodies the API defines itself; inventory and state come as the core's read models
(:mod:`core.state.views`), so the console parses exactly what the repository produced."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from core.metrics.store import Aggregate
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
