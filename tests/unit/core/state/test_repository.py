"""The state DB on SQLite (the embedded default)."""

from __future__ import annotations

from pathlib import Path

from core.state.db import open_state_engine
from tests.unit.core.state.scenarios import run_state_scenario


def test_state_db_on_sqlite(tmp_path: Path) -> None:
    engine = open_state_engine(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        run_state_scenario(engine)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        engine.dispose()


def test_sqlite_file_in_a_new_directory_is_created(tmp_path: Path) -> None:
    engine = open_state_engine(f"sqlite:///{tmp_path / 'a' / 'b' / 'state.db'}")
    engine.dispose()
    assert (tmp_path / "a" / "b").is_dir()
