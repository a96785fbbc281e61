"""The poller's behaviour on a fake clock: results per device, rates, schedule, back-off."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from pydantic import SecretStr

from collectors.snmp.fake_transport import FakeTransport
from collectors.snmp.poller import SnmpPoller
from collectors.snmp.readings import DeviceReading, InterfaceSample, PollTarget
from collectors.snmp.transport import SnmpTarget, SnmpTransport
from core.clock import FakeClock
from core.credentials import SnmpV2cCredential
from core.errors import DeviceTimeout, StoreError
from core.metrics import names
from core.metrics.store import Sample
from core.model import DeviceIdentity, InterfaceObservation, Platform
from core.polling import DevicePollRecord
from core.settings import PollSettings

INTERVAL_S = 60.0


def target(device_id: str, timeout_s: float = 1.0) -> PollTarget:
    snmp = SnmpTarget(
        host="127.0.0.1",
        port=161,
        credential=SnmpV2cCredential(community=SecretStr("c")),
        timeout_s=timeout_s,
        retries=0,
        name=device_id,
    )
    return PollTarget(device_id, "440100", Platform.HUAWEI_VRP, snmp, INTERVAL_S)


class ScriptedReader:
    """Serves each device's readings from a script; counters grow by ``rate`` per clock second."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.failing: dict[str, Exception] = {}
        self.hanging: dict[str, asyncio.Event] = {}
        self.calls: list[tuple[str, bool]] = []
        self.octets_per_s = 1_000.0

    async def read(
        self, transport: SnmpTransport, target: PollTarget, *, full: bool
    ) -> DeviceReading:
        self.calls.append((target.device_id, full))
        if target.device_id in self.hanging:
            await self.hanging[target.device_id].wait()
        if target.device_id in self.failing:
            raise self.failing[target.device_id]
        elapsed = self.clock.monotonic() - 1000.0
        observation = InterfaceObservation(
            if_index=1,
            name="GigabitEthernet0/0/1",
            descr="GigabitEthernet0/0/1",
            speed_bps=1_000_000_000,
            admin_status="up",
            oper_status="up",
        )
        octets = int(10_000 + self.octets_per_s * elapsed)
        return DeviceReading(
            identity=DeviceIdentity(os="vrp", sys_name=target.device_id) if full else None,
            uptime_s=5_000 + elapsed,
            cpu_percent=12.0,
            memory_percent=40.0,
            interfaces=(
                InterfaceSample(
                    1,
                    admin_status="up",
                    oper_status="up",
                    observation=observation if full else None,
                    in_octets=octets,
                    out_octets=octets // 2,
                ),
            ),
        )


class RecordingSink:
    def __init__(self) -> None:
        self.records: list[DevicePollRecord] = []
        self.samples: list[Sample] = []
        self.fail_next: int = 0
        self.two_delivered = asyncio.Event()

    async def deliver(self, records: Sequence[DevicePollRecord], samples: Sequence[Sample]) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise StoreError("metric store: disk full")
        self.records.extend(records)
        self.samples.extend(samples)
        if len(self.records) >= 2:
            self.two_delivered.set()


@pytest.fixture
def reader(clock: FakeClock) -> ScriptedReader:
    return ScriptedReader(clock)


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


def make_poller(
    clock: FakeClock, reader: ScriptedReader, sink: RecordingSink, **kwargs: object
) -> SnmpPoller:
    settings = PollSettings(interval_s=INTERVAL_S, concurrency=4, backoff_max_s=600.0)
    return SnmpPoller(FakeTransport(), reader, sink, clock, settings, **kwargs)  # type: ignore[arg-type]


async def test_one_failing_device_is_its_own_result_and_the_rest_succeed(
    clock: FakeClock, reader: ScriptedReader, sink: RecordingSink
) -> None:
    poller = make_poller(clock, reader, sink)
    poller.set_targets([target("a"), target("b"), target("c")])
    reader.failing["b"] = DeviceTimeout("b", "no answer within 1 s after 2 tries")

    report = await poller.poll_once()

    assert report.polled == 3
    assert report.succeeded == 2
    assert report.failed == {"b": "no answer within 1 s after 2 tries"}
    by_id = {r.device_id: r for r in sink.records}
    assert by_id["a"].reachable
    assert by_id["c"].reachable
    assert not by_id["b"].reachable
    assert by_id["b"].error == "no answer within 1 s after 2 tries"
    down = [s for s in sink.samples if s.key.name == names.DEVICE_UP and s.value == 0.0]
    assert [s.key.label("device") for s in down] == ["b"]


