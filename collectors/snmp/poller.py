"""The SNMP poller: every device on its own schedule, bounded concurrency, one result per device.

Nornir's rule applies: a failure on one device is that device's result, never an abort of the
cycle, and a silent device only ever holds its own slot (for its timeout × tries), so it cannot
delay the rest. A device that keeps failing is retried with a doubling back-off, up to
``backoff_max_s``. The first poll of a device reads everything; later polls read only what changes
(statuses, counters, health), with a full re-read every ``rediscover_every`` polls. Because a rate
needs two readings, a device's second poll comes soon after its first (``prime_delay_s``), so the
console shows rates within one interval of start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from collectors.snmp.rates import CounterReading, RateCalculator
from collectors.snmp.readings import (
    DeviceReader,
    DeviceReading,
    InterfaceSample,
    PollTarget,
)
from collectors.snmp.transport import SnmpTransport
from core.clock import Clock
from core.errors import DeviceError, NocError
from core.metrics import names
from core.metrics.store import Sample, SeriesKey
from core.model import InterfaceObservation
from core.polling import DevicePollRecord, InterfaceReading
from core.settings import PollSettings

log = logging.getLogger(__name__)


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


@dataclass
class _DeviceSchedule:
    next_due_s: float
    polls: int = 0
    failures: int = 0
    in_flight: bool = False
    known_interfaces: dict[int, InterfaceObservation] = field(default_factory=dict)


class SnmpPoller:
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
    ) -> None:
        self._transport = transport
        self._reader = reader
        self._sink = sink
        self._clock = clock
        self._settings = settings
        self._rediscover_every = rediscover_every
        self._prime_delay_s = prime_delay_s
        self._flush_every = flush_every
        self._semaphore = asyncio.Semaphore(settings.concurrency)
        self._targets: dict[str, PollTarget] = {}
        self._schedules: dict[str, _DeviceSchedule] = {}
        self._rates = RateCalculator()
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
        """Poll the given devices (default: all) now, concurrently, and deliver the results."""
        chosen = list(self._targets) if device_ids is None else list(device_ids)
        started = self._clock.monotonic()
        report = CycleReport()
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
                now = self._clock.monotonic()
                for device_id, schedule in self._schedules.items():
                    if schedule.in_flight or schedule.next_due_s > now:
                        continue
                    schedule.in_flight = True
                    task = asyncio.create_task(self._poll_device(device_id))
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
                samples = self._device_samples(target, record)
                self._reschedule(schedule, target, ok=False)
            else:
                record, samples = self._build(target, schedule, reading, at, duration_s, full)
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

    # ------------------------------------------------------------------ results

    def _build(
        self,
        target: PollTarget,
        schedule: _DeviceSchedule,
        reading: DeviceReading,
        at: datetime,
        duration_s: float,
        full: bool,
    ) -> tuple[DevicePollRecord, list[Sample]]:
        at_s = at.timestamp()
        interfaces: tuple[InterfaceReading, ...] | None = None
        samples: list[Sample] = []
        if reading.interfaces is not None:
            if full:
                schedule.known_interfaces = {
                    s.observation.if_index: s.observation for s in reading.interfaces
                }
            interfaces = tuple(
                self._interface_reading(target, schedule, s, at_s, reading.uptime_s, samples)
                for s in reading.interfaces
            )
        record = DevicePollRecord(
            device_id=target.device_id,
            at=at,
            reachable=True,
            identity=reading.identity,
            uptime_s=reading.uptime_s,
            cpu_percent=reading.cpu_percent,
            memory_percent=reading.memory_percent,
            interfaces=interfaces,
            duration_s=duration_s,
        )
        samples.extend(self._device_samples(target, record))
        return record, samples

    def _interface_reading(
        self,
        target: PollTarget,
        schedule: _DeviceSchedule,
        sample: InterfaceSample,
        at_s: float,
        uptime_s: float | None,
        out: list[Sample],
    ) -> InterfaceReading:
        known = schedule.known_interfaces.get(sample.observation.if_index)
        merged = _merge(known, sample.observation)
        speed_octets = merged.speed_bps / 8 if merged.speed_bps else None
        key = (target.device_id, merged.if_index)

        def rate(counter: str, value: int | None, width: int, limit: float | None) -> float | None:
            if value is None:
                return None
            reading = CounterReading(value, width, at_s, uptime_s)
            return self._rates.rate((*key, counter), reading, limit)

        in_octets = rate("in_octets", sample.in_octets, sample.octets_width_bits, speed_octets)
        out_octets = rate("out_octets", sample.out_octets, sample.octets_width_bits, speed_octets)
        in_errors = rate("in_errors", sample.in_errors, 32, None)
        out_errors = rate("out_errors", sample.out_errors, 32, None)
        labels = (
            ("device", target.device_id),
            ("if_index", str(merged.if_index)),
            ("if_name", merged.name or merged.descr or str(merged.if_index)),
        )
        values = (
            (names.INTERFACE_IN_BPS, None if in_octets is None else in_octets * 8),
            (names.INTERFACE_OUT_BPS, None if out_octets is None else out_octets * 8),
            (names.INTERFACE_IN_ERRORS_PER_S, in_errors),
            (names.INTERFACE_OUT_ERRORS_PER_S, out_errors),
            (names.INTERFACE_OPER_UP, 1.0 if merged.oper_status == "up" else 0.0),
        )
        for name, value in values:
            if value is not None:
                out.append(Sample(SeriesKey(name, labels), at_s, value))
        return InterfaceReading(
            **merged.model_dump(),
            in_bps=None if in_octets is None else in_octets * 8,
            out_bps=None if out_octets is None else out_octets * 8,
            in_errors_per_s=in_errors,
            out_errors_per_s=out_errors,
        )

    def _device_samples(self, target: PollTarget, record: DevicePollRecord) -> list[Sample]:
        labels = (("device", target.device_id), ("region", target.region))
        at_s = record.at.timestamp()
        values = (
            (names.DEVICE_UP, 1.0 if record.reachable else 0.0),
            (names.DEVICE_CPU_PERCENT, record.cpu_percent),
            (names.DEVICE_MEMORY_PERCENT, record.memory_percent),
            (names.DEVICE_UPTIME_S, record.uptime_s),
            (names.DEVICE_POLL_DURATION_S, record.duration_s),
        )
        return [
            Sample(SeriesKey(name, labels), at_s, float(value))
            for name, value in values
            if value is not None
        ]


def _merge(known: InterfaceObservation | None, fresh: InterfaceObservation) -> InterfaceObservation:
    """A counters-only read lacks names and types: take them from the last full read."""
    if known is None:
        return fresh
    update = {k: v for k, v in fresh.model_dump().items() if v is not None}
    return known.model_copy(update=update)
