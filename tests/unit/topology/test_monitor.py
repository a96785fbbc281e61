"""The topology monitor over a real SQLite state DB: polls stored as the collectors store them,
read back into failover states, events, root causes and the views — on a fake clock."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from core.errors import NotFound, StoreError
from core.events import LinkFailedOver, SiteIsolated, SiteRestored
from core.model import Status
from core.neighbours import LldpNeighbour, NeighbourSource, PortIdSubtype
from core.state.neighbours import NeighbourRepository
from core.state.routing import RoutingReport, RoutingRepository, VrrpRouter, VrrpState
from tests.unit.topology.networks import (
    CHANCHENG,
    CHANCHENG_ACC,
    DC1,
    DC2,
    FS,
    FS_CORE,
    GZ,
    GZ_CORE,
    LIWAN,
    LIWAN_ACC,
    NANHAI,
    NANHAI_ACC,
    YUEXIU,
    YUEXIU_ACC,
)
from tests.unit.topology.toy_state import T0, ToyState
from topology.model import ElementKind, ElementRef, FailoverState, LinkStatus
from topology.monitor import TopologyMonitor, TopologySnapshot
from topology.redundancy import FindingKind
from topology.views import DiscoveryFindingKind


@pytest.fixture
def world(tmp_path: Path) -> Iterator[ToyState]:
    state = ToyState(tmp_path)
    yield state
    state.close()


def test_a_primary_link_down_puts_the_county_on_backup_and_back(world: ToyState) -> None:
    monitor = world.monitor()
    world.poll()
    first = monitor.refresh()
    assert {s.state for s in first.failover} == {FailoverState.ON_PRIMARY}
    assert world.events == []
    assert monitor.failover_board().sites == ()

    world.clock.advance(60)
    world.poll(down_interfaces=[world.end_of("gz-liwan-primary", LIWAN_ACC)])
    monitor.refresh()
    failed_at = T0 + timedelta(seconds=60)
    board = monitor.failover_board()
    assert (board.counts.on_primary, board.counts.on_backup, board.counts.isolated) == (5, 1, 0)
    [liwan] = board.sites
    assert (liwan.device_id, liwan.state, liwan.since) == (
        LIWAN_ACC,
        FailoverState.ON_BACKUP,
        failed_at,
    )
    assert liwan.left_primary_at == failed_at
    assert (liwan.region_name, liwan.device_name) == ("荔湾区", "GZ-LIWAN-ACC1")
    assert liwan.failed_link_ids == ("gz-liwan-primary",)
    assert world.events == [
        LinkFailedOver(
            at=failed_at,
            region=LIWAN,
            site_id="gz-liwan",
            device_id=LIWAN_ACC,
            primary_link_ids=("gz-liwan-primary",),
            backup_link_ids=("fs-dc2", "gz-liwan-backup"),
        )
    ]

    world.clock.advance(60)
    world.poll(down_interfaces=[world.end_of("gz-liwan-primary", LIWAN_ACC)])
    still = monitor.refresh()
    assert len(world.events) == 1  # the same state again is no news
    assert still.as_of == failed_at + timedelta(seconds=60)
    assert monitor.failover_board().sites[0].since == failed_at

    world.clock.advance(60)
    world.poll()
    monitor.refresh()
    assert monitor.failover_board().sites == ()
    assert world.events[1:] == [
        SiteRestored(
            at=failed_at + timedelta(seconds=120),
            region=LIWAN,
            site_id="gz-liwan",
            device_id=LIWAN_ACC,
            was="on_backup",
            since=failed_at,
        )
    ]


def test_a_city_router_down_is_one_root_cause(world: ToyState) -> None:
    monitor = world.monitor()
    world.poll(down_devices=[GZ_CORE, YUEXIU_ACC])
    monitor.refresh()
    [cause] = monitor.root_causes()
    assert cause.element == ElementRef.device(GZ_CORE)
    assert cause.region == GZ
    assert cause.consequence_device_ids == (YUEXIU_ACC,)  # both its links end on gz-core1
    assert "gz-liwan-primary" in cause.symptom_link_ids
    board = monitor.failover_board()
    assert [(s.device_id, s.state) for s in board.sites] == [
        (GZ_CORE, FailoverState.ISOLATED),
        (YUEXIU_ACC, FailoverState.ISOLATED),
        (LIWAN_ACC, FailoverState.ON_BACKUP),
    ]
    assert sorted(type(e).__name__ for e in world.events) == [
        "LinkFailedOver",
        "SiteIsolated",
        "SiteIsolated",
    ]
    assert all(isinstance(e, LinkFailedOver | SiteIsolated) for e in world.events)
    # Root causes in the regions one may see: a county's technician sees no city router.
    assert monitor.root_causes(visible=lambda code: code == LIWAN) == ()


def test_nothing_down_has_no_root_cause(world: ToyState) -> None:
    monitor = world.monitor()
    world.poll()
    monitor.refresh()
    assert monitor.root_causes() == ()


def test_the_failover_board_lists_worst_first_and_narrows_to_a_region(world: ToyState) -> None:
    monitor = world.monitor()
    world.poll(down_interfaces=[world.end_of("gz-liwan-primary", LIWAN_ACC)])
    monitor.refresh()
    world.clock.advance(30)
    world.poll(
        down_interfaces=[
            world.end_of("gz-liwan-primary", LIWAN_ACC),
            world.end_of("fs-chancheng-primary", CHANCHENG_ACC),
            world.end_of("fs-nanhai-primary", NANHAI_ACC),
        ]
    )
    monitor.refresh()
    board = monitor.failover_board()
    assert [(s.device_id, s.since) for s in board.sites] == [
        (NANHAI_ACC, T0 + timedelta(seconds=30)),  # isolated: first
        (LIWAN_ACC, T0),  # on backup the longest
        (CHANCHENG_ACC, T0 + timedelta(seconds=30)),
    ]
    fs = monitor.failover_board(FS)
    assert [s.device_id for s in fs.sites] == [NANHAI_ACC, CHANCHENG_ACC]
    assert (fs.counts.on_primary, fs.counts.on_backup, fs.counts.isolated) == (1, 1, 1)
    everything = monitor.failover_board(FS, True)
    assert [s.device_id for s in everything.sites][-1] == FS_CORE  # on primary: last
    mine = monitor.failover_board(visible=lambda code: code == LIWAN)
    assert [s.device_id for s in mine.sites] == [LIWAN_ACC]
    assert (mine.counts.on_primary, mine.counts.on_backup) == (0, 1)
    with pytest.raises(NotFound, match="no region 449999"):
        monitor.failover_board("449999")


def test_a_city_region_view(world: ToyState) -> None:
    monitor = world.monitor()
    world.poll(down_devices=[GZ_CORE])
    monitor.refresh()
    view = monitor.region_topology(GZ)
    assert (view.region.code, view.region.name, view.region.level.value) == (GZ, "广州市", "city")
    nodes = {n.device_id: n for n in view.nodes}
    # Its own devices first, then where they hang from: the cores and Foshan's router (the
    # backup of Liwan), and Chancheng, backed up by Guangzhou.
    assert [n.device_id for n in view.nodes][:3] == [GZ_CORE, LIWAN_ACC, YUEXIU_ACC]
    assert set(nodes) == {GZ_CORE, LIWAN_ACC, YUEXIU_ACC, DC1, DC2, FS_CORE, CHANCHENG_ACC}
    assert nodes[GZ_CORE].status is Status.DOWN
    assert nodes[GZ_CORE].failover is FailoverState.ISOLATED
    assert nodes[LIWAN_ACC].failover is FailoverState.ON_BACKUP
    assert nodes[DC1].failover is None
    assert nodes[LIWAN_ACC].region_name == "荔湾区"
    links = {lk.id: lk for lk in view.links}
    assert "fs-nanhai-primary" not in links
    assert links["gz-liwan-backup"].status is LinkStatus.UP
    assert links["gz-dc1"].status is LinkStatus.DOWN
    assert links["gz-liwan-backup"].utilisation_percent == pytest.approx(0.2)
    children = {c.code: c for c in view.children}
    assert set(children) == {LIWAN, YUEXIU}
    assert children[LIWAN].failover is FailoverState.ON_BACKUP
    assert children[YUEXIU].failover is FailoverState.ISOLATED
    assert children[LIWAN].devices == 1
    province = monitor.region_topology("440000")
    assert len(province.nodes) == len(world.inventory.devices)
    assert {c.code: c.devices for c in province.children} == {GZ: 3, FS: 3}
    with pytest.raises(NotFound):
        monitor.region_topology("449999")


def test_paths_and_single_points_of_failure_by_region(world: ToyState) -> None:
    monitor = world.monitor()
    assert [p.device_id for p in monitor.paths(GZ)] == [GZ_CORE, LIWAN_ACC, YUEXIU_ACC]
    assert [p.device_id for p in monitor.paths(visible=lambda c: c == NANHAI)] == [NANHAI_ACC]
    nanhai = monitor.spof(NANHAI)
    assert {(f.kind, f.element.id) for f in nanhai} >= {
        (FindingKind.BRIDGE, "fs-nanhai-primary"),
        (FindingKind.ARTICULATION_POINT, FS_CORE),
    }
    assert all(f.element.id != "fs-nanhai-primary" for f in monitor.spof(LIWAN))
    assert {f.kind for f in monitor.spof(YUEXIU)} >= {FindingKind.SHARED_PATH}


def test_impact_what_if_and_now(world: ToyState) -> None:
    monitor = world.monitor(terminals_per_county={NANHAI: 40})
    world.poll(down_interfaces=[world.end_of("gz-liwan-primary", LIWAN_ACC)])
    monitor.refresh()
    what_if = monitor.impact(ElementRef.link("fs-nanhai-primary"))
    assert not what_if.failed_now
    assert what_if.cut_off.device_ids == (NANHAI_ACC,)
    assert what_if.cut_off.terminals == 40
    now = monitor.impact(ElementRef.link("gz-liwan-primary"))
    assert now.failed_now
    assert now.element.kind is ElementKind.LINK
    with pytest.raises(NotFound):
        monitor.impact(ElementRef.device("nowhere-acc1"))


def test_discovery_matches_stored_neighbours(world: ToyState) -> None:
    _, port = world.end_of("gz-liwan-primary", GZ_CORE)
    _, far_port = world.end_of("gz-liwan-primary", LIWAN_ACC)
    NeighbourRepository(world.engine).replace_neighbours(
        GZ_CORE,
        [
            LldpNeighbour(
                device_id=GZ_CORE,
                local_port=port,
                remote_chassis_id="aa:bb:cc:00:00:01",
                remote_port_id=far_port,
                remote_port_id_subtype=PortIdSubtype.INTERFACE_NAME,
                remote_system_name="GZ-LIWAN-ACC1",
                source=NeighbourSource.SNMP,
            ),
            LldpNeighbour(
                device_id=GZ_CORE,
                local_port="GigabitEthernet0/0/9",
                remote_chassis_id="aa:bb:cc:00:00:99",
                remote_port_id="eth0",
                remote_port_id_subtype=PortIdSubtype.INTERFACE_NAME,
                remote_system_name="someones-laptop",
                source=NeighbourSource.SNMP,
            ),
        ],
        T0,
    )
    monitor = world.monitor()
    view = monitor.discovery()
    assert view.matched == 1
    [finding] = view.findings
    assert finding.kind is DiscoveryFindingKind.SEEN_NOT_INTENDED
    assert (finding.region, finding.device_ids) == (GZ, (GZ_CORE,))
    assert "someones-laptop" in finding.explanation
    chancheng = monitor.discovery(CHANCHENG)
    assert (chancheng.matched, chancheng.findings) == (0, ())
    assert monitor.discovery(LIWAN).matched == 1


def test_snapshots_are_kept_and_share_what_the_inventory_decides(world: ToyState) -> None:
    monitor = world.monitor()
    first = monitor.snapshot()  # none yet: made on the spot
    assert monitor.snapshot() is first
    world.clock.advance(3600)
    assert monitor.snapshot() is first  # without max_age_s, only refresh() makes a new one
    second = monitor.refresh()
    assert second is not first
    assert second.facts is first.facts  # paths and redundancy: once per inventory
    assert second.impact is second.impact  # built once, on first use


def test_a_snapshot_older_than_max_age_is_refreshed_on_read(world: ToyState) -> None:
    monitor = world.monitor(max_age_s=30)
    first = monitor.snapshot()
    world.clock.advance(30)
    assert monitor.snapshot() is first
    world.clock.advance(1)
    assert monitor.snapshot().as_of == T0 + timedelta(seconds=31)


class FlakyMonitor(TopologyMonitor):
    """Fails its first refresh; stops the loop after ``turns`` refreshes."""

    def __init__(self, world: ToyState, stop: asyncio.Event, turns: int) -> None:
        super().__init__(world.inventory, world.engine, world.state, world.clock, world.bus)
        self.stop, self.turns, self.calls = stop, turns, 0

    def refresh(self) -> TopologySnapshot:
        self.calls += 1
        if self.calls >= self.turns:
            self.stop.set()
        if self.calls == 1:
            raise StoreError("state DB: locked")
        return super().refresh()


async def test_the_loop_survives_a_failing_refresh(
    world: ToyState, caplog: pytest.LogCaptureFixture
) -> None:
    stop = asyncio.Event()
    monitor = FlakyMonitor(world, stop, turns=3)
    world.poll()
    with caplog.at_level(logging.ERROR, logger="topology.monitor"):
        await asyncio.wait_for(monitor.run(stop, interval_s=0), timeout=10)
    assert monitor.calls == 3
    assert "topology refresh failed" in caplog.text
    assert monitor.snapshot().as_of == T0


def test_the_region_view_names_each_core_s_vrrp_role(world: ToyState) -> None:
    routing = RoutingRepository(world.engine)
    routing.replace_routing(
        DC1, RoutingReport(vrrp=(VrrpRouter(if_index=9, vr_id=1, state=VrrpState.MASTER),)), T0
    )
    routing.replace_routing(
        DC2, RoutingReport(vrrp=(VrrpRouter(if_index=9, vr_id=1, state=VrrpState.BACKUP),)), T0
    )
    monitor = world.monitor()
    world.poll()
    monitor.refresh()
    nodes = {n.device_id: n for n in monitor.region_topology("440000").nodes}
    assert (nodes[DC1].vrrp, nodes[DC2].vrrp) == ("master", "backup")
    assert nodes[GZ_CORE].vrrp is None  # runs no virtual router
