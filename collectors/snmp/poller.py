"""The SNMP poller: every device on its own schedule, bounded concurrency, one result per device.

Nornir's rule applies: a failure on one device is that device's result, never an abort of the
cycle, and a silent device only ever holds its own slot (for its timeout × tries), so it cannot
delay the rest. A device that keeps failing is retried with a doubling back-off, up to
``backoff_max_s``. The first poll of a device reads everything; later polls read only what changes
(statuses, counters, health), with a full re-read every ``rediscover_every`` polls. Because a rate
needs two readings, a device's second poll comes soon after its first (``prime_delay_s``), so the
console shows rates within one interval of start.

A maintenance window may ask for a device not to be polled while it is open (``paused``): a
paused device is skipped when due and asked about again an interval later — no record, no sample,
no failure counted. Once the window has closed it is read afresh, as at start (full read, rates
primed anew), since the work may have changed its interfaces and a rate across the pause says
nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from collectors.snmp.poller_records import KnownInterface, PollRecordBuilder, device_samples
from collectors.snmp.rates import RateCalculator
from collectors.snmp.readings import DeviceReader, PollTarget
from collectors.snmp.transport import SnmpTransport
from core.clock import Clock
from core.errors import DeviceError, NocError
from core.metrics.store import Sample
from core.polling import DevicePollRecord
from core.settings import PollSettings

log = logging.getLogger(__name__)

PauseCheck = Callable[[str, str | None, datetime], bool]
"""Whether a device must not be polled now: (device id, its region code, now) → skip it. Blocking
(it may wait on a lock): the poller asks from a worker thread, once per tick for the devices due."""


class PollSink(Protocol):
    """Where poll results go (the state DB and the metric store, in production)."""

    async def deliver(
        self, records: Sequence[DevicePollRecord], samples: Sequence[Sample]
    ) -> None: ...


@dataclass
class CycleReport:
    """What one :meth:`SnmpPoller.poll_once` did."""

    polled: int = 0
    succeeded: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    duration_s: float = 0.0
    samples: int = 0
    paused: list[str] = field(default_factory=list)
    """Devices skipped because a maintenance window pauses their collection."""


@dataclass
class _DeviceSchedule:
    next_due_s: float
    polls: int = 0
    failures: int = 0
    in_flight: bool = False
    paused: bool = False
    known_interfaces: dict[int, KnownInterface] = field(default_factory=dict)


class SnmpPoller:
    """Polls its targets, each when due (see the module docstring)."""

    def __init__(
        self,
        transport: SnmpTransport,
        reader: DeviceReader,
        sink: PollSink,
        clock: Clock,
        settings: PollSettings,
        *,
        rediscover_every: int = 10,
        prime_delay_s: float = 15.0,
        flush_every: int = 200,
        paused: PauseCheck | None = None,
    ) -> None:
        """``paused`` says which devices a maintenance window keeps from being polled (None:
        every device is polled when due)."""
        self._transport = transport
        self._reader = reader
        self._sink = sink
        self._clock = clock
        self._settings = settings
        self._rediscover_every = rediscover_every
        self._prime_delay_s = prime_delay_s
        self._flush_every = flush_every
        self._paused = paused
        self._semaphore = asyncio.Semaphore(settings.concurrency)
        self._targets: dict[str, PollTarget] = {}
        self._schedules: dict[str, _DeviceSchedule] = {}
        self._rates = RateCalculator()
        self._records = PollRecordBuilder(self._rates)
        self._pending_records: list[DevicePollRecord] = []
        self._pending_samples: list[Sample] = []
        self._flush_lock = asyncio.Lock()

    # ------------------------------------------------------------------ targets

    def set_targets(self, targets: Iterable[PollTarget]) -> None:
        """Replace the devices to poll; kept devices keep their schedule and counters."""
        now = self._clock.monotonic()
        fresh = {t.device_id: t for t in targets}
        for gone in set(self._targets) - set(fresh):
            self._schedules.pop(gone, None)
            self._rates.forget(gone)
        for device_id in fresh:
            self._schedules.setdefault(device_id, _DeviceSchedule(next_due_s=now))
        self._targets = fresh

    async def close(self) -> None:
        """Release the transport's sockets."""
        await self._transport.close()

    @property
    def targets(self) -> list[PollTarget]:
        return list(self._targets.values())

    def next_due_s(self, device_id: str) -> float:
        """When ``device_id`` is next due, on the clock's monotonic scale."""
        return self._schedules[device_id].next_due_s

    # ------------------------------------------------------------------ polling

    async def poll_once(self, device_ids: Iterable[str] | None = None) -> CycleReport:
        """Poll the given devices (default: all) now, concurrently, and deliver the results;
        devices a maintenance window pauses are skipped (``paused`` in the report)."""
        wanted = list(self._targets) if device_ids is None else list(device_ids)
        started = self._clock.monotonic()
        report = CycleReport()
        paused = await self._paused_among(wanted)
        report.paused = [device_id for device_id in wanted if device_id in paused]
        chosen = [device_id for device_id in wanted if device_id not in paused]
        for device_id in report.paused:
            self._pause(device_id)
        results = await asyncio.gather(*(self._poll_device(i) for i in chosen))
        for device_id, (record, sample_count) in zip(chosen, results, strict=True):
            report.polled += 1
            report.samples += sample_count
            if record.reachable:
                report.succeeded += 1
            else:
                report.failed[device_id] = record.error or "failed"
        await self.flush()
        report.duration_s = self._clock.monotonic() - started
        return report

    async def run(self, stop: asyncio.Event, tick_s: float = 0.5) -> None:
        """Poll every device when it is due until ``stop`` is set."""
        tasks: set[asyncio.Task[tuple[DevicePollRecord, int]]] = set()
        flusher = asyncio.create_task(self._flush_periodically(stop))
        try:
            while not stop.is_set():
                for task in await self.start_due():
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=tick_s)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            flusher.cancel()
            await asyncio.gather(flusher, return_exceptions=True)
            await self.flush()

    async def start_due(self) -> list[asyncio.Task[tuple[DevicePollRecord, int]]]:
        """One tick of :meth:`run`: start polling every device that is due and not paused; the
        polls started (each delivers its own result when it ends)."""
        now = self._clock.monotonic()
        due = [
            device_id
            for device_id, schedule in self._schedules.items()
            if not schedule.in_flight and schedule.next_due_s <= now
        ]
        paused = await self._paused_among(due)
        started = []
        for device_id in due:
            schedule = self._schedules.get(device_id)
            if schedule is None or schedule.in_flight:  # targets changed while we asked
                continue
            if device_id in paused:
                self._pause(device_id)
                continue
            schedule.in_flight = True
            started.append(asyncio.create_task(self._poll_device(device_id)))
        return started

    async def _paused_among(self, device_ids: Sequence[str]) -> set[str]:
        """Which of ``device_ids`` a maintenance window pauses now (asked in a worker thread: the
        answer may wait on the alert pipeline's lock)."""
        check = self._paused
        if check is None or not device_ids:
            return set()
        targets = [self._targets[device_id] for device_id in device_ids]
        at = self._clock.now()

        def ask() -> set[str]:
            return {t.device_id for t in targets if check(t.device_id, t.region or None, at)}

        try:
            return await asyncio.to_thread(ask)
        except Exception:  # a task boundary: a failing maintenance check must not stop polling
            log.exception("cannot tell which devices maintenance pauses: polling them all")
            return set()

    def _pause(self, device_id: str) -> None:
        schedule = self._schedules[device_id]
        target = self._targets[device_id]
        if not schedule.paused:
            log.info("polling of %s paused for maintenance", device_id)
            schedule.paused = True
            # Read afresh after the work (see the module docstring).
            schedule.polls = 0
            schedule.known_interfaces = {}
            self._rates.forget(device_id)
        schedule.next_due_s = self._clock.monotonic() + target.interval_s

    async def _flush_periodically(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.sleep(1.0)
            await self.flush()

    async def flush(self) -> None:
        """Hand buffered results to the sink. A failing sink keeps them for the next flush."""
        async with self._flush_lock:
            if not self._pending_records and not self._pending_samples:
                return
            records, samples = self._pending_records, self._pending_samples
            self._pending_records, self._pending_samples = [], []
            try:
                await self._sink.deliver(records, samples)
            except NocError as exc:
                log.error("storing poll results failed, will retry: %s", exc)
                self._pending_records = records + self._pending_records
                self._pending_samples = samples + self._pending_samples

    async def _poll_device(self, device_id: str) -> tuple[DevicePollRecord, int]:
        target = self._targets[device_id]
        schedule = self._schedules[device_id]
        if schedule.paused:
            log.info("polling of %s resumed after maintenance", device_id)
            schedule.paused = False
        full = schedule.polls % self._rediscover_every == 0 or not schedule.known_interfaces
        try:
            async with self._semaphore:
                started = self._clock.monotonic()
                at = self._clock.now()
                try:
                    reading = await asyncio.wait_for(
                        self._reader.read(self._transport, target, full=full),
                        timeout=self._device_budget_s(target),
                    )
                except TimeoutError:
                    reading = None
                    error = f"no complete answer within {self._device_budget_s(target):g} s"
                except DeviceError as exc:
                    reading = None
                    error = exc.reason
                except Exception as exc:  # task boundary: one device, one result
                    log.exception("polling %s failed unexpectedly", device_id)
                    reading = None
                    error = f"internal error: {type(exc).__name__}: {exc}"
                duration_s = self._clock.monotonic() - started
            if reading is None:
                record = DevicePollRecord(
                    device_id=device_id, at=at, reachable=False, error=error, duration_s=duration_s
                )
                samples = device_samples(target, record)
                self._reschedule(schedule, target, ok=False)
            else:
                record, samples = self._records.build(
                    target, schedule.known_interfaces, reading, at, duration_s, full
                )
                self._reschedule(schedule, target, ok=True)
            self._pending_records.append(record)
            self._pending_samples.extend(samples)
            if len(self._pending_records) >= self._flush_every:
                await self.flush()
            return record, len(samples)
        finally:
            schedule.in_flight = False

    def _device_budget_s(self, target: PollTarget) -> float:
        # Enough for many request/response rounds, never more than most of an interval.
        per_request = target.snmp.timeout_s * (target.snmp.retries + 1)
        return max(per_request * 4, min(target.interval_s * 0.8, per_request * 30))

    def _reschedule(self, schedule: _DeviceSchedule, target: PollTarget, *, ok: bool) -> None:
        now = self._clock.monotonic()
        if ok:
            first = schedule.polls == 0
            schedule.polls += 1
            schedule.failures = 0
            delay = min(self._prime_delay_s, target.interval_s) if first else target.interval_s
        else:
            schedule.failures += 1
            # The first failure may be a lost packet: try again next interval; then back off.
            ceiling = max(self._settings.backoff_max_s, target.interval_s)
            delay = min(target.interval_s * 2 ** (schedule.failures - 1), ceiling)
        schedule.next_due_s = now + delay
