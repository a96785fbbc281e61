"""Registry scenarios run on SQLite (unit tests) and on PostgreSQL (integration tests)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from card_fleet.credentials import CredentialRefused
from card_fleet.errors import PsamAlreadyBound
from card_fleet.model import Terminal, TerminalKind, TerminalState
from card_fleet.registry import SqlTerminalRegistry, TerminalEventKind
from core.state.db import migrate_to_head, open_state_engine

REGIONS = {"440103": "440100", "440104": "440100", "440305": "440300"}
"""County → city, as the registry is given it."""
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
PSAM_1 = "440100000001"
PSAM_2 = "440100000002"
_S = TerminalState
_PSAM_NUMBERS = count(1)
_K = TerminalEventKind


def migrated_template(folder: Path) -> Path:
    """A migrated SQLite state DB in ``folder``, to be copied for each test (migrating costs a
    fifth of a second; copying a file, nothing)."""
    path = folder / "state.db"
    engine = open_state_engine(f"sqlite:///{path}")
    migrate_to_head(engine)
    engine.dispose()  # the last connection folds the WAL back into the file
    return path


def engine_on_a_copy(template: Path, folder: Path) -> Engine:
    """An engine on a fresh copy of ``template`` at ``folder/state.db``."""
    shutil.copyfile(template, folder / "state.db")
    return open_state_engine(f"sqlite:///{folder / 'state.db'}")


def register(
    registry: SqlTerminalRegistry, serial: str, county: str = "440103", **extra: Any
) -> Terminal:
    return registry.register(
        serial=serial,
        model="YT-K9",
        kind=TerminalKind.KIOSK,
        site="越秀区社保局一楼大厅",
        county=county,
        by="clerk",
        now=T0,
        **extra,
    )


def in_state(registry: SqlTerminalRegistry, state: TerminalState, serial: str) -> Terminal:
    """A terminal brought to ``state`` the way the real world does it."""
    terminal = register(registry, serial)
    if state in (_S.LOST, _S.RETIRED):
        return registry.move(terminal.id, state, by="ops", reason="", now=T0)
    if state is _S.REGISTERED:
        return terminal
    psam = f"44019{next(_PSAM_NUMBERS):07d}"  # never PSAM_1 or PSAM_2
    registry.bind_and_issue(terminal.id, psam, by="tech", now=T0)
    if state is _S.PROVISIONED:
        return registry.get(terminal.id)
    registry.activate_on_first_heartbeat(terminal.id, T0)
    if state is _S.SUSPENDED:
        return registry.move(terminal.id, _S.SUSPENDED, by="ops", reason="", now=T0)
    return registry.get(terminal.id)


@contextmanager
def just_before_binding(engine: Engine, meanwhile: Any) -> Iterator[list[str]]:
    """Calls ``meanwhile()`` once, right before the first UPDATE of ``terminals`` on
    ``engine`` is sent: what another station or person does in that very instant."""
    done: list[str] = []

    def before_update(*args: Any) -> None:
        statement = str(args[2])
        if not done and statement.lstrip().upper().startswith("UPDATE TERMINALS"):
            done.append(statement)
            meanwhile()

    event.listen(engine, "before_cursor_execute", before_update)
    try:
        yield done
    finally:
        event.remove(engine, "before_cursor_execute", before_update)


def run_psam_race(engine: Engine, station: SqlTerminalRegistry, rival: SqlTerminalRegistry) -> None:
    """Two stations bind one PSAM in the same instant: the unique constraint decides, and the
    loser hears PsamAlreadyBound naming the winner, with nothing of its own written."""
    ours = register(station, "RACE-1")
    theirs = register(station, "RACE-2")
    with (
        just_before_binding(
            engine, lambda: rival.bind_and_issue(theirs.id, PSAM_2, by="station-2", now=T0)
        ) as raced,
        pytest.raises(PsamAlreadyBound) as caught,
    ):
        station.bind_and_issue(ours.id, PSAM_2, by="station-1", now=T0)
    assert raced, "the rival did not run inside the binding"
    assert (caught.value.psam_terminal_number, caught.value.bound_to) == (PSAM_2, theirs.id)
    assert station.get(ours.id).state is _S.REGISTERED
    assert station.get(ours.id).psam_terminal_number is None
    assert [e.kind for e in station.history(ours.id)] == [_K.REGISTERED]
    assert station.find_by_psam(PSAM_2) == station.get(theirs.id)


def run_life_scenario(registry: SqlTerminalRegistry, restarted: SqlTerminalRegistry) -> None:
    """A terminal's whole life; ``restarted`` is the same database seen by another process."""
    terminal = register(registry, "LIFE-1", firmware_version="FW1.0", parameter_version="P1")
    assert (terminal.id, terminal.city, terminal.state) == ("T440103-0001", "440100", _S.REGISTERED)
    index = registry.credentials()

    token = registry.bind_and_issue(terminal.id, PSAM_1, by="tech", now=T0 + timedelta(minutes=1))
    assert index.authenticate(token).state is _S.PROVISIONED
    assert restarted.credentials().authenticate(token).id == terminal.id  # loaded from the DB

    active = registry.activate_on_first_heartbeat(terminal.id, T0 + timedelta(minutes=2))
    assert active is not None
    assert active.state is _S.ACTIVE
    assert registry.activate_on_first_heartbeat(terminal.id, T0 + timedelta(minutes=3)) is None
    assert index.authenticate(token).state is _S.ACTIVE

    registry.record_versions({terminal.id: ("FW1.0", "P1")}, T0 + timedelta(minutes=4))
    registry.record_versions({terminal.id: ("FW1.1", "P1")}, T0 + timedelta(minutes=5))

    registry.move(
        terminal.id, _S.SUSPENDED, by="ops", reason="moved site", now=T0 + timedelta(minutes=6)
    )
    with pytest.raises(CredentialRefused):
        index.authenticate(token)
    registry.move(terminal.id, _S.ACTIVE, by="ops", reason="back", now=T0 + timedelta(minutes=7))
    assert index.authenticate(token).state is _S.ACTIVE

    new_token = registry.reissue_credential(terminal.id, by="ops", now=T0 + timedelta(minutes=8))
    with pytest.raises(CredentialRefused):
        index.authenticate(token)
    assert index.authenticate(new_token).id == terminal.id

    lost = registry.move(
        terminal.id, _S.LOST, by="ops", reason="stolen", now=T0 + timedelta(minutes=9)
    )
    assert (lost.psam_terminal_number, lost.has_credential) == (PSAM_1, False)
    with pytest.raises(CredentialRefused):
        index.authenticate(new_token)
    assert restarted.reload_credentials() is restarted.credentials()
    with pytest.raises(CredentialRefused):
        restarted.credentials().authenticate(new_token)

    released = registry.release_psam(
        terminal.id, by="security", reason="PSAM recovered", now=T0 + timedelta(minutes=10)
    )
    assert released.psam_terminal_number is None
    retired = registry.move(
        terminal.id, _S.RETIRED, by="ops", reason="written off", now=T0 + timedelta(minutes=11)
    )
    assert retired.state is _S.RETIRED

    history = restarted.history(terminal.id)
    assert [(e.kind, e.before, e.after, e.by) for e in history] == [
        (_K.REGISTERED, None, _S.REGISTERED, "clerk"),
        (_K.PROVISIONED, _S.REGISTERED, _S.PROVISIONED, "tech"),
        (_K.ACTIVATED, _S.PROVISIONED, _S.ACTIVE, f"terminal {terminal.id}"),
        (_K.VERSIONS_CHANGED, _S.ACTIVE, _S.ACTIVE, f"terminal {terminal.id}"),
        (_K.SUSPENDED, _S.ACTIVE, _S.SUSPENDED, "ops"),
        (_K.RESUMED, _S.SUSPENDED, _S.ACTIVE, "ops"),
        (_K.CREDENTIAL_REISSUED, _S.ACTIVE, _S.ACTIVE, "ops"),
        (_K.LOST, _S.ACTIVE, _S.LOST, "ops"),
        (_K.PSAM_RELEASED, _S.LOST, _S.LOST, "security"),
        (_K.RETIRED, _S.LOST, _S.RETIRED, "ops"),
    ]
    assert [e.at for e in history] == [
        T0 + timedelta(minutes=m) for m in (0, 1, 2, 5, 6, 7, 8, 9, 10, 11)
    ]
    assert history[1].detail == f"PSAM {PSAM_1} bound; credential issued"
    assert history[3].detail == "firmware FW1.0 → FW1.1, parameters P1 → P1"
    assert (history[7].reason, history[7].detail) == ("stolen", "credential revoked")
    assert all(token not in repr(e) and new_token not in repr(e) for e in history)
    assert restarted.get(terminal.id) == retired
    assert retired.updated_at == T0 + timedelta(minutes=11)
    assert retired.firmware_version == "FW1.1"
