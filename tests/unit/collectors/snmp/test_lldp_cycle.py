"""The LLDP collector: a result per device on its own cadence, bounded concurrency, a sink per
cycle, what was collected remembered for link discovery, and the state DB as the sink."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest
from pydantic import SecretStr

from collectors.snmp.fake_transport import FakeTransport, RecordedAgent
from collectors.snmp.lldp import LldpResult
from collectors.snmp.lldp_cycle import (
    DEFAULT_LLDP_INTERVAL_S,
    LldpCollector,
    NeighbourStoreSink,
)
from collectors.snmp.readings import PollTarget
from collectors.snmp.snmprec import parse_snmprec
from collectors.snmp.transport import SnmpTarget, SnmpValue, VarBind
from core.clock import FakeClock
from core.credentials import SnmpV2cCredential
from core.errors import StoreError
from core.inventory import load_inventory
from core.model import Platform
from core.state.db import migrate_to_head, open_state_engine
from core.state.neighbours import NeighbourRepository
from core.state.repository import StateRepository
from lab.divisions import load_divisions
from lab.model import Province
from lab.province import build_province
from lab.snmprec import render
from lab.snmprec_writer import device_records

DATA = Path(__file__).resolve().parents[3] / "data"


class Sink:
    def __init__(self, fail: bool = False) -> None:
        self.cycles: list[list[LldpResult]] = []
        self.fail = fail

    async def __call__(self, results: Sequence[LldpResult]) -> None:
        self.cycles.append(list(results))
        if self.fail:
            raise StoreError("state DB is read-only")


class Counting(FakeTransport):
    """Records how many walks run at once."""

    def __init__(self) -> None:
        super().__init__()
        self.running = 0
        self.most = 0

    async def walk(self, target: SnmpTarget, root: str, max_repetitions: int = 25) -> list[VarBind]:
        self.running += 1
        self.most = max(self.most, self.running)
        await asyncio.sleep(0)  # let the others start: concurrency shows only across awaits
        try:
            return await super().walk(target, root, max_repetitions)
        finally:
            self.running -= 1


@pytest.fixture(scope="module")
def province(shared_dir: Path) -> Province:
    divisions = load_divisions(shared_dir / "data" / "guangdong_divisions.json")
    return build_province(divisions, "small", seed=5)


_recorded: dict[tuple[int, str], list[VarBind]] = {}


def lab_fleet(province: Province, transport: FakeTransport) -> list[PollTarget]:
    targets = []
    for device in province.devices:
        key = (province.seed, device.id)
        if key not in _recorded:
            _recorded[key] = parse_snmprec(render(device_records(device, province)))
        agent = RecordedAgent(_recorded[key], device.community)
        transport.add(device.address, device.port, agent)
        credential = SnmpV2cCredential(community=SecretStr(device.community))
        snmp = SnmpTarget(device.address, device.port, credential, 1.0, 0, device.id)
        targets.append(PollTarget(device.id, device.region, device.platform, snmp, 60.0))
    return targets


async def test_a_cycle_collects_every_device_with_bounded_concurrency(province: Province) -> None:
    transport = Counting()
    targets = lab_fleet(province, transport)
    silent = PollTarget(
        "silent1", "440000", Platform.HUAWEI_VRP,
        SnmpTarget("127.0.0.99", 161, SnmpV2cCredential(community=SecretStr("x")), 1.0, 0),
        60.0,
    )  # fmt: skip
    sink = Sink()
    clock = FakeClock()
    collector = LldpCollector(transport, sink, clock, concurrency=3)
    collector.set_targets([*targets, silent])
    report = await collector.collect_once()

    assert transport.most == 3
    assert report.collected == len(province.devices)
    assert report.failed == {"silent1": "no answer within 1 s"}
    assert report.found == sum(len(d.neighbours) for d in province.devices)
    (results,) = sink.cycles
    assert {r.device_id for r in results} == {t.device_id for t in targets} | {"silent1"}
    assert all(r.collected_at == clock.now() for r in results)
    assert collector.collected_device_ids() == {d.id for d in province.devices}
    assert collector.chassis_macs() == {d.id: d.mac for d in province.devices}


async def test_a_subset_and_forgotten_targets(province: Province) -> None:
    transport = FakeTransport()
    targets = lab_fleet(province, transport)
    collector = LldpCollector(transport, Sink(), FakeClock())
    collector.set_targets(targets)
    first, second = targets[0].device_id, targets[1].device_id
    report = await collector.collect_once([first])
    assert report.collected == 1
    assert collector.collected_device_ids() == {first}
    collector.set_targets(targets[1:])
    assert collector.collected_device_ids() == frozenset()
    assert collector.targets[0].device_id == second


async def test_a_failing_sink_loses_only_that_cycle(province: Province) -> None:
    transport = FakeTransport()
    collector = LldpCollector(transport, Sink(fail=True), FakeClock())
    collector.set_targets(lab_fleet(province, transport)[:2])
    report = await collector.collect_once()
    assert report.collected == 2
    assert len(collector.collected_device_ids()) == 2


async def test_run_collects_until_stopped(province: Province) -> None:
    transport = FakeTransport()
    stop = asyncio.Event()

    class StopAfterTwo(Sink):
        async def __call__(self, results: Sequence[LldpResult]) -> None:
            await super().__call__(results)
            if len(self.cycles) == 2:
                stop.set()

    sink = StopAfterTwo()
    collector = LldpCollector(transport, sink, FakeClock(), interval_s=0.001)
    collector.set_targets(lab_fleet(province, transport)[:1])
    await asyncio.wait_for(collector.run(stop, first_delay_s=0.001), timeout=10)
    assert len(sink.cycles) == 2


async def test_run_stopped_before_its_first_cycle_collects_nothing() -> None:
    stop = asyncio.Event()
    stop.set()
    sink = Sink()
    collector = LldpCollector(FakeTransport(), sink, FakeClock())
    await collector.run(stop, first_delay_s=60)
    assert sink.cycles == []


def test_settings_are_checked() -> None:
    assert DEFAULT_LLDP_INTERVAL_S == 300.0
    with pytest.raises(ValueError, match="interval_s"):
        LldpCollector(FakeTransport(), Sink(), FakeClock(), interval_s=0)
    with pytest.raises(ValueError, match="concurrency"):
        LldpCollector(FakeTransport(), Sink(), FakeClock(), concurrency=0)


async def test_the_store_sink_keeps_successes_and_reports_devices_it_could_not_store(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = open_state_engine(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        migrate_to_head(engine)
        StateRepository(engine).sync_inventory(load_inventory(DATA / "small_inventory.yaml"))
        repository = NeighbourRepository(engine)
        transport = FakeTransport()
        agents = {"gz-core1": 1, "gz-liwan-acc1": 2, "unknown-device": 3}
        targets = []
        for device_id, number in agents.items():
            host = f"127.0.0.{number}"
            transport.add(host, 161, RecordedAgent(_one_neighbour(device_id)))
            credential = SnmpV2cCredential(community=SecretStr("public"))
            snmp = SnmpTarget(host, 161, credential, 1.0, 0, device_id)
            targets.append(PollTarget(device_id, "440000", Platform.HUAWEI_VRP, snmp, 60.0))
        targets.append(
            PollTarget("gz-yuexiu-acc1", "440104", Platform.CISCO_IOS,
                       SnmpTarget("127.0.0.9", 161, credential, 1.0, 0), 60.0)
        )  # fmt: skip
        repository.replace_neighbours("gz-yuexiu-acc1", [], FakeClock().now())
        collector = LldpCollector(transport, NeighbourStoreSink(repository), FakeClock())
        collector.set_targets(targets)
        report = await collector.collect_once()  # the unknown device's rows are refused
        assert report.collected == 3
        stored = repository.neighbours()
        assert sorted(n.device_id for n in stored) == ["gz-core1", "gz-liwan-acc1"]
        assert all(n.remote_system_name == "peer" for n in stored)
        assert "LLDP neighbours not stored for unknown-device" in caplog.text
    finally:
        engine.dispose()


def _one_neighbour(device_id: str) -> list[VarBind]:
    rem = "1.0.8802.1.1.2.1.4.1.1"
    columns: dict[int, SnmpValue] = {4: 4, 5: bytes(6), 6: 5, 7: b"Gi0/1", 9: b"peer"}
    return [
        ("1.3.6.1.2.1.31.1.1.1.1.1", b"Gi0/1"),
        *[(f"{rem}.{column}.0.1.1", value) for column, value in columns.items()],
    ]
