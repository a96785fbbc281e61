"""The IP addresses a device's configuration shows: loopback, management VLAN, link subnets.

The loopback carries the device's own lab address (what the NOC's inventory calls it), so the
configuration, the CLI and SNMP agree. Each link is a routed /30 out of 10.250.0.0/16, numbered in
link order (the a end takes .1, the b end .2); the management VLAN interface takes
10.100.<third>.<fourth>/24 after the device's address.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from core.errors import LabError
from lab.catalogue import IF_TYPE_LOOPBACK, HardwareModel
from lab.model import LabInterface

LINK_NETWORK = IPv4Network("10.250.0.0/16")
MANAGEMENT_VLAN = 100
# Loopbacks that are the box's own plumbing, never configured with an address.
_INTERNAL_LOOPBACKS = ("InLoopBack0", "lo")


@dataclass(frozen=True, slots=True)
class LinkAddress:
    subnet: IPv4Network
    host: int
    """1 on the link's a end, 2 on its b end."""

    def cidr(self) -> str:
        return f"{self.subnet.network_address + self.host}/{self.subnet.prefixlen}"


def link_subnets(link_ids: Sequence[str]) -> dict[str, IPv4Network]:
    subnets = list(LINK_NETWORK.subnets(new_prefix=30))
    if len(link_ids) > len(subnets):
        raise LabError(f"{len(link_ids)} links do not fit in {LINK_NETWORK}")
    return {link: subnets[i] for i, link in enumerate(link_ids)}


def with_addresses(
    interfaces: tuple[LabInterface, ...],
    model: HardwareModel,
    address: str,
    links: dict[str, LinkAddress],
) -> tuple[LabInterface, ...]:
    """``interfaces`` with ``ipv4`` set on the loopback, the management VLAN and linked ports."""
    octets = IPv4Address(address).packed
    management = (
        model.vlan_interface_format.format(vlan=MANAGEMENT_VLAN)
        if model.vlan_interface_format
        else None
    )
    loopback_done = False
    result = []
    for interface in interfaces:
        ipv4: str | None = None
        if interface.link is not None and interface.link in links:
            ipv4 = links[interface.link].cidr()
        elif interface.name == management:
            ipv4 = f"10.{MANAGEMENT_VLAN}.{octets[2]}.{octets[3]}/24"
        elif (
            interface.if_type == IF_TYPE_LOOPBACK
            and interface.name not in _INTERNAL_LOOPBACKS
            and not loopback_done
        ):
            ipv4 = f"{address}/32"
            loopback_done = True
        result.append(interface.model_copy(update={"ipv4": ipv4}) if ipv4 else interface)
    return tuple(result)
