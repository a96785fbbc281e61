"""The simulated province as data: devices with their interfaces and neighbours, and the links.

A :class:`Province` is what :func:`lab.province.build_province` returns and what ``province.json``
holds. It is everything the agents answer, decided up front: the snmprec writer only formats it, so
the same seed gives the same lab. It converts to the NOC's own view — an inventory
(:class:`core.model.Inventory`) and a credentials document — which is all the NOC is given; the
rest it must discover.
"""

from __future__ import annotations

from enum import StrEnum
from ipaddress import IPv4Address
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from core.model import (
    Device,
    DeviceRole,
    Inventory,
    Link,
    Platform,
    Region,
    Site,
    SnmpAccess,
    SshAccess,
)

NETWORK_SSH_CREDENTIAL = "lab-network"
"""The credential every simulated router and switch accepts (the NOC's own account on each)."""
LINUX_SSH_CREDENTIAL = "lab-linux"
"""The credential of the lab's Linux hosts: root with the lab's private key."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LabInterface(_Frozen):
    """One ifTable row and what flows through it."""

    if_index: int = Field(gt=0)
    name: str = Field(description="ifName")
    descr: str = Field(description="ifDescr")
    alias: str = Field(description="ifAlias, e.g. 'to GZ-CORE1 GigabitEthernet1/0/2 (primary)'")
    if_type: int = Field(description="IANAifType")
    speed_bps: int = Field(ge=0)
    mtu: int
    mac: str = Field(description="ifPhysAddress as aa:bb:cc:dd:ee:ff; empty when it has none")
    admin_up: bool
    oper_up: bool
    in_bytes_per_s: float = Field(ge=0, description="Octets received per second")
    out_bytes_per_s: float = Field(ge=0, description="Octets sent per second")
    in_errors_per_s: float = Field(default=0.0, ge=0)
    in_discards_per_s: float = Field(default=0.0, ge=0)
    link: str | None = Field(default=None, description="Id of the link on this interface")
    lldp: bool = Field(default=False, description="Takes part in LLDP (physical Ethernet)")
    ipv4: str | None = Field(
        default=None, description="Configured address with prefix length, e.g. 10.250.0.1/30"
    )


class LabNeighbour(_Frozen):
    """The device at the far end of one of this device's links, as LLDP would report it."""

    interface: str = Field(description="Local ifName")
    device: str = Field(description="Remote device id")
    remote_interface: str = Field(description="Remote ifName")
    link: str
    # What the neighbour announces about itself, so a CLI can print it without the province.
    remote_name: str = Field(default="", description="The neighbour's hostname (LLDP sysName)")
    remote_mac: str = Field(default="", description="The neighbour's chassis id (base MAC)")
    remote_address: str = Field(default="", description="The neighbour's management address")
    remote_platform: Platform | None = None
    remote_model: str = Field(default="", description="The neighbour's hardware model")
    remote_port_description: str = Field(default="", description="The remote port's ifAlias")


class AccountRole(StrEnum):
    """Why a local account exists on a device — what an account audit has to tell apart."""

    ADMIN = "admin"  # the site's own administrator, top privilege
    NOC = "noc"  # the NOC's read-only account; the collectors log in with it
    VENDOR = "vendor"  # the maintenance account the vendor's engineers set up and left
    STALE = "stale"  # a shared or forgotten test account nobody owns any more


class LabAccount(_Frozen):
    """A local user on a device. The lab knows the password; the device shows a hash or cipher."""

    name: str
    role: AccountRole
    privilege: int = Field(ge=0, le=15, description="0-15 (VRP, IOS, ZXROS); Comware maps roles")
    password: str
    services: tuple[str, ...] = Field(description="ssh, telnet, terminal, ftp, http")
    hash_kind: str = Field(
        default="", description="How the config stores it where a platform has several (IOS 9/5/7)"
    )


class LabSecrets(_Frozen):
    """Every other secret a real running configuration carries, in clear: the scrub tests' list."""

    snmp_write_community: str
    snmpv3_user: str
    snmpv3_auth_key: str
    snmpv3_priv_key: str
    aaa_shared_key: str = Field(description="RADIUS / HWTACACS / TACACS+ shared key")
    ntp_key: str
    ike_pre_shared_key: str = Field(description="IPsec backup tunnel to the data centre")
    enable_secret: str | None = Field(default=None, description="Privileged-mode secret (IOS)")

    def values(self) -> tuple[str, ...]:
        """Every secret here, for checking that none survives a scrub."""
        return tuple(v for v in self.model_dump().values() if isinstance(v, str) and v)


class LabLogin(_Frozen):
    """The NOC's login on every simulated router and switch (the lab-network credential)."""

    username: str
    password: str
    enable_secret: str


