"""Failover state, and the tracker's events, written as timelines on a fake clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.clock import FakeClock
from core.errors import NotFound
from core.events import Event, EventBus, LinkFailedOver, SiteIsolated, SiteRestored
from core.model import Status
from tests.unit.topology.networks import (
    CHANCHENG_ACC,
    FS_CORE,
    GZ,
    GZ_CORE,
    LIWAN,
    LIWAN_ACC,
    NANHAI_ACC,
    TOY,
    YUEXIU,
    YUEXIU_ACC,
    toy,
)
from topology.failover import FailoverTracker, SiteFailover, assess_failover
from topology.graph import Topology, build_topology
from topology.model import FailoverState, LinkState, LinkStatus


def states(sites: tuple[SiteFailover, ...]) -> dict[str, FailoverState]:
    return {site.device_id: site.state for site in sites}


def test_everything_up_is_everything_on_primary() -> None:
    assert set(states(assess_failover(toy())).values()) == {FailoverState.ON_PRIMARY}


def test_a_city_router_down() -> None:
    sites = {s.device_id: s for s in assess_failover(toy(down_devices=(GZ_CORE,)))}
    assert states(tuple(sites.values())) == {
        GZ_CORE: FailoverState.ISOLATED,
        LIWAN_ACC: FailoverState.ON_BACKUP,
        YUEXIU_ACC: FailoverState.ISOLATED,  # both its links end on gz-core1
        FS_CORE: FailoverState.ON_PRIMARY,
        CHANCHENG_ACC: FailoverState.ON_PRIMARY,  # only its backup was through gz-core1
        NANHAI_ACC: FailoverState.ON_PRIMARY,
    }
    liwan = sites[LIWAN_ACC]
    assert liwan.current_path is not None
    assert liwan.current_path.link_ids == ("fs-dc2", "gz-liwan-backup")
    assert liwan.failed_link_ids == ("gz-dc1", "gz-liwan-primary")  # they end on the dead router
    assert liwan.explanation == (
        "荔湾区 440103 (gz-liwan-acc1) is on backup: its primary path is down at gz-core1; it "
        "reaches the province core over fs-dc2 and gz-liwan-backup."
    )
    assert sites[YUEXIU_ACC].current_path is None
    assert sites[YUEXIU_ACC].explanation.startswith(
        "越秀区 440104 (gz-yuexiu-acc1) is isolated: no working path to any province core"
    )


def test_timeline_failed_over_then_isolated_then_restored() -> None:
    clock = FakeClock()
    t0 = clock.now()
    bus = EventBus()
    published: list[Event] = []
    bus.subscribe(Event, published.append)
    tracker = FailoverTracker(clock, bus)

    assert tracker.observe(toy()) == []
    assert tracker.site(LIWAN_ACC).since == t0
    assert tracker.site(LIWAN_ACC).left_primary_at is None

    clock.advance(60)
    events = tracker.observe(toy(down_links=("gz-liwan-primary",)))
    assert events == [
        LinkFailedOver(
            at=t0 + timedelta(seconds=60),
            region=LIWAN,
            site_id="gz-liwan",
            device_id=LIWAN_ACC,
            primary_link_ids=("gz-liwan-primary",),
            backup_link_ids=("fs-dc2", "gz-liwan-backup"),
        )
    ]
    liwan = tracker.site(LIWAN_ACC)
    assert (liwan.state, liwan.since) == (FailoverState.ON_BACKUP, t0 + timedelta(seconds=60))

    clock.advance(60)
    assert tracker.observe(toy(down_links=("gz-liwan-primary",))) == []  # no change, no event
    assert tracker.site(LIWAN_ACC).since == t0 + timedelta(seconds=60)

    clock.advance(60)
    events = tracker.observe(toy(down_links=("gz-liwan-primary", "gz-liwan-backup")))
    assert events == [
        SiteIsolated(
            at=t0 + timedelta(seconds=180),
            region=LIWAN,
            site_id="gz-liwan",
            device_id=LIWAN_ACC,
            failed_link_ids=("gz-liwan-primary", "gz-liwan-backup"),
        )
    ]
    liwan = tracker.site(LIWAN_ACC)
    assert liwan.since == t0 + timedelta(seconds=180)
    assert liwan.left_primary_at == t0 + timedelta(seconds=60)  # kept across backup → isolated

    clock.advance(600)
    events = tracker.observe(toy())
    assert events == [
        SiteRestored(
            at=t0 + timedelta(seconds=780),
            region=LIWAN,
            site_id="gz-liwan",
            device_id=LIWAN_ACC,
            was="isolated",
            since=t0 + timedelta(seconds=60),
        )
    ]
    assert tracker.site(LIWAN_ACC).left_primary_at is None
    assert [type(e) for e in published] == [LinkFailedOver, SiteIsolated, SiteRestored]
    assert published[-1] == events[0]


def test_timeline_a_city_router_dies_and_comes_back() -> None:
    clock = FakeClock()
    tracker = FailoverTracker(clock)
    tracker.observe(toy())
    clock.advance(30)
    events = tracker.observe(toy(down_devices=(GZ_CORE,)))
    assert [(type(e).__name__, e.device_id) for e in events] == [  # type: ignore[attr-defined]
        ("SiteIsolated", GZ_CORE),
        ("LinkFailedOver", LIWAN_ACC),
        ("SiteIsolated", YUEXIU_ACC),
    ]
    clock.advance(30)
    events = tracker.observe(toy())
    assert [(e.device_id, e.was) for e in events if isinstance(e, SiteRestored)] == [
        (GZ_CORE, "isolated"),
        (LIWAN_ACC, "on_backup"),
        (YUEXIU_ACC, "isolated"),
    ]
    assert {e.since for e in events if isinstance(e, SiteRestored)} == {
        clock.now() - timedelta(seconds=30)
    }


def test_isolated_then_reachable_over_backup_is_a_failover() -> None:
    clock = FakeClock()
    tracker = FailoverTracker(clock)
    tracker.observe(toy(down_links=("gz-liwan-primary", "gz-liwan-backup")))
    clock.advance(10)
    (event,) = tracker.observe(toy(down_links=("gz-liwan-primary",)))
    assert isinstance(event, LinkFailedOver)
    assert event.device_id == LIWAN_ACC
    assert tracker.site(LIWAN_ACC).left_primary_at == clock.now() - timedelta(seconds=10)


def test_the_first_observation_reports_what_is_already_broken() -> None:
    tracker = FailoverTracker(FakeClock())
    events = tracker.observe(toy(down_links=("fs-nanhai-primary", "gz-dc1")))
    assert {(type(e).__name__, e.region) for e in events} == {  # type: ignore[attr-defined]
        ("SiteIsolated", "440605"),
        ("LinkFailedOver", GZ),
        ("LinkFailedOver", LIWAN),
        ("LinkFailedOver", YUEXIU),
    }


def test_status_lists_every_node_and_unknown_nodes_are_not_found() -> None:
    tracker = FailoverTracker(FakeClock())
    assert tracker.status() == ()
    tracker.observe(toy())
    assert len(tracker.status()) == 6
    with pytest.raises(NotFound):
        tracker.site("gd-dc1-core1")


# --------------------------------------------------------------------------- traffic on backup


def busy_toy(rates: dict[str, float], down_links: tuple[str, ...] = ()) -> Topology:
    """The toy province with ``rates`` (bit/s into end a) on some links."""
    states = [
        LinkState(
            lk.id,
            LinkStatus.DOWN if lk.id in down_links else LinkStatus.UP,
            in_bps=rates.get(lk.id),
            out_bps=0.0 if lk.id in rates else None,
        )
        for lk in TOY.links
    ]
    return build_topology(TOY, states, {d.id: Status.UP for d in TOY.devices})


def test_a_backup_link_carrying_traffic_while_the_primary_is_up_is_a_note() -> None:
    topology = busy_toy({"gz-liwan-backup": 25e6, "gz-dc2": 5e6, "fs-chancheng-backup": 30e6})
    sites = {s.device_id: s for s in assess_failover(topology)}
    liwan = sites[LIWAN_ACC]
    assert liwan.state is FailoverState.ON_PRIMARY  # a note, never a state change
    assert liwan.backup_carrying_traffic
    assert liwan.explanation == (
        "荔湾区 440103 (gz-liwan-acc1) is on its primary path (gz-dc1 and gz-liwan-primary). "
        "Note: its backup link gz-liwan-backup (2.5% of its capacity) carries traffic while the "
        "primary path is up (asymmetric routing may do that on purpose)."
    )
    assert not sites[GZ_CORE].backup_carrying_traffic  # 0.5%: under the 1% default
    assert sites[CHANCHENG_ACC].backup_carrying_traffic
    # Only a node's own backup link counts: gz-core1 carries 禅城's backup, not its own.
    assert {s for s, site in sites.items() if site.backup_carrying_traffic} == {
        LIWAN_ACC,
        CHANCHENG_ACC,
    }
    stricter = {s.device_id: s for s in assess_failover(topology, backup_traffic_percent=0.1)}
    assert stricter[GZ_CORE].backup_carrying_traffic
    assert "gz-dc2 (0.5% of its capacity)" in stricter[GZ_CORE].explanation


def test_on_backup_the_backup_link_is_meant_to_carry_traffic() -> None:
    topology = busy_toy({"gz-liwan-backup": 25e6}, down_links=("gz-liwan-primary",))
    liwan = next(s for s in assess_failover(topology) if s.device_id == LIWAN_ACC)
    assert liwan.state is FailoverState.ON_BACKUP
    assert not liwan.backup_carrying_traffic
    assert "Note" not in liwan.explanation


def test_the_tracker_notes_traffic_on_backup_without_an_event() -> None:
    clock = FakeClock()
    tracker = FailoverTracker(clock, backup_traffic_percent=2.0)
    assert tracker.observe(toy()) == []
    clock.advance(60)
    assert tracker.observe(busy_toy({"gz-liwan-backup": 25e6, "gz-dc2": 15e6})) == []
    assert tracker.site(LIWAN_ACC).backup_carrying_traffic
    assert not tracker.site(GZ_CORE).backup_carrying_traffic  # 1.5%: under its 2%
    assert tracker.site(LIWAN_ACC).since == clock.now() - timedelta(seconds=60)
