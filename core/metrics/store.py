"""The ``MetricStore`` protocol and the values that cross it.

A series is a metric name and a set of labels (``interface_in_bps{device="gd-gz-core1",
if_index="3"}``), as in Prometheus, so the VictoriaMetrics backend maps onto it one to one.
Timestamps cross the protocol as epoch seconds (float) because the hot path writes tens of
thousands of points per cycle and datetime objects would dominate its cost; queries take aware
datetimes, as the rest of ssnoc does.

The protocol is synchronous: the embedded store is SQLite. Async callers use
``asyncio.to_thread`` so a long query never stalls the polling loop.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple, Protocol


@dataclass(frozen=True, slots=True, order=True)
class SeriesKey:
    """A metric name and its labels, sorted so equal sets compare equal."""

    name: str
    labels: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, name: str, labels: Mapping[str, str] | None = None) -> SeriesKey:
        return cls(name, tuple(sorted((labels or {}).items())))

    def label(self, name: str) -> str | None:
        for key, value in self.labels:
            if key == name:
                return value
        return None

    def matches(self, matchers: Mapping[str, str]) -> bool:
        """True when every matcher label has exactly the given value."""
        own = dict(self.labels)
        return all(own.get(k) == v for k, v in matchers.items())

    def __str__(self) -> str:
        inner = ",".join(f'{k}="{v}"' for k, v in self.labels)
        return f"{self.name}{{{inner}}}"


class Sample(NamedTuple):
    """One value of one series at one time (``ts_s``: epoch seconds, UTC)."""

    key: SeriesKey
    ts_s: float
    value: float


class LatestValue(NamedTuple):
    key: SeriesKey
    ts_s: float
    value: float


class Aggregate(StrEnum):
    """How the points inside one step are combined."""

    AVG = "avg"
    MIN = "min"
    MAX = "max"
    LAST = "last"


@dataclass(frozen=True, slots=True)
class SeriesRange:
    """The points of one series over a range, one per step that has data.

    ``points`` are ``(step_start_epoch_s, value)``, in time order.
    """

    key: SeriesKey
    points: Sequence[tuple[float, float]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RetentionReport:
    """What one retention/rollup pass did."""

    rolled_up_5m: int = 0
    rolled_up_1h: int = 0
    deleted_raw: int = 0
    deleted_5m: int = 0
    deleted_1h: int = 0


class MetricStore(Protocol):
    """Where figures over time are kept."""

    def write(self, samples: Iterable[Sample]) -> int:
        """Store ``samples`` (in batches); returns how many were written."""
        ...

    def latest(self, name: str, matchers: Mapping[str, str] | None = None) -> list[LatestValue]:
        """The newest point of every series called ``name`` whose labels match ``matchers``."""
        ...

    def query_range(
        self,
        name: str,
        matchers: Mapping[str, str] | None,
        start: datetime,
        end: datetime,
        step_s: float,
        aggregate: Aggregate = Aggregate.AVG,
    ) -> list[SeriesRange]:
        """Points of the matching series in ``[start, end)``, one per ``step_s``, combined by
        ``aggregate``; the finest tier (raw, 5-minute, hourly) still covering ``start`` is used."""
        ...

    def series(
        self, name: str | None = None, matchers: Mapping[str, str] | None = None
    ) -> list[SeriesKey]:
        """The series known to the store, optionally filtered."""
        ...

    def compact(self, now: datetime) -> RetentionReport:
        """Roll raw points up into the 5-minute and hourly tiers; drop what retention expires."""
        ...

    def close(self) -> None:
        """Release the store's files or connections."""
        ...