class LabDevice(_Frozen):
    id: str
    name: str = Field(description="Hostname; the agent's sysName")
    platform: Platform
    role: DeviceRole
    region: str = Field(description="GB/T 2260 code of the region the device serves")
    site: str
    address: str
    port: int
    community: str = Field(description="SNMPv2c community; also the name of its .snmprec file")
    model: str = Field(description="Hardware model, a key into lab.catalogue")
    serial: str
    mac: str = Field(description="Base MAC address; the LLDP chassis id")
    location: str = Field(description="sysLocation")
    service: str | None = Field(default=None, description="Business service on a server")
    uptime_s: int = Field(ge=0, description="sysUpTime when the lab starts")
    cpu_percent: int = Field(ge=0, le=100)
    memory_percent: int = Field(ge=0, le=100)
    interfaces: tuple[LabInterface, ...]
    neighbours: tuple[LabNeighbour, ...] = ()
    accounts: tuple[LabAccount, ...] = Field(
        default=(), description="Local users (network devices; Linux hosts are real machines)"
    )
    secrets: LabSecrets | None = Field(default=None, description="Network devices only")

    def interface_by_name(self) -> dict[str, LabInterface]:
        return {i.name: i for i in self.interfaces}

    @property
    def is_network_device(self) -> bool:
        """A router or switch: simulated over SSH, where a Linux host is a real sshd."""
        return self.platform is not Platform.LINUX


class Province(_Frozen):
    """Everything the lab simulates, for one divisions file, size and seed."""

    seed: int
    size: str
    network: str
    port: int
    regions: tuple[Region, ...]
    sites: tuple[Site, ...]
    devices: tuple[LabDevice, ...]
    links: tuple[Link, ...]
    ssh_port: int | None = Field(
        default=None, description="TCP port of every device's SSH server; None: no SSH"
    )
    login: LabLogin | None = Field(default=None, description="The NOC's login on the devices")

    def device_by_id(self) -> dict[str, LabDevice]:
        return {d.id: d for d in self.devices}

    def interface_count(self) -> int:
        return sum(len(d.interfaces) for d in self.devices)

    def to_inventory(self, linux_ssh: bool = False) -> Inventory:
        """The NOC's intended state: what a network's documentation would say.

        Every router and switch has SSH when the lab runs its simulators (``ssh_port``); the Linux
        hosts only when ``linux_ssh`` — a real sshd needs root and OpenSSH on this machine.
        """
        return Inventory(
            regions=self.regions,
            sites=self.sites,
            devices=tuple(
                Device(
                    id=d.id,
                    name=d.name,
                    site=d.site,
                    platform=d.platform,
                    role=d.role,
                    address=IPv4Address(d.address),
                    snmp=SnmpAccess(port=d.port, credential=d.id),
                    ssh=self._ssh_access(d, linux_ssh),
                    services=(d.service,) if d.service else (),
                )
                for d in self.devices
            ),
            links=self.links,
        )

    def _ssh_access(self, device: LabDevice, linux_ssh: bool) -> SshAccess | None:
        if self.ssh_port is None:
            return None
        if device.is_network_device:
            return SshAccess(port=self.ssh_port, credential=NETWORK_SSH_CREDENTIAL)
        if linux_ssh:
            return SshAccess(port=self.ssh_port, credential=LINUX_SSH_CREDENTIAL)
        return None

    def credentials_document(self, linux_key_path: str | None = None) -> dict[str, Any]:
        """The credentials file's content: one v2c credential per device, named by its id; the
        devices' SSH login and, given the lab's key, root's login on the Linux hosts."""
        document: dict[str, Any] = {
            "snmp": {d.id: {"version": "2c", "community": d.community} for d in self.devices}
        }
        ssh: dict[str, Any] = {}
        if self.ssh_port is not None and self.login is not None:
            ssh[NETWORK_SSH_CREDENTIAL] = {
                "username": self.login.username,
                "password": self.login.password,
                "enable_secret": self.login.enable_secret,
            }
        if self.ssh_port is not None and linux_key_path is not None:
            ssh[LINUX_SSH_CREDENTIAL] = {"username": "root", "private_key_path": linux_key_path}
        if ssh:
            document["ssh"] = ssh
        return document

    def summary(self) -> dict[str, Any]:
        """Counts by role and platform, for people and benchmarks."""
        by_role: dict[str, int] = {}
        by_platform: dict[str, int] = {}
        for device in self.devices:
            by_role[device.role] = by_role.get(device.role, 0) + 1
            by_platform[device.platform] = by_platform.get(device.platform, 0) + 1
        return {
            "devices": len(self.devices),
            "interfaces": self.interface_count(),
            "links": len(self.links),
            "by_role": by_role,
            "by_platform": by_platform,
        }
