"""The routing collector: a result per device on its own cadence (the poll interval by default),
bounded concurrency, a sink per cycle, and the state DB as the sink — a silent device keeps its
last state, a device the DB refuses keeps no other out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from collectors.snmp.fake_transport import FakeTransport, RecordedAgent
from collectors.snmp.readings import PollTarget
from collectors.snmp.routing_cycle import (
    DEFAULT_ROUTING_INTERVAL_S,
    RoutingCollector,
    RoutingStoreSink,
)
from collectors.snmp.routing_state import OSPF_ADMIN_STAT, OSPF_NBR, RoutingResult
from collectors.snmp.snmprec import parse_snmprec
from collectors.snmp.transport import SnmpTarget, VarBind
from core.clock import FakeClock
from core.credentials import SnmpV2cCredential
from core.errors import StoreError
from core.inventory import load_inventory
from core.model import Platform
from core.state.db import migrate_to_head, open_state_engine
from core.state.repository import StateRepository
from core.state.routing import OspfNeighbourState, RoutingReport, RoutingRepository
from lab.divisions import load_divisions
from lab.model import Province
from lab.province import build_province
from lab.snmprec import render
from lab.snmprec_writer import device_records

DATA = Path(__file__).resolve().parents[3] / "data"


class Sink:
    def __init__(self, fail: bool = False) -> None:
        self.cycles: list[list[RoutingResult]] = []
        self.fail = fail

    async def __call__(self, results: Sequence[RoutingResult]) -> None:
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


def lab_fleet(province: Province, transport: FakeTransport) -> list[PollTarget]:
    targets = []
    for device in province.devices:
        varbinds = parse_snmprec(render(device_records(device, province)))
        transport.add(device.address, device.port, RecordedAgent(varbinds, device.community))
        credential = SnmpV2cCredential(community=SecretStr(device.community))
        snmp = SnmpTarget(device.address, device.port, credential, 1.0, 0, device.id)
        targets.append(PollTarget(device.id, device.region, device.platform, snmp, 60.0))
    return targets


def silent(device_id: str = "silent1", host: str = "127.0.0.99") -> PollTarget:
    credential = SnmpV2cCredential(community=SecretStr("x"))
    snmp = SnmpTarget(host, 161, credential, 1.0, 0, device_id)
    return PollTarget(device_id, "440000", Platform.HUAWEI_VRP, snmp, 60.0)


async def test_a_cycle_collects_every_device_with_bounded_concurrency(province: Province) -> None:
    transport = Counting()
    targets = lab_fleet(province, transport)
    sink = Sink()
    clock = FakeClock()
    collector = RoutingCollector(transport, sink, clock, concurrency=3)
    collector.set_targets([*targets, silent()])
    report = await collector.collect_once()

    assert transport.most == 3
    assert report.collected == len(province.devices)
    assert report.failed == {"silent1": "no answer within 1 s"}
    routers = {d.id for d in province.devices if d.is_network_device}
    router_links = [lk for lk in province.links if {lk.a.device, lk.b.device} <= routers]
    assert report.found == 2 * len(router_links)  # one adjacency at each end
    (results,) = sink.cycles
    assert {r.device_id for r in results} == {t.device_id for t in targets} | {"silent1"}
    assert all(r.collected_at == clock.now() for r in results)
    assert set(collector.latest()) == {r.device_id for r in results}


async def test_a_subset_forgotten_targets_and_a_failing_sink(province: Province) -> None:
    transport = FakeTransport()
    targets = lab_fleet(province, transport)
    collector = RoutingCollector(transport, Sink(fail=True), FakeClock())
    collector.set_targets(targets)
    first = targets[0].device_id
    report = await collector.collect_once([first])  # the sink's failure loses only the cycle
    assert report.collected == 1
    assert set(collector.latest()) == {first}
    collector.set_targets(targets[1:])
    assert collector.latest() == {}
    assert [t.device_id for t in collector.targets] == [t.device_id for t in targets[1:]]


async def test_run_collects_until_stopped(province: Province) -> None:
    transport = FakeTransport()
    stop = asyncio.Event()

    class StopAfterTwo(Sink):
        async def __call__(self, results: Sequence[RoutingResult]) -> None:
            await super().__call__(results)
            if len(self.cycles) == 2:
                stop.set()

    sink = StopAfterTwo()
    collector = RoutingCollector(transport, sink, FakeClock(), interval_s=0.001)
    collector.set_targets(lab_fleet(province, transport)[:1])
    await asyncio.wait_for(collector.run(stop, first_delay_s=0.001), timeout=10)
    assert len(sink.cycles) == 2
    stop.clear()
    stop.set()
    before = len(sink.cycles)
    await collector.run(stop, first_delay_s=60)  # stopped before its first cycle
    assert len(sink.cycles) == before


def test_settings_are_checked() -> None:
    assert DEFAULT_ROUTING_INTERVAL_S == 60.0  # the poll interval: adjacencies drop in seconds
    with pytest.raises(ValueError, match="interval_s"):
        RoutingCollector(FakeTransport(), Sink(), FakeClock(), interval_s=0)
    with pytest.raises(ValueError, match="concurrency"):
        RoutingCollector(FakeTransport(), Sink(), FakeClock(), concurrency=0)


def _one_neighbour(state: int) -> list[VarBind]:
    return [
        (OSPF_ADMIN_STAT, 1),
        (f"{OSPF_NBR}.3.10.0.0.2.0", "127.0.0.13"),
        (f"{OSPF_NBR}.6.10.0.0.2.0", state),
    ]


async def test_the_store_sink_keeps_successes_and_names_devices_it_could_not_store(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = open_state_engine(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        migrate_to_head(engine)
        StateRepository(engine).sync_inventory(load_inventory(DATA / "small_inventory.yaml"))
        repository = RoutingRepository(engine)
        transport = FakeTransport()
        credential = SnmpV2cCredential(community=SecretStr("public"))
        targets = []
        agents = {"gz-core1": (1, 8), "unknown-device": (2, 8)}  # not in the inventory
        for device_id, (number, state) in agents.items():
            host = f"127.0.0.{number}"
            transport.add(host, 161, RecordedAgent(_one_neighbour(state)))
            snmp = SnmpTarget(host, 161, credential, 1.0, 0, device_id)
            targets.append(PollTarget(device_id, "440000", Platform.HUAWEI_VRP, snmp, 60.0))
        targets.append(silent("gz-liwan-acc1", "127.0.0.9"))
        clock = FakeClock()
        repository.replace_routing("gz-liwan-acc1", RoutingReport(ospf=()), clock.now())
        clock.advance(60)
        collector = RoutingCollector(transport, RoutingStoreSink(repository), clock)
        collector.set_targets(targets)
        caplog.set_level(logging.ERROR)
        report = await collector.collect_once()
        assert report.collected == 2
        stored = repository.routing()
        assert set(stored) == {"gz-core1", "gz-liwan-acc1"}
        ospf = stored["gz-core1"].report.ospf
        assert ospf is not None
        assert [(n.neighbour_address, n.state) for n in ospf] == [
            ("10.0.0.2", OspfNeighbourState.FULL)
        ]
        # The silent device keeps what it said before, with its age.
        assert stored["gz-liwan-acc1"].collected_at == clock.now() - timedelta(seconds=60)
        assert any(
            "routing state not stored for unknown-device" in r.getMessage() for r in caplog.records
        )
    finally:
        engine.dispose()
