"""The registry's transactions on SQLite: versions reported by heartbeats in one commit, a CSV
import goes in whole (its good rows) or not at all and stores nothing twice, and a broken
database is a StoreError naming the step, with nothing half-written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, text

import core.state.terminal_tables  # noqa: F401  (until migrations/env.py imports it)
from card_fleet.errors import ImportRefused
from card_fleet.model import TerminalState
from card_fleet.registry import SqlTerminalRegistry, TerminalEventKind
from core.errors import StoreError
from core.state.db import open_state_engine
from tests.unit.card_fleet.registry_scenarios import (
    PSAM_1,
    PSAM_2,
    REGIONS,
    T0,
    engine_on_a_copy,
    in_state,
    migrated_template,
    register,
)

_S = TerminalState
_K = TerminalEventKind
LATER = T0 + timedelta(hours=1)


@pytest.fixture(scope="module")
def migrated_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def engine(migrated_file: Path, tmp_path: Path) -> Iterator[Engine]:
    engine = engine_on_a_copy(migrated_file, tmp_path)
    yield engine
    engine.dispose()


@pytest.fixture
def registry(engine: Engine) -> SqlTerminalRegistry:
    return SqlTerminalRegistry(engine, REGIONS)


# ---------------------------------------------------------------------------- versions


def test_versions_are_recorded_with_an_event_only_when_they_change(
    engine: Engine, registry: SqlTerminalRegistry
) -> None:
    a, b = in_state(registry, _S.ACTIVE, "A"), in_state(registry, _S.ACTIVE, "B")
    commits: list[object] = []
    event.listen(engine, "commit", commits.append)
    registry.record_versions(
        {a.id: ("FW2", "P2"), b.id: ("FW1", "P1"), "T-gone": ("X", "Y")}, LATER
    )
    registry.record_versions({a.id: ("FW2", "P2"), b.id: ("FW1", "P1")}, LATER)
    registry.record_versions({a.id: ("FW2", "P" * 65)}, LATER)  # too long: skipped
    registry.record_versions({}, LATER)
    assert len(commits) == 2  # one per call that had something to read; none for the rest
    assert (registry.get(a.id).firmware_version, registry.get(a.id).parameter_version) == (
        "FW2",
        "P2",
    )
    kinds = {t: [e.kind for e in registry.history(t)] for t in (a.id, b.id)}
    assert kinds[a.id].count(_K.VERSIONS_CHANGED) == 1
    assert kinds[b.id].count(_K.VERSIONS_CHANGED) == 1  # None → FW1 is a change too
    assert registry.history(a.id)[-1].detail == "firmware (none) → FW2, parameters (none) → P2"


# ---------------------------------------------------------------------------- CSV import

CSV = (
    "serial,model,kind,site,county,id\n"
    "SN-1,YT-K9,kiosk,越秀区社保局,440103,\n"
    "SN-2,YT-K9,atm,越秀区社保局,440103,\n"
    "SN-3,CR-2,counter,海珠区社保局,440104,\n"
    "SN-1,CR-2,counter,海珠区社保局,440104,\n"
    "SN-4,HP-1,hospital,南山医院,440199,\n"
    "SN-5,HP-1,hospital,南山医院,440305,T440103-0001\n"
    "SN-6,PH-1,pharmacy,大药房,440103,\n"
)


def test_import_registers_the_good_rows_and_names_the_bad(registry: SqlTerminalRegistry) -> None:
    register(registry, "OLD-1")
    register(registry, "SN-6", county="440305")
    result = registry.import_csv(CSV.encode("utf-8-sig"), by="clerk", now=LATER)
    assert [(t.id, t.serial, t.county) for t in result.added] == [
        ("T440103-0002", "SN-1", "440103"),
        ("T440104-0001", "SN-3", "440104"),
    ]
    assert [str(error) for error in result.errors] == [
        "line 3, kind: unknown kind 'atm' (one of kiosk, counter, hospital, pharmacy)",
        "line 5, serial: 'SN-1' is already on line 2",
        "line 6, county: unknown county 440199",
        "line 7, id: terminal T440103-0001 is already registered",
        "line 8, serial: 'SN-6' is already registered as terminal T440305-0001",
    ]
    first_event = registry.history("T440103-0002")[0]
    assert (first_event.kind, first_event.by, first_event.at) == (_K.REGISTERED, "clerk", LATER)
    assert (first_event.reason, first_event.detail) == ("CSV import", "line 2")


def test_importing_the_same_file_twice_stores_nothing_twice(registry: SqlTerminalRegistry) -> None:
    first = registry.import_csv(CSV, by="clerk", now=T0)
    again = registry.import_csv(CSV, by="clerk", now=LATER)
    assert again.added == ()
    assert len(registry.list()) == len(first.added) == 4
    assert {e.line for e in again.errors} == {2, 3, 4, 5, 6, 7, 8}


def test_gbk_and_a_refused_file(registry: SqlTerminalRegistry) -> None:
    result = registry.import_csv(CSV.encode("gbk"), by="clerk", now=T0)
    assert [t.site for t in result.added][:1] == ["越秀区社保局"]
    with pytest.raises(ImportRefused, match=r"required column.s. missing: county"):
        registry.import_csv("serial,model,kind,site\nX,M,kiosk,S\n", by="clerk", now=T0)
    assert len(registry.list()) == 4


# ---------------------------------------------------------------------------- broken database


def refuse_events(engine: Engine, when: str = "1") -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TRIGGER events_full BEFORE INSERT ON terminal_events "
                f"WHEN {when} BEGIN SELECT RAISE(ABORT, 'events are full'); END"
            )
        )


def test_a_change_and_its_event_are_one_transaction(
    engine: Engine, registry: SqlTerminalRegistry
) -> None:
    terminal = register(registry, "A")
    token = registry.bind_and_issue(terminal.id, PSAM_1, by="tech", now=T0)
    index = registry.credentials()
    refuse_events(engine)
    with pytest.raises(StoreError) as caught:
        registry.move(terminal.id, _S.LOST, by="ops", reason="", now=LATER)
    assert str(caught.value) == (
        f"terminal registry: moving terminal {terminal.id} to lost failed: events are full"
    )
    assert registry.get(terminal.id).state is _S.PROVISIONED
    assert index.authenticate(token).id == terminal.id  # nothing committed, nothing forgotten
    with pytest.raises(StoreError, match=f"^terminal registry: binding PSAM {PSAM_2} to terminal"):
        registry.bind_and_issue(register_without_events(engine, "B"), PSAM_2, by="t", now=T0)


def register_without_events(engine: Engine, serial: str) -> str:
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO terminals (id, serial, model, kind, site, county, city, state, "
                "registered_at, updated_at) VALUES (:id, :serial, 'M', 'kiosk', 'S', '440103', "
                "'440100', 'registered', :now, :now)"
            ),
            {"id": f"T-{serial}", "serial": serial, "now": T0.isoformat()},
        )
    return f"T-{serial}"


def test_an_import_goes_in_whole_or_not_at_all(
    engine: Engine, registry: SqlTerminalRegistry
) -> None:
    refuse_events(engine, "NEW.terminal_id = 'T440104-0001'")
    with pytest.raises(
        StoreError, match=r"^terminal registry: importing 4 terminals failed: events"
    ):
        registry.import_csv(CSV, by="clerk", now=T0)
    assert registry.list() == []


def test_a_database_without_the_tables_names_the_step(tmp_path: Path) -> None:
    engine = open_state_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        registry = SqlTerminalRegistry(engine, REGIONS)
        with pytest.raises(
            StoreError, match=r"^terminal registry: reading terminal T1 failed: no such table"
        ):
            registry.get("T1")
        with pytest.raises(StoreError, match=r"^terminal registry: loading credentials failed"):
            registry.credentials()
        with pytest.raises(
            StoreError, match=r"^terminal registry: recording the versions of 1 terminals"
        ):
            registry.record_versions({"T1": ("a", "b")}, T0)
    finally:
        engine.dispose()
