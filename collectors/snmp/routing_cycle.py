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
import logging
from collections.abc import Awaitable, Callable, Sequence

from collectors.snmp.fleet_cycle import FleetCycle
from collectors.snmp.readings import PollTarget
from collectors.snmp.routing_state import RoutingResult, collect_routing
from collectors.snmp.transport import SnmpTransport
from core.clock import Clock
from core.errors import StoreError
from core.state.routing import RoutingRepository

log = logging.getLogger(__name__)

DEFAULT_ROUTING_INTERVAL_S = 60.0
"""Seconds between two routing collections of the fleet (proposed ``poll.routing_interval_s``)."""
DEFAULT_ROUTING_CONCURRENCY = 16

RoutingSink = Callable[[Sequence[RoutingResult]], Awaitable[None]]
"""Receives each cycle's results; raising :class:`core.errors.NocError` loses only that cycle."""


class RoutingCollector(FleetCycle[RoutingResult]):
    """Collects routing state from a set of devices every ``interval_s``; a report's ``found``
    counts OSPF neighbours and BGP peers, in every state."""

    what = "routing"

    def __init__(
        self,
        transport: SnmpTransport,
        sink: RoutingSink,
        clock: Clock,
        *,
        interval_s: float = DEFAULT_ROUTING_INTERVAL_S,
        concurrency: int = DEFAULT_ROUTING_CONCURRENCY,
    ) -> None:
        super().__init__(transport, sink, clock, interval_s=interval_s, concurrency=concurrency)

    async def read(self, target: PollTarget) -> RoutingResult:
        return await collect_routing(
            self._transport, target.snmp, device_id=target.device_id, clock=self._clock
        )

    def count(self, result: RoutingResult) -> int | None:
        if not result.ok or result.report is None:
            return None
        return len(result.report.ospf or ()) + len(result.report.bgp or ())


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
