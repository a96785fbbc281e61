"""``ssnoc audit``: verify (exit 0 intact, 1 broken), export, prune, show — on a real state DB."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from core.clock import FakeClock, SystemClock
from core.security.audit_trail import PRUNE_ACTION, AuditEvent, AuditOutcome, AuditTrail
from core.state.db import migrate_to_head, open_state_engine
from ssnoc.commands.audit import audit_app
from tests.unit.core.security.test_audit_trail import T0, write_trail


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Engine]:
    """The state DB the command's settings name, migrated."""
    for name in list(os.environ):
        if name.startswith("SSNOC_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no ./ssnoc.toml from elsewhere
    url = f"sqlite:///{tmp_path / 'state.db'}"
    monkeypatch.setenv("SSNOC_STATE_DB_URL", url)
    engine = open_state_engine(url)
    migrate_to_head(engine)
    yield engine
    engine.dispose()


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(audit_app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_verify_an_intact_trail(engine: Engine) -> None:
    write_trail(engine)
    assert run("verify") == (0, "audit trail intact: 10 records (seq 1–10)\n", "")


def test_verify_an_empty_trail(engine: Engine) -> None:
    assert run("verify") == (0, "audit trail intact: 0 records\n", "")


def test_verify_a_tampered_trail_names_every_problem(engine: Engine) -> None:
    write_trail(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 4"))
        conn.execute(text("DELETE FROM audit_log WHERE seq = 7"))
    code, out, err = run("verify")
    assert code == 1
    assert out.splitlines() == [
        "edited    record 4: content changed after it was written (hash mismatch)",
        "deleted   record 7 is missing (deleted)",
    ]
    assert err == "audit trail BROKEN: 2 problems in 9 records checked\n"


def test_export_a_period_as_json_lines_to_stdout(engine: Engine) -> None:
    _, _, written = write_trail(engine)
    code, out, err = run(
        "export", "--since", "2026-03-02T08:02:00+00:00", "--until", "2026-03-02T16:04:00+08:00"
    )
    assert code == 0
    assert [json.loads(line) for line in out.splitlines()] == [r.as_json() for r in written[2:4]]
    assert err == "exported 2 audit records\n"


def test_export_as_csv_to_a_file(engine: Engine, tmp_path: Path) -> None:
    _, _, written = write_trail(engine)
    target = tmp_path / "out" / "audit.csv"
    target.parent.mkdir()
    code, out, _ = run(
        "export", "--format", "csv", "--since", "2026-03-02 08:08", "--output", str(target)
    )
    assert (code, out) == (0, "")
    with target.open(encoding="utf-8", newline="") as back:
        rows = list(csv.DictReader(back))
    assert [int(row["seq"]) for row in rows] == [9, 10]
    assert rows[1]["hash"] == written[9].hash
    assert list(target.parent.iterdir()) == [target]  # no partial file left behind


def test_export_refuses_a_time_it_cannot_read(engine: Engine) -> None:
    code, _, err = run("export", "--since", "last tuesday")
    assert code == 2
    assert "'last tuesday' is not an ISO 8601 time" in err


def test_prune_refuses_less_than_180_days(engine: Engine) -> None:
    write_trail(engine)
    code, out, err = run("prune", "--days", "30")
    assert (code, out) == (2, "")
    assert err == (
        "ssnoc: refusing to prune: audit records are kept at least 180 days (asked for 30)\n"
    )
    assert AuditTrail(engine, FakeClock(T0)).count() == 10


def test_prune_old_records_is_audited_and_the_trail_still_verifies(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("getpass.getuser", lambda: "operator")
    now = SystemClock().now()
    old_clock = FakeClock(now - timedelta(days=400))
    old = AuditTrail(engine, old_clock)
    for _ in range(3):
        old.append(AuditEvent("alice", "login", AuditOutcome.OK))
        old_clock.advance(60)
    AuditTrail(engine, FakeClock(now - timedelta(days=10))).append(
        AuditEvent("bob", "login", AuditOutcome.OK)
    )
    code, out, _ = run("prune")  # the default retention: 365 days
    assert code == 0
    assert out.startswith("pruned 3 audit records older than ")
    assert out.rstrip().endswith("(365 days)")
    trail = AuditTrail(engine, FakeClock(now))
    newest = trail.last()
    assert newest is not None
    assert (newest.actor, newest.action) == ("cli:operator", PRUNE_ACTION)
    assert [r.actor for r in trail.search()] == ["cli:operator", "bob"]
    assert run("verify")[0] == 0


def test_show_the_newest_records_with_filters(engine: Engine) -> None:
    write_trail(engine)
    code, out, _ = run("show", "--actor", "alice", "--limit", "2")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0].split()[:5] == ["7", "2026-03-02", "08:06:00", "alice", "user_create"]
    assert lines[1].split()[3:8] == ["alice", "device_update", "ok", "device:gz-core1", "[440100]"]
    code, out, err = run("show", "--target", "nowhere")
    assert (code, out, err) == (0, "", "no audit records match\n")


def test_a_store_that_cannot_be_opened_is_one_line(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSNOC_STATE_DB_URL", "not a url")
    code, out, err = run("verify")
    assert (code, out) == (2, "")
    assert err.startswith("ssnoc: state_db_url: not a database URL")
    assert len(err.splitlines()) == 1


def test_an_unreadable_state_db_is_one_line(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"this is not a database" * 100)
    monkeypatch.setenv("SSNOC_STATE_DB_URL", f"sqlite:///{broken}")
    code, out, err = run("show")
    assert (code, out) == (2, "")
    assert (
        err == "ssnoc: state DB migration failed: (sqlite3.DatabaseError) file is not a database\n"
    )
