"""Failover events reach the audit trail as the ``system`` actor; a trail that cannot be written
costs a log line, never the topology monitor's turn."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from core.errors import StoreError
from core.events import DeviceStatusChanged, LinkFailedOver, SiteIsolated, SiteRestored
from core.model import Status
from core.security.audit_trail import AuditEvent, AuditOutcome, AuditTrail
from ssnoc.wiring import audit_failover_events, failover_audit_event
from tests.unit.topology.networks import GZ_CORE, LIWAN, LIWAN_ACC
from tests.unit.topology.toy_state import T0, ToyState


@pytest.fixture
def world(tmp_path: Path) -> Iterator[ToyState]:
    state = ToyState(tmp_path)
    yield state
    state.close()


def test_each_failover_event_as_an_audit_event() -> None:
    failed = failover_audit_event(
        LinkFailedOver(
            at=T0,
            region=LIWAN,
            site_id="gz-liwan",
            device_id=LIWAN_ACC,
            primary_link_ids=("gz-liwan-primary",),
            backup_link_ids=("fs-dc2", "gz-liwan-backup"),
        )
    )
    assert failed == AuditEvent(
        actor="system",
        action="site_failed_over",
        outcome=AuditOutcome.OK,
        target=LIWAN_ACC,
        region_code=LIWAN,
        detail="on backup over fs-dc2, gz-liwan-backup; down: gz-liwan-primary",
        after={
            "site_id": "gz-liwan",
            "state": "on_backup",
            "primary_link_ids": ["gz-liwan-primary"],
            "backup_link_ids": ["fs-dc2", "gz-liwan-backup"],
            "since": "2026-03-02T08:00:00+00:00",
        },
    )
    isolated = failover_audit_event(
        SiteIsolated(
            at=T0, region="440100", site_id="gz", device_id=GZ_CORE, failed_link_ids=("gz-dc1",)
        )
    )
    assert isolated is not None
    assert (isolated.action, isolated.target, isolated.region_code) == (
        "site_isolated",
        GZ_CORE,
        "440100",
    )
    assert isolated.detail == "no working path to the province core; down: gz-dc1"
    restored = failover_audit_event(
        SiteRestored(
            at=T0 + timedelta(minutes=5),
            region=LIWAN,
            site_id="gz-liwan",
            device_id=LIWAN_ACC,
            was="on_backup",
            since=T0,
        )
    )
    assert restored is not None
    assert restored.action == "site_restored"
    assert restored.after == {
        "site_id": "gz-liwan",
        "state": "on_primary",
        "was": "on_backup",
        "left_primary_at": "2026-03-02T08:00:00+00:00",
        "since": "2026-03-02T08:05:00+00:00",
    }
    other = DeviceStatusChanged(at=T0, device_id=GZ_CORE, before=Status.UP, after=Status.DOWN)
    assert failover_audit_event(other) is None


def test_the_monitor_failing_over_writes_the_trail(world: ToyState) -> None:
    trail = AuditTrail(world.engine, world.clock)
    audit_failover_events(world.bus, trail)
    monitor = world.monitor()
    world.poll()
    monitor.refresh()
    world.clock.advance(60)
    world.poll(down_interfaces=[world.end_of("gz-liwan-primary", LIWAN_ACC)])
    monitor.refresh()
    monitor.refresh()  # no change: no second record
    world.clock.advance(60)
    world.poll()
    monitor.refresh()
    records = sorted(trail.search(), key=lambda r: r.seq)
    assert [(r.actor, r.action, r.target, r.region_code) for r in records] == [
        ("system", "site_failed_over", LIWAN_ACC, LIWAN),
        ("system", "site_restored", LIWAN_ACC, LIWAN),
    ]
    assert records[0].at == T0 + timedelta(seconds=60)
    assert trail.verify().ok


class BrokenTrail:
    def __init__(self) -> None:
        self.attempts = 0

    def append(self, event: AuditEvent) -> object:
        self.attempts += 1
        raise StoreError("state DB: cannot write the audit record: disk full")


def test_a_trail_that_cannot_be_written_does_not_stop_the_monitor(
    world: ToyState, caplog: pytest.LogCaptureFixture
) -> None:
    trail = BrokenTrail()
    audit_failover_events(world.bus, trail)
    monitor = world.monitor()
    world.poll(down_interfaces=[world.end_of("gz-liwan-primary", LIWAN_ACC)])
    with caplog.at_level(logging.ERROR, logger="ssnoc.wiring"):
        snapshot = monitor.refresh()
    assert trail.attempts == 1
    assert "audit trail: cannot record site_failed_over of gz-liwan-acc1" in caplog.text
    assert monitor.snapshot() is snapshot
    assert len(world.events) == 1  # the other listeners still heard it
