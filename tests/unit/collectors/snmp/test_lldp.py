"""LLDP neighbours over SNMP: real recordings read as LibreNMS reads them, the lab's own LLDP data
read back exactly, and every quirk of real agents (volatile time marks, two-part indexes, ports
numbered apart from ifIndex, ids by subtype, malformed rows) survived without losing the device."""

from __future__ import annotations

import asyncio
import json
import logging
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path

import pytest
from pydantic import SecretStr

from collectors.snmp.fake_transport import FakeTransport, RecordedAgent
from collectors.snmp.lldp import (
    DOT1D_BASE_PORT_IF_INDEX,
    IF_DESCR,
    IF_NAME,
    LOC_CHASSIS_ID,
    LOC_CHASSIS_ID_SUBTYPE,
    LOC_PORT,
    REM,
    REM_MAN_ADDR,
    collect_lldp,
    read_lldp,
)
from collectors.snmp.snmprec import load_snmprec, parse_snmprec
from collectors.snmp.transport import SnmpTarget, SnmpValue, VarBind
from core.clock import FakeClock
from core.credentials import SnmpV2cCredential
from core.errors import DeviceAuthError
from core.neighbours import ChassisIdSubtype, LldpNeighbour, NeighbourSource, PortIdSubtype
from lab.divisions import load_divisions
from lab.model import Province
from lab.province import build_province
from lab.snmprec import render
from lab.snmprec_writer import device_records
from topology.discovery import match_links

HOST, PORT = "127.0.0.1", 161


def target(name: str = "sw1") -> SnmpTarget:
    return SnmpTarget(HOST, PORT, SnmpV2cCredential(community=SecretStr("public")), 1.0, 0, name)


def serve(varbinds: list[VarBind]) -> FakeTransport:
    return FakeTransport({f"{HOST}:{PORT}": RecordedAgent(varbinds)})


async def neighbours_of(varbinds: list[VarBind], device: str = "sw1") -> list[LldpNeighbour]:
    reading = await read_lldp(serve(varbinds), target(device), device)
    return list(reading.neighbours)


# --------------------------------------------------------------------------- real recordings


@pytest.mark.parametrize("name", ["vrp_5720", "iosxe_ie32008t2s-ios17-12"])
async def test_recordings_give_the_links_librenms_expects(shared_dir: Path, name: str) -> None:
    recording = load_snmprec(shared_dir / "snmprec" / "recordings" / f"{name}.snmprec")
    expected = json.loads((shared_dir / "snmprec" / "expected" / f"{name}.json").read_text())
    links = expected["discovery-protocols"]["discovery"]["links"]
    result = await collect_lldp(serve(recording), target(name), clock=FakeClock())
    assert result.ok, result.error
    assert result.reading is not None
    assert result.reading.skipped == ()
    seen = sorted(
        (
            n.local_port,
            n.remote_system_name or n.remote_system_description,
            f"{n.remote_port_id} ({_mac_hex(n)})",
            n.remote_system_description,
        )
        for n in result.neighbours
    )
    wanted = sorted(
        (link["ifName"], link["remote_hostname"], link["remote_port"], link["remote_version"])
        for link in links
        if link["protocol"] == "lldp"
    )
    assert seen == wanted
    assert all(n.source is NeighbourSource.SNMP for n in result.neighbours)


def _mac_hex(neighbour: LldpNeighbour) -> str:
    if neighbour.remote_chassis_id_subtype is not ChassisIdSubtype.MAC_ADDRESS:
        return ""
    return neighbour.remote_chassis_id.replace(":", "")


async def test_huawei_port_numbers_are_not_if_indexes(shared_dir: Path) -> None:
    """An S5720 numbers LLDP ports 1…52 and 901; its ifIndexes differ (ifIndex 14 is GE0/0/9)."""
    recording = load_snmprec(shared_dir / "snmprec" / "recordings" / "vrp_5720.snmprec")
    by_port = {n.local_port: n for n in await neighbours_of(recording)}
    ce_ng = by_port["XGigabitEthernet0/0/1"]
    assert ce_ng.remote_chassis_id == "b4:fb:f9:ad:b8:81"
    assert ce_ng.remote_port_id_subtype is PortIdSubtype.INTERFACE_NAME
    assert ce_ng.remote_port_description is None  # an empty lldpRemPortDesc
    names = {
        oid.rsplit(".", 1)[1]: value for oid, value in recording if oid.startswith(f"{IF_NAME}.")
    }
    for neighbour in by_port.values():
        assert neighbour.local_if_index is not None
        assert names[str(neighbour.local_if_index)] == neighbour.local_port.encode()
    assert by_port["GigabitEthernet0/0/14"].local_if_index != 14


