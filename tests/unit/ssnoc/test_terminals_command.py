"""``ssnoc terminals``: a county's CSV imported with each bad row named (exit 1), the registry
listed and a terminal's history — on a real state DB and the small inventory's counties."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from core.clock import SystemClock
from core.security.audit_trail import AuditTrail
from core.state.db import migrate_to_head, open_state_engine
from ssnoc.commands.terminals import terminals_app

INVENTORY = Path(__file__).resolve().parents[2] / "data" / "small_inventory.yaml"
CSV = (
    "serial,model,kind,site,county\n"
    "SN-1,SK-700,kiosk,荔湾区社保局大厅,440103\n"
    "SN-2,SK-700,robot,荔湾区社保局大厅,440103\n"
    "SN-3,SK-700,kiosk,某地,999999\n"
    "SN-1,SK-700,kiosk,重复,440103\n"
)


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Engine]:
    for name in list(os.environ):
        if name.startswith("SSNOC_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'state.db'}"
    monkeypatch.setenv("SSNOC_STATE_DB_URL", url)
    monkeypatch.setenv("SSNOC_INVENTORY_PATH", str(INVENTORY))
    engine = open_state_engine(url)
    migrate_to_head(engine)
    yield engine
    engine.dispose()


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(terminals_app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_an_import_names_each_refused_row_and_keeps_the_good_ones(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "liwan.csv"
    path.write_text(CSV, encoding="utf-8")
    code, out, err = run("import", str(path))
    assert code == 1
    assert out == "1 terminals registered, 3 rows refused\n"
    lines = err.splitlines()
    assert [line.split(": ")[0] for line in lines] == [f"{path}:3", f"{path}:4", f"{path}:5"]
    assert "unknown kind 'robot'" in lines[0]
    assert "unknown county 999999" in lines[1]
    (listed,) = run("list", "--county", "440103")[1].splitlines()
    assert listed.split()[:3] == ["T440103-0001", "registered", "kiosk"]
    code, out, _ = run("history", "T440103-0001")
    assert (code, out.split()[2]) == (0, "registered")
    (record,) = [
        e for e in AuditTrail(engine, SystemClock()).search() if e.action == "terminal_import"
    ]
    assert record.detail == "1 registered, 3 rows refused"


def test_a_missing_file_and_a_bad_state_are_one_line_each(engine: Engine, tmp_path: Path) -> None:
    assert run("import", str(tmp_path / "nope.csv"))[0] == 2
    code, _, err = run("list", "--state", "bogus")
    assert code == 2
    assert err.startswith("ssnoc: --state 'bogus': not a terminal state")
