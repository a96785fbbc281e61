"""The audit trail on SQLite: appending, searching, pruning, many appenders at once.

The ``run_*`` scenarios take an engine and are also run against a real PostgreSQL server
(tests/integration/core/test_audit_postgres.py); they start by emptying the trail.
"""

from __future__ import annotations

import itertools
import json
import multiprocessing
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from multiprocessing.synchronize import Barrier as BarrierType
from pathlib import Path

import pytest
from sqlalchemy import Engine, text, update

from core.clock import FakeClock
from core.errors import StoreError
from core.security.audit_record import GENESIS_HASH, is_secret_key
from core.security.audit_trail import (
    PRUNE_ACTION,
    AuditEvent,
    AuditOutcome,
    AuditRecord,
    AuditTrail,
)
from core.security.scope import ScopeLevel, scope_covers, scope_level
from core.state.db import migrate_to_head, open_state_engine
from core.state.tables import AuditRecordRow

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

OK, FAILED, DENIED, UNAVAILABLE = (
    AuditOutcome.OK,
    AuditOutcome.FAILED,
    AuditOutcome.DENIED,
    AuditOutcome.UNAVAILABLE,
)
EVENTS = (
    AuditEvent("alice", "login", OK, client="10.1.0.5"),
    AuditEvent("bob", "login", DENIED, client="10.1.0.9", detail="wrong password"),
    AuditEvent(
        "alice",
        "device_update",
        OK,
        target="device:gz-core1",
        region_code="440100",
        before={"description": "old uplink"},
        after={"description": "new uplink"},
    ),
    AuditEvent("carol", "silence_create", OK, target="device:th-acc1", region_code="440106"),
    AuditEvent("dave", "runbook_run", FAILED, target="device:sz-core1", region_code="440300"),
    AuditEvent(
        "erin", "terminal_provision", OK, "terminal:SZ-NS-0042", "440305", detail="PSAM 1234 bound"
    ),
    AuditEvent("alice", "user_create", OK, target="user:frank", detail="role viewer"),
    AuditEvent("bob", "config_backup", UNAVAILABLE, "device:gz-core1", "440100"),
    AuditEvent("carol", "alert_ack", OK, target="alert:17", region_code="440000"),
    AuditEvent("dave", "device_update", DENIED, target="device:TH-ACC1", region_code="440106"),
)
"""Ten actions across the province: records 1–10 of :func:`write_trail`, one minute apart."""


def sqlite_engine(tmp_path: Path) -> Engine:
    engine = open_state_engine(f"sqlite:///{tmp_path / 'state.db'}")
    migrate_to_head(engine)
    return engine


