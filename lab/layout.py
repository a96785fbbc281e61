"""Which devices and links the province has, for a size: the plan before any port is chosen.

Shape: a provincial core in each of two data centres joined by an interconnect; the business-service
hosts in both data centres; one node per city, dual-homed to both cores (primary to one, backup to
the other, alternating so both carry traffic); one node per county, dual-homed too: primary to its
own city's node, backup to a neighbouring city's node — never its own, or the backup would share
the primary's fate.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from core.errors import LabError
from core.model import DeviceRole, LinkRole, LinkTier, Region, RegionLevel, Site, SiteKind
from lab.addressing import AddressKey
from lab.catalogue import GBPS
from lab.divisions import (
    CITY_NEIGHBOURS,
    PROVINCE_CODE,
    PROVINCE_NAME,
    PROVINCE_SLUG,
    City,
    County,
)
from lab.seeded import seeded_rng

DATA_CENTRES = (1, 2)
SERVICES: tuple[tuple[str, str], ...] = (
    ("pension", "养老保险"),
    ("medical-insurance", "医疗保险"),
    ("employment", "就业服务"),
    ("civil-affairs", "民政业务"),
)
CAPACITY_BPS: dict[LinkTier, int] = {
    LinkTier.DC_INTERCONNECT: 100 * GBPS,
    LinkTier.PROVINCE_CITY: 10 * GBPS,
    LinkTier.CITY_COUNTY: 1 * GBPS,
    LinkTier.SERVER_ACCESS: 10 * GBPS,
}


@dataclass(frozen=True, slots=True)
class SizeSpec:
    cities: int | None
    """How many cities (a connected group around the first); ``None``: every city."""
    counties_per_city: int | None
    """``None``: all of each city's counties."""
    services: int
    """How many business services get a host in each data centre."""


SIZES: dict[str, SizeSpec] = {
    "small": SizeSpec(cities=2, counties_per_city=2, services=1),
    "medium": SizeSpec(cities=4, counties_per_city=None, services=len(SERVICES)),
    "full": SizeSpec(cities=None, counties_per_city=None, services=len(SERVICES)),
}


@dataclass(frozen=True, slots=True)
class PlannedDevice:
    id: str
    name: str
    role: DeviceRole
    site: str
    region: str
    address_key: AddressKey
    location: str
    service: str | None = None


@dataclass(frozen=True, slots=True)
class PlannedLink:
    id: str
    a: str
    b: str
    tier: LinkTier
    role: LinkRole
    capacity_bps: int


@dataclass(frozen=True, slots=True)
class Layout:
    regions: tuple[Region, ...]
    sites: tuple[Site, ...]
    devices: tuple[PlannedDevice, ...]
    links: tuple[PlannedLink, ...]


def size_spec(size: str) -> SizeSpec:
    try:
        return SIZES[size]
    except KeyError:
        raise LabError(f"unknown lab size {size!r}; choose one of {', '.join(SIZES)}") from None


def city_abbreviations(cities: Sequence[City]) -> dict[str, str]:
    """Pinyin initials (广州 "guang zhou" → "gz"), as the province's engineers name city nodes.

    Computed over every city in the file so a city keeps its name whatever the lab's size; a city
    whose initials clash with another's keeps its slug instead.
    """
    initials = {c.slug: "".join(s[0] for s in c.pinyin.split() if s) or c.slug for c in cities}
    clashes = {v for v in initials.values() if list(initials.values()).count(v) > 1}
    return {slug: (slug if short in clashes else short) for slug, short in initials.items()}


def select_cities(cities: Sequence[City], spec: SizeSpec) -> list[City]:
    """All cities, or a connected group grown from the first city through its neighbours."""
    if spec.cities is None:
        return list(cities)
    eligible = {c.slug: c for c in cities if c.counties}
    chosen: dict[str, City] = {}
    queue = deque(c for c in cities[:1] if c.slug in eligible)
    while queue and len(chosen) < spec.cities:
        city = queue.popleft()
        if city.slug in chosen:
            continue
        chosen[city.slug] = city
        queue.extend(eligible[s] for s in CITY_NEIGHBOURS.get(city.slug, ()) if s in eligible)
    for city in eligible.values():  # cities the neighbour table does not know (another file)
        if len(chosen) >= spec.cities:
            break
        chosen.setdefault(city.slug, city)
    return sorted(chosen.values(), key=lambda c: c.order)


def backup_city(county: County, home: City, chosen: Sequence[City], seed: int) -> City:
    """A neighbouring city of ``home`` for ``county``'s backup link, chosen by seed."""
    by_slug = {c.slug: c for c in chosen}
    candidates = [by_slug[s] for s in CITY_NEIGHBOURS.get(home.slug, ()) if s in by_slug]
    if not candidates:  # no neighbour in this lab: the next city in code order stands in
        others = [c for c in chosen if c.slug != home.slug]
        if not others:
            raise LabError("a county's backup link needs a second city in the lab")
        later = [c for c in others if c.order > home.order]
        candidates = [later[0] if later else others[0]]
    return seeded_rng(seed, "backup", county.code).choice(candidates)


