"""Maintenance without data collection: a device a window pauses is not polled while it is open,
and is read afresh once it has closed — on a fake clock, tick by tick."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from collectors.snmp.poller import SnmpPoller
from collectors.snmp.readings import PollTarget
from core.clock import FakeClock
from core.metrics import names
from tests.unit.collectors.snmp.test_poller import (
    INTERVAL_S,
    RecordingSink,
    ScriptedReader,
    make_poller,
    target,
)


class Maintenance:
    """The pause hook: devices in ``paused`` are skipped; every question is remembered."""

    def __init__(self, *paused: str) -> None:
        self.paused = set(paused)
        self.asked: list[tuple[str, str | None, datetime]] = []
        self.broken = False

    def __call__(self, device_id: str, region: str | None, now: datetime) -> bool:
        self.asked.append((device_id, region, now))
        if self.broken:
            raise RuntimeError("alert pipeline lock poisoned")
        return device_id in self.paused


def liwan(device_id: str) -> PollTarget:
    plain = target(device_id)
    return PollTarget(device_id, "440103", plain.platform, plain.snmp, plain.interval_s)


async def tick(poller: SnmpPoller) -> list[str]:
    """One tick of the run loop, its polls awaited and delivered; the devices polled."""
    tasks = await poller.start_due()
    records = [record for record, _ in await asyncio.gather(*tasks)]
    await poller.flush()
    return [record.device_id for record in records]


@pytest.fixture
def maintenance() -> Maintenance:
    return Maintenance("a")


@pytest.fixture
def poller(
    clock: FakeClock, reader: ScriptedReader, sink: RecordingSink, maintenance: Maintenance
) -> SnmpPoller:
    made = make_poller(clock, reader, sink, paused=maintenance, prime_delay_s=15.0)
    made.set_targets([liwan("a"), target("b")])
    return made


@pytest.fixture
def reader(clock: FakeClock) -> ScriptedReader:
    return ScriptedReader(clock)


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


async def test_a_paused_device_is_skipped_until_its_window_closes(
    clock: FakeClock,
    poller: SnmpPoller,
    reader: ScriptedReader,
    sink: RecordingSink,
    maintenance: Maintenance,
) -> None:
    start = clock.monotonic()
    assert await tick(poller) == ["b"]
    assert maintenance.asked == [("a", "440103", clock.now()), ("b", "440100", clock.now())]
    assert poller.next_due_s("a") == start + INTERVAL_S  # asked again an interval later
    assert {r.device_id for r in sink.records} == {"b"}  # no record, so not "down" either
    assert all(s.key.label("device") == "b" for s in sink.samples)

    clock.advance(15)
    assert await tick(poller) == ["b"]  # b's primed second poll; a is not due yet
    clock.advance(45)
    assert await tick(poller) == []  # a is due and still paused
    assert poller.next_due_s("a") == clock.monotonic() + INTERVAL_S

    maintenance.paused.clear()
    clock.advance(INTERVAL_S)
    assert sorted(await tick(poller)) == ["a", "b"]
    assert ("a", True) in reader.calls  # a full read, as at start
    assert poller.next_due_s("a") == clock.monotonic() + 15.0  # its rates are primed anew


async def test_rates_do_not_span_the_pause(
    clock: FakeClock, poller: SnmpPoller, sink: RecordingSink, maintenance: Maintenance
) -> None:
    maintenance.paused.clear()
    assert sorted(await tick(poller)) == ["a", "b"]
    clock.advance(15)
    await tick(poller)
    maintenance.paused.add("a")
    clock.advance(INTERVAL_S)
    assert await tick(poller) == ["b"]
    maintenance.paused.clear()
    clock.advance(INTERVAL_S)
    sink.records.clear()
    await tick(poller)
    (first_after,) = [r for r in sink.records if r.device_id == "a"]
    assert first_after.interfaces is not None
    assert first_after.interfaces[0].in_bps is None  # a fresh start: no rate yet


async def test_poll_once_skips_paused_devices_and_says_so(poller: SnmpPoller) -> None:
    report = await poller.poll_once()
    assert (report.polled, report.paused) == (1, ["a"])


async def test_a_failing_pause_check_polls_every_device(
    poller: SnmpPoller, maintenance: Maintenance, caplog: pytest.LogCaptureFixture
) -> None:
    maintenance.broken = True
    assert sorted(await tick(poller)) == ["a", "b"]
    assert "cannot tell which devices maintenance pauses" in caplog.text


async def test_without_a_hook_every_due_device_is_polled(
    clock: FakeClock, reader: ScriptedReader, sink: RecordingSink
) -> None:
    poller = make_poller(clock, reader, sink)
    poller.set_targets([liwan("a"), target("b")])
    assert sorted(await tick(poller)) == ["a", "b"]
    up = [s for s in sink.samples if s.key.name == names.DEVICE_UP]
    assert {s.key.label("region") for s in up} == {"440103", "440100"}