async def test_cisco_anonymised_port_ids_fall_back_to_bridge_ports_and_if_indexes(
    shared_dir: Path,
) -> None:
    """lldpLocPortId says ``port-001``: port 1 is bridge port 1 (ifIndex 1), port 3 ifIndex 3."""
    path = shared_dir / "snmprec" / "recordings" / "iosxe_ie32008t2s-ios17-12.snmprec"
    by_port = {n.local_port: n for n in await neighbours_of(load_snmprec(path))}
    assert {p: n.local_if_index for p, n in by_port.items()} == {"Gi1/1": 1, "Gi1/3": 3}
    plc = by_port["Gi1/3"]
    assert plc.remote_chassis_id == "pls"
    assert plc.remote_chassis_id_subtype is ChassisIdSubtype.LOCAL
    assert plc.remote_port_id_subtype is PortIdSubtype.LOCAL
    assert plc.remote_system_name is None
    assert plc.remote_management_address == IPv4Address("192.168.100.3")
    assert by_port["Gi1/1"].remote_management_address == IPv4Address("10.46.101.110")


async def test_agents_without_neighbours(shared_dir: Path) -> None:
    recordings = shared_dir / "snmprec" / "recordings"
    olt = await read_lldp(serve(load_snmprec(recordings / "zxa10_c320.snmprec")), target(), "olt")
    assert olt.neighbours == ()
    assert olt.local_chassis_id == "d4:c1:c8:18:86:50"  # served as the text "d4 c1 c8 18 86 50"
    assert olt.has_lldp
    switch = await read_lldp(serve(load_snmprec(recordings / "ios_c3560.snmprec")), target(), "sw")
    assert switch.neighbours == ()
    assert not switch.has_lldp


# --------------------------------------------------------------------------- the lab's own data


@pytest.fixture(scope="module")
def province(shared_dir: Path) -> Province:
    divisions = load_divisions(shared_dir / "data" / "guangdong_divisions.json")
    return build_province(divisions, "small", seed=3)


async def test_the_lab_agents_report_exactly_their_links(province: Province) -> None:
    devices = province.device_by_id()
    heard: list[LldpNeighbour] = []
    for device in province.devices:
        varbinds = parse_snmprec(render(device_records(device, province)))
        reading = await read_lldp(serve(varbinds), target(device.id), device.id)
        heard += reading.neighbours
        assert reading.local_chassis_id == device.mac
        interfaces = device.interface_by_name()
        got = sorted(
            (
                n.local_port,
                n.local_if_index,
                n.remote_system_name,
                n.remote_port_id,
                n.remote_chassis_id,
                n.remote_management_address,
            )
            for n in reading.neighbours
        )
        assert got == sorted(
            (
                n.interface,
                interfaces[n.interface].if_index,
                devices[n.device].name,
                n.remote_interface,
                devices[n.device].mac,
                IPv4Address(devices[n.device].address),
            )
            for n in device.neighbours
        ), device.id
    report = match_links(province.to_inventory(), heard, set(devices))
    assert report.matched_link_ids == {link.id for link in province.links}
    assert all(len(m.seen_from) == 2 for m in report.matched)
    assert report.findings == 0


# --------------------------------------------------------------------------- quirks


def lldp_agent(rows: dict[str, dict[int, SnmpValue]], **extra: SnmpValue) -> list[VarBind]:
    """Remote rows by index (``timeMark.port.remIndex``), ports 1–3 named Gi0/1… (ifIndex = port
    + 100, so a number taken for an ifIndex shows), and any extra varbinds by OID."""
    varbinds: list[VarBind] = [(LOC_CHASSIS_ID_SUBTYPE, 4), (LOC_CHASSIS_ID, bytes(range(6)))]
    for port in (1, 2, 3):
        varbinds += [
            (f"{LOC_PORT}.2.{port}", 5),
            (f"{LOC_PORT}.3.{port}", f"GigabitEthernet0/{port}".encode()),
            (f"{IF_NAME}.{port + 100}", f"Gi0/{port}".encode()),
            (f"{IF_DESCR}.{port + 100}", f"GigabitEthernet0/{port}".encode()),
        ]
    for index, columns in rows.items():
        varbinds += [(f"{REM}.{column}.{index}", value) for column, value in columns.items()]
    varbinds += list(extra.items())
    return varbinds


