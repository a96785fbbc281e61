"""Link states read from a real SQLite state DB, as the pollers leave it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from core.errors import StoreError
from core.inventory import load_inventory
from core.model import Inventory
from core.polling import DevicePollRecord, InterfaceReading
from core.state.db import migrate_to_head, open_state_engine
from core.state.link_states import LinkObservation, read_link_states
from core.state.repository import StateRepository
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
