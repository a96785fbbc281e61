"""Alembic environment: the engine is handed over by :func:`core.state.db.migrate_to_head`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

import core.state.alert_tables  # (its tables join Base.metadata)
import core.state.fleet_tables  # (its tables join Base.metadata)
import core.state.notification_tables  # (its tables join Base.metadata)
import core.state.rollout_tables  # (its tables join Base.metadata)
import core.state.routing_tables  # (its tables join Base.metadata)
import core.state.terminal_tables  # noqa: F401  (its tables join Base.metadata)
from core.state.tables import Base

engine = context.config.attributes.get("engine")
if not isinstance(engine, Engine):  # pragma: no cover - only when alembic is run by hand
    raise RuntimeError("run migrations through core.state.db.migrate_to_head")

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