def reset_trail(engine: Engine) -> None:
    """Empty the trail and put the head back where migration 0003 left it."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log"))
        conn.execute(
            text(
                "UPDATE audit_head SET last_seq = 0, last_hash = :zero, anchor_seq = 0, "
                "anchor_hash = :zero WHERE id = 1"
            ),
            {"zero": GENESIS_HASH},
        )


def write_trail(
    engine: Engine, *, step_s: float = 60, chunk_rows: int = 3
) -> tuple[AuditTrail, FakeClock, list[AuditRecord]]:
    """A fresh trail holding :data:`EVENTS`, ``step_s`` apart from T0; small chunks, so a walk
    over ten records already pages."""
    reset_trail(engine)
    clock = FakeClock(T0)
    trail = AuditTrail(engine, clock, chunk_rows=chunk_rows)
    written = []
    for event in EVENTS:
        written.append(trail.append(event))
        clock.advance(step_s)
    return trail, clock, written


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = sqlite_engine(tmp_path)
    yield engine
    engine.dispose()


# ------------------------------------------------------------------------------ scenarios


def run_append_scenario(engine: Engine) -> None:
    trail, _, written = write_trail(engine)
    assert [r.seq for r in written] == list(range(1, 11))
    assert written[0].prev_hash == GENESIS_HASH
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(written))
    assert [r.at for r in written] == [T0 + timedelta(minutes=i) for i in range(10)]
    assert trail.count() == 10
    assert trail.last() == written[-1]
    # What comes back from the store is what append returned, field for field.
    assert list(reversed(trail.search())) == written
    assert written[2].before == {"description": "old uplink"}
    assert written[2].outcome is AuditOutcome.OK
    assert trail.verify().ok
    with engine.connect() as conn:
        head = conn.execute(text("SELECT last_seq, last_hash FROM audit_head")).one()
    assert tuple(head) == (10, written[-1].hash)


def run_prune_scenario(engine: Engine) -> None:
    trail, clock, written = write_trail(engine, step_s=86400)  # one record a day
    cutoff = T0 + timedelta(days=4)  # records 1–4 are older
    clock.set(T0 + timedelta(days=400))
    removed = trail.prune(cutoff, actor="cli:root")
    assert removed == 4
    kept = list(reversed(trail.search()))
    assert [r.seq for r in kept] == [5, 6, 7, 8, 9, 10, 11]
    assert all(r.at >= cutoff for r in kept)
    note = kept[-1]
    assert (note.actor, note.action, note.outcome) == ("cli:root", PRUNE_ACTION, AuditOutcome.OK)
    assert note.detail == f"removed 4 records older than {cutoff.isoformat()} (up to seq 4)"
    assert note.after == {
        "removed": 4,
        "older_than": cutoff.isoformat(),
        "up_to_seq": 4,
        "anchor_hash": written[3].hash,
    }
    assert note.prev_hash == written[-1].hash
    with engine.connect() as conn:
        anchor = conn.execute(text("SELECT anchor_seq, anchor_hash FROM audit_head")).one()
    assert tuple(anchor) == (4, written[3].hash)
    verification = trail.verify()
    assert verification.ok, verification.problems
    assert (verification.checked, verification.first_seq, verification.last_seq) == (7, 5, 11)
    # Pruning again with the same cutoff removes nothing, and says so in the trail too.
    assert trail.prune(cutoff, actor="cli:root") == 0
    newest = trail.last()
    assert newest is not None
    assert newest.detail == f"removed 0 records older than {cutoff.isoformat()}"
    # Appending after a prune continues the chain.
    trail.append(AuditEvent("alice", "login", AuditOutcome.OK))
    assert trail.verify().ok
    # Everything older than a cutoff in the future: the chain restarts from the anchor.
    assert trail.prune(clock.now() + timedelta(days=1), actor="cli:root") == 9
    assert [r.seq for r in trail.search()] == [14]
    assert trail.verify().ok


def run_concurrent_appends(engine: Engine, threads: int = 8, each: int = 25) -> None:
    reset_trail(engine)
    trail = AuditTrail(engine, FakeClock(T0), chunk_rows=50)
    start = threading.Barrier(threads)
    failures: list[BaseException] = []

    def appender(worker: int) -> None:
        try:
            start.wait()
            for i in range(each):
                trail.append(AuditEvent(f"worker{worker}", "probe", AuditOutcome.OK, detail=str(i)))
        except Exception as exc:  # noqa: BLE001 - the test thread reports it below
            failures.append(exc)

    workers = [threading.Thread(target=appender, args=(w,)) for w in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert failures == []
    assert_gapless_and_intact(trail, threads * each)


def assert_gapless_and_intact(trail: AuditTrail, total: int) -> None:
    records = trail.search(limit=total + 10)
    assert sorted(r.seq for r in records) == list(range(1, total + 1))
    verification = trail.verify()
    assert verification.ok, verification.problems
    assert verification.checked == total


def run_search_scenario(engine: Engine) -> None:
    trail, _, written = write_trail(engine)

    def seqs(**filters: object) -> list[int]:
        return [r.seq for r in trail.search(**filters)]  # type: ignore[arg-type]

    assert seqs() == list(range(10, 0, -1))
    assert seqs(actor="alice") == [7, 3, 1]
    assert seqs(action="device_update") == [10, 3]
    assert seqs(target="th-acc1") == [10, 4]  # a substring, whatever the case
    assert seqs(text="PASSWORD") == [2]  # in the detail
    assert seqs(text="core1") == [8, 5, 3]  # in the target
    assert seqs(text="provision") == [6]  # in the action
    assert seqs(text="car") == [9, 4]  # in the actor
    assert seqs(since=T0 + timedelta(minutes=2), until=T0 + timedelta(minutes=5)) == [5, 4, 3]
    assert seqs(actor="alice", since=T0 + timedelta(minutes=1)) == [7, 3]
    assert seqs(limit=3) == [10, 9, 8]
    assert seqs(before_seq=8, limit=3) == [7, 6, 5]
    assert seqs(text="50%_") == []  # LIKE wildcards are text here
    # Region scopes: a city reader sees its city and counties, a county reader its county,
    # records without a region only province-wide readers.
    assert seqs(region_codes=["440100"]) == [10, 8, 4, 3]
    assert seqs(region_codes=["440106"]) == [10, 4]
    assert seqs(region_codes=["440300", "440106"]) == [10, 6, 5, 4]
    assert seqs(region_codes=["440000"]) == list(range(10, 0, -1))
    assert seqs(region_codes=[]) == []
    assert seqs(region_codes=["450100"]) == []  # another province's city
    for scope in ("440000", "440100", "440106", "440300", "440305", "440103", "450100"):
        covered = [
            r.seq
            for r in reversed(written)
            if (r.region_code is None and scope_level(scope) is ScopeLevel.PROVINCE)
            or (r.region_code is not None and scope_covers(scope, r.region_code))
        ]
        assert seqs(region_codes=[scope]) == covered, scope


# ------------------------------------------------------------------------------ on SQLite


def test_records_are_numbered_and_chained(engine: Engine) -> None:
    run_append_scenario(engine)


def test_search_filters_by_field_text_time_page_and_region_scope(engine: Engine) -> None:
    run_search_scenario(engine)


def test_search_refuses_nonsense(engine: Engine) -> None:
    trail = AuditTrail(engine, FakeClock(T0))
    with pytest.raises(ValueError, match="limit"):
        trail.search(limit=0)
    with pytest.raises(ValueError, match="region code"):
        trail.search(region_codes=["gz"])


def test_prune_removes_old_records_and_the_rest_still_verifies(engine: Engine) -> None:
    run_prune_scenario(engine)


def test_prune_never_removes_a_record_newer_than_the_cutoff(engine: Engine) -> None:
    trail, clock, _ = write_trail(engine, step_s=86400)
    # Record 3 claims a time after the cutoff (it was edited): it and all after it stay.
    with engine.begin() as conn:
        conn.execute(
            update(AuditRecordRow).where(AuditRecordRow.seq == 3).values(at=T0 + timedelta(days=30))
        )
    clock.set(T0 + timedelta(days=400))
    assert trail.prune(T0 + timedelta(days=6), actor="cli:root") == 2
    assert min(r.seq for r in trail.search()) == 3


def test_appending_from_many_threads_keeps_the_chain_gapless(engine: Engine) -> None:
    run_concurrent_appends(engine)


def _append_from_process(url: str, start: BarrierType, worker: int, each: int) -> None:
    engine = open_state_engine(url)
    try:
        trail = AuditTrail(engine, FakeClock(T0))
        start.wait(timeout=60)  # everyone imported and connected: now append at once
        for i in range(each):
            trail.append(AuditEvent(f"process{worker}", "probe", AuditOutcome.OK, detail=str(i)))
    finally:
        engine.dispose()


def test_appending_from_many_processes_keeps_the_chain_gapless(
    engine: Engine, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    processes, each = 3, 20
    context = multiprocessing.get_context("spawn")  # no fork of a threaded pytest
    start = context.Barrier(processes)
    children = [
        context.Process(target=_append_from_process, args=(url, start, w, each))
        for w in range(processes)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=120)
    assert [child.exitcode for child in children] == [0] * processes
    assert_gapless_and_intact(AuditTrail(engine, FakeClock(T0)), processes * each)


def test_time_never_goes_backwards_along_the_chain(engine: Engine) -> None:
    # Two processes whose clocks disagree by ten seconds append in turn.
    ahead = AuditTrail(engine, FakeClock(T0 + timedelta(seconds=10)))
    behind = AuditTrail(engine, FakeClock(T0))
    first = ahead.append(AuditEvent("alice", "login", AuditOutcome.OK))
    second = behind.append(AuditEvent("bob", "login", AuditOutcome.OK))
    assert second.at == first.at
    assert ahead.verify().ok


def test_secrets_in_before_and_after_are_never_stored(engine: Engine) -> None:
    trail = AuditTrail(engine, FakeClock(T0))
    record = trail.append(
        AuditEvent(
            "alice",
            "credential_update",
            AuditOutcome.OK,
            target="credential:city",
            before={"community": "s3cr3t-old", "version": "2c"},
            after={
                "snmp": {"snmpCommunity": "s3cr3t-new", "authKey": "k1", "privPassword": "p1"},
                "enable_secret": "e1",
                "api_key": "a1",
                "tokens": [{"token": "t1", "name": "ci"}],
                "authorized_keys": ["ssh-ed25519 AAAAC3 ops@noc"],
                "monkey": "banana",
                "password_changed": None,
            },
        )
    )
    assert record.before == {"community": "***", "version": "2c"}
    assert record.after == {
        "snmp": {"snmpCommunity": "***", "authKey": "***", "privPassword": "***"},
        "enable_secret": "***",
        "api_key": "***",
        "tokens": "***",
        "authorized_keys": ["ssh-ed25519 AAAAC3 ops@noc"],
        "monkey": "banana",
        "password_changed": None,
    }
    with engine.connect() as conn:
        stored = " ".join(
            str(value) for value in conn.execute(text("SELECT * FROM audit_log")).one()
        )
    for secret in ("s3cr3t", "k1", "p1", "e1", "a1", "t1"):
        assert secret not in stored
    assert trail.verify().ok


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "newPassword",
        "api_token",
        "private-key",
        "psk",
        "auth_passphrase",
        "credentials",
    ],
)
def test_secret_looking_keys(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ["keys", "keyboard_layout", "hostname", "monkey"])
def test_keys_that_are_not_secret(key: str) -> None:
    assert not is_secret_key(key)


def test_values_json_does_not_know_are_stored_as_text(engine: Engine) -> None:
    trail = AuditTrail(engine, FakeClock(T0))
    record = trail.append(
        AuditEvent(
            "alice",
            "maintenance_create",
            AuditOutcome.OK,
            after={"starts": T0, "path": Path("/x"), 3: "three", "scopes": ("440100",)},  # type: ignore[dict-item]
        )
    )
    assert record.after == {
        "starts": str(T0),
        "path": "/x",
        "3": "three",
        "scopes": ["440100"],
    }
    assert trail.search()[0].after == record.after
    assert trail.verify().ok


def test_overlong_names_are_clipped_rather_than_losing_the_record(engine: Engine) -> None:
    trail = AuditTrail(engine, FakeClock(T0))
    record = trail.append(AuditEvent("a" * 80, "login", AuditOutcome.OK, target="t" * 400))
    assert len(record.actor) == 64
    assert record.actor.endswith("…")
    assert record.target == "t" * 299 + "…"
    assert trail.search()[0] == record
    assert trail.verify().ok


def test_an_event_is_checked_when_made() -> None:
    with pytest.raises(ValueError, match="actor"):
        AuditEvent("", "login", AuditOutcome.OK)
    with pytest.raises(ValueError, match="region code"):
        AuditEvent("alice", "login", AuditOutcome.OK, region_code="4401")
    with pytest.raises(ValueError, match="fine"):
        AuditEvent("alice", "login", "fine")  # type: ignore[arg-type]
    assert AuditEvent("alice", "login", "ok").outcome is AuditOutcome.OK  # type: ignore[arg-type]


def test_a_record_exports_as_json(engine: Engine) -> None:
    _, _, written = write_trail(engine)
    as_json = written[2].as_json()
    assert json.loads(json.dumps(as_json)) == as_json
    assert as_json["at"] == (T0 + timedelta(minutes=2)).isoformat()
    assert as_json["outcome"] == "ok"


def test_a_store_without_the_schema_is_a_store_error(tmp_path: Path) -> None:
    bare = open_state_engine(f"sqlite:///{tmp_path / 'bare.db'}")
    try:
        trail = AuditTrail(bare, FakeClock(T0))
        with pytest.raises(StoreError, match="cannot write the audit record"):
            trail.append(AuditEvent("alice", "login", AuditOutcome.OK))
        with pytest.raises(StoreError):
            trail.verify()
    finally:
        bare.dispose()


def test_a_missing_head_row_is_a_store_error(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_head"))
    trail = AuditTrail(engine, FakeClock(T0))
    with pytest.raises(StoreError, match="no head row"):
        trail.append(AuditEvent("alice", "login", AuditOutcome.OK))
    assert trail.count() == 0


def test_an_edited_record_does_not_break_reading_it(engine: Engine) -> None:
    trail, _, _ = write_trail(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET after = '{broken' WHERE seq = 3"))
    assert trail.search(action="device_update")[1].after == {"unreadable": "{broken"}
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET outcome = 'fine' WHERE seq = 4"))
    with pytest.raises(StoreError, match="audit record 4 has an unknown outcome 'fine'"):
        trail.search()
    assert {p.seq for p in trail.verify().problems} == {3, 4}
