"""Fleet health for 20,000 terminals: the product's ``FleetService.compute_health`` against a
naive reference that asks the database for every view (bench/heartbeats.py, part 2).

**Reference**: what a LibreNMS/Zabbix-style "query the DB per view" design does — SQL GROUP BY
county over ``terminals`` LEFT JOIN ``terminal_status`` for the counts by state, online, silent,
reads, failures and PSAM faults; a GROUP BY county, version for the version drift; the eligible
terminals' read figures for the outliers (SQLite has no median: taken in Python); the silent
terminals' list; cities and the province summed in Python. It must agree with the product,
county by county.

Loaded by bench/heartbeats.py (which keeps its folder off sys.path), not run alone.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, bindparam, text

from card_fleet.health import AreaHealth, FleetHealth, FleetHealthSettings
from card_fleet.service import FleetService
from core.clock import SystemClock
from core.metrics.sqlite_store import SqliteMetricStore
from core.settings import RetentionSettings
from core.state.db import open_state_engine
from core.state.tables import UtcDateTime

RUNS = 10
_KEYS = ("county", "city")
_SINCE = bindparam("since", type_=UtcDateTime())

_COUNTY_FIGURES = text(
    """
    SELECT t.county, t.city, count(*) AS terminals,
      sum(t.state = 'registered') AS registered, sum(t.state = 'provisioned') AS provisioned,
      sum(t.state = 'active') AS active, sum(t.state = 'suspended') AS suspended,
      sum(t.state = 'retired') AS retired, sum(t.state = 'lost') AS lost,
      sum(t.state = 'active' AND s.last_seen_at >= :since) AS online,
      sum(t.state = 'active' AND (s.terminal_id IS NULL OR s.last_seen_at < :since)) AS silent,
      sum(CASE WHEN t.state = 'active' THEN coalesce(s.window_reads, 0) ELSE 0 END) AS reads,
      sum(CASE WHEN t.state = 'active' THEN coalesce(s.window_failures, 0) ELSE 0 END)
        AS failures,
      sum(t.state = 'active' AND s.psam_status = 'missing') AS psam_missing,
      sum(t.state = 'active' AND s.psam_status = 'error') AS psam_error
    FROM terminals AS t LEFT JOIN terminal_status AS s ON s.terminal_id = t.id
    GROUP BY t.county, t.city
    """
).bindparams(_SINCE)
_VERSIONS = text(
    """
    SELECT t.county, s.firmware_version, s.parameter_version, count(*) AS n
    FROM terminals AS t JOIN terminal_status AS s ON s.terminal_id = t.id
    WHERE t.state = 'active'
    GROUP BY t.county, s.firmware_version, s.parameter_version
    """
)
_ELIGIBLE = text(
    """
    SELECT t.county, t.id, s.window_reads, s.window_failures
    FROM terminals AS t JOIN terminal_status AS s ON s.terminal_id = t.id
    WHERE t.state = 'active' AND s.window_reads + s.window_failures >= :attempts
    """
)
_SILENT = text(
    """
    SELECT t.county, t.id, s.last_seen_at
    FROM terminals AS t LEFT JOIN terminal_status AS s ON s.terminal_id = t.id
    WHERE t.state = 'active' AND (s.terminal_id IS NULL OR s.last_seen_at < :since)
    ORDER BY t.id
    """
).bindparams(_SINCE)


@dataclass(slots=True)
class NaiveArea:
    """One county's (or city's) figures as the SQL reference computes them."""

    city: str
    figures: dict[str, int]
    firmware: Counter[str] = field(default_factory=Counter)
    parameter: Counter[str] = field(default_factory=Counter)
    version_drift: int = 0
    outliers: list[str] = field(default_factory=list)
    silent: list[str] = field(default_factory=list)


def naive_health(
    engine: Engine, now: datetime, settings: FleetHealthSettings
) -> dict[str, NaiveArea]:
    """Every county's figures by SQL, cities and the province summed in Python."""
    since = now - timedelta(seconds=settings.silent_after_s)
    with engine.connect() as connection:
        counties = {
            row["county"]: NaiveArea(
                row["city"], {k: int(v or 0) for k, v in row.items() if k not in _KEYS}
            )
            for row in connection.execute(_COUNTY_FIGURES, {"since": since}).mappings()
        }
        pairs: dict[str, Counter[tuple[str, str]]] = {}
        for county, firmware, parameter, n in connection.execute(_VERSIONS):
            area = counties[county]
            area.firmware[firmware] += n
            area.parameter[parameter] += n
            pairs.setdefault(county, Counter())[(firmware, parameter)] += n
        rates: dict[str, list[tuple[str, float]]] = {}
        for county, terminal_id, reads, failures in connection.execute(
            _ELIGIBLE, {"attempts": settings.outlier_min_attempts}
        ):
            rates.setdefault(county, []).append((terminal_id, failures / (reads + failures)))
        for county, terminal_id, _ in connection.execute(_SILENT, {"since": since}):
            counties[county].silent.append(terminal_id)
    for county, area in counties.items():
        firmware, parameter = _majority(area.firmware), _majority(area.parameter)
        area.version_drift = sum(
            n
            for (f, p), n in pairs.get(county, Counter()).items()
            if (f, p) != (firmware, parameter)
        )
        eligible = rates.get(county, [])
        if eligible:
            bar = max(
                settings.outlier_min_rate,
                settings.outlier_median_factor * statistics.median(r for _, r in eligible),
            )
            area.outliers = sorted(t for t, r in eligible if r >= bar - 1e-9)
    cities: dict[str, list[NaiveArea]] = {}
    for area in counties.values():
        cities.setdefault(area.city, []).append(area)
    areas = dict(counties)
    for code, parts in cities.items():
        areas[code] = _summed(code, parts)
    province = next(iter(counties))[:2] + "0000"
    areas[province] = _summed(province, [areas[code] for code in cities])
    return areas


