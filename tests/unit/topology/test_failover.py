"""Failover state, and the tracker's events, written as timelines on a fake clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.clock import FakeClock
from core.errors import NotFound
from core.events import Event, EventBus, LinkFailedOver, SiteIsolated, SiteRestored
from tests.unit.topology.networks import (
    CHANCHENG_ACC,
    FS_CORE,
    GZ,
    GZ_CORE,
    LIWAN,
    LIWAN_ACC,
    NANHAI_ACC,
    YUEXIU,
    YUEXIU_ACC,
    toy,
)
from topology.failover import FailoverTracker, SiteFailover, assess_failover
from topology.model import FailoverState


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
