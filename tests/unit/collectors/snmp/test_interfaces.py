"""Interfaces: columns walked one by one and joined by ifIndex, statuses and types named, counters
read with their widths, and only the columns a read needs."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from collectors.snmp.fake_transport import FakeTransport, RecordedAgent
from collectors.snmp.iana_iftype import IANA_IF_TYPES, if_type_name
from collectors.snmp.interfaces import (
    Counter,
    ReadScope,
    read_interface_counters,
    read_interfaces,
    speed_bps,
    status_name,
)
from collectors.snmp.snmprec import load_snmprec
from collectors.snmp.transport import SnmpTarget, VarBind
from core.credentials import SnmpV2cCredential

HOST, PORT = "127.0.0.1", 161
IF = "1.3.6.1.2.1.2.2.1"
IFX = "1.3.6.1.2.1.31.1.1.1"
DESCR, TYPE, SPEED, ADMIN, OPER = (f"{IF}.2", f"{IF}.3", f"{IF}.5", f"{IF}.7", f"{IF}.8")
IN_OCTETS, OUT_OCTETS, IN_ERRORS = f"{IF}.10", f"{IF}.16", f"{IF}.14"
NAME, HC_IN, HC_OUT, HIGH_SPEED, ALIAS = (
    f"{IFX}.1",
    f"{IFX}.6",
    f"{IFX}.10",
    f"{IFX}.15",
    f"{IFX}.18",
)


class WalkLog(FakeTransport):
    """The fake transport, remembering which columns were walked."""

    def __init__(self, varbinds: list[VarBind]) -> None:
        super().__init__({f"{HOST}:{PORT}": RecordedAgent(varbinds)})
        self.walked: list[str] = []

    async def walk(self, target: SnmpTarget, root: str, max_repetitions: int = 25) -> list[VarBind]:
        self.walked.append(root)
        return await super().walk(target, root, max_repetitions)


def target() -> SnmpTarget:
    return SnmpTarget(HOST, PORT, SnmpV2cCredential(community=SecretStr("public")), 1.0, 0)


def two_ports() -> list[VarBind]:
    """Gi0/1 up at 1G with HC counters; a 40G port whose ifSpeed saturates; a virtual one."""
    return [
        (f"{DESCR}.1", b"GigabitEthernet0/0/1"),
        (f"{DESCR}.2", b"FortyGigE1/0/1"),
        (f"{DESCR}.3", b"Vlanif1"),
        (f"{TYPE}.1", 6),
        (f"{TYPE}.2", 6),
        (f"{TYPE}.3", 53),
        (f"{SPEED}.1", 1_000_000_000),
        (f"{SPEED}.2", 4_294_967_295),
        (f"{ADMIN}.1", 1),
        (f"{ADMIN}.2", 1),
        (f"{ADMIN}.3", 2),
        (f"{OPER}.1", 1),
        (f"{OPER}.2", 7),
        (f"{OPER}.3", 2),
        (f"{IN_OCTETS}.1", 111),
        (f"{IN_OCTETS}.3", 333),
        (f"{IN_ERRORS}.1", 5),
        (f"{NAME}.1", b"GE0/0/1"),
        (f"{NAME}.2", b"40GE1/0/1"),
        (f"{NAME}.3", b"Vlanif1"),
        (f"{HC_IN}.1", 2**40),
        (f"{HC_IN}.2", 7),
        (f"{HIGH_SPEED}.1", 1000),
        (f"{HIGH_SPEED}.2", 40000),
        (f"{ALIAS}.1", "上联 to county".encode()),
        (f"{ALIAS}.2", b""),
    ]


async def test_a_full_read_names_everything() -> None:
    transport = WalkLog(two_ports())

    ports = {p.if_index: p.observation for p in await read_interfaces(transport, target())}

    assert sorted(ports) == [1, 2, 3]
    assert ports[1].name == "GE0/0/1"
    assert ports[1].descr == "GigabitEthernet0/0/1"
    assert ports[1].alias == "上联 to county"
    assert ports[1].if_type == "ethernetCsmacd"
    assert ports[3].if_type == "propVirtual"
    assert (ports[1].admin_status, ports[1].oper_status) == ("up", "up")
    assert ports[2].oper_status == "lowerLayerDown"
    assert ports[3].admin_status == "down"


async def test_a_saturated_if_speed_gives_way_to_if_high_speed() -> None:
    ports = {
        p.if_index: p.observation for p in await read_interfaces(WalkLog(two_ports()), target())
    }

    assert ports[1].speed_bps == 1_000_000_000
    assert ports[2].speed_bps == 40_000_000_000
    assert ports[3].speed_bps is None


async def test_missing_columns_are_none_and_an_empty_alias_is_no_alias() -> None:
    ports = {p.if_index: p for p in await read_interfaces(WalkLog(two_ports()), target())}

    assert ports[2].observation.alias is None
    assert ports[2].columns["ifAlias"] == b""
    assert ports[3].observation.alias is None
    assert "ifAlias" not in ports[3].columns
    assert ports[3].counters.out_octets is None


async def test_counters_prefer_hc_and_fall_back_per_interface() -> None:
    ports = {p.if_index: p.counters for p in await read_interfaces(WalkLog(two_ports()), target())}

    assert ports[1].in_octets == Counter(2**40, 64)
    assert ports[2].in_octets == Counter(7, 64)
    assert ports[3].in_octets == Counter(333, 32)  # no HC row for the virtual interface
    assert ports[1].in_errors == Counter(5, 32)


async def test_a_counters_read_walks_statuses_and_counters_only() -> None:
    transport = WalkLog(two_ports())

    ports = await read_interface_counters(transport, target())

    assert {NAME, DESCR, ALIAS, TYPE, SPEED, HIGH_SPEED}.isdisjoint(transport.walked)
    assert {ADMIN, OPER, HC_IN, IN_OCTETS}.issubset(transport.walked)
    assert ports[0].observation.name is None
    assert ports[0].observation.oper_status == "up"
    assert ports[0].counters.in_octets == Counter(2**40, 64)


async def test_the_32_bit_column_is_not_walked_when_hc_covers_every_interface() -> None:
    varbinds = [vb for vb in two_ports() if not vb[0].startswith((IN_OCTETS, f"{OPER}.3"))]
    varbinds = [vb for vb in varbinds if not vb[0].endswith(".3")]
    transport = WalkLog(varbinds)

    await read_interface_counters(transport, target())

    assert HC_IN in transport.walked
    assert IN_OCTETS not in transport.walked


async def test_an_agent_without_if_x_table_reads_32_bit_counters(shared_dir: Path) -> None:
    recording = shared_dir / "snmprec" / "recordings" / "zxr10_5928.snmprec"
    transport = WalkLog(load_snmprec(recording))

    ports = await read_interfaces(transport, target())

    assert len(ports) == 45
    assert all(p.observation.name is None for p in ports)
    assert {p.counters.in_octets.width_bits for p in ports if p.counters.in_octets} == {32}


async def test_everything_walks_both_widths(shared_dir: Path) -> None:
    recording = shared_dir / "snmprec" / "recordings" / "vrp_5720.snmprec"
    transport = WalkLog(load_snmprec(recording))

    ports = {
        p.if_index: p for p in await read_interfaces(transport, target(), ReadScope.EVERYTHING)
    }

    assert len(ports) == 65
    assert {HC_IN, IN_OCTETS} <= set(transport.walked)  # this agent has no ifInOctets rows
    assert "ifInOctets" not in ports[8].columns
    assert ports[8].columns["ifHCInOctets"] == 0
    assert ports[8].observation.name == "GigabitEthernet0/0/3"
    assert ports[8].observation.speed_bps == 1_000_000_000  # no ifSpeed: ifHighSpeed tells


@pytest.mark.parametrize(
    ("code", "name"),
    [
        *[(1, "up"), (2, "down"), (3, "testing"), (4, "unknown"), (5, "dormant")],
        *[(6, "notPresent"), (7, "lowerLayerDown"), (0, None), (8, None), (b"1", None)],
    ],
)
def test_status_names(code: object, name: str | None) -> None:
    assert status_name(code) == name  # type: ignore[arg-type]


def test_if_type_names_come_from_iana() -> None:
    assert if_type_name(6) == "ethernetCsmacd"
    assert if_type_name(24) == "softwareLoopback"
    assert if_type_name(161) == "ieee8023adLag"
    assert if_type_name(250) == "gpon"
    assert if_type_name(273) is None
    assert max(IANA_IF_TYPES) == 303


@pytest.mark.parametrize(
    ("if_speed", "if_high_speed", "bps"),
    [
        (100_000_000, 100, 100_000_000),
        (4_294_967_295, 10_000, 10_000_000_000),
        (None, 2_500, 2_500_000_000),
        (4_294_967_295, None, 4_294_967_295),
        (None, None, None),
    ],
)
def test_speed(if_speed: int | None, if_high_speed: int | None, bps: int | None) -> None:
    assert speed_bps(if_speed, if_high_speed) == bps
