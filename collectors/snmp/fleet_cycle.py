"""A fleet read on its own cadence, beside the poller: every device every ``interval_s``, a
bounded number at a time, one result per device (a silent device is its own failure, never the
cycle's), each cycle's results handed to a sink.

LLDP (:mod:`collectors.snmp.lldp_cycle`) and routing state (:mod:`collectors.snmp.routing_cycle`)
are such reads; they differ only in what they read from one device and what they count.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from collectors.snmp.readings import PollTarget
from collectors.snmp.transport import SnmpTransport
from core.clock import Clock
from core.errors import NocError

log = logging.getLogger(__name__)


class DeviceResult(Protocol):
    """What a fleet read returns for one device."""

    @property
    def device_id(self) -> str: ...

    @property
    def ok(self) -> bool: ...

    @property
    def error(self) -> str | None: ...


R = TypeVar("R", bound=DeviceResult)


@dataclass
class FleetCycleReport:
    """What one :meth:`FleetCycle.collect_once` did."""

    collected: int = 0
    found: int = 0
    """What the devices reported, counted the collector's way (neighbours, adjacencies)."""
    failed: dict[str, str] = field(default_factory=dict)
    duration_s: float = 0.0


class FleetCycle(Generic[R]):
    """Reads a set of devices every ``interval_s``. Subclasses say how to read one device
    (:meth:`read`) and what one good result counts for (:meth:`count`; None: not collected)."""

    what = "fleet"
    """Names the read in logs ("LLDP", "routing")."""

    def __init__(
        self,
        transport: SnmpTransport,
        sink: Callable[[Sequence[R]], Awaitable[None]],
        clock: Clock,
        *,
        interval_s: float,
        concurrency: int,
    ) -> None:
        if interval_s <= 0 or concurrency < 1:
            raise ValueError("interval_s must be positive and concurrency at least 1")
        self._transport = transport
        self._sink = sink
        self._clock = clock
        self._interval_s = interval_s
        self._semaphore = asyncio.Semaphore(concurrency)
        self._targets: dict[str, PollTarget] = {}
        self._latest: dict[str, R] = {}
        self._cycle_lock = asyncio.Lock()

    async def read(self, target: PollTarget) -> R:
        """One device's result; never raises (a failure is a result)."""
        raise NotImplementedError

    def count(self, result: R) -> int | None:
        """What a result adds to :attr:`FleetCycleReport.found`; None when it is a failure."""
        return 0 if result.ok else None

    def set_targets(self, targets: Iterable[PollTarget]) -> None:
        """Replace the devices to collect; what is known of devices that stay is kept."""
        self._targets = {t.device_id: t for t in targets}
        self._latest = {d: r for d, r in self._latest.items() if d in self._targets}

    @property
    def targets(self) -> list[PollTarget]:
        return list(self._targets.values())

    def latest(self) -> dict[str, R]:
        """Each device's last result, by device id."""
        return dict(self._latest)

    async def collect_once(self, device_ids: Iterable[str] | None = None) -> FleetCycleReport:
        """Collect the given devices (default: all) now and hand the results to the sink."""
        async with self._cycle_lock:
            chosen = list(self._targets) if device_ids is None else list(device_ids)
            started = self._clock.monotonic()
            results = await asyncio.gather(*(self._bounded(i) for i in chosen))
            report = FleetCycleReport()
            for result in results:
                self._latest[result.device_id] = result
                found = self.count(result)
                if found is None:
                    report.failed[result.device_id] = result.error or "failed"
                else:
                    report.collected += 1
                    report.found += found
            try:
                await self._sink(results)
            except NocError as exc:
                log.error(
                    "storing %s results failed (next cycle stores afresh): %s", self.what, exc
                )
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
                "%s cycle: %d devices, %d found, %d failed in %.1f s",
                self.what,
                report.collected,
                report.found,
                len(report.failed),
                report.duration_s,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self._interval_s)

    async def _bounded(self, device_id: str) -> R:
        async with self._semaphore:
            return await self.read(self._targets[device_id])
