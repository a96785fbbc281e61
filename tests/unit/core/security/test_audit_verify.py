"""Verifying the chain: a clean trail verifies; every kind of tampering is found and named.

Each tampering is done as someone with write access to the database would do it: directly in
SQL, behind the trail's back. ``TAMPERINGS`` is also run against PostgreSQL
(tests/integration/core/test_audit_postgres.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select, text, update

from core.clock import FakeClock
from core.errors import StoreError
from core.security import audit_verify
from core.security.audit_record import (
    GENESIS_HASH,
    RECORD_COLUMNS,
    hash_at_seq,
    iter_rows,
    record_hash,
)
from core.security.audit_trail import AuditEvent, AuditOutcome, AuditTrail
from core.security.audit_verify import AuditVerification, ChainProblem
from core.state.tables import AuditRecordRow
from tests.unit.core.security.test_audit_trail import T0, sqlite_engine, write_trail

Tampering = Callable[[Engine], None]


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = sqlite_engine(tmp_path)
    yield engine
    engine.dispose()


# ------------------------------------------------------------------------ tampering in SQL


def sql(engine: Engine, statement: str, **params: object) -> None:
    with engine.begin() as conn:
        conn.execute(text(statement), params)


def rehash(engine: Engine, seq: int) -> str:
    """Recompute record ``seq``'s hash from its (edited) content and store it — as a forger
    would — without touching the record after it; returns the new hash."""
    with engine.connect() as conn:
        row = conn.execute(select(*RECORD_COLUMNS).where(AuditRecordRow.seq == seq)).one()
    digest = hash_at_seq(row, seq)
    sql(engine, "UPDATE audit_log SET hash = :hash WHERE seq = :seq", hash=digest, seq=seq)
    return digest


def rechain_from(engine: Engine, seq: int) -> None:
    """Rewrite every link and hash from ``seq`` on and the head, so the links all hold again."""
    with engine.connect() as conn:
        last = conn.execute(text("SELECT max(seq) FROM audit_log")).scalar_one()
        prev = conn.execute(
            text("SELECT hash FROM audit_log WHERE seq < :seq ORDER BY seq DESC LIMIT 1"),
            {"seq": seq},
        ).scalar_one()
    for current in range(seq, last + 1):
        sql(engine, "UPDATE audit_log SET prev_hash = :p WHERE seq = :s", p=prev, s=current)
        prev = rehash(engine, current)
    sql(engine, "UPDATE audit_head SET last_hash = :h", h=prev)


def set_time(engine: Engine, seq: int, at: datetime) -> None:
    """Change a record's time (through the column type, so each database stores it its way)."""
    with engine.begin() as conn:
        conn.execute(update(AuditRecordRow).where(AuditRecordRow.seq == seq).values(at=at))


def swap_seq(engine: Engine, first: int, second: int) -> None:
    # Through a free number: PostgreSQL checks the primary key row by row.
    sql(engine, "UPDATE audit_log SET seq = -1 WHERE seq = :a", a=first)
    sql(engine, "UPDATE audit_log SET seq = :a WHERE seq = :b", a=first, b=second)
    sql(engine, "UPDATE audit_log SET seq = :b WHERE seq = -1", b=second)


