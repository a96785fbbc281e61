"""INSERT … ON CONFLICT DO UPDATE for the state DB's two dialects (SQLite, PostgreSQL).

One executemany statement for many rows with the same columns: what every store that replaces
rows by key writes through (alerts, silences, terminal statuses, county fleet health).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.state.tables import Base


def upsert_many(
    executor: Session | Connection,
    row_type: type[Base],
    rows: Sequence[Mapping[str, Any]],
    keys: Collection[str] | None = None,
) -> None:
    """Insert ``rows``, or replace every other column of the row with the same ``keys`` (the
    primary key when not given); nothing when there are no rows."""
    if not rows:
        return
    index = list(keys) if keys is not None else [c.name for c in inspect(row_type).primary_key]
    bind = executor.get_bind() if isinstance(executor, Session) else executor
    module: Any = postgresql if bind.dialect.name == "postgresql" else sqlite
    statement = module.insert(row_type)
    changes = {name: statement.excluded[name] for name in rows[0] if name not in index}
    executor.execute(statement.on_conflict_do_update(index_elements=index, set_=changes), rows)
