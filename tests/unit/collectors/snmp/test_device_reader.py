"""The poller's reader on a real recording: a full read walks; later reads GET what it found."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from pydantic import SecretStr

from collectors.snmp.device_reader import ProfileDeviceReader
from collectors.snmp.fake_transport import FakeTransport, RecordedAgent
from collectors.snmp.readings import PollTarget
from collectors.snmp.snmprec import load_snmprec
from collectors.snmp.transport import SnmpTarget, SnmpValue, VarBind
from core.credentials import SnmpV2cCredential
from core.model import Platform

IF_HC_IN_OCTETS = "1.3.6.1.2.1.31.1.1.1.6"
IF_OPER_STATUS = "1.3.6.1.2.1.2.2.1.8"


class CountingTransport(FakeTransport):
    def __init__(self) -> None:
        super().__init__()
        self.gets = 0
        self.walks = 0

    async def get(self, target: SnmpTarget, oids: Sequence[str]) -> dict[str, SnmpValue]:
        self.gets += 1
        return await super().get(target, oids)

    async def walk(self, target: SnmpTarget, root: str, max_repetitions: int = 25) -> list[VarBind]:
        self.walks += 1
        return await super().walk(target, root, max_repetitions)


@pytest.fixture
def huawei(shared_dir: Path) -> tuple[CountingTransport, RecordedAgent, PollTarget]:
    agent = RecordedAgent(load_snmprec(shared_dir / "snmprec/recordings/vrp_5720.snmprec"))
    transport = CountingTransport()
    transport.add("127.0.0.1", 161, agent)
    snmp = SnmpTarget("127.0.0.1", 161, SnmpV2cCredential(community=SecretStr("c")), name="sw")
    return transport, agent, PollTarget("sw", "440100", Platform.HUAWEI_VRP, snmp, 60.0)


async def test_regular_reads_get_the_same_figures_with_one_get_and_no_walks(
    huawei: tuple[CountingTransport, RecordedAgent, PollTarget],
) -> None:
    transport, agent, target = huawei
    reader = ProfileDeviceReader()
    full = await reader.read(transport, target, full=True)
    assert full.identity is not None
    assert full.identity.os == "vrp"
    assert full.interfaces is not None

    transport.gets = transport.walks = 0
    agent.set(f"{IF_HC_IN_OCTETS}.6", 123_456_789)
    light = await reader.read(transport, target, full=False)

    assert (transport.gets, transport.walks) == (1, 0)
    assert light.identity is None
    assert light.interfaces is not None
    by_index = {s.if_index: s for s in light.interfaces}
    assert [s.if_index for s in full.interfaces] == sorted(by_index)
    assert by_index[6].in_octets == 123_456_789
    for before in full.interfaces:
        after = by_index[before.if_index]
        assert after.oper_status == before.oper_status
        assert after.octets_width_bits == before.octets_width_bits
        assert after.out_octets == before.out_octets
        assert after.observation is None  # names come from the full read, kept by the poller
        assert before.observation is not None
    assert light.cpu_percent == full.cpu_percent
    assert light.memory_percent == full.memory_percent


async def test_an_interface_gone_since_the_full_read_is_left_out(
    huawei: tuple[CountingTransport, RecordedAgent, PollTarget],
) -> None:
    transport, agent, target = huawei
    reader = ProfileDeviceReader()
    full = await reader.read(transport, target, full=True)
    assert full.interfaces is not None
    gone = full.interfaces[-1].if_index
    for oid in [o for o in agent.oids if o.endswith(f".{gone}")]:
        del agent.values[oid]
    agent.oids = [o for o in agent.oids if o in agent.values]
    agent.keys = [tuple(int(p) for p in o.split(".")) for o in agent.oids]

    light = await reader.read(transport, target, full=False)
    assert light.interfaces is not None
    assert gone not in {s.if_index for s in light.interfaces}
    assert len(light.interfaces) == len(full.interfaces) - 1


async def test_a_plan_the_device_no_longer_answers_falls_back_to_walks(
    huawei: tuple[CountingTransport, RecordedAgent, PollTarget], shared_dir: Path
) -> None:
    transport, _, target = huawei
    reader = ProfileDeviceReader()
    await reader.read(transport, target, full=True)
    # Another device took the address: none of the planned instances exist there.
    other = RecordedAgent(load_snmprec(shared_dir / "snmprec/recordings/linux_ntc.snmprec"))
    transport.add("127.0.0.1", 161, other)
    transport.gets = transport.walks = 0

    light = await reader.read(transport, target, full=False)

    assert transport.walks > 0
    assert light.interfaces is not None
    # Read by walking, from what the device has now: its seven interfaces.
    assert len(light.interfaces) == 7
