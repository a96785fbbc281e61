"""Hand-made networks with known answers, for the topology tests.

The toy province, drawn (P primary link, B backup link)::

              gd-dc1-core1 ────P──── gd-dc2-core1
             /   │     \\              /    │    \\
   dc1-pension1  P gz-dc1  B fs-dc1  B gz-dc2   P fs-dc2   dc2-pension1
                 │                   │
              gz-core1 (广州)      fs-core1 (佛山)
              │  │  \\  \\            /   │   \\
              P  B   P  B—————————    P   P   B (to gz-core1)
           越秀 (both to gz-core1)   禅城     南海 (single-homed)
                 荔湾 (P gz, B fs)

- 荔湾 (gz-liwan-acc1): primary to gz-core1, backup to fs-core1 — properly dual-homed;
- 越秀 (gz-yuexiu-acc1): primary *and* backup to gz-core1 — its two paths share the city router;
- 禅城 (fs-chancheng-acc1): primary to fs-core1, backup to gz-core1 — dual-homed;
- 南海 (fs-nanhai-acc1): one link to fs-core1 — a bridge, and fs-core1 its articulation point;
- service hosts: dc1 runs pension and medical-insurance, dc2 pension only, one uplink each.
"""

from __future__ import annotations

from collections.abc import Mapping
from ipaddress import IPv4Address

from core.model import (
    Device,
    DeviceRole,
    Inventory,
    Link,
    LinkEnd,
    LinkRole,
    LinkTier,
    Platform,
    Region,
    RegionLevel,
    Site,
    SiteKind,
    Status,
)
from topology.graph import Topology, build_topology
from topology.model import LinkState, LinkStatus

PROVINCE, GZ, FS = "440000", "440100", "440600"
LIWAN, YUEXIU, CHANCHENG, NANHAI = "440103", "440104", "440604", "440605"
REGIONS = (
    Region(code=PROVINCE, name="广东省", level=RegionLevel.PROVINCE),
    Region(code=GZ, name="广州市", level=RegionLevel.CITY, parent=PROVINCE),
    Region(code=FS, name="佛山市", level=RegionLevel.CITY, parent=PROVINCE),
    Region(code=LIWAN, name="荔湾区", level=RegionLevel.COUNTY, parent=GZ),
    Region(code=YUEXIU, name="越秀区", level=RegionLevel.COUNTY, parent=GZ),
    Region(code=CHANCHENG, name="禅城区", level=RegionLevel.COUNTY, parent=FS),
    Region(code=NANHAI, name="南海区", level=RegionLevel.COUNTY, parent=FS),
)
SITE_KINDS = {
    RegionLevel.PROVINCE: SiteKind.DATA_CENTRE,
    RegionLevel.CITY: SiteKind.CITY_NODE,
    RegionLevel.COUNTY: SiteKind.COUNTY_NODE,
}
P, B = LinkRole.PRIMARY, LinkRole.BACKUP

DC1, DC2 = "gd-dc1-core1", "gd-dc2-core1"
HOST1, HOST2 = "gd-dc1-pension1", "gd-dc2-pension1"
GZ_CORE, FS_CORE = "gz-core1", "fs-core1"
LIWAN_ACC, YUEXIU_ACC = "gz-liwan-acc1", "gz-yuexiu-acc1"
CHANCHENG_ACC, NANHAI_ACC = "fs-chancheng-acc1", "fs-nanhai-acc1"

