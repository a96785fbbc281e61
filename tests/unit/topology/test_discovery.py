"""Intended against observed: inventory links matched to LLDP neighbours, and every difference
reported once with who saw it — on small hand-made inventories."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from core.model import Device, DeviceRole, Inventory, Link, LinkEnd, LinkTier, Platform
from core.neighbours import (
    ChassisIdSubtype,
    LldpNeighbour,
    NeighbourSource,
    PortIdSubtype,
    interface_key,
    strip_domain,
)
from topology.discovery import DiscoveryReport, match_links


def device(device_id: str, number: int) -> Device:
    return Device(
        id=device_id,
        name=device_id.upper(),
        site="gz",
        platform=Platform.HUAWEI_VRP,
        role=DeviceRole.DISTRIBUTION,
        address=IPv4Address(f"10.0.0.{number}"),
    )


def link(link_id: str, a: str, a_port: str, b: str, b_port: str) -> Link:
    return Link(
        id=link_id,
        a=LinkEnd(device=a, interface=a_port),
        b=LinkEnd(device=b, interface=b_port),
        tier=LinkTier.PROVINCE_CITY,
    )


def network(*links: Link) -> Inventory:
    names = ["core1", "core2", "city1", "city2", "county1"]
    return Inventory(devices=tuple(device(n, i) for i, n in enumerate(names, start=1)), links=links)


def heard(
    device_id: str,
    local_port: str,
    remote_name: str | None,
    remote_port: str,
    *,
    subtype: PortIdSubtype = PortIdSubtype.INTERFACE_NAME,
    source: NeighbourSource = NeighbourSource.SNMP,
    **fields: object,
) -> LldpNeighbour:
    values: dict[str, object] = {
        "device_id": device_id,
        "local_port": local_port,
        "remote_chassis_id": "00:11:22:33:44:55",
        "remote_chassis_id_subtype": ChassisIdSubtype.MAC_ADDRESS,
        "remote_port_id": remote_port,
        "remote_port_id_subtype": subtype,
        "remote_system_name": remote_name,
        "source": source,
    }
    values.update(fields)
    return LldpNeighbour.model_validate(values)


CORE_CITY = link("core1-city1", "core1", "XGigabitEthernet0/0/1", "city1", "GigabitEthernet1/0/49")
ALL = {"core1", "core2", "city1", "city2", "county1"}


def clean(report: DiscoveryReport) -> bool:
    return report.findings == 0


# --------------------------------------------------------------------------- matched


def test_both_ends_in_other_spellings_match_once() -> None:
    report = match_links(
        network(CORE_CITY),
        [
            heard("core1", "XGE0/0/1", "city1.gd.si.example", "Gi1/0/49"),
            heard("city1", "GE1/0/49", "CORE1", "XGigabitEthernet0/0/1"),
        ],
        ALL,
    )
    (matched,) = report.matched
    assert matched.link_id == "core1-city1"
    assert matched.seen_from == ("city1", "core1")
    assert "seen over LLDP from city1 and core1" in matched.explanation
    assert clean(report)
    assert report.matched_link_ids == {"core1-city1"}


def test_one_end_is_enough_and_the_same_neighbour_from_snmp_and_cli_counts_once() -> None:
    report = match_links(
        network(CORE_CITY),
        [
            heard("core1", "XGigabitEthernet0/0/1", "city1", "GigabitEthernet1/0/49"),
            heard("core1", "XGE0/0/1", "city1", "GE1/0/49", source=NeighbourSource.CLI),
        ],
        ALL,
    )
    assert [(m.link_id, m.seen_from) for m in report.matched] == [("core1-city1", ("core1",))]
    assert clean(report)


def test_the_remote_port_may_be_named_by_its_description_only() -> None:
    neighbour = heard(
        "core1", "XGE0/0/1", "city1", "00:aa:bb:cc:dd:ee",
        subtype=PortIdSubtype.MAC_ADDRESS, remote_port_description="GigabitEthernet1/0/49",
    )  # fmt: skip
    assert match_links(network(CORE_CITY), [neighbour], ALL).matched_link_ids == {"core1-city1"}


def test_a_neighbour_without_a_name_is_found_by_address_or_chassis_mac() -> None:
    by_address = heard(
        "core1", "XGE0/0/1", None, "GE1/0/49", remote_management_address=IPv4Address("10.0.0.3")
    )
    by_network_chassis = heard(
        "core1", "XGE0/0/1", None, "GE1/0/49",
        remote_chassis_id="10.0.0.3", remote_chassis_id_subtype=ChassisIdSubtype.NETWORK_ADDRESS,
    )  # fmt: skip
    by_mac = heard("core1", "XGE0/0/1", "", "GE1/0/49", remote_chassis_id="70:7b:e8:00:00:03")
    inventory = network(CORE_CITY)
    for neighbour in (by_address, by_network_chassis):
        assert match_links(inventory, [neighbour], ALL).matched_link_ids == {"core1-city1"}
    unresolved = match_links(inventory, [by_mac], ALL)
    assert unresolved.matched == ()
    assert unresolved.seen_not_intended[0].remote_device_id is None
    macs = {"city1": "707b-e800-0003"}
    resolved = match_links(inventory, [by_mac], ALL, chassis_macs=macs)
    assert resolved.matched_link_ids == {"core1-city1"}


# --------------------------------------------------------------------------- findings


def test_devices_that_hear_each_other_on_other_ports_are_a_port_mismatch() -> None:
    report = match_links(
        network(CORE_CITY),
        [
            heard("core1", "XGE0/0/2", "city1", "GE1/0/49"),
            heard("city1", "GE1/0/49", "core1", "XGE0/0/2"),
        ],
        ALL,
    )
    assert report.matched == ()
    assert report.intended_not_seen == ()
    (mismatch,) = report.port_mismatch
    assert mismatch.link_id == "core1-city1"
    assert (mismatch.a_device, mismatch.a_intended, mismatch.a_observed) == (
        "core1",
        "XGigabitEthernet0/0/1",
        "XGE0/0/2",
    )
    assert (mismatch.b_observed, mismatch.seen_from) == ("GE1/0/49", ("city1", "core1"))
    assert mismatch.explanation == (
        "link core1-city1 is intended as core1 XGigabitEthernet0/0/1 ↔ city1 "
        "GigabitEthernet1/0/49, but LLDP shows core1 XGE0/0/2 ↔ city1 GE1/0/49 "
        "(reported by city1 and core1)"
    )


def test_an_adjacency_no_link_accounts_for_is_seen_not_intended_once() -> None:
    report = match_links(
        network(CORE_CITY),
        [
            heard("core1", "XGE0/0/1", "city1", "GE1/0/49"),
            heard("core2", "XGE0/0/7", "city2", "GE1/0/50"),
            heard("city2", "GigabitEthernet1/0/50", "core2", "XGigabitEthernet0/0/7"),
        ],
        ALL,
    )
    (extra,) = report.seen_not_intended
    assert (extra.device_id, extra.remote_device_id, extra.seen_from) == (
        "city2",
        "core2",
        ("city2", "core2"),
    )
    assert "but no inventory link accounts for it" in extra.explanation
    assert report.matched_link_ids == {"core1-city1"}


def test_an_unknown_neighbour_is_seen_not_intended() -> None:
    phone = heard(
        "county1", "GE0/0/5", "SEP001122", "00:11:22:33:44:66", subtype=PortIdSubtype.MAC_ADDRESS
    )
    (finding,) = match_links(network(), [phone], ALL).seen_not_intended
    assert finding.remote_device_id is None
    assert finding.remote_port is None
    assert finding.explanation == (
        "county1 GE0/0/5 hears 'SEP001122' (chassis 00:11:22:33:44:55, port 00:11:22:33:44:66), "
        "which is no inventory device"
    )


def test_a_second_cable_beside_a_matched_link_is_not_a_mismatch() -> None:
    report = match_links(
        network(CORE_CITY),
        [
            heard("core1", "XGE0/0/1", "city1", "GE1/0/49"),
            heard("core1", "XGE0/0/3", "city1", "GE1/0/51"),
        ],
        ALL,
    )
    assert report.matched_link_ids == {"core1-city1"}
    assert report.port_mismatch == ()
    assert [(f.local_port, f.remote_port) for f in report.seen_not_intended] == [
        ("XGE0/0/3", "GE1/0/51")
    ]


def test_of_two_parallel_links_the_one_on_other_ports_is_the_mismatch() -> None:
    second = link(
        "core1-city1-b", "core1", "XGigabitEthernet0/0/2", "city1", "GigabitEthernet1/0/50"
    )
    report = match_links(
        network(CORE_CITY, second),
        [
            heard("core1", "XGE0/0/1", "city1", "GE1/0/49"),
            heard("core1", "XGE0/0/2", "city1", "GE1/0/52"),
        ],
        ALL,
    )
    assert report.matched_link_ids == {"core1-city1"}
    (mismatch,) = report.port_mismatch
    assert (mismatch.link_id, mismatch.b_observed) == ("core1-city1-b", "GE1/0/52")


def test_intended_not_seen_only_when_both_ends_were_collected() -> None:
    silent = link("city2-county1", "city2", "GE1/0/1", "county1", "GE0/0/1")
    report = match_links(network(CORE_CITY, silent), [], {"core1", "city1", "city2"})
    (missing,) = report.intended_not_seen
    assert missing.link_id == "core1-city1"
    assert missing.explanation.startswith(
        "link core1-city1 (core1 XGigabitEthernet0/0/1 ↔ city1 GigabitEthernet1/0/49) is in the "
        "inventory, but neither device reports the other over LLDP"
    )
    # Without the collected set, only devices that reported anything count as asked.
    assert match_links(network(CORE_CITY, silent), []).intended_not_seen == ()


def test_a_clean_network_has_no_findings() -> None:
    links = (
        CORE_CITY,
        link("core2-city2", "core2", "XGigabitEthernet0/0/1", "city2", "GigabitEthernet1/0/49"),
    )
    neighbours = [
        heard("core1", "XGigabitEthernet0/0/1", "CITY1", "GigabitEthernet1/0/49"),
        heard("core2", "XGigabitEthernet0/0/1", "CITY2", "GigabitEthernet1/0/49"),
    ]
    report = match_links(network(*links), neighbours, ALL)
    assert report.matched_link_ids == {"core1-city1", "core2-city2"}
    assert clean(report)


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("short", "long"),
    [
        ("Gi1/0/1", "GigabitEthernet1/0/1"),
        ("GE1/0/1", "GigabitEthernet1/0/1"),
        ("gei_1/0/1", "GigabitEthernet1/0/1"),
        ("XGE0/0/1", "XGigabitEthernet0/0/1"),
        ("XGE1/0/1", "Ten-GigabitEthernet1/0/1"),
        ("Te1/1/1", "TenGigabitEthernet1/1/1"),
        ("10GE1/0/1", "XGigabitEthernet1/0/1"),
        ("xgei-0/2/0/1", "XGigabitEthernet0/2/0/1"),
        ("Fa0/1", "FastEthernet0/1"),
        ("Eth1/1", "Ethernet1/1"),
        ("Tw2/0/33", "TwoGigabitEthernet2/0/33"),
        ("Twe1/0/1", "TwentyFiveGigE1/0/1"),
        ("Hu1/0/1", "100GE1/0/1"),
        ("Po30", "Port-channel30"),
        ("M-GE0/0/0", "M-GigabitEthernet0/0/0"),
        ("GigabitEthernet 0/1", "gigabitethernet0/1"),
    ],
)
def test_interface_names_compare_across_abbreviations(short: str, long: str) -> None:
    assert interface_key(short) == interface_key(long)


def test_different_ports_stay_different() -> None:
    assert interface_key("Gi1/0/1") != interface_key("Te1/0/1")
    assert interface_key("Tw1/0/1") != interface_key("Twe1/0/1")
    assert interface_key("ens3") == "ens3"


def test_system_names_lose_their_domain_not_their_address() -> None:
    assert strip_domain("GZ-Core1.gd.si.example") == "gz-core1"
    assert strip_domain("10.0.0.1") == "10.0.0.1"
