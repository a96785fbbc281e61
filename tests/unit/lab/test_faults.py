"""apply_faults on the small province: links down at both ends, traffic on the backup path, LLDP
gone, and who falls silent — worked out from reachability from the data-centre cores."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.errors import LabError
from core.model import DeviceRole, Link, LinkRole, LinkTier
from lab.fault_traffic import link_rates, rerouted_rates
from lab.faults import Faults, apply_faults, fault_effect, neighbours_of
from lab.model import LabDevice, LabInterface, Province

SINCE = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


def interface(province: Province, device: str, name: str) -> LabInterface:
    return province.device_by_id()[device].interface_by_name()[name]


def county_links(province: Province, county: str) -> tuple[Link, Link]:
    """(primary, backup) of a county."""
    links = [lk for lk in province.links if lk.b.device == county]
    primary = next(lk for lk in links if lk.role is LinkRole.PRIMARY)
    backup = next(lk for lk in links if lk.role is LinkRole.BACKUP)
    return primary, backup


def uplink(province: Province, city: str, role: LinkRole) -> Link:
    return next(
        lk
        for lk in province.links
        if lk.b.device == city and lk.tier is LinkTier.PROVINCE_CITY and lk.role is role
    )


def first_county(province: Province) -> LabDevice:
    return next(d for d in province.devices if d.role is DeviceRole.ACCESS)


def summed(first: tuple[int, int], second: tuple[int, int]) -> tuple[int, int]:
    return first[0] + second[0], first[1] + second[1]


def failed_links(*links: str) -> Faults:
    faults = Faults()
    for link in links:
        faults = faults.with_link(link, SINCE)
    return faults


def failed_devices(*devices: str) -> Faults:
    faults = Faults()
    for device in devices:
        faults = faults.with_device(device, SINCE)
    return faults


def test_no_fault_is_the_province_itself(small: Province) -> None:
    assert apply_faults(small, Faults()) == small
    assert rerouted_rates(small, frozenset(), frozenset()) == link_rates(small)
    effect = fault_effect(small, Faults())
    assert not effect.down_links
    assert not effect.silent_devices


def test_a_failed_link_is_down_at_both_ends_with_admin_still_up(small: Province) -> None:
    county = first_county(small)
    primary, _ = county_links(small, county.id)
    after = apply_faults(small, failed_links(primary.id))
    for end in (primary.a, primary.b):
        before_port = interface(small, end.device, end.interface)
        port = interface(after, end.device, end.interface)
        assert before_port.oper_up
        assert not port.oper_up
        assert port.admin_up
        assert port.in_bytes_per_s == port.out_bytes_per_s == 0
        assert port.in_errors_per_s == port.in_discards_per_s == 0


def test_the_lldp_neighbours_over_a_failed_link_are_gone_at_both_ends(small: Province) -> None:
    county = first_county(small)
    primary, backup = county_links(small, county.id)
    after = apply_faults(small, failed_links(primary.id)).device_by_id()
    assert [n.link for n in after[county.id].neighbours] == [backup.id]
    city = after[primary.a.device]
    assert primary.id not in {n.link for n in city.neighbours}
    assert len(city.neighbours) == len(small.device_by_id()[city.id].neighbours) - 1


def test_the_backup_link_carries_the_primarys_traffic_on_top_of_its_own(small: Province) -> None:
    county = first_county(small)
    primary, backup = county_links(small, county.id)
    before = link_rates(small)
    after = apply_faults(small, failed_links(primary.id))
    rates = link_rates(after)
    assert rates[backup.id] == (
        before[backup.id][0] + before[primary.id][0],
        before[backup.id][1] + before[primary.id][1],
    )
    # Both ends count it: the county receives what its backup city sends.
    county_port = interface(after, county.id, backup.b.interface)
    assert county_port.in_bytes_per_s == rates[backup.id][0]
    assert county_port.out_bytes_per_s == rates[backup.id][1]


def test_the_moved_traffic_leaves_one_citys_uplink_for_the_others(small: Province) -> None:
    county = first_county(small)
    primary, backup = county_links(small, county.id)
    home, other = primary.a.device, backup.a.device
    before = link_rates(small)
    rates = link_rates(apply_faults(small, failed_links(primary.id)))
    moved = before[primary.id]
    home_up, other_up = (
        uplink(small, home, LinkRole.PRIMARY),
        uplink(small, other, LinkRole.PRIMARY),
    )
    assert rates[home_up.id] == (before[home_up.id][0] - moved[0], before[home_up.id][1] - moved[1])
    assert rates[other_up.id] == (
        before[other_up.id][0] + moved[0],
        before[other_up.id][1] + moved[1],
    )
    untouched = {lk.id for lk in small.links} - {primary.id, backup.id, home_up.id, other_up.id}
    assert all(rates[link] == before[link] for link in untouched)


def test_a_failed_city_uplink_moves_the_whole_city_to_its_backup_uplink(small: Province) -> None:
    city = next(d for d in small.devices if d.role is DeviceRole.DISTRIBUTION)
    primary, backup = (
        uplink(small, city.id, LinkRole.PRIMARY),
        uplink(small, city.id, LinkRole.BACKUP),
    )
    before = link_rates(small)
    rates = link_rates(apply_faults(small, failed_links(primary.id)))
    assert rates[primary.id] == (0, 0)
    assert rates[backup.id] == summed(before[backup.id], before[primary.id])
    assert fault_effect(small, failed_links(primary.id)).silent_devices == frozenset()


def test_a_failed_device_takes_its_neighbours_ports_down(small: Province) -> None:
    city = next(d for d in small.devices if d.role is DeviceRole.DISTRIBUTION)
    after = apply_faults(small, failed_devices(city.id))
    touching = [lk for lk in small.links if city.id in (lk.a.device, lk.b.device)]
    assert touching
    for link in touching:
        peer = link.b if link.a.device == city.id else link.a
        assert not interface(after, peer.device, peer.interface).oper_up
        peer_device = after.device_by_id()[peer.device]
        assert city.id not in {n.device for n in peer_device.neighbours}
    effect = fault_effect(small, failed_devices(city.id))
    assert effect.down_links == frozenset(lk.id for lk in touching)


def test_a_failed_city_node_leaves_its_counties_answering_over_their_backups(
    small: Province,
) -> None:
    city = next(d for d in small.devices if d.role is DeviceRole.DISTRIBUTION)
    homed = [
        lk.b.device for lk in small.links if lk.a.device == city.id and lk.role is LinkRole.PRIMARY
    ]
    effect = fault_effect(small, failed_devices(city.id))
    assert effect.silent_devices == {city.id}
    assert effect.failed_devices == {city.id}
    assert not effect.unreachable_devices
    rates = link_rates(apply_faults(small, failed_devices(city.id)))
    before = link_rates(small)
    for county in homed:
        primary, backup = county_links(small, county)
        assert rates[backup.id] == summed(before[backup.id], before[primary.id])


def test_both_links_of_a_county_failed_silence_it_and_only_it(small: Province) -> None:
    county = first_county(small)
    primary, backup = county_links(small, county.id)
    effect = fault_effect(small, failed_links(primary.id, backup.id))
    assert effect.silent_devices == {county.id}
    assert effect.unreachable_devices == {county.id}
    assert effect.failed_devices == frozenset()


def test_a_county_whose_two_cities_failed_is_cut_off(small: Province) -> None:
    county = first_county(small)
    primary, backup = county_links(small, county.id)
    effect = fault_effect(small, failed_devices(primary.a.device, backup.a.device))
    assert county.id in effect.unreachable_devices
    # Every county of the small province hangs off those two cities.
    counties = {d.id for d in small.devices if d.role is DeviceRole.ACCESS}
    assert effect.unreachable_devices == counties


def test_a_failed_core_silences_the_servers_behind_it_only(small: Province) -> None:
    core = next(d for d in small.devices if d.role is DeviceRole.CORE)
    servers = {
        lk.b.device
        for lk in small.links
        if lk.a.device == core.id and lk.tier is LinkTier.SERVER_ACCESS
    }
    effect = fault_effect(small, failed_devices(core.id))
    assert effect.unreachable_devices == servers
    cities = [d for d in small.devices if d.role is DeviceRole.DISTRIBUTION]
    rates = link_rates(apply_faults(small, failed_devices(core.id)))
    for city in cities:
        primary = uplink(small, city.id, LinkRole.PRIMARY)
        if primary.a.device == core.id:  # this city's traffic now crosses its backup uplink
            backup = uplink(small, city.id, LinkRole.BACKUP)
            assert rates[backup.id] == summed(
                link_rates(small)[backup.id], link_rates(small)[primary.id]
            )


def test_with_both_cores_failed_nothing_answers(small: Province) -> None:
    cores = [d.id for d in small.devices if d.role is DeviceRole.CORE]
    effect = fault_effect(small, failed_devices(*cores))
    assert effect.silent_devices == {d.id for d in small.devices}


def test_recovering_gives_back_exactly_the_original_province(small: Province) -> None:
    county = first_county(small)
    primary, backup = county_links(small, county.id)
    city = next(d for d in small.devices if d.role is DeviceRole.DISTRIBUTION)
    faults = failed_links(primary.id, backup.id).with_device(city.id, SINCE)
    assert apply_faults(small, faults) != small
    recovered = faults.without_link(primary.id).without_link(backup.id).without_device(city.id)
    assert recovered == Faults()
    assert apply_faults(small, recovered) == small


def test_devices_untouched_by_a_fault_are_the_same_objects(small: Province) -> None:
    county = first_county(small)
    _, backup = county_links(small, county.id)
    after = apply_faults(small, failed_links(backup.id))  # a backup: only keepalives stop
    changed = {d.id for d, o in zip(after.devices, small.devices, strict=True) if d is not o}
    assert changed == {backup.a.device, county.id}


def test_a_fault_naming_something_unknown_is_refused(small: Province) -> None:
    with pytest.raises(LabError, match="links this lab does not have: no-such-link"):
        fault_effect(small, failed_links("no-such-link"))
    with pytest.raises(LabError, match="devices this lab does not have: ghost"):
        apply_faults(small, failed_devices("ghost"))


def test_the_faults_model_keeps_order_and_round_trips(small: Province) -> None:
    faults = failed_links("b-link", "a-link").with_device("gz-core1", SINCE)
    assert [f.link for f in faults.links] == ["b-link", "a-link"]
    assert faults.count == 3
    assert Faults.model_validate_json(faults.model_dump_json()) == faults
    assert faults.without_link("b-link").link_ids == {"a-link"}


def test_neighbours_of_lists_the_far_ends_of_a_devices_links(small: Province) -> None:
    county = first_county(small)
    primary, backup = county_links(small, county.id)
    assert neighbours_of(small, county.id) == [primary.a.device, backup.a.device]
