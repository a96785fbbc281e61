"""The metric store: figures over time (rates, utilisation, CPU), behind one protocol."""

from core.metrics.store import (
    Aggregate,
    LatestValue,
    MetricStore,
    RetentionReport,
    Sample,
    SeriesKey,
    SeriesRange,
)

__all__ = [
    "Aggregate",
    "LatestValue",
    "MetricStore",
    "RetentionReport",
    "Sample",
    "SeriesKey",
    "SeriesRange",
]
