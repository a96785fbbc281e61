"""Publishing fleet health: one ``county_fleet_health`` row per county, and per-county samples.

The rows are state, read by the alert engine (replaced as a whole on every computation, in one
transaction; a county that no longer has terminals loses its row). The samples go to the metric
store so the console can draw a county's figures over time. Cardinality stays low on purpose: one
series per county and figure (about 122 × 8), never one per terminal.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete
from sqlalchemy.exc import SQLAlchemyError

from card_fleet.errors import store_failure_reason
from card_fleet.health import AreaHealth, FleetHealth
from card_fleet.model import TerminalState
from core.clock import to_epoch_s
from core.errors import StoreError
from core.metrics import MetricStore, Sample, SeriesKey
from core.state.fleet_tables import CountyFleetHealthRow
from core.state.upserts import upsert_many

FLEET_TERMINALS_ACTIVE = "fleet_terminals_active"
"""Active terminals in the county."""
FLEET_TERMINALS_ONLINE = "fleet_terminals_online"
"""Active terminals heard from within the silence threshold."""
FLEET_ONLINE_SHARE = "fleet_online_share"
"""online / active, 0..1 (no sample when the county has no active terminal)."""
FLEET_TERMINALS_SILENT = "fleet_terminals_silent"
FLEET_READ_FAILURE_RATE = "fleet_read_failure_rate"
"""Failed / attempted card reads over the rolling window, 0..1 (no sample without attempts)."""
FLEET_READ_OUTLIERS = "fleet_read_outliers"
"""Terminals whose failure rate stands far above their county's."""
FLEET_PSAM_FAILURES = "fleet_psam_failures"
"""Terminals whose PSAM is missing or in error."""
FLEET_VERSION_DRIFT = "fleet_version_drift"
"""Terminals off the county's majority firmware or parameter version."""

FLEET_METRICS = (
    FLEET_TERMINALS_ACTIVE,
    FLEET_TERMINALS_ONLINE,
    FLEET_ONLINE_SHARE,
    FLEET_TERMINALS_SILENT,
    FLEET_READ_FAILURE_RATE,
    FLEET_READ_OUTLIERS,
    FLEET_PSAM_FAILURES,
    FLEET_VERSION_DRIFT,
)
"""Every series carries ``county`` and ``city`` (6-digit division codes)."""


@dataclass(frozen=True, slots=True)
class PublishReport:
    """What one publication wrote; a failure of one store does not stop the other."""

    rows_written: int
    rows_removed: int
    samples_written: int
    errors: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


class FleetHealthPublisher:
    """Writes fleet health to the state DB and the metric store."""

    def __init__(self, engine: Engine, metrics: MetricStore) -> None:
        self._engine = engine
        self._metrics = metrics

    def publish(self, health: FleetHealth, now: datetime) -> PublishReport:
        """Replace every county's row and write one sample per county and figure at ``now``."""
        errors: list[str] = []
        rows = [county_row(area, health.computed_at) for area in health.counties.values()]
        try:
            removed = self._replace_rows(rows)
            written = len(rows)
        except StoreError as exc:
            errors.append(str(exc))
            removed = written = 0
        try:
            samples = self._metrics.write(county_samples(health.counties.values(), now))
        except StoreError as exc:
            errors.append(f"writing fleet samples failed: {exc}")
            samples = 0
        return PublishReport(written, removed, samples, tuple(errors))

    def _replace_rows(self, rows: list[dict[str, Any]]) -> int:
        counties = [row["county"] for row in rows]
        gone = delete(CountyFleetHealthRow).where(CountyFleetHealthRow.county.not_in(counties))
        try:
            with self._engine.begin() as connection:
                removed = connection.execute(gone).rowcount
                upsert_many(connection, CountyFleetHealthRow, rows)
        except SQLAlchemyError as exc:
            reason = store_failure_reason(exc)
            raise StoreError(f"writing county fleet health failed: {reason}") from exc
        return int(removed)


def county_row(area: AreaHealth, computed_at: datetime) -> dict[str, Any]:
    """The ``county_fleet_health`` row of one county's figures."""
    return {
        "county": area.code,
        "city": area.city or "",
        "computed_at": computed_at,
        "terminals": area.terminals,
        **{state.value: area.by_state.get(state, 0) for state in TerminalState},
        "online": area.online,
        "online_share": area.online_share,
        "silent": len(area.silent),
        "silent_terminals": _json(
            [
                {
                    "terminal_id": silent.terminal_id,
                    "last_seen_at": silent.last_seen_at and silent.last_seen_at.isoformat(),
                }
                for silent in area.silent
            ]
        ),
        "card_reads": area.card_reads,
        "card_read_failures": area.card_read_failures,
        "read_failure_rate": area.read_failure_rate,
        "outliers": len(area.outliers),
        "outlier_terminals": _json(
            [
                {
                    "terminal_id": outlier.terminal_id,
                    "reads": outlier.reads,
                    "failures": outlier.failures,
                    "failure_rate": outlier.failure_rate,
                }
                for outlier in area.outliers
            ]
        ),
        "psam_missing": area.psam_missing,
        "psam_error": area.psam_error,
        "majority_firmware": area.majority_firmware,
        "majority_parameter": area.majority_parameter,
        "firmware_drift": area.firmware_drift,
        "parameter_drift": area.parameter_drift,
        "version_drift": area.version_drift,
        "off_target": area.off_target,
        "firmware_versions": _json(dict(sorted(area.firmware_versions.items()))),
        "parameter_versions": _json(dict(sorted(area.parameter_versions.items()))),
    }


def county_samples(counties: Iterable[AreaHealth], now: datetime) -> list[Sample]:
    """One sample per county and figure at ``now`` (rates only where they are defined)."""
    ts_s = to_epoch_s(now)
    samples = []
    for area in counties:
        labels = (("city", area.city or ""), ("county", area.code))
        figures: list[tuple[str, float | None]] = [
            (FLEET_TERMINALS_ACTIVE, area.active),
            (FLEET_TERMINALS_ONLINE, area.online),
            (FLEET_ONLINE_SHARE, area.online_share),
            (FLEET_TERMINALS_SILENT, len(area.silent)),
            (FLEET_READ_FAILURE_RATE, area.read_failure_rate),
            (FLEET_READ_OUTLIERS, len(area.outliers)),
            (FLEET_PSAM_FAILURES, area.psam_failures),
            (FLEET_VERSION_DRIFT, area.version_drift),
        ]
        for name, value in figures:
            if value is not None:
                samples.append(Sample(SeriesKey(name, labels), ts_s, float(value)))
    return samples


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
