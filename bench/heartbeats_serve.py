"""The server process of the heartbeat benchmark (bench/heartbeats.py, part 1).

The product's API (``ssnoc.server.build_api(noc, fleet=…)``) under uvicorn, with the fleet's
background loop (``FleetService.run``: write-behind flush, health, rollouts, credential reload)
running beside it in the same asyncio loop, as ``ssnoc serve`` runs them. Two fleets:

- **product**: ``FleetService`` as shipped; its ``flush`` and ``publish_health`` are timed.
- **naive** (the reference): the same app, route, credential check and body validation, but
  each heartbeat is written at once, one SQL transaction per heartbeat (an UPSERT into
  ``terminal_status``, counters added in SQL), and fleet health is asked of the database
  (``heartbeats_health.naive_health``). The write runs inline on the event loop because the
  route calls ``heartbeat()`` synchronously; a thread-pool version would add thread hops, and
  SQLite lets one writer in at a time anyway.

The main process stops the server by writing a line to its stdin (or closing it): uvicorn's own
signal handling re-raises SIGTERM after its shutdown, which would kill the process before the
fleet's last flush. On the way out the server writes what it counted to ``report.json``.

Loaded by bench/heartbeats.py (which keeps its folder off sys.path), not run alone.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import uvicorn
from heartbeats_health import naive_health
from heartbeats_world import county_cities
from sqlalchemy.dialects.sqlite import insert

from card_fleet.health import FleetHealth, FleetHealthSettings
from card_fleet.heartbeats import FlushReport, HeartbeatReport
from card_fleet.model import HeartbeatReply
from card_fleet.service import FleetService
from core.settings import FleetSettings, load_settings
from core.state.fleet_tables import TerminalStatusRow
from ssnoc.server import build_api
from ssnoc.wiring import open_noc

HOST = "127.0.0.1"
HEALTH_EVERY_S = 10.0
"""Health is computed every 10 s here (production: 30 s), so it lands inside each measurement."""
READY_FILE = "ready"
_LATEST_COLUMNS = (
    "county", "city", "last_seen_at", "reader_present", "psam_status", "firmware_version",
    "parameter_version", "blacklist_version", "uptime_s", "free_storage_mb",
    "unsent_transactions", "last_card_reads", "last_card_read_failures",
)  # fmt: skip
"""What the naive UPSERT overwrites; the counters it adds up in SQL instead."""
REPORT_FILE = "report.json"


class BenchFleetService(FleetService):
    """The shipped fleet, its background jobs timed, and ready once its statuses are restored."""

    def __init__(self, *args: Any, data_dir: Path, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.data_dir = data_dir
        self.flush_ms: list[float] = []
        self.flush_rows: list[int] = []
        self.health_ms: list[float] = []
        self.flush_errors: list[str] = []

    def restore(self) -> int:
        restored = super().restore()
        (self.data_dir / READY_FILE).write_text(str(restored))
        return restored

    def flush(self, now: datetime | None = None) -> FlushReport:
        began = time.perf_counter()
        report = super().flush(now)
        if report.statuses_written or report.errors:
            self.flush_ms.append((time.perf_counter() - began) * 1000)
            self.flush_rows.append(report.statuses_written)
            self.flush_errors.extend(report.errors)
        return report

    def publish_health(self, now: datetime | None = None) -> FleetHealth:
        began = time.perf_counter()
        health = super().publish_health(now)
        self.health_ms.append((time.perf_counter() - began) * 1000)
        return health

    def accepted(self) -> int:
        """Heartbeats this fleet accepted."""
        return self.ingest.accepted

    def pending(self) -> int:
        """Changes still waiting to be written."""
        return self.ingest.pending


class NaiveFleetService(BenchFleetService):
    """The reference: one SQL transaction per heartbeat, health asked of the database."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._naive_accepted = 0
        table = TerminalStatusRow.__table__
        statement = insert(TerminalStatusRow)
        new = statement.excluded
        self._upsert = statement.on_conflict_do_update(
            index_elements=["terminal_id"],
            set_={
                **{name: new[name] for name in _LATEST_COLUMNS},
                "heartbeats": table.c.heartbeats + 1,
                "window_reads": table.c.window_reads + new.last_card_reads,
                "window_failures": table.c.window_failures + new.last_card_read_failures,
            },
        )

    def heartbeat(self, token: str, body: Mapping[str, object]) -> HeartbeatReply:
        report = HeartbeatReport.from_mapping(body)
        terminal = self.registry.credentials().authenticate(token)
        now = self.clock.now()
        row = {
            "terminal_id": terminal.id,
            "county": terminal.county,
            "city": terminal.city,
            "first_seen_at": now,
            "last_seen_at": now,
            "heartbeats": 1,
            "reader_present": report.reader_present,
            "psam_status": report.psam_status.value,
            "firmware_version": report.firmware_version,
            "parameter_version": report.parameter_version,
            "blacklist_version": report.blacklist_version,
            "uptime_s": report.uptime_s,
            "free_storage_mb": report.free_storage_mb,
            "unsent_transactions": report.unsent_transactions,
            "last_card_reads": report.card_reads,
            "last_card_read_failures": report.card_read_failures,
            "window_reads": report.card_reads,
            "window_failures": report.card_read_failures,
            "window_bucket_s": 300,
            "window_newest_bucket": int(now.timestamp()) // 300,
            "window_read_counts": "",
            "window_failure_counts": "",
        }
        with self.engine.begin() as connection:
            connection.execute(self._upsert, row)
        self._naive_accepted += 1
        firmware, parameter = self.rollouts.target_for(terminal.id, terminal.county, terminal.city)
        return HeartbeatReply(
            target_firmware_version=firmware if firmware != report.firmware_version else None,
            target_parameter_version=parameter if parameter != report.parameter_version else None,
            next_heartbeat_s=self.settings.heartbeat_every_s,
        )

    def publish_health(self, now: datetime | None = None) -> FleetHealth:
        now = now or self.clock.now()
        settings = FleetHealthSettings()
        began = time.perf_counter()
        naive_health(self.engine, now, settings)
        self.health_ms.append((time.perf_counter() - began) * 1000)
        return FleetHealth(now, settings, {}, {}, {})  # nobody reads it in this process

    def accepted(self) -> int:
        return self._naive_accepted


