"""LLDP neighbours as collectors report them and topology consumes them: one neutral type.

A :class:`LldpNeighbour` is one row of a device's LLDP remote table, whoever read it (SNMP's
LLDP-MIB or a CLI's ``display lldp neighbor``): the local port it was heard on, what the neighbour
says of itself (chassis id, port id, each with its IEEE 802.1AB subtype; port description, system
name and description, a management address) and where the row came from.

Identifiers are normalised here so that every source spells them alike: MAC addresses as
``aa:bb:cc:dd:ee:ff`` whatever the device printed (``f55f-c2c5-e180``, ``7c25.86c9.aaaa``, six raw
octets), network addresses as IP text. :func:`interface_key` makes interface names comparable
across abbreviations (``Gi1/0/1``, ``GE1/0/1`` and ``GigabitEthernet1/0/1`` are one port).
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from ipaddress import IPv4Address, IPv6Address, ip_address

from pydantic import BaseModel, ConfigDict, Field


class ChassisIdSubtype(StrEnum):
    """LldpChassisIdSubtype (IEEE 802.1AB): what kind of identifier a chassis id is."""

    CHASSIS_COMPONENT = "chassis_component"  # 1: entPhysicalAlias of a chassis
    INTERFACE_ALIAS = "interface_alias"  # 2: ifAlias
    PORT_COMPONENT = "port_component"  # 3: entPhysicalAlias of a port
    MAC_ADDRESS = "mac_address"  # 4
    NETWORK_ADDRESS = "network_address"  # 5: IANA address family octet + address
    INTERFACE_NAME = "interface_name"  # 6: ifName
    LOCAL = "local"  # 7: locally assigned text
    UNKNOWN = "unknown"  # not given, or outside the enumeration


class PortIdSubtype(StrEnum):
    """LldpPortIdSubtype (IEEE 802.1AB): what kind of identifier a port id is."""

    INTERFACE_ALIAS = "interface_alias"  # 1: ifAlias
    PORT_COMPONENT = "port_component"  # 2
    MAC_ADDRESS = "mac_address"  # 3
    NETWORK_ADDRESS = "network_address"  # 4
    INTERFACE_NAME = "interface_name"  # 5: ifName
    AGENT_CIRCUIT_ID = "agent_circuit_id"  # 6
    LOCAL = "local"  # 7: locally assigned text (often the port number)
    UNKNOWN = "unknown"


CHASSIS_SUBTYPES: dict[int, ChassisIdSubtype] = {
    1: ChassisIdSubtype.CHASSIS_COMPONENT,
    2: ChassisIdSubtype.INTERFACE_ALIAS,
    3: ChassisIdSubtype.PORT_COMPONENT,
    4: ChassisIdSubtype.MAC_ADDRESS,
    5: ChassisIdSubtype.NETWORK_ADDRESS,
    6: ChassisIdSubtype.INTERFACE_NAME,
    7: ChassisIdSubtype.LOCAL,
}
"""LLDP-MIB's numbers for chassis id subtypes."""

PORT_SUBTYPES: dict[int, PortIdSubtype] = {
    1: PortIdSubtype.INTERFACE_ALIAS,
    2: PortIdSubtype.PORT_COMPONENT,
    3: PortIdSubtype.MAC_ADDRESS,
    4: PortIdSubtype.NETWORK_ADDRESS,
    5: PortIdSubtype.INTERFACE_NAME,
    6: PortIdSubtype.AGENT_CIRCUIT_ID,
    7: PortIdSubtype.LOCAL,
}
"""LLDP-MIB's numbers for port id subtypes."""


class NeighbourSource(StrEnum):
    SNMP = "snmp"
    CLI = "cli"


class LldpNeighbour(BaseModel):
    """One neighbour heard by one device on one of its ports."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    device_id: str = Field(min_length=1)
    """The device that heard the neighbour (the inventory id)."""
    local_port: str = Field(min_length=1)
    """The port it was heard on, as the device names it (ifName where it could be resolved)."""
    local_if_index: int | None = None
    """That port's ifIndex, where known (SNMP)."""
    remote_chassis_id: str = Field(min_length=1)
    """Normalised: a MAC address as ``aa:bb:cc:dd:ee:ff``, a network address as IP text."""
    remote_chassis_id_subtype: ChassisIdSubtype = ChassisIdSubtype.UNKNOWN
    remote_port_id: str = Field(min_length=1)
    """Normalised like the chassis id; an interface name as the neighbour spells it."""
    remote_port_id_subtype: PortIdSubtype = PortIdSubtype.UNKNOWN
    remote_port_description: str | None = None
    remote_system_name: str | None = None
    remote_system_description: str | None = None
    remote_management_address: IPv4Address | IPv6Address | None = None
    source: NeighbourSource

    def identity(self) -> tuple[str, str, str, str, str]:
        """What makes two reports the same neighbour: device, source, local port, remote ids."""
        return (
            self.device_id,
            self.source.value,
            self.local_port,
            self.remote_chassis_id,
            self.remote_port_id,
        )


class StoredNeighbour(LldpNeighbour):
    """A neighbour as the state DB keeps it: with when it was first and last seen."""

    first_seen_at: datetime
    last_seen_at: datetime


# --------------------------------------------------------------------------- identifiers

_MAC_GROUPS = re.compile(
    r"^(?:[0-9a-f]{2}([:\- ]?)[0-9a-f]{2}(?:\1[0-9a-f]{2}){4}"  # aa:bb:…, aa-bb-…, aabb…
    r"|[0-9a-f]{4}([.\-])[0-9a-f]{4}\2[0-9a-f]{4})$"  # aabb.ccdd.eeff, aabb-ccdd-eeff
)