def switch(name: bytes = b"sw2", port: bytes = b"Gi0/9") -> dict[int, SnmpValue]:
    return {4: 4, 5: bytes.fromhex("001122334455"), 6: 5, 7: port, 8: b"uplink", 9: name}


async def test_a_port_name_is_matched_to_if_name_across_spellings() -> None:
    (neighbour,) = await neighbours_of(lldp_agent({"0.2.1": switch()}))
    assert neighbour.local_port == "Gi0/2"  # lldpLocPortId GigabitEthernet0/2 = ifName Gi0/2
    assert neighbour.local_if_index == 102
    assert neighbour.remote_chassis_id == "00:11:22:33:44:55"
    assert neighbour.remote_chassis_id_subtype is ChassisIdSubtype.MAC_ADDRESS
    assert (neighbour.remote_port_id, neighbour.remote_port_description) == ("Gi0/9", "uplink")


async def test_a_volatile_time_mark_keeps_one_row_with_the_newest_values() -> None:
    older = switch(b"old-name")
    newer: dict[int, SnmpValue] = {9: b"new-name", 7: b"Gi0/10"}
    rows = {"100.1.1": older, "250.1.1": newer}
    (neighbour,) = await neighbours_of(lldp_agent(rows))
    assert neighbour.remote_system_name == "new-name"
    assert neighbour.remote_port_id == "Gi0/10"
    assert neighbour.remote_chassis_id == "00:11:22:33:44:55"  # only under the older mark


async def test_two_part_indexes_without_a_time_mark() -> None:
    man = f"{REM_MAN_ADDR}.3.3.1.1.10.0.0.9"  # no time mark, no length octet
    (neighbour,) = await neighbours_of(lldp_agent({"3.1": switch()}, **{man: 2}))
    assert neighbour.local_port == "Gi0/3"
    assert neighbour.remote_management_address == IPv4Address("10.0.0.9")


async def test_management_addresses_from_the_index_prefer_ipv4() -> None:
    v6 = ".".join(str(b) for b in IPv6Address("2001:db8::1").packed)
    extra = {
        f"{REM_MAN_ADDR}.3.0.1.1.2.16.{v6}": 2,
        f"{REM_MAN_ADDR}.3.0.1.1.1.4.192.0.2.7": 2,
        f"{REM_MAN_ADDR}.3.0.2.1.2.16.{v6}": 2,
        f"{REM_MAN_ADDR}.3.0.3.1.1.4.0.0.0.0": 2,  # unspecified: no address
    }
    rows = {"0.1.1": switch(b"a"), "0.2.1": switch(b"b"), "0.3.1": switch(b"c")}
    neighbours = await neighbours_of(lldp_agent(rows, **extra))
    found = {n.remote_system_name: n.remote_management_address for n in neighbours}
    assert found == {"a": IPv4Address("192.0.2.7"), "b": IPv6Address("2001:db8::1"), "c": None}


@pytest.mark.parametrize(
    ("columns", "chassis", "chassis_subtype", "port", "port_subtype"),
    [
        # A MAC chassis given as text, a MAC port id as six octets.
        ({4: 4, 5: b"00-1B-54-AB-CD-EF", 6: 3, 7: bytes.fromhex("001b54abcdf0")},
         "00:1b:54:ab:cd:ef", ChassisIdSubtype.MAC_ADDRESS, "00:1b:54:ab:cd:f0",
         PortIdSubtype.MAC_ADDRESS),
        # A network address: the IANA family octet (1, IPv4) then the address.
        ({4: 5, 5: bytes([1, 10, 1, 2, 3]), 6: 4, 7: bytes([1, 10, 1, 2, 4])},
         "10.1.2.3", ChassisIdSubtype.NETWORK_ADDRESS, "10.1.2.4", PortIdSubtype.NETWORK_ADDRESS),
        # Locally assigned text; an interface name as chassis id.
        ({4: 7, 5: b"SN12345", 6: 7, 7: b"17"}, "SN12345", ChassisIdSubtype.LOCAL, "17",
         PortIdSubtype.LOCAL),
        ({4: 6, 5: b"eth0", 6: 5, 7: b"eth0"}, "eth0", ChassisIdSubtype.INTERFACE_NAME, "eth0",
         PortIdSubtype.INTERFACE_NAME),
        # No subtypes at all: six binary octets are a MAC, text stays text.
        ({5: bytes.fromhex("a0b1c2d3e4f5"), 7: b"ge-0/0/1"}, "a0:b1:c2:d3:e4:f5",
         ChassisIdSubtype.MAC_ADDRESS, "ge-0/0/1", PortIdSubtype.UNKNOWN),
        # A subtype outside the enumeration; binary octets that are no MAC come out as hex.
        ({4: 99, 5: b"\x01\x02\x03", 6: 5, 7: b"Gi1"}, "010203", ChassisIdSubtype.UNKNOWN, "Gi1",
         PortIdSubtype.INTERFACE_NAME),
    ],
)  # fmt: skip
async def test_ids_are_read_by_their_subtype(
    columns: dict[int, SnmpValue],
    chassis: str,
    chassis_subtype: ChassisIdSubtype,
    port: str,
    port_subtype: PortIdSubtype,
) -> None:
    (neighbour,) = await neighbours_of(lldp_agent({"0.1.1": columns}))
    assert (neighbour.remote_chassis_id, neighbour.remote_chassis_id_subtype) == (
        chassis,
        chassis_subtype,
    )
    assert (neighbour.remote_port_id, neighbour.remote_port_id_subtype) == (port, port_subtype)