def edit_actor_of_4(engine: Engine) -> None:
    sql(engine, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 4")


def edit_before_state_of_3(engine: Engine) -> None:
    sql(engine, 'UPDATE audit_log SET before = \'{"description":"forged"}\' WHERE seq = 3')


def edit_outcome_of_2(engine: Engine) -> None:
    sql(engine, "UPDATE audit_log SET outcome = 'ok' WHERE seq = 2")


def delete_4(engine: Engine) -> None:
    sql(engine, "DELETE FROM audit_log WHERE seq = 4")


def delete_4_to_6_and_relink(engine: Engine) -> None:
    sql(engine, "DELETE FROM audit_log WHERE seq BETWEEN 4 AND 6")
    rechain_from(engine, 7)  # not enough: the sequence numbers still have a gap


def swap_4_and_5(engine: Engine) -> None:
    swap_seq(engine, 4, 5)


def swap_3_and_8(engine: Engine) -> None:
    swap_seq(engine, 3, 8)


def delete_the_last_record(engine: Engine) -> None:
    sql(engine, "DELETE FROM audit_log WHERE seq = 10")


def edit_4_and_rehash_it(engine: Engine) -> None:
    sql(engine, "UPDATE audit_log SET detail = 'nothing to see' WHERE seq = 4")
    rehash(engine, 4)


def append_a_record_behind_the_head(engine: Engine) -> None:
    # A well-formed record linking to record 10, written without going through the head.
    with engine.connect() as conn:
        last_hash = conn.execute(text("SELECT hash FROM audit_log WHERE seq = 10")).scalar_one()
    at = T0 + timedelta(hours=1)
    digest = record_hash(
        seq=11,
        at=at,
        actor="mallory",
        client=None,
        action="login",
        target=None,
        region_code=None,
        outcome="ok",
        detail=None,
        before_json=None,
        after_json=None,
        prev_hash=last_hash,
    )
    with engine.begin() as conn:
        conn.execute(
            insert(AuditRecordRow).values(
                seq=11,
                at=at,
                actor="mallory",
                action="login",
                outcome="ok",
                prev_hash=last_hash,
                hash=digest,
            )
        )


def rewrite_the_head_hash(engine: Engine) -> None:
    sql(engine, "UPDATE audit_head SET last_hash = :h", h="f" * 64)


def move_record_5_before_4_and_rewrite_the_chain(engine: Engine) -> None:
    set_time(engine, 5, T0)
    rechain_from(engine, 5)


TAMPERINGS: dict[str, tuple[Tampering, list[tuple[int, str]]]] = {
    "edit a field": (edit_actor_of_4, [(4, "edited")]),
    "edit the state before": (edit_before_state_of_3, [(3, "edited")]),
    "turn a denial into success": (edit_outcome_of_2, [(2, "edited")]),
    "delete a record": (delete_4, [(4, "deleted")]),
    "delete records and relink": (delete_4_to_6_and_relink, [(4, "deleted")]),
    "swap neighbours": (swap_4_and_5, [(4, "reordered"), (5, "reordered")]),
    "swap distant records": (swap_3_and_8, [(3, "reordered"), (8, "reordered")]),
    "delete the last record": (delete_the_last_record, [(10, "deleted")]),
    "edit and rehash": (edit_4_and_rehash_it, [(5, "relinked")]),
    "insert behind the head": (append_a_record_behind_the_head, [(11, "inserted")]),
    "rewrite the head": (rewrite_the_head_hash, [(10, "head")]),
    "rewrite time and chain": (move_record_5_before_4_and_rewrite_the_chain, [(5, "reordered")]),
}
"""Each tampering of a fresh ten-record trail, and the (seq, kind) problems it must show."""


def run_clean_chain_scenario(engine: Engine) -> None:
    trail, _, _ = write_trail(engine)
    verification = trail.verify()
    assert verification == AuditVerification(
        ok=True, checked=10, first_seq=1, last_seq=10, problems=()
    )


def run_tampering(engine: Engine, name: str) -> AuditVerification:
    tamper, expected = TAMPERINGS[name]
    trail, _, _ = write_trail(engine)
    tamper(engine)
    verification = trail.verify()
    found = [(p.seq, p.kind) for p in verification.problems]
    assert found == expected, [p.message for p in verification.problems]
    assert not verification.ok
    return verification


def messages(verification: AuditVerification) -> list[str]:
    return [p.message for p in verification.problems]


# ------------------------------------------------------------------------------ on SQLite


def test_a_clean_chain_verifies(engine: Engine) -> None:
    run_clean_chain_scenario(engine)


def test_an_empty_trail_verifies(engine: Engine) -> None:
    verification = AuditTrail(engine, FakeClock(T0)).verify()
    assert verification == AuditVerification(
        ok=True, checked=0, first_seq=None, last_seq=None, problems=()
    )


@pytest.mark.parametrize("name", list(TAMPERINGS))
def test_tampering_is_found_and_named(engine: Engine, name: str) -> None:
    run_tampering(engine, name)


def test_the_messages_say_which_record_and_what_is_wrong(engine: Engine) -> None:
    assert messages(run_tampering(engine, "edit a field")) == [
        "record 4: content changed after it was written (hash mismatch)"
    ]
    assert messages(run_tampering(engine, "delete a record")) == ["record 4 is missing (deleted)"]
    assert messages(run_tampering(engine, "delete records and relink")) == [
        "records 4–6 are missing (deleted)"
    ]
    assert messages(run_tampering(engine, "swap neighbours")) == [
        "record 4: holds the record written as seq 5 (records reordered)",
        "record 5: holds the record written as seq 4 (records reordered)",
    ]
    assert messages(run_tampering(engine, "delete the last record")) == [
        "record 10 is missing (deleted): the head says the chain ends at seq 10, "
        "the last record is 9"
    ]
    relinked = messages(run_tampering(engine, "edit and rehash"))
    assert relinked[0].startswith("record 5: does not link to record 4")
    assert messages(run_tampering(engine, "insert behind the head")) == [
        "record 11: not in the chain: the head ends at seq 10"
    ]
    reordered = messages(run_tampering(engine, "rewrite time and chain"))
    assert reordered[0].startswith(
        "record 5: written at 2026-03-02T08:00:00+00:00, before record 4"
    )


def test_a_record_put_back_before_the_anchor_is_not_in_the_chain(engine: Engine) -> None:
    trail, _, _ = write_trail(engine)
    with engine.connect() as conn:
        first = conn.execute(text("SELECT * FROM audit_log WHERE seq = 1")).one()._asdict()
    trail.prune(T0 + timedelta(minutes=3), actor="cli:root")
    assert trail.verify().ok
    columns = ", ".join(first)
    values = ", ".join(f":{name}" for name in first)
    sql(engine, f"INSERT INTO audit_log ({columns}) VALUES ({values})", **first)
    assert [(p.seq, p.kind) for p in trail.verify().problems] == [(1, "inserted")]


def test_a_wrong_anchor_breaks_the_first_link(engine: Engine) -> None:
    trail, _, _ = write_trail(engine)
    trail.prune(T0 + timedelta(minutes=3), actor="cli:root")
    sql(engine, "UPDATE audit_head SET anchor_hash = :h", h=GENESIS_HASH)
    problems = trail.verify().problems
    assert [(p.seq, p.kind) for p in problems] == [(4, "relinked")]
    assert problems[0].message.startswith("record 4: does not link to the chain's anchor (seq 3)")


def test_records_appended_while_verifying_are_not_inserted_ones(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    trail, _, _ = write_trail(engine, chunk_rows=2)
    # Appends land between the first head read and the last: made to happen from inside the
    # walk (each chunk is its own short query, so nothing holds them up).
    original = iter_rows
    appended: list[int] = []

    def iter_and_append(*args: object, **kwargs: object) -> Iterator[object]:
        for row in original(*args, **kwargs):  # type: ignore[arg-type]
            if len(appended) < 3:
                appended.append(trail.append(AuditEvent("bob", "login", AuditOutcome.OK)).seq)
            yield row

    monkeypatch.setattr(audit_verify, "iter_rows", iter_and_append)
    verification = trail.verify()
    monkeypatch.undo()
    assert appended == [11, 12, 13]
    assert verification.ok, verification.problems
    assert verification.last_seq == 10
    assert trail.verify().last_seq == 13


def test_a_problem_prints_as_its_message() -> None:
    problem = ChainProblem(4, "edited", "record 4: content changed after it was written")
    assert str(problem) == "record 4: content changed after it was written"


def test_a_time_the_database_cannot_read_is_a_store_error(engine: Engine) -> None:
    trail, _, _ = write_trail(engine)
    sql(engine, "UPDATE audit_log SET at = 'yesterday' WHERE seq = 5")
    with pytest.raises(StoreError, match="an audit record after seq 3 cannot be read"):
        trail.verify()


def test_an_anchor_beyond_the_head_is_a_head_problem(engine: Engine) -> None:
    trail, _, _ = write_trail(engine)
    sql(engine, "UPDATE audit_head SET anchor_seq = 12")
    assert [(p.seq, p.kind, p.message) for p in trail.verify().problems] == [
        (12, "head", "head: its anchor (seq 12) lies after its last record (seq 10)")
    ]
