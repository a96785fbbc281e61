"""Routing state on its own cadence: every device every ``interval_s`` (60 s, the poll interval).

An OSPF adjacency or a BGP session drops within seconds of a fault and VRRP mastership moves as
fast, so routing is read as often as interfaces are — but on its own schedule, not in the
poller's hot path: this collector walks the fleet's OSPF, BGP, VRRP and address tables a bounded
number of devices at a time, one :class:`RoutingResult` per device (a silent device is its own
failure, never the cycle's), and hands each cycle's results to a sink — in production
:class:`RoutingStoreSink`, which keeps them in the state DB, where
:mod:`core.state.link_states` reads them as evidence about links.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field

from collectors.snmp.readings import PollTarget
from collectors.snmp.routing_state import RoutingResult, collect_routing
from collectors.snmp.transport import SnmpTransport
from core.clock import Clock
from core.errors import NocError, StoreError
from core.state.routing import RoutingRepository

log = logging.getLogger(__name__)

DEFAULT_ROUTING_INTERVAL_S = 60.0
"""Seconds between two routing collections of the fleet (proposed ``poll.routing_interval_s``)."""
DEFAULT_ROUTING_CONCURRENCY = 16

RoutingSink = Callable[[Sequence[RoutingResult]], Awaitable[None]]
"""Receives each cycle's results; raising :class:`core.errors.NocError` loses only that cycle."""


@dataclass
class RoutingCycleReport:
    """What one :meth:`RoutingCollector.collect_once` did."""

    collected: int = 0
    adjacencies: int = 0
    """OSPF neighbours and BGP peers listed, in every state."""
    failed: dict[str, str] = field(default_factory=dict)
    duration_s: float = 0.0


class RoutingCollector:
    """Collects routing state from a set of devices every ``interval_s``."""

    def __init__(
        self,
        transport: SnmpTransport,
        sink: RoutingSink,
        clock: Clock,
        *,
        interval_s: float = DEFAULT_ROUTING_INTERVAL_S,
        concurrency: int = DEFAULT_ROUTING_CONCURRENCY,
    ) -> None:
        if interval_s <= 0 or concurrency < 1:
            raise ValueError("interval_s must be positive and concurrency at least 1")
        self._transport = transport
        self._sink = sink
        self._clock = clock
        self._interval_s = interval_s
        self._semaphore = asyncio.Semaphore(concurrency)
        self._targets: dict[str, PollTarget] = {}
        self._latest: dict[str, RoutingResult] = {}
        self._cycle_lock = asyncio.Lock()

    def set_targets(self, targets: Iterable[PollTarget]) -> None:
        """Replace the devices to collect; what is known of devices that stay is kept."""
        self._targets = {t.device_id: t for t in targets}
        self._latest = {d: r for d, r in self._latest.items() if d in self._targets}

    @property
    def targets(self) -> list[PollTarget]:
        return list(self._targets.values())

    def latest(self) -> dict[str, RoutingResult]:
        """Each device's last result, by device id."""
        return dict(self._latest)

    async def collect_once(self, device_ids: Iterable[str] | None = None) -> RoutingCycleReport:
        """Collect the given devices (default: all) now and hand the results to the sink."""
        async with self._cycle_lock:
            chosen = list(self._targets) if device_ids is None else list(device_ids)
            started = self._clock.monotonic()
            results = await asyncio.gather(*(self._collect(i) for i in chosen))
            report = RoutingCycleReport()
            for result in results:
                self._latest[result.device_id] = result
                if result.ok and result.report is not None:
                    report.collected += 1
                    report.adjacencies += len(result.report.ospf or ())
                    report.adjacencies += len(result.report.bgp or ())
                else:
                    report.failed[result.device_id] = result.error or "failed"
            try:
                await self._sink(results)
            except NocError as exc:
                log.error("storing routing state failed (next cycle stores afresh): %s", exc)
            report.duration_s = self._clock.monotonic() - started
            return report

    async def run(self, stop: asyncio.Event, *, first_delay_s: float = 0.0) -> None:
        """Collect every ``interval_s`` until ``stop`` is set; a slow cycle delays the next.

        ``first_delay_s`` lets the poller's first full reads go first at start-up.
        """
        if first_delay_s > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=first_delay_s)
        while not stop.is_set():
            report = await self.collect_once()
            log.info(
                "routing cycle: %d devices, %d adjacencies, %d failed in %.1f s",
                report.collected,
                report.adjacencies,
                len(report.failed),
                report.duration_s,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self._interval_s)

    async def _collect(self, device_id: str) -> RoutingResult:
        target = self._targets[device_id]
        async with self._semaphore:
            return await collect_routing(
                self._transport, target.snmp, device_id=device_id, clock=self._clock
            )


class RoutingStoreSink:
    """A :data:`RoutingSink` that keeps each device's routing state in the state DB.

    Only successful collections are stored: a device that did not answer keeps its last state,
    with its age. The repository is synchronous, so writes run in a worker thread.
    """

    def __init__(self, repository: RoutingRepository) -> None:
        self._repository = repository

    async def __call__(self, results: Sequence[RoutingResult]) -> None:
        await asyncio.to_thread(self._store, results)

    def _store(self, results: Sequence[RoutingResult]) -> None:
        failed: list[str] = []
        for result in results:
            if not result.ok or result.report is None:
                continue
            try:
                self._repository.replace_routing(
                    result.device_id, result.report, result.collected_at
                )
            except StoreError as exc:  # one device's rows never keep the others' out
                log.error("%s", exc)
                failed.append(result.device_id)
        if failed:
            raise StoreError(f"routing state not stored for {', '.join(failed)}")
