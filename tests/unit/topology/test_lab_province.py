"""The lab's full province, as its layout promises: every city and county dual-homed, nothing
shared between a node's two paths, and only the data centres' hosts hanging on one element."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.model import DeviceRole, Inventory
from lab.divisions import load_divisions
from lab.province import build_province
from topology.failover import assess_failover
from topology.graph import Topology, build_topology
from topology.impact import ImpactAnalyser
from topology.model import ElementKind, FailoverState, LinkState, LinkStatus
from topology.paths import site_paths
from topology.redundancy import FindingKind, find_single_points_of_failure


@pytest.fixture(scope="module")
def inventory(shared_dir: Path) -> Inventory:
    cities = load_divisions(shared_dir / "data" / "guangdong_divisions.json")
    return build_province(cities, "full", seed=7).to_inventory()


@pytest.fixture(scope="module")
def province(inventory: Inventory) -> Topology:
    return build_topology(inventory)


def test_every_node_has_a_backup_path_sharing_nothing_with_its_primary(province: Topology) -> None:
    paths = site_paths(province)
    assert len(paths) == 21 + 122
    for site in paths:
        assert site.primary is not None
        assert site.backup is not None, site.device_id
        assert (site.shared_device_ids, site.shared_link_ids) == ((), ()), site.device_id


def test_the_only_single_points_of_failure_are_the_hosts_cores_and_uplinks(
    province: Topology,
) -> None:
    findings = find_single_points_of_failure(province).findings
    hosts = {d.id for d in province.devices.values() if d.role is DeviceRole.SERVER}
    points = {f.element.id for f in findings if f.kind is FindingKind.ARTICULATION_POINT}
    assert points == set(province.core_ids)
    bridges = {f.element.id for f in findings if f.kind is FindingKind.BRIDGE}
    assert bridges == {f"{host}-uplink" for host in hosts}
    assert {d for f in findings for d in f.affected_device_ids} == hosts


def test_no_single_link_failure_cuts_off_a_city_or_county(province: Topology) -> None:
    reports = ImpactAnalyser(province).impact_of_each_link()
    assert len(reports) == len(province.links)
    for report in reports:
        roles = {province.devices[d].role for d in report.cut_off.device_ids}
        assert roles <= {DeviceRole.SERVER}, report.explanation
        assert report.element.kind is ElementKind.LINK


def test_a_city_uplink_down_puts_the_city_and_its_counties_on_backup(
    inventory: Inventory,
) -> None:
    topology = build_topology(inventory, [LinkState("gz-dc1", LinkStatus.DOWN)])
    on_backup = {
        s.device_id: s for s in assess_failover(topology) if s.state is FailoverState.ON_BACKUP
    }
    assert set(on_backup) == {d for d in topology.tracked_device_ids if d.startswith("gz-")}
    for device_id, site in on_backup.items():
        assert site.current_path is not None
        # The counties keep their own primary link: the failover happens at the city.
        assert site.current_path.link_ids[0] == "gz-dc2", device_id
