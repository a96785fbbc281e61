"""The hardware of the simulated province: models, their ports, how their agents introduce them.

Vendor differences are data. Each :class:`HardwareModel` says how its ports are named and numbered
(ifName, ifIndex), which ports take uplinks, and what its agent answers for sysDescr, sysObjectID
and the ENTITY-MIB chassis row. The strings follow the shape of the real recordings in
``../shared/snmprec`` (vrp_5720, comware, zxr10_5250, ios_2960x, iosxe_c3650, linux), so the
collector's profiles recognise the lab's devices exactly as they recognise real ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.model import DeviceRole, Platform

GBPS = 1_000_000_000

# IANAifType numbers used by the lab.
IF_TYPE_OTHER = 1
IF_TYPE_ETHERNET = 6
IF_TYPE_LOOPBACK = 24
IF_TYPE_PROP_VIRTUAL = 53
IF_TYPE_L3_IP_VLAN = 136


class PortPool(StrEnum):
    """Which links a port takes: uplinks go on the fast optical ports, the rest on access ports."""

    UPLINK = "uplink"
    ACCESS = "access"


@dataclass(frozen=True, slots=True)
class PortGroup:
    """A run of front-panel ports: ``name_format.format(n=…)`` for n in first…first+count-1."""

    name_format: str
    first: int
    count: int
    speed_bps: int
    pool: PortPool
    if_index_base: int | None = None
    """ifIndex of port n is base + n when given (Cisco's 101xx); else numbered in order."""

    def names(self) -> list[str]:
        return [self.name_format.format(n=n) for n in range(self.first, self.first + self.count)]


@dataclass(frozen=True, slots=True)
class LogicalInterface:
    """A non-front-panel interface (loopback, null, management port, VLAN interface)."""

    name: str
    if_type: int
    speed_bps: int
    mtu: int = 1500
    has_mac: bool = True
    oper_up: bool = True
    if_index: int | None = None


@dataclass(frozen=True, slots=True)
class HardwareModel:
    platform: Platform
    model: str
    sys_object_id: str
    sys_descr: str
    """Format string; fields: model, version, release, hostname."""
    version: str
    release: str
    entity_descr: str
    ports: tuple[PortGroup, ...]
    logical_first: tuple[LogicalInterface, ...] = ()
    """Interfaces numbered before the ports (VRP and Comware number these first)."""
    logical_last: tuple[LogicalInterface, ...] = ()
    vlan_interface_format: str | None = None
    """How this platform names a VLAN's L3 interface, e.g. ``Vlanif{vlan}``."""
    vlan_if_type: int = IF_TYPE_L3_IP_VLAN
    mac_oui: str = "00:00:00"
    chassis_entity_index: int = 1
    memory_bytes: int = 512 * 1024 * 1024
    describe_unused_as_name: bool = False
    """Comware's default ifAlias is "<name> Interface"; other vendors leave it empty."""

    def port_count(self, pool: PortPool | None = None) -> int:
        return sum(g.count for g in self.ports if pool is None or g.pool is pool)

    def identity(self, hostname: str) -> str:
        return self.sys_descr.format(
            model=self.model, version=self.version, release=self.release, hostname=hostname
        )


_VRP_DESCR = (
    "{model}\r\nHuawei Versatile Routing Platform Software\r\n"
    "VRP (R) software, Version {version} ({release})\r\n"
    "Copyright (C) 2000-2020 HUAWEI TECH CO., LTD"
)
_VRP_LOGICAL = (
    LogicalInterface("InLoopBack0", IF_TYPE_LOOPBACK, 0, mtu=1500, has_mac=False),
    LogicalInterface("NULL0", IF_TYPE_OTHER, 0, has_mac=False),
    LogicalInterface("Console9/0/0", IF_TYPE_OTHER, 9600, has_mac=False),
    LogicalInterface("MEth0/0/1", IF_TYPE_ETHERNET, GBPS, oper_up=False),
    LogicalInterface("LoopBack0", IF_TYPE_LOOPBACK, 0, has_mac=False),
)
_COMWARE_DESCR = (
    "H3C Comware Platform Software, Software Version {version}, Release {release}\r\n"
    "H3C {model}\r\n"
    "Copyright (c) 2004-2022 New H3C Technologies Co., Ltd. All rights reserved."
)
_COMWARE_LOGICAL = (
    LogicalInterface("M-GigabitEthernet0/0/0", IF_TYPE_ETHERNET, GBPS, oper_up=False),
    LogicalInterface("NULL0", IF_TYPE_OTHER, 0, has_mac=False),
    LogicalInterface("InLoopBack0", IF_TYPE_LOOPBACK, 0, has_mac=False),
    LogicalInterface("LoopBack0", IF_TYPE_LOOPBACK, 0, has_mac=False),
)
_IOSXE_DESCR = (
    "Cisco IOS Software [Fuji], Catalyst L3 Switch Software (CAT3K_CAA-UNIVERSALK9-M), "
    "Version {version}, RELEASE SOFTWARE (fc2)\r\n"
    "Technical Support: http://www.cisco.com/techsupport\r\n"
    "Copyright (c) 1986-2021 by Cisco Systems, Inc.\r\n"
    "Compiled Thu 14-Oct-21 11:57 by mcpre"
)
_IOS_DESCR = (
    "Cisco IOS Software, C2960 Software (C2960-LANBASEK9-M), Version {version}, "
    "RELEASE SOFTWARE (fc3)\r\n"
    "Technical Support: http://www.cisco.com/techsupport\r\n"
    "Copyright (c) 1986-2017 by Cisco Systems, Inc.\r\n"
    "Compiled Sat 19-Aug-17 09:34 by prod_rel_team"
)
_ZXR10_DESCR = (
    "ZTE Ethernet Switch  ZXR10 {model}, Version: {version}\r\nCopyright (c) ZTE Corporation"
)
_LINUX_DESCR = "Linux {hostname} {version} #1 SMP Tue Mar 14 12:19:10 CST 2023 x86_64"


def _vrp(model: str, series: str, oid: int, ports: tuple[PortGroup, ...]) -> HardwareModel:
    return HardwareModel(
        platform=Platform.HUAWEI_VRP,
        model=model,
        sys_object_id=f"1.3.6.1.4.1.2011.2.23.{oid}",
        sys_descr=_VRP_DESCR,
        version="5.170",
        release=f"{series} V200R019C10SPC500",
        entity_descr=f"HUAWEI {series} Routing Switch",
        ports=ports,
        logical_first=_VRP_LOGICAL,
        vlan_interface_format="Vlanif{vlan}",
        mac_oui="70:7b:e8",
        chassis_entity_index=67108867,  # VRP's main board: the index hwEntityCpuUsage is read at
        memory_bytes=2 * 1024**3,
    )


def _comware(model: str, oid: int, ports: tuple[PortGroup, ...]) -> HardwareModel:
    return HardwareModel(
        platform=Platform.HP_COMWARE,
        model=model,
        sys_object_id=f"1.3.6.1.4.1.25506.11.1.{oid}",
        sys_descr=_COMWARE_DESCR,
        version="7.1.070",
        release="6328P03",
        entity_descr=f"H3C {model}",
        ports=ports,
        logical_first=_COMWARE_LOGICAL,
        vlan_interface_format="Vlan-interface{vlan}",
        mac_oui="3c:8c:40",
        memory_bytes=1024**3,
        describe_unused_as_name=True,
    )


def _g(
    fmt: str, first: int, count: int, gbps: int, pool: PortPool, base: int | None = None
) -> PortGroup:
    return PortGroup(fmt, first, count, gbps * GBPS, pool, if_index_base=base)


_UP, _ACC = PortPool.UPLINK, PortPool.ACCESS

MODELS: dict[tuple[Platform, DeviceRole], tuple[HardwareModel, ...]] = {
    # Variants smallest first: a device gets the first one with enough ports for its links.
    (Platform.HUAWEI_VRP, DeviceRole.CORE): (
        _vrp(
            "S6730-H48X6C",
            "S6730",
            628,
            (
                _g("XGigabitEthernet0/0/{n}", 1, 48, 10, _UP),
                _g("100GE0/0/{n}", 1, 6, 100, _UP),
            ),
        ),
    ),
    (Platform.HUAWEI_VRP, DeviceRole.DISTRIBUTION): (
        _vrp(
            "S5735-S24T4X",
            "S5735",
            546,
            (
                _g("GigabitEthernet0/0/{n}", 1, 24, 1, _ACC),
                _g("XGigabitEthernet0/0/{n}", 1, 4, 10, _UP),
            ),
        ),
        _vrp(
            "S5735-S48T4X",
            "S5735",
            547,
            (
                _g("GigabitEthernet0/0/{n}", 1, 48, 1, _ACC),
                _g("XGigabitEthernet0/0/{n}", 1, 4, 10, _UP),
            ),
        ),
    ),
    (Platform.HUAWEI_VRP, DeviceRole.ACCESS): (
        _vrp(
            "S5735-L12T4S-A",
            "S5735",
            552,
            (
                _g("GigabitEthernet0/0/{n}", 1, 12, 1, _ACC),
                _g("GigabitEthernet0/0/{n}", 13, 4, 1, _UP),
            ),
        ),
    ),
    (Platform.HP_COMWARE, DeviceRole.DISTRIBUTION): (
        _comware(
            "S5560X-30C-EI",
            291,
            (
                _g("GigabitEthernet1/0/{n}", 1, 24, 1, _ACC),
                _g("Ten-GigabitEthernet1/0/{n}", 25, 4, 10, _UP),
            ),
        ),
        _comware(
            "S5560X-54C-EI",
            292,
            (
                _g("GigabitEthernet1/0/{n}", 1, 48, 1, _ACC),
                _g("Ten-GigabitEthernet1/0/{n}", 49, 4, 10, _UP),
            ),
        ),
    ),
    (Platform.HP_COMWARE, DeviceRole.ACCESS): (
        _comware(
            "S5130S-20S-EI",
            383,
            (
                _g("GigabitEthernet1/0/{n}", 1, 16, 1, _ACC),
                _g("Ten-GigabitEthernet1/0/{n}", 17, 4, 10, _UP),
            ),
        ),
    ),
    (Platform.CISCO_IOS, DeviceRole.DISTRIBUTION): tuple(
        HardwareModel(
            platform=Platform.CISCO_IOS,
            model=f"WS-C3850-{ports}XS",
            sys_object_id=f"1.3.6.1.4.1.9.1.{oid}",
            sys_descr=_IOSXE_DESCR,
            version="16.9.8",
            release="16.9.8",
            entity_descr=f"Cisco Catalyst 3850 {ports}XS Switch",
            ports=(
                # SFP+ ports: county links run 1G optics in some of them (the link sets the speed).
                _g("TenGigabitEthernet1/0/{n}", 1, ports - 4, 10, _ACC),
                _g("TenGigabitEthernet1/0/{n}", ports - 3, 4, 10, _UP),
            ),
            logical_first=(LogicalInterface("Vlan1", IF_TYPE_PROP_VIRTUAL, GBPS),),
            logical_last=(
                LogicalInterface("GigabitEthernet0/0", IF_TYPE_ETHERNET, GBPS, oper_up=False),
                LogicalInterface("Null0", IF_TYPE_OTHER, 0, has_mac=False),
                LogicalInterface("Loopback0", IF_TYPE_LOOPBACK, 0, has_mac=False),
            ),
            vlan_interface_format="Vlan{vlan}",
            vlan_if_type=IF_TYPE_PROP_VIRTUAL,
            mac_oui="00:1b:54",
            memory_bytes=4 * 1024**3,
        )
        for ports, oid in ((24, 1745), (48, 1746))
    ),
    (Platform.CISCO_IOS, DeviceRole.ACCESS): (
        HardwareModel(
            platform=Platform.CISCO_IOS,
            model="WS-C2960G-24TC-L",
            sys_object_id="1.3.6.1.4.1.9.1.694",
            sys_descr=_IOS_DESCR,
            version="15.0(2)SE11",
            release="15.0(2)SE11",
            entity_descr="Catalyst 2960G 24 port switch",
            ports=(
                _g("GigabitEthernet0/{n}", 1, 20, 1, _ACC, base=10100),
                _g("GigabitEthernet0/{n}", 21, 4, 1, _UP, base=10100),
            ),
            logical_first=(LogicalInterface("Vlan1", IF_TYPE_PROP_VIRTUAL, GBPS, if_index=1),),
            logical_last=(
                LogicalInterface("Null0", IF_TYPE_OTHER, 0, has_mac=False, if_index=10501),
                LogicalInterface("Loopback0", IF_TYPE_LOOPBACK, 0, has_mac=False, if_index=10502),
            ),
            vlan_interface_format=None,
            vlan_if_type=IF_TYPE_PROP_VIRTUAL,
            mac_oui="00:1b:54",
            memory_bytes=128 * 1024**2,
        ),
    ),
    (Platform.ZTE_ZXROS, DeviceRole.ACCESS): (
        HardwareModel(
            platform=Platform.ZTE_ZXROS,
            model="5960-20SC-H",
            sys_object_id="1.3.6.1.4.1.3902.3.100.116",
            sys_descr=_ZXR10_DESCR,
            version="V5.00.10.81",
            release="V5.00.10.81",
            entity_descr="ZXR10 5960-20SC-H",
            ports=(
                _g("gei-0/1/0/{n}", 1, 16, 1, _ACC),
                _g("xgei-0/2/0/{n}", 1, 4, 10, _UP),
            ),
            logical_last=(
                LogicalInterface("mng1", IF_TYPE_ETHERNET, GBPS, oper_up=False),
                LogicalInterface("loopback1", IF_TYPE_LOOPBACK, 0, has_mac=False),
            ),
            vlan_interface_format="vlan{vlan}",
            mac_oui="00:19:c6",
            memory_bytes=1024**3,
        ),
    ),
    (Platform.LINUX, DeviceRole.SERVER): (
        HardwareModel(
            platform=Platform.LINUX,
            model="Inspur NF5280M6",
            sys_object_id="1.3.6.1.4.1.8072.3.2.10",
            sys_descr=_LINUX_DESCR,
            version="4.19.90-52.22.v2207.ky10.x86_64",
            release="Kylin Linux Advanced Server V10 (Halberd)",
            entity_descr="",
            ports=(
                _g("ens{n}", 3, 1, 10, _UP),
                _g("ens{n}", 4, 2, 10, _ACC),
            ),
            logical_first=(LogicalInterface("lo", IF_TYPE_LOOPBACK, 10_000_000, 65536, False),),
            mac_oui="6c:92:bf",
            memory_bytes=64 * 1024**3,
        ),
    ),
}

PLATFORM_WEIGHTS: dict[DeviceRole, tuple[tuple[Platform, int], ...]] = {
    # Huawei is the incumbent in Guangdong's provincial networks; the rest came with tenders.
    DeviceRole.CORE: ((Platform.HUAWEI_VRP, 1),),
    DeviceRole.DISTRIBUTION: (
        (Platform.HUAWEI_VRP, 5),
        (Platform.HP_COMWARE, 3),
        (Platform.CISCO_IOS, 2),
    ),
    DeviceRole.ACCESS: (
        (Platform.HUAWEI_VRP, 4),
        (Platform.HP_COMWARE, 3),
        (Platform.ZTE_ZXROS, 2),
        (Platform.CISCO_IOS, 2),
    ),
    DeviceRole.SERVER: ((Platform.LINUX, 1),),
}


def choose_model(platform: Platform, role: DeviceRole, uplinks: int, links: int) -> HardwareModel:
    """The smallest model of ``platform`` for ``role`` with ports for its links, plus spares.

    The largest variant is returned when none has room; port allocation then says what is short.
    """
    variants = MODELS[(platform, role)]
    for variant in variants:
        if variant.port_count(PortPool.UPLINK) >= uplinks and variant.port_count() >= links + 4:
            return variant
    return variants[-1]


def model_named(platform: Platform, model: str) -> HardwareModel:
    """The catalogue entry a device was built with (``LabDevice.model``)."""
    for (candidate_platform, _), variants in MODELS.items():
        for variant in variants:
            if candidate_platform is platform and variant.model == model:
                return variant
    raise KeyError(f"no {platform} model {model!r} in the lab's catalogue")
