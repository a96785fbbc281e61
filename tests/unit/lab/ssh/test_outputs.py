"""The simulator's outputs parse with ntc-templates where a template exists, to the lab's state.

ntc-templates is the NOC's own parser for these commands, so what it reads from the simulator must
be exactly what the province says: names, versions, serials, interfaces, addresses, neighbours.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from ntc_templates.parse import parse_output

from core.model import Platform
from lab.catalogue import model_named
from lab.model import LabDevice, Province
from lab.ssh.device import Login, SimulatedDevice
from lab.ssh.dialects import DIALECTS, CommandSpec
from lab.ssh.outputs import OUTPUTS
from lab.ssh.outputs.context import mac_dashed, mac_dotted, short_name


def busiest(province: Province, platform: Platform) -> LabDevice:
    """The device of ``platform`` with the most neighbours (the richest outputs)."""
    return max(
        (d for d in province.devices if d.platform is platform), key=lambda d: len(d.neighbours)
    )


def output(device: LabDevice, words: str) -> str:
    simulated = SimulatedDevice(device.platform, device, device.name, {"noc": Login("x", 15)})
    spec = next(s for s in DIALECTS[device.platform].commands if s.words == words)
    return simulated.output(spec)


def parsed(device: LabDevice, words: str) -> list[dict[str, Any]]:
    rows = parse_output(platform=device.platform.value, command=words, data=output(device, words))
    assert rows, f"{words}: nothing parsed"
    return rows


def test_every_output_has_a_renderer() -> None:
    for platform, dialect in DIALECTS.items():
        names = {s.output for s in dialect.commands if isinstance(s, CommandSpec) and s.output}
        assert names <= set(OUTPUTS[platform]), platform


def test_vrp(full: Province) -> None:
    device = busiest(full, Platform.HUAWEI_VRP)
    model = model_named(device.platform, device.model)
    (version,) = parsed(device, "display version")
    assert version["vrp_version"] == model.version
    assert version["model"].split()[0] == device.model
    brief = parsed(device, "display interface brief")
    shown = [i for i in device.interfaces if i.name not in ("InLoopBack0", "Console9/0/0")]
    assert [row["interface"] for row in brief] == [i.name for i in shown]
    for row, interface in zip(brief, shown, strict=True):
        expected = "*down" if not interface.admin_up else ("up" if interface.oper_up else "down")
        assert row["phy"] == expected
    neighbours = {row["local_interface"]: row for row in parsed(device, "display lldp neighbor")}
    assert set(neighbours) == {n.interface for n in device.neighbours}
    for neighbour in device.neighbours:
        row = neighbours[neighbour.interface]
        assert row["neighbor_name"] == neighbour.remote_name
        assert row["neighbor_port_id"] == neighbour.remote_interface
        assert row["chassis_id"] == mac_dashed(neighbour.remote_mac)
        assert row["mgmt_address"] == neighbour.remote_address
    descriptions = parsed(device, "display interface description")
    assert {r["description"] for r in descriptions} >= {i.alias for i in shown if i.alias}


def test_vrp_local_users_list_every_account_with_its_level(full: Province) -> None:
    device = busiest(full, Platform.HUAWEI_VRP)
    text = output(device, "display local-user")
    rows = re.findall(r"^  (\S+)\s+([AB])\s+(\S+)\s+(\d+)$", text, flags=re.M)
    assert [(name, int(level)) for name, _, _, level in rows] == [
        (a.name, a.privilege) for a in device.accounts
    ]
    assert f"Total {len(device.accounts)} user(s)" in text


def test_comware(full: Province) -> None:
    device = busiest(full, Platform.HP_COMWARE)
    brief = {row["interface"]: row for row in parsed(device, "display interface brief")}
    for interface in device.interfaces:
        if interface.name == "InLoopBack0":
            continue
        row = brief[short_name(device.platform, interface.name)]
        if interface.ipv4:
            assert row["main_ip"] == interface.ipv4.split("/")[0]
    listed = parsed(device, "display lldp neighbor-information list")
    seen = sorted(
        (r["local_interface"], r["neighbor_name"], r["neighbor_interface"]) for r in listed
    )
    assert seen == sorted(
        (short_name(device.platform, n.interface), n.remote_name, n.remote_interface)
        for n in device.neighbours
    )
    verbose = parsed(device, "display lldp neighbor-information verbose")
    assert [(r["local_interface"], r["mgmt_address"]) for r in verbose] == [
        (n.interface, n.remote_address) for n in device.neighbours
    ]
    (manuinfo,) = parsed(device, "display device manuinfo")
    assert manuinfo["device_serial_number"] == device.serial
    assert parsed(device, "display clock")[0]["timezone"] == "BJ"


def test_comware_local_users_name_their_roles(full: Province) -> None:
    device = busiest(full, Platform.HP_COMWARE)
    text = output(device, "display local-user")
    users = re.findall(r"^Device management user (\S+):$", text, flags=re.M)
    assert users == [a.name for a in device.accounts]
    roles = re.findall(r"User role list:\s+(\S+)", text)
    expected = [
        "network-admin," if a.privilege >= 15 else "network-operator" for a in device.accounts
    ]
    assert roles == expected


@pytest.mark.parametrize("model", ["WS-C2960G-24TC-L", "WS-C3850-24XS"])
def test_ios(full: Province, model: str) -> None:
    device = max((d for d in full.devices if d.model == model), key=lambda d: len(d.neighbours))
    (version,) = parsed(device, "show version")
    assert version["hostname"] == device.name
    assert version["serial"] == [device.serial]
    assert version["hardware"] == [device.model]
    assert version["version"] == model_named(device.platform, device.model).version
    brief = {row["interface"]: row for row in parsed(device, "show ip interface brief")}
    for interface in device.interfaces:
        if interface.ipv4:
            assert brief[interface.name]["ip_address"] == interface.ipv4.split("/")[0]
    status = parsed(device, "show interfaces status")
    assert len(status) == sum(1 for i in device.interfaces if i.lldp)
    neighbours = parsed(device, "show lldp neighbors")
    assert sorted((r["neighbor_name"], r["local_interface"]) for r in neighbours) == sorted(
        (n.remote_name, short_name(device.platform, n.interface)) for n in device.neighbours
    )
    detail = parsed(device, "show lldp neighbors detail")
    assert [(r["neighbor_name"], r["chassis_id"], r["mgmt_address"]) for r in detail] == [
        (n.remote_name, mac_dotted(n.remote_mac), n.remote_address) for n in device.neighbours
    ]
    assert parsed(device, "show inventory")[0]["sn"] == device.serial


def test_ios_usernames_are_in_the_running_config(full: Province) -> None:
    device = busiest(full, Platform.CISCO_IOS)
    text = output(device, "show running-config")
    names = re.findall(
        r"^username (\S+) privilege (\d+) (secret 9|secret 5|password 7) ", text, re.M
    )
    assert [(n, int(p)) for n, p, _ in names] == [(a.name, a.privilege) for a in device.accounts]
    assert {kind for _, _, kind in names} >= {"secret 9", "secret 5"}


def test_zxros(full: Province) -> None:
    device = busiest(full, Platform.ZTE_ZXROS)
    model = model_named(device.platform, device.model)
    (version,) = parsed(device, "show version")
    assert version["version"] == f"{device.model} {model.version}"
    brief = parsed(device, "show interface brief")
    assert [r["interface"] for r in brief] == [i.name for i in device.interfaces]
    assert {r["description"] for r in brief if r["description"]} == {
        i.alias for i in device.interfaces if i.alias
    }
    users = output(device, "show running-config system-user")
    assert re.findall(r"^  user-name (\S+)$", users, flags=re.M) == [
        a.name for a in device.accounts
    ]
