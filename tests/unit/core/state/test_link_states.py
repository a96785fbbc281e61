"""Link states read from a real SQLite state DB, as the pollers leave it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pytest
from sqlalchemy import Engine

from core.errors import StoreError
from core.inventory import load_inventory
from core.model import Inventory
from core.polling import DevicePollRecord, InterfaceReading
from core.state.db import migrate_to_head, open_state_engine
from core.state.link_states import LinkObservation, read_link_states
from core.state.repository import StateRepository
from core.state.routing import (
    BgpPeer,
    BgpPeerState,
    InterfaceAddress,
    OspfNeighbour,
    OspfNeighbourState,
    RoutingReport,
    RoutingRepository,
)
from topology.graph import build_topology
from topology.model import LinkStatus

DATA = Path(__file__).resolve().parents[3] / "data"
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def inventory() -> Inventory:
    return load_inventory(DATA / "small_inventory.yaml")


@pytest.fixture
def engine(tmp_path: Path, inventory: Inventory) -> Iterator[Engine]:
    engine = open_state_engine(f"sqlite:///{tmp_path / 'state.db'}")
    migrate_to_head(engine)
    StateRepository(engine).sync_inventory(inventory)
    yield engine
    engine.dispose()


def port(
    index: int,
    name: str | None,
    oper: str = "up",
    descr: str | None = None,
    in_bps: float | None = None,
    out_bps: float | None = None,
) -> InterfaceReading:
    return InterfaceReading(
        if_index=index, name=name, descr=descr, oper_status=oper, in_bps=in_bps, out_bps=out_bps
    )


def answered(device_id: str, *interfaces: InterfaceReading) -> DevicePollRecord:
    return DevicePollRecord(device_id=device_id, at=T0, reachable=True, interfaces=interfaces)


def test_links_never_polled_are_unknown(engine: Engine) -> None:
    assert read_link_states(engine) == {
        "dc1-gz": LinkObservation("dc1-gz", "unknown"),
        "gz-liwan-primary": LinkObservation("gz-liwan-primary", "unknown"),
        "gz-yuexiu-primary": LinkObservation("gz-yuexiu-primary", "unknown"),
    }


def test_a_link_is_down_when_an_end_is_down_or_does_not_answer(engine: Engine) -> None:
    StateRepository(engine).record_polls(
        [
            answered("gd-dc1-core1", port(1, "GigabitEthernet0/0/1", in_bps=5e8, out_bps=1e8)),
            answered(
                "gz-core1",
                port(1, "Ten-GigabitEthernet1/0/1"),
                # Known by its ifDescr only: matched all the same.
                port(2, None, descr="GigabitEthernet1/0/2"),
                port(3, "GigabitEthernet1/0/3", oper="lowerLayerDown"),
            ),
            DevicePollRecord(device_id="gz-liwan-acc1", at=T0, reachable=False, error="timeout"),
            answered("gz-yuexiu-acc1", port(1, "GigabitEthernet0/1")),
        ]
    )
    assert read_link_states(engine) == {
        "dc1-gz": LinkObservation("dc1-gz", "up", None, 5e8, 1e8),
        "gz-liwan-primary": LinkObservation(
            "gz-liwan-primary", "down", "gz-liwan-acc1 does not answer"
        ),
        "gz-yuexiu-primary": LinkObservation(
            "gz-yuexiu-primary", "down", "GigabitEthernet1/0/3 on gz-core1 is lowerLayerDown"
        ),
    }


def test_one_end_seen_up_is_enough_and_rates_come_from_the_other_end_swapped(
    engine: Engine,
) -> None:
    StateRepository(engine).record_polls(
        [answered("gz-yuexiu-acc1", port(1, "GigabitEthernet0/1", in_bps=3e6, out_bps=4e6))]
    )
    yuexiu = read_link_states(engine)["gz-yuexiu-primary"]
    # Rates are given as seen from end a (gz-core1): what yuexiu receives, gz-core1 sends.
    assert yuexiu == LinkObservation("gz-yuexiu-primary", "up", None, 4e6, 3e6)


def test_the_topology_takes_the_observations_as_they_are(
    engine: Engine, inventory: Inventory
) -> None:
    StateRepository(engine).record_polls(
        [DevicePollRecord(device_id="gz-liwan-acc1", at=T0, reachable=False)]
    )
    topology = build_topology(inventory, read_link_states(engine).values())
    assert topology.link_status("gz-liwan-primary") is LinkStatus.DOWN
    assert topology.link_status("dc1-gz") is LinkStatus.UNKNOWN


def test_a_database_without_the_schema_is_a_store_error(tmp_path: Path) -> None:
    engine = open_state_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        with pytest.raises(StoreError, match="link states"):
            read_link_states(engine)
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- routing evidence

FULL, INIT = OspfNeighbourState.FULL, OspfNeighbourState.INIT
ALL_UP = (
    answered("gd-dc1-core1", port(1, "GigabitEthernet0/0/1")),
    answered(
        "gz-core1",
        port(1, "Ten-GigabitEthernet1/0/1"),
        port(2, "GigabitEthernet1/0/2"),
        port(3, "GigabitEthernet1/0/3"),
    ),
    answered("gz-liwan-acc1", port(1, "gei-0/1/0/1"), port(9, "vlan100")),
    answered("gz-yuexiu-acc1", port(1, "GigabitEthernet0/1")),
)


def routing(engine: Engine, reports: dict[str, RoutingReport]) -> None:
    repository = RoutingRepository(engine)
    for device_id, report in reports.items():
        repository.replace_routing(device_id, report, T0)


def statuses(engine: Engine) -> dict[str, tuple[str, str | None]]:
    return {k: (o.status, o.reason) for k, o in read_link_states(engine).items()}


def test_both_ends_report_ospf_and_no_full_adjacency_means_down(engine: Engine) -> None:
    StateRepository(engine).record_polls(list(ALL_UP))
    routing(
        engine,
        {
            # gz-core1 hears gz-liwan-acc1 (router id = its inventory address) stuck in init.
            "gz-core1": RoutingReport(ospf=(OspfNeighbour("10.9.9.9", INIT, "127.0.0.13"),)),
            "gz-liwan-acc1": RoutingReport(ospf=()),
            "gd-dc1-core1": RoutingReport(ospf=()),
            # gz-yuexiu-acc1 does not report OSPF: its link is judged by its interfaces alone.
        },
    )
    assert statuses(engine) == {
        "dc1-gz": ("down", "OSPF adjacency not full"),
        "gz-liwan-primary": ("down", "OSPF adjacency not full (gz-core1 sees init)"),
        "gz-yuexiu-primary": ("up", None),
    }


def test_a_full_adjacency_is_evidence_of_a_link_up_before_any_poll(engine: Engine) -> None:
    routing(
        engine,
        {
            "gz-core1": RoutingReport(ospf=(OspfNeighbour("10.9.9.9", FULL, "127.0.0.13"),)),
            "gz-liwan-acc1": RoutingReport(ospf=()),  # one end full is enough
        },
    )
    assert statuses(engine)["gz-liwan-primary"] == ("up", None)
    assert statuses(engine)["dc1-gz"] == ("unknown", None)


def test_adjacencies_are_placed_on_links_by_the_addresses_the_devices_report(
    engine: Engine,
) -> None:
    StateRepository(engine).record_polls(list(ALL_UP))
    liwan_addresses = (
        InterfaceAddress("10.250.0.2", 1, 30),  # on gei-0/1/0/1, the link's far port
        InterfaceAddress("10.100.1.11", 9, 24),  # its management VLAN
    )
    routing(
        engine,
        {
            # Rule 1: the neighbour's address is gz-liwan-acc1's on its management VLAN, not on
            # the link (whatever the router id says): no adjacency over the link.
            "gz-core1": RoutingReport(
                ospf=(
                    OspfNeighbour("10.100.1.11", FULL, "127.0.0.13"),
                    # Rule 2: learnt on GigabitEthernet1/0/3, gz-yuexiu-primary's near port.
                    OspfNeighbour("10.250.0.6", FULL, "192.0.2.1", local_if_index=3),
                ),
                addresses=(InterfaceAddress("10.250.0.1", 2, 30),),
            ),
            "gz-liwan-acc1": RoutingReport(ospf=(), addresses=liwan_addresses),
            "gz-yuexiu-acc1": RoutingReport(ospf=()),
        },
    )
    assert statuses(engine)["gz-liwan-primary"] == ("down", "OSPF adjacency not full")
    assert statuses(engine)["gz-yuexiu-primary"] == ("up", None)
    # The same neighbour at its address on the link: placed by rule 1, and full.
    routing(
        engine,
        {"gz-core1": RoutingReport(ospf=(OspfNeighbour("10.250.0.2", FULL, "192.0.2.7"),))},
    )
    assert statuses(engine)["gz-liwan-primary"] == ("up", None)


def test_bgp_sessions_to_the_far_device_are_evidence_unless_shut_down(engine: Engine) -> None:
    StateRepository(engine).record_polls(list(ALL_UP))

    def peer(state: BgpPeerState, admin: Literal["start", "stop"] = "start") -> RoutingReport:
        return RoutingReport(bgp=(BgpPeer("127.0.0.11", state, 65000, admin_status=admin),))

    routing(engine, {"gz-core1": peer(BgpPeerState.ACTIVE)})
    assert statuses(engine)["dc1-gz"] == (
        "down",
        "BGP session not established (gz-core1 → 127.0.0.11: active)",
    )
    routing(engine, {"gz-core1": peer(BgpPeerState.ESTABLISHED)})
    assert statuses(engine)["dc1-gz"] == ("up", None)
    routing(engine, {"gz-core1": peer(BgpPeerState.IDLE, "stop")})
    assert statuses(engine)["dc1-gz"] == ("up", None)


def test_routing_says_nothing_of_a_link_whose_end_does_not_answer(engine: Engine) -> None:
    StateRepository(engine).record_polls(
        [*ALL_UP[:2], DevicePollRecord(device_id="gz-liwan-acc1", at=T0, reachable=False)]
    )
    routing(engine, {"gz-core1": RoutingReport(ospf=()), "gz-liwan-acc1": RoutingReport(ospf=())})
    assert statuses(engine)["gz-liwan-primary"] == ("down", "gz-liwan-acc1 does not answer")


def test_interfaces_down_and_routing_down_give_both_reasons(engine: Engine) -> None:
    StateRepository(engine).record_polls(
        [answered("gz-core1", port(2, "GigabitEthernet1/0/2", oper="down"))]
    )
    routing(engine, {"gz-core1": RoutingReport(ospf=()), "gz-liwan-acc1": RoutingReport(ospf=())})
    assert statuses(engine)["gz-liwan-primary"] == (
        "down",
        "GigabitEthernet1/0/2 on gz-core1 is down; OSPF adjacency not full",
    )
