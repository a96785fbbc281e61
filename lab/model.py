"""The simulated province as data: devices with their interfaces and neighbours, and the links.

A :class:`Province` is what :func:`lab.province.build_province` returns and what ``province.json``
holds. It is everything the agents answer, decided up front: the snmprec writer only formats it, so
the same seed gives the same lab. It converts to the NOC's own view — an inventory
(:class:`core.model.Inventory`) and a credentials document — which is all the NOC is given; the
rest it must discover.
"""

from __future__ import annotations

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
)


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


class LabNeighbour(_Frozen):
    """The device at the far end of one of this device's links, as LLDP would report it."""

    interface: str = Field(description="Local ifName")
    device: str = Field(description="Remote device id")
    remote_interface: str = Field(description="Remote ifName")
    link: str


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

    def interface_by_name(self) -> dict[str, LabInterface]:
        return {i.name: i for i in self.interfaces}


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

    def device_by_id(self) -> dict[str, LabDevice]:
        return {d.id: d for d in self.devices}

    def interface_count(self) -> int:
        return sum(len(d.interfaces) for d in self.devices)

    def to_inventory(self) -> Inventory:
        """The NOC's intended state: what a network's documentation would say."""
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
                )
                for d in self.devices
            ),
            links=self.links,
        )

    def credentials_document(self) -> dict[str, Any]:
        """The credentials file's content: one v2c credential per device, named by its id."""
        return {"snmp": {d.id: {"version": "2c", "community": d.community} for d in self.devices}}

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
