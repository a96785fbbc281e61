"""Poll results into the stores: figures to the metric store, state to the state DB.

Both stores are synchronous (SQLite by default), so the writes run in a worker thread and the
polling loop keeps going meanwhile. Status changes become :class:`DeviceStatusChanged` events.
Writes are idempotent (a sample re-sent replaces itself), so a batch that failed halfway is simply
delivered again by the poller.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from core.events import DeviceStatusChanged, EventBus
from core.metrics.store import MetricStore, Sample
from core.polling import DevicePollRecord
from core.state.repository import StateRepository

log = logging.getLogger(__name__)


class StoreSink:
    def __init__(self, state: StateRepository, metrics: MetricStore, events: EventBus) -> None:
        self._state = state
        self._metrics = metrics
        self._events = events

    async def deliver(self, records: Sequence[DevicePollRecord], samples: Sequence[Sample]) -> None:
        await asyncio.to_thread(self._write, records, samples)

    def _write(self, records: Sequence[DevicePollRecord], samples: Sequence[Sample]) -> None:
        if samples:
            self._metrics.write(samples)
        changes = self._state.record_polls(records)
        by_id = {r.device_id: r for r in records}
        for change in changes:
            record = by_id[change.device_id]
            log.info("%s is now %s (was %s)", change.device_id, change.after, change.before)
            self._events.publish(
                DeviceStatusChanged(
                    at=record.at,
                    device_id=change.device_id,
                    before=change.before,
                    after=change.after,
                    reason=record.error,
                )
            )
