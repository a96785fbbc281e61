"""An in-memory ``MetricStore`` for API and console tests (until the SQLite store lands)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from statistics import fmean

from core.clock import to_epoch_s
from core.errors import StoreError
from core.metrics.store import (
    Aggregate,
    LatestValue,
    RetentionReport,
    Sample,
    SeriesKey,
    SeriesRange,
)

_COMBINE: dict[Aggregate, Callable[[list[float]], float]] = {
    Aggregate.AVG: fmean,
    Aggregate.MIN: min,
    Aggregate.MAX: max,
    Aggregate.LAST: lambda values: values[-1],
}


class FakeMetricStore:
    """Keeps every point; ``failing`` makes every read raise :class:`StoreError`."""

    def __init__(self) -> None:
        self._points: dict[SeriesKey, dict[float, float]] = defaultdict(dict)
        self.failing = False
        self.queries: list[tuple[str, dict[str, str] | None, datetime, datetime, float]] = []

    def write(self, samples: Iterable[Sample]) -> int:
        count = 0
        for sample in samples:
            self._points[sample.key][sample.ts_s] = sample.value
            count += 1
        return count

    def _check(self) -> None:
        if self.failing:
            raise StoreError("metric store: disk I/O error")

    def _matching(self, name: str | None, matchers: Mapping[str, str] | None) -> list[SeriesKey]:
        return sorted(
            k
            for k in self._points
            if (name is None or k.name == name) and k.matches(matchers or {})
        )

    def latest(self, name: str, matchers: Mapping[str, str] | None = None) -> list[LatestValue]:
        self._check()
        out = []
        for key in self._matching(name, matchers):
            ts = max(self._points[key])
            out.append(LatestValue(key, ts, self._points[key][ts]))
        return out

    def query_range(
        self,
        name: str,
        matchers: Mapping[str, str] | None,
        start: datetime,
        end: datetime,
        step_s: float,
        aggregate: Aggregate = Aggregate.AVG,
    ) -> list[SeriesRange]:
        self._check()
        self.queries.append((name, dict(matchers) if matchers else None, start, end, step_s))
        lo, hi = to_epoch_s(start), to_epoch_s(end)
        out = []
        for key in self._matching(name, matchers):
            buckets: dict[float, list[float]] = defaultdict(list)
            for ts, value in sorted(self._points[key].items()):
                if lo <= ts < hi:
                    buckets[lo + (ts - lo) // step_s * step_s].append(value)
            points = [(at, _COMBINE[aggregate](vs)) for at, vs in sorted(buckets.items())]
            out.append(SeriesRange(key, points))
        return out

    def series(
        self, name: str | None = None, matchers: Mapping[str, str] | None = None
    ) -> list[SeriesKey]:
        self._check()
        return self._matching(name, matchers)

    def compact(self, now: datetime) -> RetentionReport:
        return RetentionReport()

    def close(self) -> None:
        self._points.clear()
