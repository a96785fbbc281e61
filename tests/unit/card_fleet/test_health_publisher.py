"""Publishing fleet health: county rows the alert engine reads (replaced as a whole, in one
transaction) and per-county samples in the metric store (never one series per terminal)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, select

from card_fleet.health import compute_fleet_health
from card_fleet.health_publisher import (
    FLEET_METRICS,
    FLEET_ONLINE_SHARE,
    FLEET_PSAM_FAILURES,
    FLEET_READ_FAILURE_RATE,
    FLEET_TERMINALS_ONLINE,
    FLEET_VERSION_DRIFT,
    FleetHealthPublisher,
)
from card_fleet.model import TerminalState
from core.clock import to_epoch_s
from core.errors import StoreError
from core.metrics import Sample
from core.metrics.sqlite_store import SqliteMetricStore
from core.state.db import open_state_engine
from core.state.fleet_tables import CountyFleetHealthRow
from tests.unit.card_fleet.test_fleet_status import migrated_engine
from tests.unit.card_fleet.test_health import MEMBERS, NOW, STATUSES, member

LATER = NOW + timedelta(minutes=1)
ACTIVE = TerminalState.ACTIVE


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = migrated_engine(tmp_path / "state.db", [])
    yield engine
    engine.dispose()


@pytest.fixture
def metrics(tmp_path: Path) -> Iterator[SqliteMetricStore]:
    store = SqliteMetricStore(tmp_path / "metrics.db")
    yield store
    store.close()


def county_rows(engine: Engine) -> dict[str, dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(select(CountyFleetHealthRow.__table__)).mappings().all()
    return {row["county"]: dict(row) for row in rows}


class BrokenMetricStore(SqliteMetricStore):
    def write(self, samples: Iterable[Sample]) -> int:
        raise StoreError("metric store: disk I/O error")


def test_each_county_gets_one_row_with_its_figures(
    engine: Engine, metrics: SqliteMetricStore
) -> None:
    health = compute_fleet_health(STATUSES, MEMBERS, NOW)
    report = FleetHealthPublisher(engine, metrics).publish(health, LATER)
    assert report.ok
    assert (report.rows_written, report.rows_removed) == (3, 0)
    rows = county_rows(engine)
    assert set(rows) == {"440103", "440104", "440203"}
    row = rows["440103"]
    assert (row["city"], row["computed_at"]) == ("440100", NOW)
    assert (row["terminals"], row["active"], row["provisioned"], row["suspended"]) == (8, 5, 1, 1)
    assert (row["retired"], row["registered"], row["lost"]) == (1, 0, 0)
    assert (row["online"], row["online_share"], row["silent"]) == (3, pytest.approx(0.6), 2)
    assert json.loads(row["silent_terminals"]) == [
        {"terminal_id": "T3", "last_seen_at": (NOW - timedelta(seconds=301)).isoformat()},
        {"terminal_id": "T5", "last_seen_at": None},
    ]
    assert (row["card_reads"], row["card_read_failures"]) == (214, 25)
    assert row["read_failure_rate"] == pytest.approx(25 / 239)
    assert row["outliers"] == 1
    assert json.loads(row["outlier_terminals"]) == [
        {"terminal_id": "T3", "reads": 14, "failures": 6, "failure_rate": pytest.approx(0.3)}
    ]
    assert (row["psam_missing"], row["psam_error"]) == (1, 1)
    assert (row["majority_firmware"], row["majority_parameter"]) == ("2.1", "P7")
    assert (row["firmware_drift"], row["parameter_drift"], row["version_drift"]) == (1, 1, 2)
    assert json.loads(row["firmware_versions"]) == {"2.0": 1, "2.1": 3}


def test_a_new_computation_replaces_the_rows_and_drops_counties_without_terminals(
    engine: Engine, metrics: SqliteMetricStore
) -> None:
    publisher = FleetHealthPublisher(engine, metrics)
    publisher.publish(compute_fleet_health(STATUSES, MEMBERS, NOW), NOW)
    commits: list[object] = []
    event.listen(engine, "commit", commits.append)
    members = [m for m in MEMBERS if m.county != "440203"] + [member("W1", "440105", ACTIVE)]
    report = publisher.publish(compute_fleet_health(STATUSES, members, LATER), LATER)
    assert (report.rows_written, report.rows_removed) == (3, 1)
    assert len(commits) == 1
    rows = county_rows(engine)
    assert set(rows) == {"440103", "440104", "440105"}
    assert rows["440105"]["silent"] == 1
    assert rows["440103"]["computed_at"] == LATER


def test_samples_are_per_county_and_figure_never_per_terminal(
    engine: Engine, metrics: SqliteMetricStore
) -> None:
    health = compute_fleet_health(STATUSES, MEMBERS, NOW)
    report = FleetHealthPublisher(engine, metrics).publish(health, LATER)
    assert report.samples_written == 3 * len(FLEET_METRICS)
    series = metrics.series()
    assert {key.name for key in series} == set(FLEET_METRICS)
    assert {key.labels for key in series} == {
        (("city", "440100"), ("county", "440103")),
        (("city", "440100"), ("county", "440104")),
        (("city", "440200"), ("county", "440203")),
    }
    online = {v.key.label("county"): v.value for v in metrics.latest(FLEET_TERMINALS_ONLINE)}
    assert online == {"440103": 3.0, "440104": 4.0, "440203": 1.0}
    share = metrics.latest(FLEET_ONLINE_SHARE, {"county": "440103"})
    assert [v.ts_s for v in share] == [to_epoch_s(LATER)]
    assert share[0].value == pytest.approx(0.6)
    (rate,) = metrics.latest(FLEET_READ_FAILURE_RATE, {"county": "440203"})
    assert rate.value == pytest.approx(0.9)
    (psam,) = metrics.latest(FLEET_PSAM_FAILURES, {"county": "440103"})
    (drift,) = metrics.latest(FLEET_VERSION_DRIFT, {"county": "440104"})
    assert (psam.value, drift.value) == (2.0, 3.0)


def test_undefined_rates_are_left_out_rather_than_written_as_zero(
    engine: Engine, metrics: SqliteMetricStore
) -> None:
    members = [member("N1", "440107", TerminalState.PROVISIONED)]  # no active terminal
    health = compute_fleet_health([], members, NOW)
    FleetHealthPublisher(engine, metrics).publish(health, NOW)
    names = {key.name for key in metrics.series()}
    assert FLEET_ONLINE_SHARE not in names
    assert FLEET_READ_FAILURE_RATE not in names
    assert metrics.latest(FLEET_TERMINALS_ONLINE) != []
    row = county_rows(engine)["440107"]
    assert (row["online_share"], row["read_failure_rate"]) == (None, None)


def test_a_metric_store_failure_is_reported_and_the_rows_are_still_written(
    engine: Engine, tmp_path: Path
) -> None:
    health = compute_fleet_health(STATUSES, MEMBERS, NOW)
    broken = BrokenMetricStore(tmp_path / "broken.db")
    report = FleetHealthPublisher(engine, broken).publish(health, NOW)
    broken.close()
    assert report.errors == ("writing fleet samples failed: metric store: disk I/O error",)
    assert (report.rows_written, report.samples_written) == (3, 0)
    assert len(county_rows(engine)) == 3


def test_a_state_db_failure_is_reported_and_the_samples_are_still_written(
    tmp_path: Path, metrics: SqliteMetricStore
) -> None:
    unmigrated = open_state_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    health = compute_fleet_health(STATUSES, MEMBERS, NOW)
    report = FleetHealthPublisher(unmigrated, metrics).publish(health, NOW)
    assert not report.ok
    assert report.errors[0].startswith("writing county fleet health failed: no such table")
    assert report.samples_written == 3 * len(FLEET_METRICS)
    assert len(metrics.series(FLEET_TERMINALS_ONLINE)) == 3
    unmigrated.dispose()