def normalise_mac(value: str | bytes) -> str | None:
    """``aa:bb:cc:dd:ee:ff`` from six octets or any common text form; None when it is not one."""
    if isinstance(value, bytes):
        if len(value) == 6:
            return ":".join(f"{octet:02x}" for octet in value)
        try:
            value = value.decode("ascii")
        except UnicodeDecodeError:
            return None
    text = value.strip().lower()
    if not _MAC_GROUPS.match(text):
        return None
    digits = re.sub(r"[^0-9a-f]", "", text)
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def network_address(octets: bytes) -> IPv4Address | IPv6Address | None:
    """An LLDP network address id: an IANA address-family octet (1 IPv4, 2 IPv6), then the
    address; some agents leave the family out. None for anything else."""
    if len(octets) == 5 and octets[0] == 1:
        return IPv4Address(octets[1:])
    if len(octets) == 17 and octets[0] == 2:
        return IPv6Address(octets[1:])
    if len(octets) in (4, 16):
        return ip_address(octets)
    return None


def looks_like_mac(text: str) -> bool:
    return normalise_mac(text) is not None


def parse_ip(text: str | None) -> IPv4Address | IPv6Address | None:
    """An IP address from text; None for anything else (a MAC, ``--``, empty)."""
    if not text:
        return None
    try:
        return ip_address(text.strip())
    except ValueError:
        return None


def infer_chassis_subtype(chassis_id: str) -> ChassisIdSubtype:
    """A subtype for a chassis id printed without one (IOS's ``show lldp neighbors detail``)."""
    if looks_like_mac(chassis_id):
        return ChassisIdSubtype.MAC_ADDRESS
    if parse_ip(chassis_id) is not None:
        return ChassisIdSubtype.NETWORK_ADDRESS
    return ChassisIdSubtype.UNKNOWN


def infer_port_subtype(port_id: str) -> PortIdSubtype:
    """A subtype for a port id printed without one."""
    if looks_like_mac(port_id):
        return PortIdSubtype.MAC_ADDRESS
    if parse_ip(port_id) is not None:
        return PortIdSubtype.NETWORK_ADDRESS
    if _INTERFACE_LIKE.match(port_id.strip()):
        return PortIdSubtype.INTERFACE_NAME
    return PortIdSubtype.UNKNOWN


# --------------------------------------------------------------------------- interface names

_INTERFACE_LIKE = re.compile(r"^\d*[a-z][a-z-]+[-_ ]?\d+(?:[/.:]\d+)*$", re.IGNORECASE)
"""What an interface name looks like when nothing says it is one: ``Gi1/0/1``, ``xe-0/0/2``."""
_INTERFACE = re.compile(r"^(?P<kind>\d*[a-z][a-z-]*?)[-_ ]*(?P<rest>\d\S*)$", re.IGNORECASE)

_SPELLINGS: dict[str, tuple[str, ...]] = {
    "gigabitethernet": ("ge", "gi", "gig", "gigabitethernet", "gei", "gigaethernet", "gigethernet"),
    "tengigabitethernet": (
        "xge", "xgigabitethernet", "te", "ten", "tengige", "tengigabitethernet", "10ge", "xgei",
    ),
    "fastethernet": ("fa", "fe", "fastethernet", "fei"),
    "ethernet": ("eth", "et", "ethernet"),
    "twogigabitethernet": ("tw", "twogigabitethernet"),
    "fivegigabitethernet": ("fi", "fivegigabitethernet", "5ge"),
    "twentyfivegigabitethernet": ("twe", "twentyfivegige", "twentyfivegigabitethernet", "25ge"),
    "fortygigabitethernet": ("fo", "fortygige", "fortygigabitethernet", "40ge", "fge"),
    "hundredgigabitethernet": ("hu", "hundredgige", "hundredgigabitethernet", "100ge", "hge"),
    "multigigabitethernet": ("mgi", "multige", "multigigabitethernet"),
    "portchannel": ("po", "portchannel"),
    "ethtrunk": ("ethtrunk",),
    "bridgeaggregation": ("bagg", "bridgeaggregation"),
    "meth": ("meth",),
    "mgigabitethernet": ("mge", "mgigabitethernet"),
    "loopback": ("lo", "loopback"),
    "vlan": ("vl", "vlan", "vlanif", "vlaninterface"),
}  # fmt: skip
"""Each interface kind's canonical spelling and the abbreviations vendors print for it (IOS
``Tw`` is TwoGigabitEthernet, ``Twe`` TwentyFiveGigE; Huawei ``XGE`` and ``10GE`` are 10G)."""
_KINDS = {spelling: kind for kind, spellings in _SPELLINGS.items() for spelling in spellings}


def interface_key(name: str) -> str:
    """A port's name in one spelling, for comparison only: abbreviations expanded, case folded.

    ``Gi1/0/1``, ``GE1/0/1`` (Huawei), ``gei_1/0/1`` (ZTE) → ``gigabitethernet1/0/1``;
    ``XGE0/0/1``, ``Te0/0/1``, ``Ten-GigabitEthernet0/0/1``, ``10GE0/0/1`` →
    ``tengigabitethernet0/0/1``. A name of no known kind is only case-folded.
    """
    text = "".join(name.split()).casefold()
    match = _INTERFACE.match(text)
    if match is None:
        return text
    kind = re.sub(r"[-_ ]", "", match["kind"])
    return _KINDS.get(kind, kind) + match["rest"]


def strip_domain(system_name: str) -> str:
    """``gz-core1.gd.si.example`` → ``gz-core1``, case-folded: how system names are compared.

    A name that is an IP address is kept whole."""
    text = system_name.strip().casefold()
    if parse_ip(text) is not None:
        return text
    return text.split(".", 1)[0]