async def test_malformed_rows_are_skipped_with_their_reason_and_the_rest_kept(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rows: dict[str, dict[int, SnmpValue]] = {
        "0.1.1": switch(b"good"),
        "0.2.1": {4: 4, 6: 5, 7: b"Gi0/1", 9: b"no-chassis"},
        "0.3.1": {4: 4, 5: bytes(6), 9: b"no-port"},
        "7.7.7.7": switch(b"four-part"),
    }
    with caplog.at_level(logging.WARNING, logger="collectors.snmp.lldp"):
        reading = await read_lldp(serve(lldp_agent(rows)), target(), "gz-core1")
    assert [n.remote_system_name for n in reading.neighbours] == ["good"]
    assert reading.skipped == (
        "gz-core1: lldpRemTable row 7.7.7.7 skipped: "
        "its index has 4 parts, not timeMark.port.index",
        "gz-core1: lldpRemTable row 2.1 (local port Gi0/2) skipped: no chassis id",
        "gz-core1: lldpRemTable row 3.1 (local port Gi0/3) skipped: no port id",
    )
    assert all(reason in caplog.text for reason in reading.skipped)


async def test_a_port_known_only_by_number_is_a_bridge_port_then_an_if_index() -> None:
    varbinds: list[VarBind] = [
        (f"{IF_NAME}.7", b"Gi0/7"),
        (f"{IF_NAME}.12", b"Gi0/12"),
        (f"{DOT1D_BASE_PORT_IF_INDEX}.5", 12),
    ]
    for port in (5, 7, 9):
        varbinds += [(f"{REM}.{c}.0.{port}.1", v) for c, v in switch(b"x%d" % port).items()]
    neighbours = await neighbours_of(varbinds)
    by_name = {n.remote_system_name: (n.local_port, n.local_if_index) for n in neighbours}
    assert by_name == {"x5": ("Gi0/12", 12), "x7": ("Gi0/7", 7), "x9": ("port 9", None)}


async def test_an_agent_without_lldp_costs_one_walk_and_one_get() -> None:
    transport = serve([("1.3.6.1.2.1.1.5.0", b"host")])
    reading = await read_lldp(transport, target(), "host")
    assert reading.neighbours == ()
    assert not reading.has_lldp
    assert transport.agents[f"{HOST}:{PORT}"].requests == 2


async def test_collect_lldp_turns_failures_into_results() -> None:
    clock = FakeClock()
    silent = await collect_lldp(FakeTransport(), target("quiet"), clock=clock)
    assert not silent.ok
    assert silent.device_id == "quiet"
    assert silent.error is not None
    assert "no answer" in silent.error
    assert silent.neighbours == ()
    transport = serve(lldp_agent({"0.1.1": switch()}))
    transport.agents[f"{HOST}:{PORT}"].failure = DeviceAuthError("sw1", "unknown user")
    refused = await collect_lldp(transport, target(), device_id="sw1", clock=clock)
    assert refused.error == "unknown user"
    assert refused.collected_at == clock.now()


async def test_collect_lldp_has_a_budget() -> None:
    class Stuck(FakeTransport):
        async def walk(
            self, target: SnmpTarget, root: str, max_repetitions: int = 25
        ) -> list[VarBind]:
            await asyncio.Event().wait()
            return []

    result = await collect_lldp(Stuck(), target(), budget_s=0.01)
    assert result.error == "no complete LLDP answer within 0.01 s"