async def test_rates_come_from_the_second_poll(
    clock: FakeClock, reader: ScriptedReader, sink: RecordingSink
) -> None:
    poller = make_poller(clock, reader, sink)
    poller.set_targets([target("a")])

    await poller.poll_once()
    first = sink.records[-1]
    assert first.interfaces is not None
    assert first.interfaces[0].in_bps is None

    clock.advance(60)
    await poller.poll_once()
    second = sink.records[-1]
    assert second.interfaces is not None
    iface = second.interfaces[0]
    assert iface.in_bps == pytest.approx(8_000.0)  # 1,000 octets/s
    assert iface.out_bps == pytest.approx(4_000.0)
    in_bps = [s for s in sink.samples if s.key.name == names.INTERFACE_IN_BPS]
    assert len(in_bps) == 1
    assert dict(in_bps[0].key.labels) == {
        "device": "a",
        "if_index": "1",
        "if_name": "GigabitEthernet0/0/1",
    }


async def test_counters_only_polls_keep_names_from_the_last_full_read(
    clock: FakeClock, reader: ScriptedReader, sink: RecordingSink
) -> None:
    poller = make_poller(clock, reader, sink, rediscover_every=3)
    poller.set_targets([target("a")])
    for _ in range(4):
        await poller.poll_once()
        clock.advance(60)

    assert [full for _, full in reader.calls] == [True, False, False, True]
    light = sink.records[1]
    assert light.interfaces is not None
    assert light.interfaces[0].name == "GigabitEthernet0/0/1"
    assert light.interfaces[0].speed_bps == 1_000_000_000


async def test_second_poll_is_primed_soon_after_the_first_then_every_interval(
    clock: FakeClock, reader: ScriptedReader, sink: RecordingSink
) -> None:
    poller = make_poller(clock, reader, sink, prime_delay_s=15.0)
    poller.set_targets([target("a")])
    start = clock.monotonic()

    await poller.poll_once()
    assert poller.next_due_s("a") == start + 15.0
    clock.advance(15)
    await poller.poll_once()
    assert poller.next_due_s("a") == start + 15.0 + INTERVAL_S


async def test_a_failing_device_backs_off_doubling_up_to_the_ceiling(
    clock: FakeClock, reader: ScriptedReader, sink: RecordingSink
) -> None:
    poller = make_poller(clock, reader, sink)
    poller.set_targets([target("a")])
    reader.failing["a"] = DeviceTimeout("a", "no answer")

    delays = []
    for _ in range(6):
        before = clock.monotonic()
        await poller.poll_once()
        delays.append(poller.next_due_s("a") - before)
    assert delays == [60.0, 120.0, 240.0, 480.0, 600.0, 600.0]

    del reader.failing["a"]
    before = clock.monotonic()
    await poller.poll_once()
    assert poller.next_due_s("a") - before == 15.0  # recovered: treated as a fresh start


async def test_unexpected_reader_bug_is_that_devices_result_only(
    clock: FakeClock, reader: ScriptedReader, sink: RecordingSink, caplog: pytest.LogCaptureFixture
) -> None:
    poller = make_poller(clock, reader, sink)
    poller.set_targets([target("a"), target("b")])
    reader.failing["a"] = KeyError("ifName")

    report = await poller.poll_once()

    assert report.succeeded == 1
    assert report.failed["a"].startswith("internal error: KeyError")
    assert "polling a failed unexpectedly" in caplog.text


async def test_results_survive_a_failing_store_and_are_delivered_later(
    clock: FakeClock, reader: ScriptedReader, sink: RecordingSink
) -> None:
    poller = make_poller(clock, reader, sink)
    poller.set_targets([target("a")])
    sink.fail_next = 1

    await poller.poll_once()
    assert sink.records == []

    clock.advance(60)
    await poller.poll_once()
    assert [r.at for r in sink.records] == sorted(r.at for r in sink.records)
    assert len(sink.records) == 2


async def test_a_hanging_device_does_not_hold_back_the_others(
    clock: FakeClock, reader: ScriptedReader, sink: RecordingSink
) -> None:
    poller = make_poller(clock, reader, sink, flush_every=1)
    poller.set_targets([target("slow", timeout_s=0.01), target("a"), target("b")])
    release = asyncio.Event()
    reader.hanging["slow"] = release

    cycle = asyncio.create_task(poller.poll_once())
    await sink.two_delivered.wait()
    assert sorted(r.device_id for r in sink.records) == ["a", "b"]
    assert not cycle.done()

    # The slow device is cut off by its own budget (timeouts x tries), not by the others.
    report = await cycle
    assert report.failed["slow"].startswith("no complete answer within")
    release.set()


async def test_removed_targets_are_forgotten(
    clock: FakeClock, reader: ScriptedReader, sink: RecordingSink
) -> None:
    poller = make_poller(clock, reader, sink)
    poller.set_targets([target("a"), target("b")])
    await poller.poll_once()
    poller.set_targets([target("b")])
    report = await poller.poll_once()
    assert report.polled == 1
    assert [t.device_id for t in poller.targets] == ["b"]
