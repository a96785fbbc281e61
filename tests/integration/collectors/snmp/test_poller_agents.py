"""The poller end to end against real agents: the small lab over snmpsim, and net-snmp's snmpd.

Everything the poller reads goes through the real transports into the real stores; no fakes.
Rates need two polls; the second cycle simply follows the first (counters grow in real time).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from pydantic import SecretStr

from collectors.snmp.device_reader import ProfileDeviceReader
from collectors.snmp.gufo_transport import GufoTransport
from collectors.snmp.poller import SnmpPoller
from collectors.snmp.pysnmp_transport import PysnmpTransport
from collectors.snmp.readings import PollTarget
from collectors.snmp.transport import SnmpTarget, SnmpTransport
from collectors.store_sink import StoreSink
from core.clock import SystemClock
from core.credentials import SnmpV2cCredential, load_credentials
from core.events import DeviceStatusChanged, Event, EventBus
from core.inventory import load_inventory
from core.metrics import names
from core.metrics.sqlite_store import SqliteMetricStore
from core.model import Platform, Status
from core.settings import PollSettings, Settings
from core.state.db import migrate_to_head, open_state_engine
from core.state.repository import StateRepository
from lab.control import lab_down, lab_up
from lab.state import LabOptions, LabState
from ssnoc.wiring import poll_targets
from tests.conftest import SHARED
from tests.support.addresses import fresh_address, fresh_block
from tests.support.bad_agents import silent_agent
from tests.support.snmpd import SnmpdAgent, start_snmpd

pytestmark = pytest.mark.integration

EXPECTED_OS = {
    Platform.HUAWEI_VRP: {"vrp"},
    Platform.HP_COMWARE: {"comware"},
    Platform.CISCO_IOS: {"ios", "iosxe"},
    Platform.ZTE_ZXROS: {"zxr10"},
    Platform.LINUX: {"linux"},
}


class Stores:
    def __init__(self, tmp_path: Path) -> None:
        self.engine = open_state_engine(f"sqlite:///{tmp_path / 'state.db'}")
        migrate_to_head(self.engine)
        self.state = StateRepository(self.engine)
        self.metrics = SqliteMetricStore(tmp_path / "metrics.db")
        self.events: list[Event] = []
        self.bus = EventBus()
        self.bus.subscribe(DeviceStatusChanged, self.events.append)

    def poller(self, transport: SnmpTransport, settings: PollSettings) -> SnmpPoller:
        sink = StoreSink(self.state, self.metrics, self.bus)
        return SnmpPoller(transport, ProfileDeviceReader(), sink, SystemClock(), settings)

    def close(self) -> None:
        self.metrics.close()
        self.engine.dispose()


@pytest.fixture(scope="module")
def small_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabState]:
    options = LabOptions(
        data_dir=tmp_path_factory.mktemp("lab"),
        size="small",
        seed=7,
        network=fresh_block(),
        divisions_path=SHARED / "data" / "guangdong_divisions.json",
    )
    state = lab_up(options)
    try:
        yield state
    finally:
        lab_down(options.data_dir)


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[Stores]:
    s = Stores(tmp_path)
    try:
        yield s
    finally:
        s.close()


@pytest.mark.parametrize("transport_kind", ["gufo", "pysnmp"])
async def test_the_small_lab_polled_twice_gives_state_and_rates(
    small_lab: LabState, stores: Stores, transport_kind: str
) -> None:
    inventory = load_inventory(small_lab.inventory_path)
    credentials = load_credentials(small_lab.credentials_path)
    settings = Settings(poll=PollSettings(timeout_s=2.0, retries=1))
    targets, skipped = poll_targets(inventory, credentials, settings)
    assert skipped == {}
    stores.state.sync_inventory(inventory)
    transport: SnmpTransport = GufoTransport() if transport_kind == "gufo" else PysnmpTransport()
    poller = stores.poller(transport, settings.poll)
    poller.set_targets(targets)
    try:
        first = await poller.poll_once()
        second = await poller.poll_once()
    finally:
        await poller.close()

    assert first.failed == {}
    assert second.failed == {}
    assert second.succeeded == len(inventory.devices)
    for device in inventory.devices:
        detail = stores.state.device(device.id)
        assert detail.status is Status.UP, (device.id, detail.last_error)
        assert detail.identity.sys_name == device.name
        assert detail.identity.os in EXPECTED_OS[device.platform], device.id
        assert detail.uptime_s is not None
        assert detail.uptime_s > 0
        assert detail.cpu_percent is not None, device.id
        assert 0 <= detail.cpu_percent <= 100
        assert detail.memory_percent is not None, device.id
        linked = [i for i in detail.interfaces if i.link is not None]
        assert linked, f"{device.id}: no interface matched an inventory link"
        for iface in linked:
            assert iface.oper_status == "up"
            assert iface.in_bps is not None
            assert iface.in_bps > 0, (device.id, iface.name)
    rates = stores.metrics.latest(names.INTERFACE_IN_BPS)
    assert len({r.key.label("device") for r in rates}) == len(inventory.devices)
    assert all(r.value >= 0 for r in rates)
    (root,) = stores.state.region_tree()
    assert root.status is Status.UP
    assert root.devices.up == len(inventory.devices)


async def test_wrong_community_and_silent_agent_are_their_own_results(
    small_lab: LabState, stores: Stores
) -> None:
    inventory = load_inventory(small_lab.inventory_path)
    credentials = load_credentials(small_lab.credentials_path)
    settings = Settings(poll=PollSettings(timeout_s=0.3, retries=1))
    targets, _ = poll_targets(inventory, credentials, settings)
    stores.state.sync_inventory(inventory)
    wrong = targets[0]
    bad_credential = SnmpV2cCredential(community=SecretStr("not-the-community"))
    targets[0] = replace(wrong, snmp=replace(wrong.snmp, credential=bad_credential))
    with silent_agent(fresh_address()) as silent:
        quiet = targets[1]
        targets[1] = replace(quiet, snmp=replace(quiet.snmp, host=silent.host, port=silent.port))
        poller = stores.poller(GufoTransport(), settings.poll)
        poller.set_targets(targets)
        try:
            report = await poller.poll_once()
        finally:
            await poller.close()

    assert set(report.failed) == {wrong.device_id, quiet.device_id}
    assert "no answer" in report.failed[wrong.device_id]
    assert report.succeeded == len(targets) - 2
    # A silent agent costs its own timeout x tries, not the cycle's patience.
    assert report.duration_s < 5.0
    assert stores.state.device(wrong.device_id).status is Status.DOWN
    assert stores.state.device(targets[2].device_id).status is Status.UP
    downs = {e.device_id for e in stores.events if isinstance(e, DeviceStatusChanged)
             and e.after is Status.DOWN}  # fmt: skip
    assert downs == {wrong.device_id, quiet.device_id}


@pytest.fixture
def linux_host(tmp_path: Path) -> Iterator[SnmpdAgent]:
    agent = start_snmpd(fresh_address(), 16100, tmp_path / "snmpd")
    try:
        yield agent
    finally:
        agent.stop()


def linux_target(snmp: SnmpTarget) -> PollTarget:
    return PollTarget("host1", "440000", Platform.LINUX, replace(snmp, name="host1"), 60.0)


@pytest.mark.parametrize("version", ["v2c", "v3-sha256-aes128", "v3-sha512-aes256"])
async def test_a_real_net_snmp_host_is_polled_with_the_linux_profile(
    linux_host: SnmpdAgent, stores: Stores, version: str
) -> None:
    if version == "v2c":
        snmp = linux_host.v2c()
    else:
        user = {
            "v3-sha256-aes128": "noc-sha256-aes",
            "v3-sha512-aes256": "noc-sha512-aes256",
        }[version]
        snmp = linux_host.v3(linux_host.users[user].credential())
    poller = stores.poller(GufoTransport(), PollSettings())
    poller.set_targets([linux_target(snmp)])
    try:
        first = await poller.poll_once()
        second = await poller.poll_once()
    finally:
        await poller.close()
    assert first.failed == {}
    assert second.failed == {}
    records = stores.metrics.latest(names.DEVICE_UP, {"device": "host1"})
    assert [r.value for r in records] == [1.0]
    cpu = stores.metrics.latest(names.DEVICE_CPU_PERCENT, {"device": "host1"})
    memory = stores.metrics.latest(names.DEVICE_MEMORY_PERCENT, {"device": "host1"})
    # snmpd fills hrProcessorLoad only after its first minute of sampling: none yet is right.
    assert all(0 <= c.value <= 100 for c in cpu)
    assert len(memory) == 1
    assert 0 < memory[0].value < 100
    uptime = stores.metrics.latest(names.DEVICE_UPTIME_S, {"device": "host1"})
    assert uptime[0].value >= 0
    # The loopback interface is there, named, with a rate (possibly zero) on the second poll.
    lo = [
        s for s in stores.metrics.latest(names.INTERFACE_IN_BPS, {"device": "host1"})
        if s.key.label("if_name") == "lo"
    ]  # fmt: skip
    assert len(lo) == 1
    assert lo[0].value >= 0
