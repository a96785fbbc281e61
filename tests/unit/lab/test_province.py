from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from core.credentials import SnmpV2cCredential, credentials_file_is_private, load_credentials
from core.inventory import load_inventory
from core.model import DeviceRole, Link, LinkRole, LinkTier, Platform
from lab.divisions import CITY_NEIGHBOURS, City
from lab.files import read_province, write_credentials, write_inventory, write_province
from lab.model import Province
from lab.province import build_province

CITY_PLATFORMS = {Platform.HUAWEI_VRP, Platform.HP_COMWARE, Platform.CISCO_IOS}
COUNTY_PLATFORMS = CITY_PLATFORMS | {Platform.ZTE_ZXROS}


def roles(province: Province) -> Counter[DeviceRole]:
    return Counter(d.role for d in province.devices)


def test_small_is_two_cores_two_hosts_two_cities_with_two_counties_each(small: Province) -> None:
    assert roles(small) == {
        DeviceRole.CORE: 2,
        DeviceRole.SERVER: 2,
        DeviceRole.DISTRIBUTION: 2,
        DeviceRole.ACCESS: 4,
    }


def test_medium_has_a_few_cities_with_all_their_counties(cities: tuple[City, ...]) -> None:
    medium = build_province(cities, "medium", seed=7)
    counts = roles(medium)
    assert counts[DeviceRole.DISTRIBUTION] == 4
    chosen = {r.code for r in medium.regions}
    expected_counties = sum(len(c.counties) for c in cities if c.code in chosen)
    assert counts[DeviceRole.ACCESS] == expected_counties
    assert counts[DeviceRole.SERVER] == 8


def test_full_has_every_city_and_county(full: Province) -> None:
    assert roles(full) == {
        DeviceRole.CORE: 2,
        DeviceRole.SERVER: 8,
        DeviceRole.DISTRIBUTION: 21,
        DeviceRole.ACCESS: 122,
    }


def test_every_county_has_a_primary_to_its_city_and_a_backup_to_a_neighbour(
    full: Province,
) -> None:
    devices = full.device_by_id()
    sites = {s.id: s for s in full.sites}
    city_of_region = {r.code: r.parent for r in full.regions}
    slug_of_city = {r.code: r.slug for r in full.regions}
    node_of_city = {d.region: d for d in full.devices if d.role is DeviceRole.DISTRIBUTION}
    for county in (d for d in full.devices if d.role is DeviceRole.ACCESS):
        uplinks = [lk for lk in full.links if lk.b.device == county.id]
        assert sorted(lk.role for lk in uplinks) == [LinkRole.BACKUP, LinkRole.PRIMARY]
        assert all(lk.tier is LinkTier.CITY_COUNTY for lk in uplinks)
        home_city = city_of_region[sites[county.site].region]
        assert home_city is not None
        primary = next(lk for lk in uplinks if lk.role is LinkRole.PRIMARY)
        backup = next(lk for lk in uplinks if lk.role is LinkRole.BACKUP)
        assert primary.a.device == node_of_city[home_city].id
        backup_city = devices[backup.a.device].region
        assert backup_city != home_city
        assert slug_of_city[backup_city] in CITY_NEIGHBOURS[str(slug_of_city[home_city])]


def test_every_city_is_dual_homed_to_both_data_centre_cores(full: Province) -> None:
    for city in (d for d in full.devices if d.role is DeviceRole.DISTRIBUTION):
        uplinks = [lk for lk in full.links if lk.b.device == city.id]
        assert {lk.a.device for lk in uplinks} == {"gd-dc1-core1", "gd-dc2-core1"}
        assert sorted(lk.role for lk in uplinks) == [LinkRole.BACKUP, LinkRole.PRIMARY]
    tiers = Counter(lk.tier for lk in full.links)
    assert tiers[LinkTier.DC_INTERCONNECT] == 1
    assert tiers[LinkTier.SERVER_ACCESS] == 8


def test_addresses_and_communities_are_unique(full: Province) -> None:
    assert len({d.address for d in full.devices}) == len(full.devices)
    assert len({d.community for d in full.devices}) == len(full.devices)
    assert all(d.address.startswith("127.20.") for d in full.devices)
    assert all(d.community.startswith(f"lab-{d.id}-") for d in full.devices)


def test_the_same_seed_gives_the_same_province(cities: tuple[City, ...], full: Province) -> None:
    assert build_province(cities, "full", seed=7, network="127.20") == full


def test_another_seed_gives_another_platform_mix(cities: tuple[City, ...], full: Province) -> None:
    other = build_province(cities, "full", seed=8, network="127.20")
    assert [d.platform for d in other.devices] != [d.platform for d in full.devices]
    assert [d.community for d in other.devices] != [d.community for d in full.devices]


