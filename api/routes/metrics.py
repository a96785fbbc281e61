"""Figures over time from the metric store: which series exist, and their points over a range."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from api.deps import Access, ClockDep, MetricsDep, Permission, StateDep, require
from api.errors import InvalidParameter, error_responses
from api.schemas import QueryRangeResult, SeriesInfo, SeriesPoints
from core.metrics.store import Aggregate

router = APIRouter(prefix="/metrics", tags=["metrics"])

MAX_POINTS_PER_SERIES = 11_000
"""(end - start) / step may not exceed this: a day at 8-second steps, a year of hourly points."""
DEFAULT_RANGE = timedelta(hours=1)

MetricName = Annotated[
    str,
    Query(
        pattern=r"^[A-Za-z_:][A-Za-z0-9_:]*$",
        max_length=200,
        description="Metric name, e.g. interface_in_bps",
        examples=["interface_in_bps"],
    ),
]
Matchers = Annotated[
    list[str],
    Query(
        description="label:value, repeatable; every one must match exactly",
        examples=[["if_name:GigabitEthernet1/0/3"]],
    ),
]
DeviceFilter = Annotated[
    str | None,
    Query(max_length=96, description="Shorthand for match=device:<id>", examples=["gz-core1"]),
]


_MATCHER = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*):(.*)$")


def _matchers(device: str | None, match: list[str]) -> dict[str, str]:
    matchers: dict[str, str] = {}
    for item in match:
        found = _MATCHER.match(item)
        if found is None:
            raise InvalidParameter("match", f"{item!r} is not label:value (e.g. device:gz-core1)")
        matchers[found.group(1)] = found.group(2)
    if device is not None:
        if matchers.get("device", device) != device:
            raise InvalidParameter("device", "contradicts match=device:…")
        matchers["device"] = device
    return matchers


@router.get(
    "/series",
    summary="The series the metric store knows, optionally filtered",
    response_model=list[SeriesInfo],
    responses=error_responses(401, 403, 422, 503),
)
def list_series(
    access: Annotated[Access, require(Permission.READ_METRICS)],
    metrics: MetricsDep,
    state: StateDep,
    name: Annotated[
        str | None,
        Query(pattern=r"^[A-Za-z_:][A-Za-z0-9_:]*$", max_length=200, description="Metric name"),
    ] = None,
    device: DeviceFilter = None,
    match: Matchers = [],  # noqa: B006 - FastAPI copies defaults per request
) -> list[SeriesInfo]:
    keys = metrics.series(name, _matchers(device, match) or None)
    visible = _visible_labels(access, state)
    return [SeriesInfo(name=k.name, labels=dict(k.labels)) for k in keys if visible(k.labels)]


def _visible_labels(access: Access, state: StateDep) -> Callable[[Iterable[tuple[str, str]]], bool]:
    """Whether a series may be shown: its ``device`` label names a device in the caller's scope;
    a series of no device is province-wide (only a province scope sees it)."""
    regions = state.device_regions()

    def visible(labels: Iterable[tuple[str, str]]) -> bool:
        device_id = dict(labels).get("device")
        if device_id is None:
            return access.sees(None)
        region = regions.get(device_id)
        return region is not None and access.sees(region)

    return visible


@router.get(
    "/query_range",
    summary="Points of the matching series over a time range",
    response_model=QueryRangeResult,
    responses=error_responses(401, 403, 422, 503),
)
def query_range(
    access: Annotated[Access, require(Permission.READ_METRICS)],
    metrics: MetricsDep,
    state: StateDep,
    clock: ClockDep,
    name: MetricName,
    start: Annotated[
        AwareDatetime | None,
        Query(
            description="ISO 8601 with a zone, or epoch seconds; default: an hour before end",
            examples=["2026-03-01T08:00:00Z"],
        ),
    ] = None,
    end: Annotated[
        AwareDatetime | None,
        Query(description="ISO 8601 with a zone, or epoch seconds; default: now"),
    ] = None,
    step: Annotated[float, Query(gt=0, description="Seconds per point", examples=[60])] = 60.0,
    aggregate: Annotated[
        Aggregate, Query(description="How the points inside one step combine")
    ] = Aggregate.AVG,
    match: Matchers = [],  # noqa: B006 - FastAPI copies defaults per request
    device: DeviceFilter = None,
) -> QueryRangeResult:
    """One point per step that has data, from the finest retention tier still covering start."""
    end_at = (end or clock.now()).astimezone(UTC)
    start_at = (start or end_at - DEFAULT_RANGE).astimezone(UTC)
    if start_at >= end_at:
        raise InvalidParameter("start", "must be before end")
    points = (end_at - start_at).total_seconds() / step
    if points > MAX_POINTS_PER_SERIES:
        raise InvalidParameter(
            "step",
            f"{points:.0f} points per series; at most {MAX_POINTS_PER_SERIES} "
            "(use a larger step or a shorter range)",
        )
    visible = _visible_labels(access, state)
    ranges = [
        r
        for r in metrics.query_range(
            name, _matchers(device, match) or None, start_at, end_at, step, aggregate
        )
        if visible(r.key.labels)
    ]
    return QueryRangeResult(
        name=name,
        start=start_at,
        end=end_at,
        step_s=step,
        aggregate=aggregate,
        series=[
            SeriesPoints(
                name=r.key.name,
                labels=dict(r.key.labels),
                points=[(float(ts), float(value)) for ts, value in r.points],
            )
            for r in ranges
        ],
    )
