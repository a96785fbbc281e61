"""LLDP neighbours from the CLI: real outputs (../shared/cli) read as ntc-templates' own samples
say, what the templates lose recovered, and the lab simulator's answers read back as its province
says — for all four platforms."""

from __future__ import annotations

import logging
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import pytest
import yaml

from collectors.ssh.lldp_parsers import LLDP_COMMANDS, parse_lldp_neighbours
from collectors.ssh.parsers import ParseError
from core.errors import ConfigError
from core.model import Platform
from core.neighbours import (
    ChassisIdSubtype,
    NeighbourSource,
    PortIdSubtype,
    interface_key,
    normalise_mac,
    parse_ip,
)
from lab.divisions import load_divisions
from lab.model import LabDevice, Province
from lab.province import build_province
from lab.ssh.device import Login, SimulatedDevice
from lab.ssh.dialects import DIALECTS
from tests.conftest import SHARED

CLI = SHARED / "cli"


def samples(directory: str) -> list[Path]:
    found = sorted((CLI / directory).glob("*.raw"))
    assert found, f"no samples in {directory}"
    return found


def expected_rows(raw: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = yaml.safe_load(raw.with_suffix(".yml").read_text())[
        "parsed_sample"
    ]
    return rows


def _chassis(text: str) -> str:
    return normalise_mac(text) or text


# --------------------------------------------------------------------------- real outputs


@pytest.mark.parametrize("raw", samples("huawei_vrp/display_lldp_neighbor"), ids=lambda p: p.name)
def test_vrp_samples_give_what_ntc_templates_parses(raw: Path) -> None:
    neighbours = parse_lldp_neighbours(Platform.HUAWEI_VRP, raw.read_text(), "sw1")
    got = [
        (n.local_port, n.remote_chassis_id, n.remote_port_id, n.remote_port_description,
         n.remote_system_name, n.remote_management_address)
        for n in neighbours
    ]  # fmt: skip
    wanted = [
        (r["local_interface"], _chassis(r["chassis_id"]), r["neighbor_port_id"],
         r["neighbor_interface"] or None, r["neighbor_name"] or None, parse_ip(r["mgmt_address"]))
        for r in expected_rows(raw)
    ]  # fmt: skip
    assert got == wanted
    assert all(n.source is NeighbourSource.CLI and n.device_id == "sw1" for n in neighbours)


def test_vrp_subtypes_and_descriptions() -> None:
    raw = CLI / "huawei_vrp/display_lldp_neighbor/huawei_vrp_display_lldp_neighbor5.raw"
    by_port = {
        n.local_port: n for n in parse_lldp_neighbours(Platform.HUAWEI_VRP, raw.read_text(), "sw")
    }
    europe = by_port["GigabitEthernet0/0/14"]
    assert europe.remote_chassis_id_subtype is ChassisIdSubtype.MAC_ADDRESS
    assert europe.remote_port_id_subtype is PortIdSubtype.INTERFACE_NAME
    assert europe.remote_system_description is not None
    assert europe.remote_system_description.startswith("Huawei AP AirEngine6760R-51E\n")
    assert by_port["GigabitEthernet0/0/22"].remote_port_id_subtype is PortIdSubtype.INTERFACE_ALIAS
    sample6 = CLI / "huawei_vrp/display_lldp_neighbor/huawei_vrp_display_lldp_neighbor6.raw"
    odd = parse_lldp_neighbours(Platform.HUAWEI_VRP, sample6.read_text(), "sw")
    assert odd[0].remote_chassis_id == "xxxx-xxxx-xxxx"  # redacted: kept as printed
    assert odd[0].remote_management_address is None  # "all802" with a MAC: no IP address


VRP_MANY = """\
MEth0/0/1 has 1 neighbor(s):

Neighbor index                     :1
Chassis type                       :MAC Address
Chassis ID                         :00e0-fc00-0001
Port ID subtype                    :Interface Name
Port ID                            :GigabitEthernet0/0/1
Port description                   :mgmt
System name                        :OOB-SW
System description                 :S5735
System capabilities supported      :bridge
System capabilities enabled        :bridge
Management address type            :IPv4
Management address                 :10.0.0.1
Expired time                       :100s

GigabitEthernet0/0/2 has 2 neighbor(s):

Neighbor index                     :1
Chassis type                       :MAC Address
Chassis ID                         :00e0-fc00-0002
Port ID subtype                    :Interface Name
Port ID                            :eth0
System name                        :phone-1
Expired time                       :100s

Neighbor index                     :2
Chassis type                       :Network Address
Chassis ID                         :10.0.0.3
Port ID subtype                    :MAC Address
Port ID                            :00e0-fc00-0003
System name                        :phone-2
Expired time                       :100s

GigabitEthernet0/0/3 has 0 neighbor(s)
"""


def test_vrp_neighbours_the_template_alone_would_lose() -> None:
    """A neighbour on MEth (no GE in the port's name) and two neighbours on one port."""
    neighbours = parse_lldp_neighbours(Platform.HUAWEI_VRP, VRP_MANY, "sw")
    assert [(n.local_port, n.remote_system_name) for n in neighbours] == [
        ("MEth0/0/1", "OOB-SW"),
        ("GigabitEthernet0/0/2", "phone-1"),
        ("GigabitEthernet0/0/2", "phone-2"),
    ]
    phone = neighbours[2]
    assert (phone.remote_chassis_id, phone.remote_chassis_id_subtype) == (
        "10.0.0.3",
        ChassisIdSubtype.NETWORK_ADDRESS,
    )
    assert (phone.remote_port_id, phone.remote_port_id_subtype) == (
        "00:e0:fc:00:00:03",
        PortIdSubtype.MAC_ADDRESS,
    )


def test_an_answer_the_template_cannot_read_is_a_parse_error() -> None:
    broken = VRP_MANY.replace("Expired time                       :100s", "?? garbage ??", 1)
    with pytest.raises(ParseError):
        parse_lldp_neighbours(Platform.HUAWEI_VRP, broken, "sw")


def test_comware_sample_and_what_its_template_leaves_out() -> None:
    (raw,) = samples("hp_comware/display_lldp_neighbor-information_verbose")
    text = raw.read_text()
    neighbours = parse_lldp_neighbours(Platform.HP_COMWARE, text, "sw")
    assert [
        (n.local_port, n.remote_chassis_id, n.remote_port_id, n.remote_port_description,
         n.remote_system_name, n.remote_management_address)
        for n in neighbours
    ] == [
        (r["local_interface"], _chassis(r["chassis_id"]), r["neighbor_interface"],
         r["neighbor_interface_description"], r["neighbor_name"], parse_ip(r["mgmt_address"]))
        for r in expected_rows(raw)
    ]  # fmt: skip
    assert all(n.remote_chassis_id_subtype is ChassisIdSubtype.MAC_ADDRESS for n in neighbours)
    assert all(n.remote_port_id_subtype is PortIdSubtype.INTERFACE_NAME for n in neighbours)
    spaced = text.replace("System name         : SW2", "System name         : Core Switch 2")
    names = [n.remote_system_name for n in parse_lldp_neighbours(Platform.HP_COMWARE, spaced, "s")]
    assert names[1] == "Core Switch 2"  # the template alone keeps "Core"


@pytest.mark.parametrize(
    "raw", samples("cisco_ios/show_lldp_neighbors_detail"), ids=lambda p: p.name
)
def test_ios_samples(raw: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="collectors.ssh.lldp_parsers"):
        neighbours = parse_lldp_neighbours(Platform.CISCO_IOS, raw.read_text(), "sw")
    rows = expected_rows(raw)
    wanted = [
        (r["local_interface"], _chassis(r["chassis_id"]), r["neighbor_port_id"],
         r["neighbor_name"] or None, parse_ip(r["mgmt_address"]))
        for r in rows
        if r["local_interface"]
    ]  # fmt: skip
    assert [
        (n.local_port, n.remote_chassis_id, _port(n.remote_port_id),
         n.remote_system_name, n.remote_management_address)
        for n in neighbours
    ] == [(w[0], w[1], _port(w[2]), w[3], w[4]) for w in wanted]  # fmt: skip
    # Older IOS prints no local interface: such a neighbour cannot be placed, and says so.
    assert caplog.text.count("skipped: no local port") == len(rows) - len(wanted)


def _port(port: str) -> str:
    return normalise_mac(port) or port


def test_a_platform_without_an_lldp_command() -> None:
    with pytest.raises(ConfigError, match="linux"):
        parse_lldp_neighbours(Platform.LINUX, "", "host1")
    assert set(LLDP_COMMANDS) == {p for p in Platform if p is not Platform.LINUX}


# --------------------------------------------------------------------------- the lab simulator


@pytest.fixture(scope="module")
def province() -> Province:
    divisions = load_divisions(SHARED / "data" / "guangdong_divisions.json")
    return build_province(divisions, "full", seed=7)


def answer(device: LabDevice, command: str) -> str:
    simulated = SimulatedDevice(device.platform, device, device.name, {"noc": Login("x", 15)})
    spec = next(s for s in DIALECTS[device.platform].commands if s.words == command)
    return simulated.output(spec)


@pytest.mark.parametrize("platform", sorted(LLDP_COMMANDS))
def test_the_lab_simulator_answers_read_back_as_its_province(
    province: Province, platform: Platform
) -> None:
    devices = [d for d in province.devices if d.platform is platform]
    busiest = sorted(devices, key=lambda d: len(d.neighbours))[-3:]
    for device in busiest:
        text = answer(device, LLDP_COMMANDS[platform])
        neighbours = parse_lldp_neighbours(platform, text, device.id)
        got = sorted(
            (interface_key(n.local_port), n.remote_system_name, n.remote_port_id,
             n.remote_chassis_id, n.remote_management_address, n.remote_port_description)
            for n in neighbours
        )  # fmt: skip
        assert got == sorted(
            (interface_key(n.interface), n.remote_name, n.remote_interface, n.remote_mac,
             IPv4Address(n.remote_address), n.remote_port_description)
            for n in device.neighbours
        ), device.id  # fmt: skip
        assert all(n.remote_chassis_id_subtype is ChassisIdSubtype.MAC_ADDRESS for n in neighbours)
