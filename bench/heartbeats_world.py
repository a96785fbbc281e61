"""The world of the heartbeat benchmark (bench/heartbeats.py): a migrated SQLite state DB with
20,000 card terminals over the province's 122 counties, most of them with a stored status.

It is setup, not measured, so the tables are bulk-written directly: the terminals in every life
state (mostly active), credentials made by the product's own ``issue_credential``, and the
statuses through the product's own write path (``FleetStatus.record`` then
``SqlStatusStore.save``), so the rows have exactly the shape the server writes.

Loaded by bench/heartbeats.py (which keeps its folder off sys.path), not run alone.
"""

from __future__ import annotations

import json
import random
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from card_fleet.credentials import issue_credential
from card_fleet.fleet_status import FleetStatus, SqlStatusStore
from card_fleet.heartbeats import HeartbeatReport
from card_fleet.model import CREDENTIAL_HOLDING_STATES, PsamStatus, TerminalKind, TerminalState
from card_fleet.terminal_rows import TERMINALS
from core.state.db import migrate_to_head, open_state_engine
from lab.divisions import default_divisions_path, load_divisions

TERMINAL_COUNT = 20_000
SILENT_AGO = timedelta(minutes=20)
"""How long ago the silent terminals last beat (silent after 5 minutes by default)."""
RECENT_AGO = timedelta(seconds=30)
FIRMWARES = (("fw-3.2.1", 90), ("fw-3.2.0", 8), ("fw-3.1.9", 2))
"""Firmware versions and their weights: a fleet with a little drift."""
PARAMETERS = (("p-2026.03", 95), ("p-2026.02", 5))
_S = TerminalState
_KINDS = tuple(TerminalKind)


@dataclass(frozen=True, slots=True)
class WorldSummary:
    """What was seeded, for the report and the checks."""

    terminals: int
    counties: int
    by_state: dict[str, int]
    beating: int
    """Active terminals with a recent status: the ones the load beats for."""
    silent: int
    """Active terminals whose status is 20 minutes old."""
    never_beat: int
    """Active terminals with no status at all."""
    status_rows: int
    tokens_path: Path


def county_cities() -> dict[str, str]:
    """County code → its city's code, from the shared divisions file (122 counties)."""
    return {
        county.code: city.code
        for city in load_divisions(default_divisions_path())
        for county in city.counties
    }


def _state_of(index: int) -> TerminalState:
    """A few hundred terminals in each non-active state, the rest active."""
    if index % 100 == 0:
        return _S.REGISTERED
    if index % 100 == 1:
        return _S.PROVISIONED
    if index % 100 == 2:
        return _S.SUSPENDED
    if index % 200 == 3:
        return _S.RETIRED
    if index % 200 == 103:
        return _S.LOST
    return _S.ACTIVE


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([name for name, _ in weighted], [weight for _, weight in weighted])[0]


def _report(rng: random.Random, firmware: str, parameter: str) -> HeartbeatReport:
    """A seeded heartbeat: a few dirty readers, a few PSAM faults."""
    dirty = rng.random() < 0.015
    reads = rng.randint(20, 60) if dirty else rng.randint(0, 60)
    failures = rng.randint(10, 30) if dirty else rng.choice((0, 0, 0, 1))
    draw = rng.random()
    psam = PsamStatus.MISSING if draw < 0.005 else PsamStatus.ERROR if draw < 0.008 else None
    return HeartbeatReport(
        reader_present=True,
        card_reads=reads,
        card_read_failures=failures,
        psam_status=psam or PsamStatus.OK,
        firmware_version=firmware,
        parameter_version=parameter,
        blacklist_version="bl-20260301",
        uptime_s=rng.randint(600, 3_000_000),
        free_storage_mb=rng.randint(200, 4000),
        unsent_transactions=rng.randint(0, 3),
    )


def build_world(folder: Path, now: datetime | None = None) -> WorldSummary:
    """Seed ``folder/state.db`` and write the beating terminals' tokens to ``tokens.json``."""
    now = now or datetime.now(UTC)
    rng = random.Random(20260302)
    regions = county_cities()
    counties = sorted(regions)
    engine = open_state_engine(f"sqlite:///{folder / 'state.db'}")
    migrate_to_head(engine)
    status = FleetStatus()
    rows: list[dict[str, Any]] = []
    tokens: list[list[str]] = []
    by_state: dict[str, int] = {}
    sequence: dict[str, int] = {}
    silent = never = 0
    for index in range(TERMINAL_COUNT):
        county = counties[index % len(counties)]
        sequence[county] = sequence.get(county, 0) + 1
        terminal_id = f"T{county}-{sequence[county]:04d}"
        state = _state_of(index)
        by_state[state.value] = by_state.get(state.value, 0) + 1
        firmware, parameter = _pick(rng, FIRMWARES), _pick(rng, PARAMETERS)
        credential = issue_credential(terminal_id) if state in CREDENTIAL_HOLDING_STATES else None
        bound = state not in (_S.REGISTERED, _S.RETIRED)
        rows.append(
            {
                "id": terminal_id,
                "serial": f"SN{county}{sequence[county]:05d}",
                "model": "SSR-3000",
                "kind": _KINDS[index % len(_KINDS)].value,
                "site": f"site {sequence[county] % 12} of county {county}",
                "county": county,
                "city": regions[county],
                "state": state.value,
                "psam_terminal_number": f"44{index:010d}" if bound else None,
                "firmware_version": firmware,
                "parameter_version": parameter,
                "credential_hash": credential.secret_hash if credential else None,
                "credential_issued_at": now if credential else None,
                "registered_at": now - timedelta(days=30),
                "updated_at": now - timedelta(days=1),
            }
        )
        if state is not _S.ACTIVE:
            continue
        draw = rng.random()
        if draw < 0.02:
            never += 1
            continue
        seen_at = now - (SILENT_AGO if draw < 0.06 else RECENT_AGO)
        status.record(
            terminal_id, county, regions[county], _report(rng, firmware, parameter), seen_at
        )
        if draw < 0.06:
            silent += 1
        elif credential is not None:
            tokens.append([credential.token, firmware, parameter])
    with engine.begin() as connection:
        connection.execute(insert(TERMINALS), rows)
    status_rows = status.take_changes()
    SqlStatusStore(engine).save(status_rows)
    engine.dispose()
    _checkpoint(folder / "state.db")
    tokens_path = folder / "tokens.json"
    tokens_path.write_text(json.dumps(tokens))
    return WorldSummary(
        terminals=TERMINAL_COUNT,
        counties=len(counties),
        by_state=by_state,
        beating=len(tokens),
        silent=silent,
        never_beat=never,
        status_rows=len(status_rows),
        tokens_path=tokens_path,
    )


def _checkpoint(database: Path) -> None:
    """Fold the WAL into the main file, so a plain copy of it is the whole database."""
    connection = sqlite3.connect(database)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def stored_heartbeats(database: Path) -> tuple[int, int]:
    """(status rows, sum of their ``heartbeats`` counters) in ``database``."""
    connection = sqlite3.connect(database)
    try:
        rows, beats = connection.execute(
            "SELECT count(*), coalesce(sum(heartbeats), 0) FROM terminal_status"
        ).fetchone()
    finally:
        connection.close()
    return int(rows), int(beats)
