from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

import pytest

from core.errors import LabError
from lab.addressing import AddressKey, parse_network, plan_addresses


@pytest.mark.parametrize(
    ("given", "network"),
    [
        ("127.20", "127.20.0.0/16"),
        ("127.71.12", "127.71.12.0/24"),
        ("127.20.0.0/16", "127.20.0.0/16"),
        ("127.30.0.0/20", "127.30.0.0/20"),
    ],
)
def test_networks_are_given_as_prefixes_or_cidr(given: str, network: str) -> None:
    assert parse_network(given) == IPv4Network(network)


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("10.20", "outside 127.0.0.0/8"),
        ("127.20.1.0/25", "smaller than a /24"),
        ("127.x", "not a network prefix"),
        ("127.20.1.1/16", "not a network prefix"),
    ],
)
def test_other_networks_are_refused(given: str, reason: str) -> None:
    with pytest.raises(LabError, match=reason):
        parse_network(given)


def test_a_16_gives_readable_addresses_by_place() -> None:
    keys = [AddressKey(0, 1), AddressKey(3, 1), AddressKey(3, 11)]
    assert plan_addresses("127.20", keys) == [
        IPv4Address("127.20.0.1"),
        IPv4Address("127.20.3.1"),
        IPv4Address("127.20.3.11"),
    ]


def test_a_24_numbers_devices_in_order_and_must_fit() -> None:
    keys = [AddressKey(9, h) for h in range(1, 4)]
    assert plan_addresses("127.71.12", keys) == [IPv4Address(f"127.71.12.{h}") for h in (1, 2, 3)]
    with pytest.raises(LabError, match="room for 254 devices; the province has 300"):
        plan_addresses("127.71.12", [AddressKey(0, 1)] * 300)


def test_a_sequential_plan_skips_host_parts_0_and_255() -> None:
    addresses = plan_addresses("127.40.0.0/23", [AddressKey(0, 1)] * 300)
    assert len(set(addresses)) == 300
    assert all(a.packed[-1] not in (0, 255) for a in addresses)