def _summed(code: str, parts: list[NaiveArea]) -> NaiveArea:
    figures: Counter[str] = Counter()
    total = NaiveArea(code, {})
    for part in parts:
        figures.update(part.figures)
        total.firmware.update(part.firmware)
        total.parameter.update(part.parameter)
        total.version_drift += part.version_drift
        total.outliers.extend(part.outliers)
        total.silent.extend(part.silent)
    total.figures = dict(figures)
    total.outliers.sort()
    total.silent.sort()
    return total


def _majority(counts: Counter[str]) -> str | None:
    return max(counts.items(), key=lambda item: (item[1], item[0]))[0] if counts else None


def _product_figures(area: AreaHealth) -> dict[str, int]:
    return {
        "online": area.online,
        "silent": len(area.silent),
        "active": area.active,
        "reads": area.card_reads,
        "failures": area.card_read_failures,
        "psam": area.psam_failures,
        "outliers": len(area.outliers),
        "version drift": area.version_drift,
    }


def _naive_figures(area: NaiveArea) -> dict[str, int]:
    figures = area.figures
    return {
        "online": figures["online"],
        "silent": len(area.silent),
        "active": figures["active"],
        "reads": figures["reads"],
        "failures": figures["failures"],
        "psam": figures["psam_missing"] + figures["psam_error"],
        "outliers": len(area.outliers),
        "version drift": area.version_drift,
    }


def disagreements(product: FleetHealth, naive: dict[str, NaiveArea]) -> dict[str, int]:
    """How many areas (counties, cities, the province) differ, figure by figure."""
    areas = {**product.counties, **product.cities, **product.provinces}
    found: Counter[str] = Counter()
    for code, area in areas.items():
        if code in naive:
            theirs = _naive_figures(naive[code])
            found.update(
                name for name, mine in _product_figures(area).items() if mine != theirs[name]
            )
    found["areas on one side only"] = len(set(areas) ^ set(naive))
    return dict(found)


@dataclass(frozen=True, slots=True)
class HealthFigures:
    """Part 2's figures: seconds per run, and the cross-check."""

    product_s: list[float]
    list_s: list[float]
    snapshot_s: list[float]
    naive_s: list[float]
    restore_s: float
    online: int
    active: int
    silent: int
    outliers: int
    disagreements: dict[str, int]


def measure_health(folder: Path, regions: dict[str, str]) -> HealthFigures:
    """``compute_health`` and the SQL reference, ``RUNS`` times each, on ``folder/state.db``."""
    engine = open_state_engine(f"sqlite:///{folder / 'state.db'}")
    metrics = SqliteMetricStore(folder / "health-metrics.db", RetentionSettings())
    clock = SystemClock()
    fleet = FleetService(engine, metrics, regions, clock)
    settings = FleetHealthSettings()
    try:
        began = time.perf_counter()
        fleet.restore()
        restore_s = time.perf_counter() - began
        product_s, list_s, snapshot_s, naive_s = [], [], [], []
        health = naive = None
        for _ in range(RUNS):
            now = clock.now()
            began = time.perf_counter()
            health = fleet.compute_health(now)
            product_s.append(time.perf_counter() - began)
            began = time.perf_counter()
            naive = naive_health(engine, now, settings)
            naive_s.append(time.perf_counter() - began)
            began = time.perf_counter()
            fleet.registry.placements()
            list_s.append(time.perf_counter() - began)
            began = time.perf_counter()
            fleet.status.snapshot(now)
            snapshot_s.append(time.perf_counter() - began)
        assert health is not None
        assert naive is not None
        province = health.provinces["440000"]
        return HealthFigures(
            product_s=product_s,
            list_s=list_s,
            snapshot_s=snapshot_s,
            naive_s=naive_s,
            restore_s=restore_s,
            online=province.online,
            active=province.active,
            silent=len(province.silent),
            outliers=len(province.outliers),
            disagreements=disagreements(health, naive),
        )
    finally:
        metrics.close()
        engine.dispose()
