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
import logging
from collections.abc import Awaitable, Callable, Sequence

from collectors.snmp.fleet_cycle import FleetCycle
from collectors.snmp.lldp import LldpResult, collect_lldp
from collectors.snmp.readings import PollTarget
from collectors.snmp.transport import SnmpTransport
from core.clock import Clock
from core.errors import StoreError
from core.neighbours import NeighbourSource, normalise_mac
from core.state.neighbours import NeighbourRepository

log = logging.getLogger(__name__)

DEFAULT_LLDP_INTERVAL_S = 300.0
"""Seconds between two LLDP collections of the fleet (``poll.lldp_interval_s`` in settings)."""
DEFAULT_LLDP_CONCURRENCY = 16

LldpSink = Callable[[Sequence[LldpResult]], Awaitable[None]]
"""Receives each cycle's results; raising :class:`core.errors.NocError` loses only that cycle."""


class LldpCollector(FleetCycle[LldpResult]):
    """Collects LLDP neighbours from a set of devices every ``interval_s``; a report's
    ``found`` counts neighbours."""

    what = "LLDP"

    def __init__(
        self,
        transport: SnmpTransport,
        sink: LldpSink,
        clock: Clock,
        *,
        interval_s: float = DEFAULT_LLDP_INTERVAL_S,
        concurrency: int = DEFAULT_LLDP_CONCURRENCY,
    ) -> None:
        super().__init__(transport, sink, clock, interval_s=interval_s, concurrency=concurrency)

    async def read(self, target: PollTarget) -> LldpResult:
        return await collect_lldp(
            self._transport, target.snmp, device_id=target.device_id, clock=self._clock
        )

    def count(self, result: LldpResult) -> int | None:
        return len(result.neighbours) if result.ok else None

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
