"""Where each simulated device listens: its own loopback address inside the lab's network.

The network is a loopback prefix such as ``127.20`` (a /16, the default) or ``127.71.12`` (a /24,
what a test gets from ``fresh_block()``); CIDR forms (``127.20.0.0/16``) are accepted too.

In a /16 or larger the plan is readable: the third octet names the place (0 for the data centres,
the city's position in the divisions file for a city and its counties) and the fourth the device,
so an address means the same device whatever the lab's size. In anything smaller than a /16 the
devices are numbered in order, and the province must fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from core.errors import LabError

LOOPBACK = IPv4Network("127.0.0.0/8")


@dataclass(frozen=True, slots=True)
class AddressKey:
    """A device's place in the readable plan: ``group`` is the third octet, ``host`` the fourth."""

    group: int
    host: int


def parse_network(network: str) -> IPv4Network:
    """``127.20`` → 127.20.0.0/16; ``127.71.12`` → 127.71.12.0/24; CIDR as given."""
    text = network.strip()
    try:
        if "/" in text:
            parsed = IPv4Network(text, strict=True)
        else:
            octets = text.split(".")
            if not 1 <= len(octets) <= 3:
                raise ValueError("give one to three octets, e.g. 127.20")
            padded = ".".join([*octets, *["0"] * (4 - len(octets))])
            parsed = IPv4Network(f"{padded}/{8 * len(octets)}", strict=True)
    except ValueError as exc:
        raise LabError(f"lab network {network!r} is not a network prefix: {exc}") from None
    if not parsed.subnet_of(LOOPBACK):
        raise LabError(
            f"lab network {network!r} is outside 127.0.0.0/8: the lab uses loopback only"
        )
    if parsed.prefixlen > 24:
        raise LabError(f"lab network {network!r} is smaller than a /24")
    return parsed


def plan_addresses(network: str, keys: Sequence[AddressKey]) -> list[IPv4Address]:
    """One address per key, all distinct, none a network's .0 or .255."""
    parsed = parse_network(network)
    base = int(parsed.network_address)
    if parsed.prefixlen <= 16:
        for key in keys:
            if not (0 <= key.group <= 255 and 1 <= key.host <= 254):
                raise LabError(f"address plan slot {key} is outside x.y.0-255.1-254")
        addresses = [IPv4Address(base + (key.group << 8) + key.host) for key in keys]
    else:
        usable = [
            IPv4Address(value)
            for value in range(base + 1, base + parsed.num_addresses - 1)
            if value & 0xFF not in (0, 255)
        ]
        if len(keys) > len(usable):
            raise LabError(
                f"lab network {network!r} has room for {len(usable)} devices; "
                f"the province has {len(keys)}: give a larger network (e.g. 127.20)"
            )
        addresses = usable[: len(keys)]
    if len(set(addresses)) != len(addresses):
        raise LabError("the address plan gave two devices one address")
    return addresses
