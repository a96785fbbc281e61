"""Routing state in a real SQLite state DB: replaced per device as a whole, states' ages kept,
"not reported" kept apart from "none", VRRP roles as a device fact, the migration as declared."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from core.errors import StoreError
from core.inventory import load_inventory
from core.state.db import migrate_to_head, open_state_engine
from core.state.repository import StateRepository
from core.state.routing import (
    BgpPeer,
    BgpPeerState,
    InterfaceAddress,
    OspfNeighbour,
    OspfNeighbourState,
    RoutingReport,
    RoutingRepository,
    VrrpRouter,
    VrrpState,
)
from core.state.tables import Base

DATA = Path(__file__).resolve().parents[3] / "data"
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
FULL, INIT = OspfNeighbourState.FULL, OspfNeighbourState.INIT


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_state_engine(f"sqlite:///{tmp_path / 'state.db'}")
    migrate_to_head(engine)
    StateRepository(engine).sync_inventory(load_inventory(DATA / "small_inventory.yaml"))
    yield engine
    engine.dispose()


def ospf(address: str, state: OspfNeighbourState = FULL, if_index: int | None = 2) -> OspfNeighbour:
    return OspfNeighbour(address, state, router_id="127.0.0.13", local_if_index=if_index)


REPORT = RoutingReport(
    ospf=(ospf("10.250.0.2"), ospf("10.250.0.6", INIT, None)),
    ospf_router_id="127.0.0.12",
    bgp=(
        BgpPeer("127.0.0.11", BgpPeerState.ESTABLISHED, 65000, "127.0.0.12", "127.0.0.11", "start"),
    ),
    bgp_local_as=65000,
    vrrp=(VrrpRouter(53, 1, VrrpState.MASTER, "10.250.0.5", 120),),
    addresses=(InterfaceAddress("10.250.0.1", 2, 30), InterfaceAddress("127.0.0.12", 5, 32)),
)


def stamped(report: RoutingReport, at: datetime) -> RoutingReport:
    """``report`` as the DB gives it back: each neighbour, peer and group with its ``since``."""
    return replace(
        report,
        ospf=tuple(replace(n, since=at) for n in report.ospf or ()),
        bgp=tuple(replace(p, since=at) for p in report.bgp or ()),
        vrrp=tuple(replace(r, since=at) for r in report.vrrp or ()),
    )


def test_a_report_reads_back_as_stored(engine: Engine) -> None:
    repository = RoutingRepository(engine)
    repository.replace_routing("gz-core1", REPORT, T0)
    stored = repository.routing()
    assert list(stored) == ["gz-core1"]
    assert stored["gz-core1"].collected_at == T0
    assert stored["gz-core1"].report == stamped(REPORT, T0)
    assert repository.routing(["gz-liwan-acc1"]) == {}


def test_each_collection_replaces_the_devices_rows_and_keeps_each_states_age(
    engine: Engine,
) -> None:
    repository = RoutingRepository(engine)
    repository.replace_routing("gz-core1", REPORT, T0)
    repository.replace_routing("gz-liwan-acc1", RoutingReport(ospf=(ospf("10.250.0.1"),)), T0)
    later = T0 + timedelta(minutes=1)
    repository.replace_routing(
        "gz-core1",
        RoutingReport(
            ospf=(ospf("10.250.0.2"), ospf("10.250.0.6", FULL, None), ospf("10.250.0.10")),
            vrrp=(VrrpRouter(53, 1, VrrpState.BACKUP, "10.250.0.9", 120),),
            addresses=(InterfaceAddress("10.250.0.1", 2, 30),),
        ),
        later,
    )
    report = repository.routing()["gz-core1"].report
    assert report.ospf is not None
    assert [(n.neighbour_address, n.state, n.since) for n in report.ospf] == [
        ("10.250.0.10", FULL, later),  # new
        ("10.250.0.2", FULL, T0),  # unchanged: keeps its age
        ("10.250.0.6", FULL, later),  # init → full
    ]
    assert report.bgp is None  # no longer reported: its peer is gone with it
    assert report.vrrp == (VrrpRouter(53, 1, VrrpState.BACKUP, "10.250.0.9", 120, later),)
    assert report.addresses == (InterfaceAddress("10.250.0.1", 2, 30),)
    # Another device's rows are its own.
    assert repository.routing()["gz-liwan-acc1"].report.ospf == (
        replace(ospf("10.250.0.1"), since=T0),
    )


def test_not_reported_is_not_none(engine: Engine) -> None:
    repository = RoutingRepository(engine)
    repository.replace_routing("gz-core1", RoutingReport(ospf=(), vrrp=()), T0)
    repository.replace_routing("gz-liwan-acc1", RoutingReport(), T0)
    stored = repository.routing()
    assert (stored["gz-core1"].report.ospf, stored["gz-core1"].report.bgp) == ((), None)
    assert stored["gz-liwan-acc1"].report == RoutingReport()


def test_vrrp_roles_are_a_device_fact(engine: Engine) -> None:
    repository = RoutingRepository(engine)
    master = VrrpRouter(53, 1, VrrpState.MASTER)
    repository.replace_routing("gd-dc1-core1", RoutingReport(vrrp=(master,)), T0)
    backup = VrrpRouter(53, 1, VrrpState.BACKUP)
    repository.replace_routing("gz-core1", RoutingReport(vrrp=(backup,)), T0)
    mixed = (master, VrrpRouter(54, 2, VrrpState.BACKUP))
    repository.replace_routing("gz-liwan-acc1", RoutingReport(vrrp=mixed), T0)
    repository.replace_routing("gz-yuexiu-acc1", RoutingReport(vrrp=()), T0)
    assert repository.vrrp_roles() == {
        "gd-dc1-core1": "master",
        "gz-core1": "backup",
        "gz-liwan-acc1": "mixed",
    }
    assert repository.vrrp_roles(["gz-core1"]) == {"gz-core1": "backup"}


def test_the_migration_creates_the_tables_as_declared(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    tables = ("routing_reports", "routing_adjacencies", "vrrp_routers", "interface_addresses")
    assert [d for d in differences if any(t in repr(d) for t in tables)] == []


def test_mistakes_and_a_broken_database(engine: Engine, tmp_path: Path) -> None:
    repository = RoutingRepository(engine)
    with pytest.raises(ValueError, match="timezone-aware"):
        repository.replace_routing("gz-core1", REPORT, datetime(2026, 3, 1))
    with pytest.raises(StoreError, match="routing state of nowhere1"):
        repository.replace_routing("nowhere1", REPORT, T0)  # not in the inventory
    empty = open_state_engine(f"sqlite:///{tmp_path / 'empty.db'}")  # never migrated
    try:
        with pytest.raises(StoreError, match="cannot read routing state"):
            RoutingRepository(empty).routing()
    finally:
        empty.dispose()
