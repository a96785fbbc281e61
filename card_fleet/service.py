"""The card-terminal fleet of one server process: registry, heartbeats, health and rollouts.

:class:`FleetService` wires the parts together and runs their background work:

- heartbeats are taken in memory (:class:`~card_fleet.heartbeats.HeartbeatIngest`, microseconds
  each) and written behind every ``flush_every_s`` in one transaction;
- the fleet's health is computed every ``health_every_s`` from the registry and the latest
  statuses, and published as one row per county (the alert engine's ``terminal_fleet`` facts)
  and as per-county series in the metric store — never one series per terminal;
- running rollouts are judged every ``rollouts_every_s``; a terminal learns its target version
  in its next heartbeat reply;
- the credential index is reloaded now and then, so a revocation made by another process
  (``ssnoc`` on the command line) takes effect here too.

Everything blocking (SQL) runs in worker threads; one failing step is logged and retried on its
next turn, and never stops the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from card_fleet.fleet_events import FleetEventTracker
from card_fleet.fleet_status import FleetStatus, SqlStatusStore, TerminalStatus
from card_fleet.health import FleetHealth, FleetHealthSettings, FleetMember, compute_fleet_health
from card_fleet.health_publisher import FleetHealthPublisher
from card_fleet.heartbeats import (
    AuthenticatedTerminal,
    FlushReport,
    HeartbeatIngest,
    HeartbeatReport,
)
from card_fleet.model import HeartbeatReply
from card_fleet.registry import SqlTerminalRegistry
from card_fleet.rollout_service import RolloutChanged, RolloutService
from card_fleet.rollout_store import SqlRolloutStore
from core.clock import Clock
from core.events import EventBus
from core.metrics.store import MetricStore
from core.settings import FleetSettings

log = logging.getLogger(__name__)

CREDENTIAL_RELOAD_S = 30.0
"""How often the credential index is re-read (revocations made by other processes)."""


@dataclass(frozen=True, slots=True)
class FleetRunReport:
    """What the last turns of the background work did (for the health route and the console)."""

    last_flush: FlushReport | None
    last_health_at: datetime | None
    heartbeats_accepted: int
    pending_writes: int


class FleetService:
    """Registry, heartbeat ingest, health and rollouts over one state DB and metric store."""

    def __init__(
        self,
        engine: Engine,
        metrics: MetricStore,
        regions: Mapping[str, str],
        clock: Clock,
        settings: FleetSettings | None = None,
        bus: EventBus | None = None,
    ) -> None:
        """``regions`` maps every county code to its city's code."""
        self.settings = settings or FleetSettings()
        self.engine = engine
        self.clock = clock
        self.registry = SqlTerminalRegistry(engine, regions)
        self.status = FleetStatus()
        self.rollouts = RolloutService(SqlRolloutStore(engine), self.registry, self.status, bus)
        self.ingest = HeartbeatIngest(
            self.registry.credentials(),
            self.registry,
            self.rollouts,
            clock,
            next_heartbeat_s=self.settings.heartbeat_every_s,
            status=self.status,
            store=SqlStatusStore(engine),
        )
        self._publisher = FleetHealthPublisher(engine, metrics)
        self._health_settings = FleetHealthSettings(silent_after_s=self.settings.silent_after_s)
        self._health: FleetHealth | None = None
        counties = sorted(regions)
        province = counties[0][:2] + "0000" if counties else ""
        self._events = FleetEventTracker(bus, province)
        self._last_flush: FlushReport | None = None
        self._restored = False

    # --- heartbeats --------------------------------------------------------------------------

    def heartbeat(self, token: str, body: Mapping[str, object]) -> HeartbeatReply:
        """Take one heartbeat (the terminal is who its credential says, never its body).

        Raises ``CredentialRefused`` (an AuthenticationFailed) for an unknown, malformed or
        revoked credential or a terminal that may not beat, ValueError naming a bad field."""
        return self.ingest.accept(token, HeartbeatReport.from_mapping(body))

    def heartbeat_from(
        self, terminal: AuthenticatedTerminal, body: Mapping[str, object]
    ) -> HeartbeatReply:
        """:meth:`heartbeat` for a terminal its credential was just checked for (by
        ``registry.credentials().authenticate``); ValueError naming a bad field."""
        return self.ingest.accept_from(terminal, HeartbeatReport.from_mapping(body))

    def terminal_status(self, terminal_id: str) -> TerminalStatus | None:
        """The terminal's latest heartbeat figures, or None if it never beat."""
        return self.status.get(terminal_id, self.clock.now())

    # --- health --------------------------------------------------------------------------------

    def health(self, *, fresh: bool = False) -> FleetHealth:
        """The fleet's health as last computed (computed now when never, or when ``fresh``)."""
        if fresh or self._health is None:
            return self.compute_health()
        return self._health

    def compute_health(self, now: datetime | None = None) -> FleetHealth:
        """Compute the fleet's health from the registry and the latest statuses (no publishing)."""
        now = now or self.clock.now()
        return self._compute_health(now, self.status.snapshot(now))

    def _compute_health(self, now: datetime, statuses: list[TerminalStatus]) -> FleetHealth:
        members = [FleetMember(*placed) for placed in self.registry.placements()]
        health = compute_fleet_health(
            statuses,
            members,
            now,
            self._health_settings,
            targets=self.rollouts.target_for,
        )
        self._health = health
        return health

    def publish_health(self, now: datetime | None = None) -> FleetHealth:
        """Compute the health and publish it (county rows for the alerts, per-county series)."""
        now = now or self.clock.now()
        statuses = self.status.snapshot(now)  # one copy of the map serves health and events
        health = self._compute_health(now, statuses)
        report = self._publisher.publish(health, now)
        if not report.ok:
            log.warning("fleet health publish: %s", report)
        self._events.observe(health, statuses)
        return health

    # --- the background work -----------------------------------------------------------------

    def restore(self) -> int:
        """Read the stored statuses back (on a start, before the first heartbeat is taken);
        how many terminals. Done once: later calls read nothing."""
        if self._restored:
            return 0
        self._restored = True
        return self.ingest.restore()

    def flush(self, now: datetime | None = None) -> FlushReport:
        """Write the heartbeats' changes now (one transaction)."""
        report = self.ingest.flush(now or self.clock.now())
        self._last_flush = report
        return report

    def run_report(self) -> FleetRunReport:
        return FleetRunReport(
            last_flush=self._last_flush,
            last_health_at=self._health.computed_at if self._health is not None else None,
            heartbeats_accepted=self.ingest.accepted,
            pending_writes=self.ingest.pending,
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Flush, compute health, judge rollouts and reload credentials on their own beats,
        until ``stop`` is set; the last changes are flushed on the way out."""
        await asyncio.to_thread(self.restore)
        jobs: list[tuple[str, float, Callable[[], object]]] = [
            ("flushing heartbeats", self.settings.flush_every_s, self.flush),
            ("computing fleet health", self.settings.health_every_s, self.publish_health),
            ("judging rollouts", self.settings.rollouts_every_s, self.evaluate_rollouts),
            ("reloading credentials", CREDENTIAL_RELOAD_S, self.registry.reload_credentials),
        ]
        try:
            await asyncio.gather(*(_every(name, s, job, stop) for name, s, job in jobs))
        finally:
            await asyncio.to_thread(self.flush)

    def evaluate_rollouts(self, now: datetime | None = None) -> list[RolloutChanged]:
        """Judge the running rollouts' gates now; a halt is published for the alert engine."""
        changes = self.rollouts.evaluate(now or self.clock.now())
        for change in changes:
            log.info("rollout %s: %s", change.rollout_id, change.message)
        self._events.rollout_changes(changes, self.rollouts)
        return changes


async def _every(
    name: str, interval_s: float, job: Callable[[], object], stop: asyncio.Event
) -> None:
    """``job`` in a worker thread every ``interval_s`` until ``stop``; failures logged."""
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
            return
        except TimeoutError:
            pass
        try:
            await asyncio.to_thread(job)
        except Exception:
            log.exception("fleet: %s failed", name)