def serve(kind: str, data_dir: Path, port: int, http: str) -> None:
    """Serve the API over ``data_dir/state.db`` until a line (or EOF) arrives on stdin;
    ``http`` is uvicorn's HTTP protocol implementation (h11 or httptools)."""
    noc = open_noc(load_settings(data_dir=data_dir))
    fleet_type = NaiveFleetService if kind == "naive" else BenchFleetService
    fleet = fleet_type(
        noc.engine,
        noc.metrics,
        county_cities(),
        noc.clock,
        FleetSettings(health_every_s=HEALTH_EVERY_S),
        noc.events,
        data_dir=data_dir,
    )
    config = uvicorn.Config(
        build_api(noc, fleet=fleet),
        host=HOST,
        port=port,
        http=http,
        log_level="warning",
        access_log=False,
    )
    asyncio.run(_serve(uvicorn.Server(config), fleet, data_dir))


async def _serve(server: uvicorn.Server, fleet: BenchFleetService, data_dir: Path) -> None:
    loop = asyncio.get_running_loop()

    def wait_for_stop() -> None:
        sys.stdin.readline()
        loop.call_soon_threadsafe(setattr, server, "should_exit", True)

    # A daemon thread, not to_thread: a blocked read must never hold the process at exit.
    threading.Thread(target=wait_for_stop, name="stop-on-stdin", daemon=True).start()
    stop = asyncio.Event()
    running = asyncio.create_task(fleet.run(stop), name="card-fleet")
    try:
        await server.serve()
    finally:
        stop.set()
        await running  # its last flush writes what is still pending
        report = {
            "accepted": fleet.accepted(),
            "pending": fleet.pending(),
            "flush_ms": fleet.flush_ms,
            "flush_rows": fleet.flush_rows,
            "flush_errors": fleet.flush_errors[:5],
            "health_ms": fleet.health_ms,
        }
        (data_dir / REPORT_FILE).write_text(json.dumps(report))
