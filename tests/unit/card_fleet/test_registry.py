"""The terminal registry on SQLite: registration and ids, the state machine (every allowed and
refused move), PSAM binding (happy, bound elsewhere, wrong state, race), credentials through
the index, lost/retired/released, and history. Versions, CSV imports and a broken database
are in test_registry_transactions.py."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from itertools import product
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, MetaData

import core.state.terminal_tables  # noqa: F401  (until migrations/env.py imports it)
from card_fleet.credentials import CredentialRefused
from card_fleet.errors import FleetError, PsamAlreadyBound, TransitionRefused
from card_fleet.model import ALLOWED_TRANSITIONS, TerminalState, can_move
from card_fleet.registry import SqlTerminalRegistry, TerminalEventKind
from core.errors import NotFound
from core.state.db import open_state_engine
from core.state.terminal_tables import TerminalEventRow, TerminalRow
from tests.unit.card_fleet.registry_scenarios import (
    PSAM_1,
    PSAM_2,
    REGIONS,
    T0,
    engine_on_a_copy,
    in_state,
    just_before_binding,
    migrated_template,
    register,
    run_life_scenario,
    run_psam_race,
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
def other_engine(engine: Engine, tmp_path: Path) -> Iterator[Engine]:
    """The same database through another engine: another process, or another station."""
    other = open_state_engine(f"sqlite:///{tmp_path / 'state.db'}")
    yield other
    other.dispose()


@pytest.fixture
def registry(engine: Engine) -> SqlTerminalRegistry:
    return SqlTerminalRegistry(engine, REGIONS)


def test_migration_0008_creates_exactly_the_declared_tables(engine: Engine) -> None:
    rows = (TerminalRow, TerminalEventRow)
    ours = MetaData(naming_convention=TerminalRow.metadata.naming_convention)
    for row in rows:
        row.__table__.to_metadata(ours)  # type: ignore[attr-defined]
    names = {row.__tablename__ for row in rows}
    with engine.connect() as connection:
        diffs = [
            diff
            for diff in compare_metadata(MigrationContext.configure(connection), ours)
            if diff[0] != "remove_table"  # every other table of the state DB
            and not (diff[0] == "remove_index" and diff[1].table.name not in names)
        ]
    assert diffs == []


def test_a_whole_life_on_sqlite(registry: SqlTerminalRegistry, other_engine: Engine) -> None:
    run_life_scenario(registry, SqlTerminalRegistry(other_engine, REGIONS))


# ---------------------------------------------------------------------------- registering


def test_ids_count_up_per_county_unless_given(registry: SqlTerminalRegistry) -> None:
    ids = [
        register(registry, "A").id,
        register(registry, "B").id,
        register(registry, "C", county="440305").id,
        register(registry, "D", terminal_id="T440103-0010").id,
        register(registry, "E").id,
        register(registry, "F", terminal_id="kiosk_7").id,
    ]
    assert ids == [
        "T440103-0001",
        "T440103-0002",
        "T440305-0001",
        "T440103-0010",
        "T440103-0011",
        "kiosk_7",
    ]
    terminal = registry.get("T440305-0001")
    assert (terminal.county, terminal.city, terminal.state) == ("440305", "440300", _S.REGISTERED)
    assert (terminal.registered_at, terminal.has_credential) == (T0, False)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"county": "440100"}, "county: unknown county 440100"),
        ({"county": "440199"}, "county: unknown county 440199"),
        ({"serial": "  "}, "serial: missing"),
        ({"terminal_id": "T 1"}, "id: 'T 1' may hold only"),
        ({"serial": "A"}, "serial: 'A' is already registered as terminal T440103-0001"),
        ({"terminal_id": "T440103-0001"}, "id: terminal T440103-0001 is already registered"),
    ],
)
def test_registration_refusals_say_why(
    registry: SqlTerminalRegistry, extra: dict[str, str], message: str
) -> None:
    register(registry, "A")
    serial = extra.pop("serial", "B")
    with pytest.raises(FleetError, match=message):
        register(registry, serial, **extra)
    assert [t.serial for t in registry.list()] == ["A"]


def test_get_list_and_history_of_what_is_not_there(registry: SqlTerminalRegistry) -> None:
    with pytest.raises(NotFound, match="no terminal T9"):
        registry.get("T9")
    with pytest.raises(NotFound):
        registry.history("T9")
    assert registry.list() == []
    assert registry.find_by_psam(PSAM_1) is None


def test_list_filters_by_counties_and_state(registry: SqlTerminalRegistry) -> None:
    a, b = register(registry, "A"), register(registry, "B", county="440104")
    c = register(registry, "C", county="440305")
    registry.move(b.id, _S.RETIRED, by="ops", reason="", now=T0)
    assert [t.id for t in registry.list()] == sorted([a.id, b.id, c.id])
    assert [t.id for t in registry.list(counties={"440103", "440104"})] == [a.id, b.id]
    assert [t.id for t in registry.list(counties=["440104"], state=_S.RETIRED)] == [b.id]
    assert [t.id for t in registry.list(state=_S.REGISTERED)] == [a.id, c.id]
    assert registry.list(counties=[]) == []


# ---------------------------------------------------------------------------- state machine

MOVES = list(product(_S, _S))


@pytest.mark.parametrize(("before", "to"), MOVES, ids=[f"{b}-{t}" for b, t in MOVES])
def test_move_follows_the_state_machine(
    registry: SqlTerminalRegistry, before: TerminalState, to: TerminalState
) -> None:
    terminal = in_state(registry, before, "M-1")
    assert terminal.state is before
    events_before = registry.history(terminal.id)
    dedicated = (before, to) in {(_S.REGISTERED, _S.PROVISIONED), (_S.PROVISIONED, _S.ACTIVE)}
    if can_move(before, to) and not dedicated:
        moved = registry.move(terminal.id, to, by="ops", reason="why", now=LATER)
        assert (moved.state, moved.updated_at) == (to, LATER)
        last = registry.history(terminal.id)[-1]
        assert (last.before, last.after, last.by, last.reason, last.at) == (
            before,
            to,
            "ops",
            "why",
            LATER,
        )
    else:
        with pytest.raises(TransitionRefused, match=f"is {before}: it cannot become {to}"):
            registry.move(terminal.id, to, by="ops", reason="why", now=LATER)
        assert registry.get(terminal.id) == terminal
        assert registry.history(terminal.id) == events_before


def test_the_table_of_moves_is_the_models(registry: SqlTerminalRegistry) -> None:
    assert ALLOWED_TRANSITIONS[_S.RETIRED] == frozenset()
    with pytest.raises(
        TransitionRefused, match=r"\(a terminal is provisioned by binding its PSAM\)"
    ):
        registry.move(register(registry, "A").id, _S.PROVISIONED, by="ops", reason="", now=T0)


# ---------------------------------------------------------------------------- binding


def test_bind_and_issue_binds_provisions_and_issues_once(registry: SqlTerminalRegistry) -> None:
    terminal = register(registry, "A")
    token = registry.bind_and_issue(terminal.id, f" {PSAM_1} ", by="tech", now=LATER)
    bound = registry.get(terminal.id)
    assert (bound.state, bound.psam_terminal_number, bound.has_credential) == (
        _S.PROVISIONED,
        PSAM_1,
        True,
    )
    assert registry.find_by_psam(PSAM_1) == bound
    assert registry.credentials().authenticate(token).id == terminal.id
    assert token not in repr(bound)


def test_a_psam_bound_elsewhere_is_refused_naming_the_holder(
    registry: SqlTerminalRegistry,
) -> None:
    first, second = register(registry, "A"), register(registry, "B")
    registry.bind_and_issue(first.id, PSAM_1, by="tech", now=T0)
    with pytest.raises(
        PsamAlreadyBound, match=f"PSAM {PSAM_1} is already bound to terminal {first.id}"
    ):
        registry.bind_and_issue(second.id, PSAM_1, by="tech", now=T0)
    assert registry.get(second.id).state is _S.REGISTERED
    assert [e.kind for e in registry.history(second.id)] == [_K.REGISTERED]


@pytest.mark.parametrize("state", [_S.PROVISIONED, _S.ACTIVE, _S.SUSPENDED, _S.LOST, _S.RETIRED])
def test_only_a_registered_terminal_is_bound(
    registry: SqlTerminalRegistry, state: TerminalState
) -> None:
    terminal = in_state(registry, state, "A")
    with pytest.raises(TransitionRefused, match=f"is {state}: only a registered terminal"):
        registry.bind_and_issue(terminal.id, PSAM_2, by="tech", now=T0)
    assert registry.get(terminal.id) == terminal


@pytest.mark.parametrize("number", ["", "44010000000", "4401000000011", "44010000000F"])
def test_a_psam_number_must_be_12_digits(registry: SqlTerminalRegistry, number: str) -> None:
    with pytest.raises(FleetError, match="is not 12 decimal digits"):
        registry.bind_and_issue(register(registry, "A").id, number, by="tech", now=T0)


def test_two_stations_racing_for_one_psam(
    engine: Engine, registry: SqlTerminalRegistry, other_engine: Engine
) -> None:
    run_psam_race(engine, registry, SqlTerminalRegistry(other_engine, REGIONS))


def test_a_change_made_meanwhile_is_not_overwritten(
    engine: Engine, registry: SqlTerminalRegistry, other_engine: Engine
) -> None:
    terminal = in_state(registry, _S.ACTIVE, "A")
    other = SqlTerminalRegistry(other_engine, REGIONS)
    with (
        just_before_binding(
            engine, lambda: other.move(terminal.id, _S.LOST, by="security", reason="", now=T0)
        ),
        pytest.raises(FleetError, match="was changed by someone else at the same moment"),
    ):
        registry.move(terminal.id, _S.SUSPENDED, by="ops", reason="", now=LATER)
    assert registry.get(terminal.id).state is _S.LOST
    assert [e.kind for e in registry.history(terminal.id)][-1] is _K.LOST


# ---------------------------------------------------------------------------- lost, retired


def test_lost_revokes_at_once_and_keeps_the_binding(registry: SqlTerminalRegistry) -> None:
    terminal = register(registry, "A")
    token = registry.bind_and_issue(terminal.id, PSAM_1, by="tech", now=T0)
    index = registry.credentials()
    registry.move(terminal.id, _S.LOST, by="ops", reason="stolen", now=LATER)
    with pytest.raises(CredentialRefused) as caught:
        index.authenticate(token)
    assert caught.value.refusal == "the terminal holds no credential (revoked)"
    assert registry.find_by_psam(PSAM_1) == registry.get(terminal.id)
    replacement = register(registry, "B")
    with pytest.raises(PsamAlreadyBound, match=terminal.id):
        registry.bind_and_issue(replacement.id, PSAM_1, by="tech", now=LATER)
    with pytest.raises(FleetError, match="holds no credential"):
        registry.reissue_credential(terminal.id, by="ops", now=LATER)


def test_release_psam_frees_a_lost_terminals_psam(registry: SqlTerminalRegistry) -> None:
    terminal = register(registry, "A")
    registry.bind_and_issue(terminal.id, PSAM_1, by="tech", now=T0)
    with pytest.raises(FleetError, match="is provisioned: only a lost terminal's PSAM"):
        registry.release_psam(terminal.id, by="security", reason="", now=LATER)
    registry.move(terminal.id, _S.LOST, by="ops", reason="stolen", now=LATER)
    released = registry.release_psam(terminal.id, by="security", reason="found", now=LATER)
    assert (released.state, released.psam_terminal_number) == (_S.LOST, None)
    last = registry.history(terminal.id)[-1]
    assert (last.kind, last.by, last.reason, last.detail) == (
        _K.PSAM_RELEASED,
        "security",
        "found",
        f"PSAM {PSAM_1} released",
    )
    with pytest.raises(FleetError, match="holds no PSAM binding"):
        registry.release_psam(terminal.id, by="security", reason="", now=LATER)
    registry.bind_and_issue(register(registry, "B").id, PSAM_1, by="tech", now=LATER)


@pytest.mark.parametrize("before", [_S.ACTIVE, _S.LOST])
def test_retiring_revokes_and_releases(
    registry: SqlTerminalRegistry, before: TerminalState
) -> None:
    terminal = register(registry, "A")
    token = registry.bind_and_issue(terminal.id, PSAM_1, by="tech", now=T0)
    registry.activate_on_first_heartbeat(terminal.id, T0)
    if before is _S.LOST:
        registry.move(terminal.id, _S.LOST, by="ops", reason="", now=T0)
    index = registry.credentials()
    retired = registry.move(terminal.id, _S.RETIRED, by="ops", reason="old", now=LATER)
    assert (retired.psam_terminal_number, retired.has_credential) == (None, False)
    assert registry.find_by_psam(PSAM_1) is None
    with pytest.raises(CredentialRefused):
        index.authenticate(token)
    assert registry.history(terminal.id)[-1].detail == (
        f"credential revoked; PSAM {PSAM_1} released"
        if before is _S.ACTIVE
        else f"PSAM {PSAM_1} released"
    )


# ---------------------------------------------------------------------------- credentials


def test_suspended_keeps_its_credential_but_is_refused(registry: SqlTerminalRegistry) -> None:
    terminal = register(registry, "A")
    token = registry.bind_and_issue(terminal.id, PSAM_1, by="tech", now=T0)
    index = registry.credentials()
    assert registry.move(terminal.id, _S.SUSPENDED, by="ops", reason="", now=T0).has_credential
    with pytest.raises(CredentialRefused, match="refused") as caught:
        index.authenticate(token)
    assert caught.value.refusal == "the terminal is suspended"
    registry.move(terminal.id, _S.ACTIVE, by="ops", reason="", now=T0)
    assert index.authenticate(token).state is _S.ACTIVE


def test_reissue_replaces_the_credential_at_once(registry: SqlTerminalRegistry) -> None:
    terminal = register(registry, "A")
    with pytest.raises(FleetError, match="is registered and holds no credential"):
        registry.reissue_credential(terminal.id, by="ops", now=T0)
    old = registry.bind_and_issue(terminal.id, PSAM_1, by="tech", now=T0)
    index = registry.credentials()
    new = registry.reissue_credential(terminal.id, by="ops", now=LATER)
    assert new != old
    with pytest.raises(CredentialRefused):
        index.authenticate(old)
    assert index.authenticate(new).id == terminal.id
    assert registry.reload_credentials().authenticate(new).id == terminal.id


def test_activation_on_the_first_heartbeat(registry: SqlTerminalRegistry) -> None:
    terminal = register(registry, "A")
    with pytest.raises(TransitionRefused, match="is registered: it cannot become active"):
        registry.activate_on_first_heartbeat(terminal.id, T0)
    token = registry.bind_and_issue(terminal.id, PSAM_1, by="tech", now=T0)
    index = registry.credentials()
    assert index.authenticate(token).state is _S.PROVISIONED
    active = registry.activate_on_first_heartbeat(terminal.id, LATER)
    assert active is not None
    assert (active.state, active.updated_at) == (_S.ACTIVE, LATER)
    assert index.authenticate(token).state is _S.ACTIVE
    assert registry.activate_on_first_heartbeat(terminal.id, LATER) is None
    assert [e.kind for e in registry.history(terminal.id)].count(_K.ACTIVATED) == 1


def test_no_token_is_ever_logged(
    registry: SqlTerminalRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    terminal = register(registry, "A")
    tokens = [registry.bind_and_issue(terminal.id, PSAM_1, by="tech", now=T0)]
    tokens.append(registry.reissue_credential(terminal.id, by="ops", now=T0))
    registry.move(terminal.id, _S.LOST, by="ops", reason="", now=T0)
    for token in tokens:
        with pytest.raises(CredentialRefused) as caught:
            registry.credentials().authenticate(token)
        assert token[-43:] not in caplog.text + repr(caught.value) + str(caught.value)
        assert token[-43:] not in repr(registry.credentials())


def test_placements_are_the_lists_four_columns(registry: SqlTerminalRegistry) -> None:
    register(registry, "SN-P1")
    register(registry, "SN-P2", county="440305")
    assert registry.placements() == [(t.id, t.county, t.city, t.state) for t in registry.list()]
    assert [city for _, _, city, _ in registry.placements()] == ["440100", "440300"]