def test_platforms_follow_the_role(full: Province) -> None:
    by_role: dict[DeviceRole, set[Platform]] = {}
    for device in full.devices:
        by_role.setdefault(device.role, set()).add(device.platform)
    assert by_role[DeviceRole.CORE] == {Platform.HUAWEI_VRP}
    assert by_role[DeviceRole.SERVER] == {Platform.LINUX}
    assert by_role[DeviceRole.DISTRIBUTION] <= CITY_PLATFORMS
    assert by_role[DeviceRole.ACCESS] == COUNTY_PLATFORMS  # 122 draws meet every vendor


@pytest.mark.parametrize(
    ("role", "low", "high"),
    [
        (DeviceRole.CORE, 48, 96),
        (DeviceRole.DISTRIBUTION, 24, 64),
        (DeviceRole.ACCESS, 12, 28),
        (DeviceRole.SERVER, 2, 4),
    ],
)
def test_interface_counts_are_plausible(
    full: Province, role: DeviceRole, low: int, high: int
) -> None:
    counts = [len(d.interfaces) for d in full.devices if d.role is role]
    assert low <= min(counts) <= max(counts) <= high


def test_link_ends_are_real_interfaces_that_are_up_and_described(full: Province) -> None:
    devices = full.device_by_id()
    for link in full.links:
        for end, other in ((link.a, link.b), (link.b, link.a)):
            interface = devices[end.device].interface_by_name()[end.interface]
            assert (interface.admin_up, interface.oper_up) == (True, True)
            assert interface.link == link.id
            peer = devices[other.device]
            assert interface.alias == f"to {peer.name} {other.interface} ({link.role})"


def test_link_traffic_leaves_one_end_and_arrives_at_the_other(full: Province) -> None:
    devices = full.device_by_id()
    for link in full.links:
        a = devices[link.a.device].interface_by_name()[link.a.interface]
        b = devices[link.b.device].interface_by_name()[link.b.interface]
        assert a.out_bytes_per_s == b.in_bytes_per_s
        assert a.in_bytes_per_s == b.out_bytes_per_s


def test_uplinks_carry_far_more_than_access_ports(full: Province) -> None:
    devices = full.device_by_id()

    def total(link: Link) -> float:
        end = devices[link.b.device].interface_by_name()[link.b.interface]
        return end.in_bytes_per_s + end.out_bytes_per_s

    access = [
        i.in_bytes_per_s + i.out_bytes_per_s
        for d in full.devices
        if d.role is DeviceRole.ACCESS
        for i in d.interfaces
        if i.link is None and i.oper_up and i.lldp
    ]
    county_primaries = [
        lk for lk in full.links if lk.tier is LinkTier.CITY_COUNTY and lk.role is LinkRole.PRIMARY
    ]
    backups = [total(lk) for lk in full.links if lk.role is LinkRole.BACKUP]
    assert min(map(total, county_primaries)) > 4 * max(access)
    assert max(backups) < min(access)
    for city_uplink in full.links:
        if city_uplink.tier is LinkTier.PROVINCE_CITY and city_uplink.role is LinkRole.PRIMARY:
            homed = [lk for lk in county_primaries if lk.a.device == city_uplink.b.device]
            assert total(city_uplink) > sum(map(total, homed))


def test_spare_ports_are_partly_down_and_a_few_shut(full: Province) -> None:
    spare = [i for d in full.devices for i in d.interfaces if i.lldp and i.link is None]
    down = [i for i in spare if not i.oper_up]
    shut = [i for i in spare if not i.admin_up]
    assert 0.2 * len(spare) < len(down) < len(spare)
    assert 0 < len(shut) < len(down) / 2
    assert all(not i.oper_up for i in shut)


def test_the_inventory_round_trips_through_the_nocs_loader(tmp_path: Path, small: Province) -> None:
    path = write_inventory(tmp_path, small)
    loaded = load_inventory(path)
    assert loaded == small.to_inventory()
    devices = loaded.device_by_id()
    assert str(devices["gd-dc1-core1"].address) == small.device_by_id()["gd-dc1-core1"].address
    assert {lk.id for lk in loaded.links} == {lk.id for lk in small.links}


def test_the_credentials_round_trip_and_are_private(tmp_path: Path, small: Province) -> None:
    path = write_credentials(tmp_path, small)
    assert credentials_file_is_private(path)
    credentials = load_credentials(path)
    for device in small.device_by_id().values():
        credential = credentials.snmp(device.id)
        assert isinstance(credential, SnmpV2cCredential)
        assert credential.community.get_secret_value() == device.community


def test_province_json_round_trips(tmp_path: Path, small: Province) -> None:
    assert read_province(write_province(tmp_path, small)) == small
