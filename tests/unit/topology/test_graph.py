"""The topology graph: inventory plus observed state, in networkx."""

from __future__ import annotations

import pytest

from core.errors import NotFound
from core.model import DeviceRole, LinkRole, LinkTier, Status
from tests.unit.topology.networks import (
    FS_CORE,
    GZ,
    GZ_CORE,
    LIWAN,
    LIWAN_ACC,
    TOY,
    TOY_DEVICES,
    TOY_LINKS,
    make_inventory,
    toy,
)
from topology.graph import build_topology
from topology.model import ElementRef, LinkState, LinkStatus


def test_devices_are_nodes_and_links_are_keyed_edges_with_their_state() -> None:
    topology = build_topology(
        TOY,
        [
            LinkState("gz-liwan-primary", LinkStatus.UP, in_bps=2e8, out_bps=5e8),
            LinkState("gz-liwan-backup", LinkStatus.DOWN),
            LinkState("no-such-link", LinkStatus.DOWN),  # ignored
        ],
        {GZ_CORE: Status.DEGRADED},
    )
    graph = topology.graph
    assert graph.number_of_nodes() == len(TOY_DEVICES)
    assert graph.number_of_edges() == len(TOY_LINKS)
    node = graph.nodes[LIWAN_ACC]
    assert (node["site"], node["region"], node["role"]) == ("gz-liwan", LIWAN, DeviceRole.ACCESS)
    assert node["status"] is Status.UNKNOWN
    assert graph.nodes[GZ_CORE]["status"] is Status.DEGRADED
    primary = graph.edges[GZ_CORE, LIWAN_ACC, "gz-liwan-primary"]
    assert primary["tier"] is LinkTier.CITY_COUNTY
    assert primary["role"] is LinkRole.PRIMARY
    assert primary["status"] is LinkStatus.UP
    assert primary["utilisation_percent"] == pytest.approx(50.0)
    assert primary["usable"] is True
    backup = graph.edges[FS_CORE, LIWAN_ACC, "gz-liwan-backup"]
    assert (backup["status"], backup["usable"], backup["in_bps"]) == (LinkStatus.DOWN, False, None)
    assert topology.link_status("gz-dc1") is LinkStatus.UNKNOWN  # never observed
    assert topology.link_usable("gz-dc1")  # unknown counts as working


def test_utilisation_from_the_metric_store_overrides_the_link_states_rates() -> None:
    topology = build_topology(
        TOY,
        [LinkState("gz-dc1", LinkStatus.UP, in_bps=1.0, out_bps=1.0)],
        utilisation={"gz-dc1": (9e8, None)},
    )
    edge = topology.graph.edges["gd-dc1-core1", GZ_CORE, "gz-dc1"]
    assert (edge["in_bps"], edge["out_bps"]) == (9e8, None)
    assert edge["utilisation_percent"] == pytest.approx(90.0)


def test_a_device_down_makes_its_links_unusable_and_is_a_failed_element() -> None:
    topology = toy(down_links=("fs-dc1",), down_devices=(GZ_CORE,))
    assert not topology.device_usable(GZ_CORE)
    assert not topology.link_usable("gz-liwan-primary")  # the link itself was seen up
    assert topology.link_usable("gz-liwan-backup")
    assert topology.failed_elements() == {ElementRef.device(GZ_CORE), ElementRef.link("fs-dc1")}


def test_two_links_between_the_same_devices_stay_two_edges() -> None:
    links = {**TOY_LINKS, "gz-liwan-second": (GZ_CORE, LIWAN_ACC, LinkRole.PRIMARY)}
    topology = build_topology(make_inventory(TOY_DEVICES, links))
    assert set(topology.graph[GZ_CORE][LIWAN_ACC]) == {"gz-liwan-primary", "gz-liwan-second"}
    assert topology.links_of(LIWAN_ACC) == (
        "gz-liwan-backup",
        "gz-liwan-primary",
        "gz-liwan-second",
    )


def test_structure_and_words() -> None:
    topology = toy()
    assert topology.core_ids == ("gd-dc1-core1", "gd-dc2-core1")
    assert topology.tracked_device_ids[:2] == (GZ_CORE, LIWAN_ACC)  # by region, then id
    assert topology.region_of(LIWAN_ACC) == LIWAN
    assert topology.element_region(ElementRef.link("gz-liwan-primary")) == LIWAN  # lower end
    assert topology.element_region(ElementRef.link("gz-dc1")) == GZ
    assert topology.describe(ElementRef.device(GZ_CORE)) == "city router gz-core1 (广州市 440100)"
    assert (
        topology.describe(ElementRef.link("gz-liwan-primary"))
        == "link gz-liwan-primary (gz-core1 ↔ gz-liwan-acc1)"
    )


def test_unknown_elements_are_not_found() -> None:
    topology = toy()
    with pytest.raises(NotFound):
        topology.check(ElementRef.device("nope"))
    with pytest.raises(NotFound):
        topology.check(ElementRef.link("nope"))
    with pytest.raises(NotFound):
        topology.device_status("nope")


def test_a_link_to_a_device_the_inventory_lacks_is_refused() -> None:
    broken = TOY.model_copy(update={"devices": TOY.devices[1:]})  # without gd-dc1-core1
    with pytest.raises(NotFound, match="gd-dc1-core1"):
        build_topology(broken)
