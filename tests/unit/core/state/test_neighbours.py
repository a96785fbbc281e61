"""Observed LLDP neighbours in the state DB: replaced per device and source in one transaction,
first sighting kept while a neighbour stays, failures translated — on SQLite here and on
PostgreSQL in tests/integration/core/test_neighbours_postgres.py (the same scenario)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from core.errors import StoreError
from core.inventory import load_inventory
from core.neighbours import (
    ChassisIdSubtype,
    LldpNeighbour,
    NeighbourSource,
    PortIdSubtype,
)
from core.state.db import migrate_to_head, open_state_engine
from core.state.neighbours import NeighbourRepository
from core.state.repository import StateRepository
from core.state.tables import Base

DATA = Path(__file__).resolve().parents[3] / "data"
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def heard(
    local_port: str,
    name: str = "GZ-LIWAN-ACC1",
    port: str = "xgei-0/2/0/1",
    *,
    device: str = "gz-core1",
    source: NeighbourSource = NeighbourSource.SNMP,
    **fields: object,
) -> LldpNeighbour:
    values: dict[str, object] = {
        "device_id": device,
        "local_port": local_port,
        "local_if_index": 7,
        "remote_chassis_id": "70:7b:e8:00:00:01",
        "remote_chassis_id_subtype": ChassisIdSubtype.MAC_ADDRESS,
        "remote_port_id": port,
        "remote_port_id_subtype": PortIdSubtype.INTERFACE_NAME,
        "remote_port_description": "to GZ-CORE1",
        "remote_system_name": name,
        "remote_system_description": "ZXR10 5960\nZXROS V5",
        "remote_management_address": IPv4Address("127.20.1.11"),
        "source": source,
    }
    values.update(fields)
    return LldpNeighbour.model_validate(values)


def run_neighbour_scenario(engine: Engine) -> None:
    migrate_to_head(engine)
    StateRepository(engine).sync_inventory(load_inventory(DATA / "small_inventory.yaml"))
    repo = NeighbourRepository(engine)
    assert repo.neighbours() == []

    first = heard("GigabitEthernet0/0/1")
    second = heard("GigabitEthernet0/0/2", "GZ-YUEXIU-ACC1", "Gi0/21", remote_chassis_id="x1",
                   remote_chassis_id_subtype=ChassisIdSubtype.LOCAL,
                   remote_management_address=IPv6Address("2001:db8::7"), local_if_index=None,
                   remote_port_description=None, remote_system_description=None)  # fmt: skip
    assert repo.replace_neighbours("gz-core1", [first, second, first], T0) == 2
    stored = repo.neighbours()
    assert [s.local_port for s in stored] == ["GigabitEthernet0/0/1", "GigabitEthernet0/0/2"]
    as_stored = stored[0].model_dump(exclude={"first_seen_at", "last_seen_at"})
    assert LldpNeighbour.model_validate(as_stored) == first
    assert stored[1].remote_management_address == IPv6Address("2001:db8::7")
    assert stored[1].local_if_index is None
    assert stored[0].first_seen_at == stored[0].last_seen_at == T0

    # Later: the first stays (first sighting kept, details refreshed), the second is gone, a
    # third appears.
    later = T0 + timedelta(minutes=5)
    moved = first.model_copy(update={"remote_system_name": "GZ-LIWAN-ACC1.gd.example"})
    third = heard("GigabitEthernet0/0/3", "FS-CHANCHENG-ACC1", "xgei-0/2/0/2")
    assert repo.replace_neighbours("gz-core1", [moved, third], later) == 2
    by_port = {s.local_port: s for s in repo.neighbours(["gz-core1"])}
    assert set(by_port) == {"GigabitEthernet0/0/1", "GigabitEthernet0/0/3"}
    assert by_port["GigabitEthernet0/0/1"].first_seen_at == T0
    assert by_port["GigabitEthernet0/0/1"].last_seen_at == later
    assert by_port["GigabitEthernet0/0/1"].remote_system_name == "GZ-LIWAN-ACC1.gd.example"
    assert by_port["GigabitEthernet0/0/3"].first_seen_at == later

    # Each source replaces only its own rows; other devices are untouched.
    cli = heard("GE0/0/1", source=NeighbourSource.CLI)
    assert repo.replace_neighbours("gz-core1", [cli], later, source=NeighbourSource.CLI) == 1
    liwan = heard("xgei-0/2/0/1", "GZ-CORE1", "GigabitEthernet0/0/1", device="gz-liwan-acc1")
    repo.replace_neighbours("gz-liwan-acc1", [liwan], later)
    assert len(repo.neighbours(["gz-core1"])) == 3
    assert repo.replace_neighbours("gz-core1", [], later) == 0
    assert [(s.device_id, s.source) for s in repo.neighbours()] == [
        ("gz-core1", NeighbourSource.CLI),
        ("gz-liwan-acc1", NeighbourSource.SNMP),
    ]
    assert repo.neighbours([]) == []

    # A device the inventory does not know: the database refuses, as a StoreError.
    with pytest.raises(StoreError, match="not-a-device"):
        repo.replace_neighbours("not-a-device", [heard("Gi0/1", device="not-a-device")], later)
    assert len(repo.neighbours()) == 2


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_state_engine(f"sqlite:///{tmp_path / 'state.db'}")
    yield engine
    engine.dispose()


def test_neighbour_store_on_sqlite(engine: Engine) -> None:
    run_neighbour_scenario(engine)


def test_the_migration_creates_the_table_as_declared(engine: Engine) -> None:
    migrate_to_head(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    mine = [d for d in differences if "lldp_neighbours" in repr(d)]
    assert mine == []


def test_callers_mistakes_are_refused(engine: Engine) -> None:
    migrate_to_head(engine)
    repo = NeighbourRepository(engine)
    with pytest.raises(ValueError, match="timezone-aware"):
        repo.replace_neighbours("gz-core1", [], datetime(2026, 3, 1))
    with pytest.raises(ValueError, match="given as one of gz-core1"):
        repo.replace_neighbours("gz-core1", [heard("Gi0/1", device="fs-core1")], T0)
    with pytest.raises(ValueError, match="cli"):
        repo.replace_neighbours("gz-core1", [heard("Gi0/1", source=NeighbourSource.CLI)], T0)


def test_a_broken_database_is_a_store_error(tmp_path: Path) -> None:
    engine = open_state_engine(f"sqlite:///{tmp_path / 'empty.db'}")  # never migrated
    try:
        repo = NeighbourRepository(engine)
        with pytest.raises(StoreError, match="cannot read LLDP neighbours"):
            repo.neighbours()
        with pytest.raises(StoreError, match="cannot store the LLDP neighbours of gz-core1"):
            repo.replace_neighbours("gz-core1", [heard("Gi0/1")], T0)
    finally:
        engine.dispose()