# device id → (role, site, region, services)
TOY_DEVICES: dict[str, tuple[DeviceRole, str, str, tuple[str, ...]]] = {
    DC1: (DeviceRole.CORE, "gd-dc1", PROVINCE, ()),
    DC2: (DeviceRole.CORE, "gd-dc2", PROVINCE, ()),
    HOST1: (DeviceRole.SERVER, "gd-dc1", PROVINCE, ("pension", "medical-insurance")),
    HOST2: (DeviceRole.SERVER, "gd-dc2", PROVINCE, ("pension",)),
    GZ_CORE: (DeviceRole.DISTRIBUTION, "gz", GZ, ()),
    FS_CORE: (DeviceRole.DISTRIBUTION, "fs", FS, ()),
    LIWAN_ACC: (DeviceRole.ACCESS, "gz-liwan", LIWAN, ()),
    YUEXIU_ACC: (DeviceRole.ACCESS, "gz-yuexiu", YUEXIU, ()),
    CHANCHENG_ACC: (DeviceRole.ACCESS, "fs-chancheng", CHANCHENG, ()),
    NANHAI_ACC: (DeviceRole.ACCESS, "fs-nanhai", NANHAI, ()),
}
# link id → (a, b, role)
TOY_LINKS: dict[str, tuple[str, str, LinkRole]] = {
    "gd-dc1-dc2": (DC1, DC2, P),
    "gd-dc1-pension1-uplink": (DC1, HOST1, P),
    "gd-dc2-pension1-uplink": (DC2, HOST2, P),
    "gz-dc1": (DC1, GZ_CORE, P),
    "gz-dc2": (DC2, GZ_CORE, B),
    "fs-dc2": (DC2, FS_CORE, P),
    "fs-dc1": (DC1, FS_CORE, B),
    "gz-liwan-primary": (GZ_CORE, LIWAN_ACC, P),
    "gz-liwan-backup": (FS_CORE, LIWAN_ACC, B),
    "gz-yuexiu-primary": (GZ_CORE, YUEXIU_ACC, P),
    "gz-yuexiu-backup": (GZ_CORE, YUEXIU_ACC, B),
    "fs-chancheng-primary": (FS_CORE, CHANCHENG_ACC, P),
    "fs-chancheng-backup": (GZ_CORE, CHANCHENG_ACC, B),
    "fs-nanhai-primary": (FS_CORE, NANHAI_ACC, P),
}
TIERS = {
    (DeviceRole.CORE, DeviceRole.CORE): LinkTier.DC_INTERCONNECT,
    (DeviceRole.CORE, DeviceRole.SERVER): LinkTier.SERVER_ACCESS,
    (DeviceRole.CORE, DeviceRole.DISTRIBUTION): LinkTier.PROVINCE_CITY,
    (DeviceRole.DISTRIBUTION, DeviceRole.ACCESS): LinkTier.CITY_COUNTY,
}


def make_inventory(
    devices: Mapping[str, tuple[DeviceRole, str, str, tuple[str, ...]]],
    links: Mapping[str, tuple[str, str, LinkRole]],
    regions: tuple[Region, ...] = REGIONS,
) -> Inventory:
    """An inventory of ``devices`` and ``links`` (ports numbered in order, 1 Gbit/s each)."""
    levels = {r.code: r.level for r in regions}
    sites = {
        site: Site(id=site, name=site, region=region, kind=SITE_KINDS[levels[region]])
        for role, site, region, _ in devices.values()
    }
    ports: dict[str, int] = {}

    def end(device: str) -> LinkEnd:
        ports[device] = ports.get(device, 0) + 1
        return LinkEnd(device=device, interface=f"GigabitEthernet0/0/{ports[device]}")

    return Inventory(
        regions=regions,
        sites=tuple(sites.values()),
        devices=tuple(
            Device(
                id=device_id,
                name=device_id.upper(),
                site=site,
                platform=Platform.LINUX if role is DeviceRole.SERVER else Platform.HUAWEI_VRP,
                role=role,
                address=IPv4Address("127.0.0.1") + n,
                services=services,
            )
            for n, (device_id, (role, site, _, services)) in enumerate(devices.items())
        ),
        links=tuple(
            Link(
                id=link_id,
                a=end(a),
                b=end(b),
                tier=TIERS.get((devices[a][0], devices[b][0]), LinkTier.CITY_COUNTY),
                role=role,
                capacity_bps=1_000_000_000,
            )
            for link_id, (a, b, role) in links.items()
        ),
    )


TOY = make_inventory(TOY_DEVICES, TOY_LINKS)


def toy(
    down_links: tuple[str, ...] = (),
    down_devices: tuple[str, ...] = (),
    inventory: Inventory = TOY,
) -> Topology:
    """The toy province with ``down_links`` and ``down_devices`` failed, everything else up."""
    states = [
        LinkState(lk.id, LinkStatus.DOWN if lk.id in down_links else LinkStatus.UP)
        for lk in inventory.links
    ]
    statuses = {d.id: Status.DOWN if d.id in down_devices else Status.UP for d in inventory.devices}
    return build_topology(inventory, states, statuses)
