"""LLDP discovery on its own, slower cadence: every device every ``interval_s`` (300 s by default).

Neighbours change when someone moves a cable, not between two 60 s polls, so LLDP is not read by
the poller's cycle: this collector walks the fleet's LLDP tables on its own schedule, a bounded
number of devices at a time, one :class:`LldpResult` per device (a silent device is its own
failure, never the cycle's), and hands each cycle's results to a sink — in production
:class:`NeighbourStoreSink`, which keeps them in the state DB. It remembers which devices answered
for LLDP (:meth:`LldpCollector.collected_device_ids`) and their chassis MACs, which link
discovery needs to tell "not seen" from "not asked".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field

from collectors.snmp.lldp import LldpResult, collect_lldp
from collectors.snmp.readings import PollTarget
from collectors.snmp.transport import SnmpTransport
from core.clock import Clock
from core.errors import NocError, StoreError
from core.neighbours import NeighbourSource, normalise_mac
from core.state.neighbours import NeighbourRepository

log = logging.getLogger(__name__)

DEFAULT_LLDP_INTERVAL_S = 300.0
"""Seconds between two LLDP collections of the fleet (``poll.lldp_interval_s`` in settings)."""
DEFAULT_LLDP_CONCURRENCY = 16

LldpSink = Callable[[Sequence[LldpResult]], Awaitable[None]]
"""Receives each cycle's results; raising :class:`core.errors.NocError` loses only that cycle."""


@dataclass
class LldpCycleReport:
    """What one :meth:`LldpCollector.collect_once` did."""

    collected: int = 0
    neighbours: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    duration_s: float = 0.0


class LldpCollector:
    """Collects LLDP neighbours from a set of devices every ``interval_s``."""

    def __init__(
        self,
        transport: SnmpTransport,
        sink: LldpSink,
        clock: Clock,
        *,
        interval_s: float = DEFAULT_LLDP_INTERVAL_S,
        concurrency: int = DEFAULT_LLDP_CONCURRENCY,
    ) -> None:
        if interval_s <= 0 or concurrency < 1:
            raise ValueError("interval_s must be positive and concurrency at least 1")
        self._transport = transport
        self._sink = sink
        self._clock = clock
        self._interval_s = interval_s
        self._semaphore = asyncio.Semaphore(concurrency)
        self._targets: dict[str, PollTarget] = {}
        self._latest: dict[str, LldpResult] = {}
        self._cycle_lock = asyncio.Lock()

    def set_targets(self, targets: Iterable[PollTarget]) -> None:
        """Replace the devices to collect; what is known of devices that stay is kept."""
        self._targets = {t.device_id: t for t in targets}
        self._latest = {d: r for d, r in self._latest.items() if d in self._targets}

    @property
    def targets(self) -> list[PollTarget]:
        return list(self._targets.values())

    def collected_device_ids(self) -> frozenset[str]:
        """Devices whose last collection succeeded and whose agent speaks LLDP-MIB: only for
        these does "no neighbour on that port" mean the link was not seen."""
        return frozenset(
            device_id
            for device_id, result in self._latest.items()
            if result.ok and result.reading is not None and result.reading.has_lldp
        )

    def chassis_macs(self) -> dict[str, str]:
        """Device id → the MAC address it announces as its LLDP chassis id, where it does."""
        macs: dict[str, str] = {}
        for device_id, result in self._latest.items():
            chassis = result.reading.local_chassis_id if result.reading is not None else None
            mac = normalise_mac(chassis) if chassis else None
            if mac is not None:
                macs[device_id] = mac
        return macs

    async def collect_once(self, device_ids: Iterable[str] | None = None) -> LldpCycleReport:
        """Collect the given devices (default: all) now and hand the results to the sink."""
        async with self._cycle_lock:
            chosen = list(self._targets) if device_ids is None else list(device_ids)
            started = self._clock.monotonic()
            results = await asyncio.gather(*(self._collect(i) for i in chosen))
            report = LldpCycleReport()
            for result in results:
                self._latest[result.device_id] = result
                if result.ok:
                    report.collected += 1
                    report.neighbours += len(result.neighbours)
                else:
                    report.failed[result.device_id] = result.error or "failed"
            try:
                await self._sink(results)
            except NocError as exc:
                log.error("storing LLDP neighbours failed (next cycle stores afresh): %s", exc)
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
                "LLDP cycle: %d devices, %d neighbours, %d failed in %.1f s",
                report.collected,
                report.neighbours,
                len(report.failed),
                report.duration_s,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self._interval_s)

    async def _collect(self, device_id: str) -> LldpResult:
        target = self._targets[device_id]
        async with self._semaphore:
            return await collect_lldp(
                self._transport, target.snmp, device_id=device_id, clock=self._clock
            )


class NeighbourStoreSink:
    """An :data:`LldpSink` that keeps each device's neighbours in the state DB.

    Only successful collections are stored: a device that did not answer keeps its last
    neighbours, with their age. The repository is synchronous, so writes run in a worker thread.
    """

    def __init__(self, repository: NeighbourRepository) -> None:
        self._repository = repository

    async def __call__(self, results: Sequence[LldpResult]) -> None:
        await asyncio.to_thread(self._store, results)

    def _store(self, results: Sequence[LldpResult]) -> None:
        failed: list[str] = []
        for result in results:
            if not result.ok:
                continue
            try:
                self._repository.replace_neighbours(
                    result.device_id,
                    result.neighbours,
                    result.collected_at,
                    source=NeighbourSource.SNMP,
                )
            except StoreError as exc:  # one device's rows never keep the others' out
                log.error("%s", exc)
                failed.append(result.device_id)
        if failed:
            raise StoreError(f"LLDP neighbours not stored for {', '.join(failed)}")
