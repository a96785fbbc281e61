"""What every platform's running configuration is made from: the province's servers, the device,
its CLI changes, and a log of the secrets printed.

The servers are the provincial data centre's (NTP, syslog, RADIUS/TACACS+, the NOC's trap
receiver, the IPsec concentrator of the backup tunnels). :class:`SecretLog` collects every secret
exactly as a configuration prints it (clear, hashed or ciphered), so tests can check that a
scrubbed configuration keeps none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Interface

from lab.model import LabDevice, LabInterface, LabSecrets

NTP_SERVERS = ("10.0.0.11", "10.0.0.12")
SYSLOG_SERVER = "10.0.0.20"
RADIUS_SERVER = "10.0.0.30"
TACACS_SERVER = "10.0.0.31"
TRAP_RECEIVER = "10.0.0.40"
IPSEC_PEER = "10.0.0.1"
CONTACT = "noc@gdsi.example.cn"
DOMAIN = "gdsi.example.cn"
BANNER = (
    "Guangdong Social Security Information Network.",
    "Authorised access only; every session is logged and audited.",
)
# When the lab says the configuration was last changed and saved (by its administrator).
CHANGED_AT = "2024-03-12 10:21:33"
SAVED_AT = "2024-03-12 10:25:01"
ACCESS_VLANS = (201, 202, 203, 204)
"""VLANs of the office ports (service hall, card terminals, office LAN, kiosks)."""


@dataclass
class SecretLog:
    """The secrets a configuration printed, as printed (clear text, hash or cipher)."""

    printed: list[str] = field(default_factory=list)

    def __call__(self, text: str) -> str:
        self.printed.append(text)
        return text


@dataclass(frozen=True, slots=True)
class ConfigInput:
    """What a platform's renderer needs: the device, changes made over the CLI, a secret log."""

    device: LabDevice
    extra_lines: Sequence[str] = ()
    """Global configuration lines entered over the CLI (kept in entry order)."""
    secrets_log: SecretLog = field(default_factory=SecretLog)

    @property
    def secrets(self) -> LabSecrets:
        if self.device.secrets is None:
            raise ValueError(f"{self.device.id} has no configuration secrets (a Linux host?)")
        return self.device.secrets


ConfigRenderer = Callable[[ConfigInput], str]


def address_and_mask(interface: LabInterface) -> tuple[str, str] | None:
    if interface.ipv4 is None:
        return None
    parsed = IPv4Interface(interface.ipv4)
    return str(parsed.ip), str(parsed.netmask)


def access_vlan(interface: LabInterface) -> int:
    """The office VLAN of an access port, stable per port."""
    digits = "".join(c for c in interface.name if c.isdigit())
    return ACCESS_VLANS[int(digits or "0") % len(ACCESS_VLANS)]


def is_default_alias(interface: LabInterface) -> bool:
    """Comware's unconfigured ifAlias is "<name> Interface": no description in the config."""
    return not interface.alias or interface.alias == f"{interface.name} Interface"


def engine_id(prefix: str, mac: str) -> str:
    """An SNMP engine id: enterprise prefix + format 3 (MAC) + the base MAC."""
    return f"{prefix}03{mac.replace(':', '').upper()}"