def plan_layout(cities: Sequence[City], spec: SizeSpec, seed: int) -> Layout:
    short = city_abbreviations(cities)
    chosen = select_cities(cities, spec)
    if not chosen:
        raise LabError("the divisions file has no city with counties to build a lab from")
    regions = [
        Region(
            code=PROVINCE_CODE, name=PROVINCE_NAME, level=RegionLevel.PROVINCE, slug=PROVINCE_SLUG
        )
    ]
    sites: list[Site] = []
    devices: list[PlannedDevice] = []
    links: list[PlannedLink] = []

    def link(link_id: str, a: str, b: str, tier: LinkTier, role: LinkRole) -> None:
        links.append(PlannedLink(link_id, a, b, tier, role, CAPACITY_BPS[tier]))

    for dc in DATA_CENTRES:
        site = Site(
            id=f"gd-dc{dc}",
            name=f"省数据中心{'一二'[dc - 1]}",
            region=PROVINCE_CODE,
            kind=SiteKind.DATA_CENTRE,
        )
        sites.append(site)
        devices.append(
            PlannedDevice(
                f"gd-dc{dc}-core1",
                f"GD-DC{dc}-CORE1",
                DeviceRole.CORE,
                site.id,
                PROVINCE_CODE,
                AddressKey(0, dc),
                f"{PROVINCE_NAME} {site.name}",
            )
        )
    link("gd-dc1-dc2", "gd-dc1-core1", "gd-dc2-core1", LinkTier.DC_INTERCONNECT, LinkRole.PRIMARY)
    for dc in DATA_CENTRES:
        for s, (service, service_name) in enumerate(SERVICES[: spec.services]):
            host = f"gd-dc{dc}-{service}1"
            devices.append(
                PlannedDevice(
                    host,
                    host,
                    DeviceRole.SERVER,
                    f"gd-dc{dc}",
                    PROVINCE_CODE,
                    AddressKey(0, 10 * dc + s + 1),
                    f"{PROVINCE_NAME} {sites[dc - 1].name} {service_name}",
                    service,
                )
            )
            link(
                f"{host}-uplink", f"gd-dc{dc}-core1", host, LinkTier.SERVER_ACCESS, LinkRole.PRIMARY
            )

    for city in chosen:
        abbr = short[city.slug]
        regions.append(
            Region(
                code=city.code,
                name=city.name,
                level=RegionLevel.CITY,
                parent=PROVINCE_CODE,
                slug=city.slug,
            )
        )
        sites.append(
            Site(id=abbr, name=f"{city.name}节点", region=city.code, kind=SiteKind.CITY_NODE)
        )
        node = f"{abbr}-core1"
        devices.append(
            PlannedDevice(
                node,
                node.upper(),
                DeviceRole.DISTRIBUTION,
                abbr,
                city.code,
                AddressKey(city.order, 1),
                f"{PROVINCE_NAME}{city.name} {city.name}节点",
            )
        )
        primary_dc = 1 if city.order % 2 else 2
        for dc in (primary_dc, 3 - primary_dc):
            role = LinkRole.PRIMARY if dc == primary_dc else LinkRole.BACKUP
            link(f"{abbr}-dc{dc}", f"gd-dc{dc}-core1", node, LinkTier.PROVINCE_CITY, role)

    for city in chosen:
        abbr = short[city.slug]
        for j, county in enumerate(city.counties[: spec.counties_per_city]):
            regions.append(
                Region(
                    code=county.code,
                    name=county.name,
                    level=RegionLevel.COUNTY,
                    parent=city.code,
                    slug=county.slug,
                )
            )
            site_id = f"{abbr}-{county.slug}"
            sites.append(
                Site(
                    id=site_id,
                    name=f"{county.name}节点",
                    region=county.code,
                    kind=SiteKind.COUNTY_NODE,
                )
            )
            node = f"{site_id}-acc1"
            devices.append(
                PlannedDevice(
                    node,
                    node.upper(),
                    DeviceRole.ACCESS,
                    site_id,
                    county.code,
                    AddressKey(city.order, 11 + j),
                    f"{PROVINCE_NAME}{city.name}{county.name} {county.name}节点",
                )
            )
            link(
                f"{site_id}-primary", f"{abbr}-core1", node, LinkTier.CITY_COUNTY, LinkRole.PRIMARY
            )
            second = short[backup_city(county, city, chosen, seed).slug]
            link(
                f"{site_id}-backup", f"{second}-core1", node, LinkTier.CITY_COUNTY, LinkRole.BACKUP
            )
    return Layout(tuple(regions), tuple(sites), _device_order(devices), tuple(links))


def _device_order(devices: list[PlannedDevice]) -> tuple[PlannedDevice, ...]:
    """Data centres first, then each city's node followed by its counties (address order)."""
    return tuple(sorted(devices, key=lambda d: (d.address_key.group, d.address_key.host)))
