"""The domain model: what the network is meant to be (inventory) and what was seen of it.

Inventory objects are frozen pydantic models, so an inventory file is validated by the same types
the rest of the code uses. Observed state (interfaces, device status) is separate: the difference
between the two is itself a finding.
"""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum, StrEnum
from ipaddress import IPv4Address, IPv6Address
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

_SLUG = r"^[a-z0-9][a-z0-9._-]*$"
Slug = Annotated[str, Field(pattern=_SLUG, max_length=96)]
RegionCode = Annotated[str, Field(pattern=r"^\d{6}$", description="GB/T 2260 division code")]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class RegionLevel(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"


class Platform(StrEnum):
    """Device platforms, named as ntc-templates names them."""

    HUAWEI_VRP = "huawei_vrp"
    HP_COMWARE = "hp_comware"
    CISCO_IOS = "cisco_ios"
    ZTE_ZXROS = "zte_zxros"
    LINUX = "linux"


class DeviceRole(StrEnum):
    CORE = "core"  # provincial core router in a data centre
    DISTRIBUTION = "distribution"  # a city's node
    ACCESS = "access"  # a county's node
    SERVER = "server"  # a Linux service host running business services


class SiteKind(StrEnum):
    DATA_CENTRE = "data_centre"
    CITY_NODE = "city_node"
    COUNTY_NODE = "county_node"


class LinkTier(StrEnum):
    DC_INTERCONNECT = "dc_interconnect"
    PROVINCE_CITY = "province_city"
    CITY_COUNTY = "city_county"
    SERVER_ACCESS = "server_access"


class LinkRole(StrEnum):
    PRIMARY = "primary"
    BACKUP = "backup"


class Status(StrEnum):
    """Health of a device or a region, as shown to people."""

    UP = "up"
    DEGRADED = "degraded"  # answers, but something on it is wrong (an enabled interface down)
    DOWN = "down"  # does not answer
    UNKNOWN = "unknown"  # never polled yet


class _Severity(IntEnum):
    UP = 0
    UNKNOWN = 1
    DEGRADED = 2
    DOWN = 3


def worst_status(statuses: list[Status] | tuple[Status, ...]) -> Status:
    """The worst of ``statuses`` (down > degraded > unknown > up); ``unknown`` when empty."""
    if not statuses:
        return Status.UNKNOWN
    return max(statuses, key=lambda s: _Severity[s.name])


class Region(_Frozen):
    code: RegionCode
    name: str = Field(min_length=1, description="Official Chinese name, e.g. 广州市")
    level: RegionLevel
    parent: RegionCode | None = None
    slug: Slug | None = Field(default=None, description="ASCII name for addresses and ids")


class Site(_Frozen):
    id: Slug
    name: str = Field(min_length=1)
    region: RegionCode
    kind: SiteKind


class SnmpAccess(_Frozen):
    """How to reach a device's SNMP agent; the secret itself is in the credentials file."""

    port: int = Field(default=161, ge=1, le=65535)
    credential: Slug = Field(description="Name of an SNMP credential in the credentials file")
    interval_s: float | None = Field(default=None, gt=0, description="Overrides the default")
    timeout_s: float | None = Field(default=None, gt=0, description="Overrides the default")
    retries: int | None = Field(default=None, ge=0, le=10, description="Overrides the default")


class SshAccess(_Frozen):
    """How to reach a device's or host's SSH server; the secret is in the credentials file."""

    port: int = Field(default=22, ge=1, le=65535)
    credential: Slug = Field(description="Name of an SSH credential in the credentials file")
    timeout_s: float | None = Field(default=None, gt=0, description="Overrides the default")


class Device(_Frozen):
    id: Slug
    name: str = Field(min_length=1, description="Hostname as configured on the device")
    site: Slug
    platform: Platform
    role: DeviceRole
    address: IPv4Address | IPv6Address
    snmp: SnmpAccess | None = None
    ssh: SshAccess | None = None
    services: tuple[Slug, ...] = Field(
        default=(), description="Business services this host runs (pension, medical-insurance, …)"
    )


class LinkEnd(_Frozen):
    device: Slug
    interface: str = Field(min_length=1, description="Interface name (ifName) on that device")


class Link(_Frozen):
    id: Slug
    a: LinkEnd
    b: LinkEnd
    tier: LinkTier
    role: LinkRole = LinkRole.PRIMARY
    capacity_bps: int | None = Field(default=None, gt=0)


class Inventory(_Frozen):
    """The intended state of the network."""

    regions: tuple[Region, ...] = ()
    sites: tuple[Site, ...] = ()
    devices: tuple[Device, ...] = ()
    links: tuple[Link, ...] = ()

    def region_by_code(self) -> dict[str, Region]:
        return {r.code: r for r in self.regions}

    def site_by_id(self) -> dict[str, Site]:
        return {s.id: s for s in self.sites}

    def device_by_id(self) -> dict[str, Device]:
        return {d.id: d for d in self.devices}


class InterfaceObservation(_Frozen):
    """One interface as a device reported it."""

    if_index: int
    name: str | None = None
    descr: str | None = None
    alias: str | None = None
    if_type: str | None = None
    speed_bps: int | None = None
    admin_status: str | None = None
    oper_status: str | None = None


class DeviceIdentity(_Frozen):
    """Who a device says it is."""

    vendor: str | None = None
    os: str | None = None
    sys_name: str | None = None
    sys_descr: str | None = None
    sys_object_id: str | None = None
    hardware: str | None = None
    version: str | None = None
    serial: str | None = None


class DeviceState(_Frozen):
    """The last known state of a device, as the state DB keeps it."""

    device_id: str
    status: Status = Status.UNKNOWN
    identity: DeviceIdentity = DeviceIdentity()
    uptime_s: float | None = None
    cpu_percent: float | None = None
    memory_percent: float | None = None
    last_poll_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    consecutive_failures: int = 0

    @field_validator("last_poll_at", "last_success_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value
