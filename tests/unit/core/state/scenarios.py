"""State DB behaviour written once, run against SQLite (unit) and PostgreSQL (integration)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from core.errors import NotFound
from core.inventory import load_inventory
from core.model import Status
from core.polling import DevicePollRecord, InterfaceReading
from core.state.db import migrate_to_head
from core.state.repository import StateRepository

DATA = Path(__file__).resolve().parents[3] / "data"
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def up(device_id: str, at: datetime = T0, *interfaces: InterfaceReading) -> DevicePollRecord:
    return DevicePollRecord(device_id=device_id, at=at, reachable=True, interfaces=interfaces)


def port(
    index: int, name: str, oper: str = "up", admin: str = "up", **rates: float
) -> InterfaceReading:
    return InterfaceReading(
        if_index=index,
        name=name,
        admin_status=admin,
        oper_status=oper,
        speed_bps=1_000_000_000,
        **rates,
    )


def run_state_scenario(engine: Engine) -> None:
    migrate_to_head(engine)
    migrate_to_head(engine)  # idempotent on every start
    repo = StateRepository(engine)
    report = repo.sync_inventory(load_inventory(DATA / "small_inventory.yaml"))
    assert report.devices_added == ["gd-dc1-core1", "gz-core1", "gz-liwan-acc1", "gz-yuexiu-acc1"]

    # Never polled: everything unknown.
    (root,) = repo.region_tree()
    assert root.code == "440000"
    assert root.status is Status.UNKNOWN
    assert root.devices.unknown == 4

    changes = repo.record_polls(
        [
            up("gd-dc1-core1", T0, port(1, "GigabitEthernet0/0/1", in_bps=5e8, out_bps=1e8)),
            # An unused access port down is normal; the linked port down is not.
            up(
                "gz-core1",
                T0,
                port(2, "GigabitEthernet1/0/2", oper="down"),
                port(9, "Gi9", oper="down"),
            ),
            DevicePollRecord(device_id="gz-liwan-acc1", at=T0, reachable=False, error="no answer"),
            up("gz-yuexiu-acc1", T0, port(1, "GigabitEthernet0/1"), port(7, "Gi7", oper="down")),
            up("ghost", T0),  # removed from the inventory while polled: ignored
        ]
    )
    assert {(c.device_id, c.after) for c in changes} == {
        ("gd-dc1-core1", Status.UP),
        ("gz-core1", Status.DEGRADED),
        ("gz-liwan-acc1", Status.DOWN),
        ("gz-yuexiu-acc1", Status.UP),
    }

    (root,) = repo.region_tree()
    assert root.status is Status.DOWN
    assert (root.devices.up, root.devices.degraded, root.devices.down) == (2, 1, 1)
    (city,) = root.children
    assert city.name == "广州市"
    statuses = {c.code: c.status for c in city.children}
    assert statuses == {"440103": Status.DOWN, "440104": Status.UP}
    assert repo.region("440104").devices.up == 1

    # Region filter includes everything below; status and text filters narrow it.
    in_city = [d.id for d in repo.devices(region="440100")]
    assert in_city == ["gz-core1", "gz-liwan-acc1", "gz-yuexiu-acc1"]
    assert [d.id for d in repo.devices(status=Status.DOWN)] == ["gz-liwan-acc1"]
    assert [d.id for d in repo.devices(text="YUEXIU")] == ["gz-yuexiu-acc1"]
    assert [d.id for d in repo.devices(text="越秀")] == ["gz-yuexiu-acc1"]

    detail = repo.device("gd-dc1-core1")
    (iface,) = detail.interfaces
    assert iface.in_bps == 5e8
    assert iface.utilisation_percent == pytest.approx(50.0)
    assert iface.link == "dc1-gz"
    assert detail.region_name == "广东省"
    down = repo.device("gz-liwan-acc1")
    assert down.last_error == "no answer"
    assert down.consecutive_failures == 1
    assert down.last_success_at is None

    # Interfaces that disappear from the device disappear from the state.
    later = T0 + timedelta(minutes=1)
    repo.record_polls([up("gz-yuexiu-acc1", later, port(1, "GigabitEthernet0/1"))])
    assert [i.if_index for i in repo.device("gz-yuexiu-acc1").interfaces] == [1]
    # A poll without interfaces (not read this time) keeps the known ones.
    repo.record_polls([DevicePollRecord(device_id="gz-yuexiu-acc1", at=later, reachable=True)])
    assert [i.if_index for i in repo.device("gz-yuexiu-acc1").interfaces] == [1]
    assert repo.device("gz-yuexiu-acc1").last_poll_at == later

    with pytest.raises(NotFound):
        repo.device("nope")
    with pytest.raises(NotFound):
        repo.region("999999")

    # Re-syncing an inventory without a device drops it and its state; others keep theirs.
    inventory = load_inventory(DATA / "small_inventory.yaml")
    smaller = inventory.model_copy(
        update={
            "devices": tuple(d for d in inventory.devices if d.id != "gz-liwan-acc1"),
            "links": tuple(lk for lk in inventory.links if lk.id != "gz-liwan-primary"),
        }
    )
    report = repo.sync_inventory(smaller)
    assert report.devices_removed == ["gz-liwan-acc1"]
    assert repo.device("gd-dc1-core1").status is Status.UP
    assert repo.device_ids() == ["gd-dc1-core1", "gz-core1", "gz-yuexiu-acc1"]
