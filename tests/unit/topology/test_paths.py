"""Primary, backup and current paths from the province core."""

from __future__ import annotations

from core.model import LinkRole
from tests.unit.topology.networks import (
    DC1,
    DC2,
    FS_CORE,
    GZ_CORE,
    LIWAN_ACC,
    NANHAI_ACC,
    TOY_DEVICES,
    TOY_LINKS,
    YUEXIU_ACC,
    make_inventory,
    toy,
)
from topology.graph import build_topology
from topology.paths import SitePaths, current_paths, primary_paths, site_paths


def paths_by_device() -> dict[str, SitePaths]:
    return {site.device_id: site for site in site_paths(toy())}


def test_every_city_and_county_node_gets_its_paths_by_region() -> None:
    assert [s.region for s in site_paths(toy())] == [
        "440100",
        "440103",
        "440104",
        "440600",
        "440604",
        "440605",
    ]


def test_a_dual_homed_county_has_disjoint_primary_and_backup_paths() -> None:
    liwan = paths_by_device()[LIWAN_ACC]
    assert liwan.primary is not None
    assert liwan.backup is not None
    assert liwan.primary.device_ids == (DC1, GZ_CORE, LIWAN_ACC)
    assert liwan.primary.link_ids == ("gz-dc1", "gz-liwan-primary")
    assert liwan.primary.cost == 2
    assert liwan.backup.device_ids == (DC2, FS_CORE, LIWAN_ACC)
    assert liwan.backup.link_ids == ("fs-dc2", "gz-liwan-backup")
    assert liwan.backup.cost == 1 + 1002  # fs-dc2, then the county's backup link
    assert (liwan.shared_device_ids, liwan.shared_link_ids) == ((), ())


def test_a_county_whose_two_links_go_to_one_city_router_shares_it() -> None:
    yuexiu = paths_by_device()[YUEXIU_ACC]
    assert yuexiu.backup is not None
    assert yuexiu.backup.link_ids == ("gz-dc2", "gz-yuexiu-backup")
    assert yuexiu.shared_device_ids == (GZ_CORE,)


def test_a_single_homed_county_has_no_backup_path() -> None:
    assert paths_by_device()[NANHAI_ACC].backup is None


def test_a_backup_that_must_share_a_link_names_it() -> None:
    # 荔湾's backup lands on a second router that reaches the core only through gz-core1.
    devices = {d: TOY_DEVICES[d] for d in (DC1, GZ_CORE, LIWAN_ACC)}
    devices["gz-core2"] = TOY_DEVICES[GZ_CORE]
    links = {
        "gz-dc1": (DC1, GZ_CORE, LinkRole.PRIMARY),
        "gz-core2-core1": ("gz-core2", GZ_CORE, LinkRole.PRIMARY),
        "gz-liwan-primary": (GZ_CORE, LIWAN_ACC, LinkRole.PRIMARY),
        "gz-liwan-backup": ("gz-core2", LIWAN_ACC, LinkRole.BACKUP),
    }
    topology = build_topology(make_inventory(devices, links))
    (liwan,) = [s for s in site_paths(topology) if s.device_id == LIWAN_ACC]
    assert liwan.backup is not None
    assert liwan.backup.device_ids == (DC1, GZ_CORE, "gz-core2", LIWAN_ACC)
    assert liwan.backup.link_ids == ("gz-dc1", "gz-core2-core1", "gz-liwan-backup")
    assert liwan.shared_device_ids == (GZ_CORE,)
    assert liwan.shared_link_ids == ("gz-dc1",)


def test_the_current_path_avoids_what_is_down() -> None:
    now = current_paths(toy(down_links=("gz-liwan-primary",), down_devices=(FS_CORE,)))
    assert LIWAN_ACC not in now  # primary link down, backup city router down: isolated
    assert NANHAI_ACC not in now
    assert now[YUEXIU_ACC].link_ids == ("gz-dc1", "gz-yuexiu-primary")


def test_primary_paths_cover_every_device_and_cores_are_their_own_path() -> None:
    primary = primary_paths(toy())
    assert set(primary) == set(TOY_DEVICES)
    assert primary[DC2].device_ids == (DC2,)
    assert primary[DC2].link_ids == ()


def test_primary_paths_do_not_depend_on_observed_state() -> None:
    assert primary_paths(toy(down_links=tuple(TOY_LINKS))) == primary_paths(toy())
