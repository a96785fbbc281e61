"""Alerts and their history in the state DB (tables of migration 0006, SQLite or PostgreSQL).

:class:`SqlAlertStore` is the :class:`~alerts.history.AlertStore` the alert engine writes through,
so a restart (:meth:`~alerts.evaluation.AlertEngine.restore`) carries on with the same alerts,
acknowledgements and history. Each call is one short transaction; SQLAlchemy's errors become
:class:`~core.errors.StoreError` naming what failed. Silences, maintenance windows and on-call
overrides are kept by :class:`~alerts.sql_suppression_store.SqlSuppressionStore`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, delete, insert, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from alerts.model import AlertStatus
from core.errors import StoreError
from core.state.alert_tables import AlertHistoryRow, AlertRow
from core.state.tables import Base
from core.state.upserts import upsert_many

log = logging.getLogger(__name__)
T = TypeVar("T")
_RESOLVED = AlertStatus.RESOLVED.value


class SqlTransactions:
    """Runs work in one transaction each; a database failure becomes a :class:`StoreError`."""

    def __init__(self, engine: Engine, store_name: str) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._store_name = store_name

    def run(self, what: str, work: Callable[[Session], T]) -> T:
        """``work`` in a transaction, committed when it returns, rolled back when it raises.

        ``what`` says what was being done ("saving alert 1f2e…"), for the error's message."""
        try:
            with self._sessions.begin() as session:
                return work(session)
        except SQLAlchemyError as exc:
            raise StoreError(f"{self._store_name}: {what} failed: {describe(exc)}") from exc


def describe(exc: SQLAlchemyError) -> str:
    """The database's own one-line reason, without SQLAlchemy's statement and parameter dump."""
    cause = getattr(exc, "orig", None)
    text = str(cause if cause is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def upsert(session: Session, row_type: type[Base], values: Mapping[str, Any]) -> None:
    """Insert a row, or replace every other column of the row with the same primary key."""
    upsert_many(session, row_type, [values])


def to_json(value: object) -> str:
    """Compact JSON that keeps Chinese text readable in the database."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _when(value: object) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


def _alert_values(alert: Mapping[str, Any]) -> dict[str, Any]:
    updated_at = _when(alert["last_transition_at"])
    if updated_at is None:
        raise ValueError(f"alert {alert['fingerprint']} has no last_transition_at")
    return {
        "fingerprint": str(alert["fingerprint"]),
        "rule": str(alert["rule"]),
        "status": str(alert["status"]),
        "severity": str(alert["severity"]),
        "labels": to_json(dict(alert.get("labels") or {})),
        "data": to_json(dict(alert)),
        "starts_at": _when(alert.get("starts_at")),
        "ends_at": _when(alert.get("ends_at")),
        "updated_at": updated_at,
    }


def _history_values(fingerprint: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    if entry.get("fingerprint", fingerprint) != fingerprint:
        raise ValueError(
            f"history of {entry.get('fingerprint')} given with alert {fingerprint}: "
            "an alert's history is saved with that alert"
        )
    return {
        "fingerprint": fingerprint,
        "at": _when(entry["at"]),
        "kind": str(entry["kind"]),
        "by": str(entry.get("by", "")),
        "reason": str(entry.get("reason", "")),
        "note": entry.get("note"),
        "before": entry.get("before"),
        "after": entry.get("after"),
        "data": to_json(dict(entry)),
    }


def _decoded(what: str, text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        # One damaged row must not keep every other alert from coming back after a restart.
        log.error("%s cannot be read back (not a JSON object); skipped", what)
        return None
    return data


class SqlAlertStore:
    """An :class:`~alerts.history.AlertStore` in the state DB: alerts replaced, history appended.

    Resolved alerts stay in the database for good unless :meth:`prune_resolved` drops them.
    """

    def __init__(self, engine: Engine) -> None:
        self._db = SqlTransactions(engine, "alert store")

    def save(self, alert: dict[str, Any], new_history: Sequence[dict[str, Any]]) -> None:
        """Insert or replace ``alert`` and append ``new_history``, in one transaction."""
        values = _alert_values(alert)
        fingerprint = values["fingerprint"]
        history = [_history_values(fingerprint, entry) for entry in new_history]

        def work(session: Session) -> None:
            upsert(session, AlertRow, values)
            if history:
                session.execute(insert(AlertHistoryRow), history)

        self._db.run(f"saving alert {fingerprint}", work)

    def save_many(self, changes: Sequence[tuple[dict[str, Any], Sequence[dict[str, Any]]]]) -> None:
        """:meth:`save` for many alerts in one transaction: a storm of 2,000 alerts is one commit.

        All or nothing: when it raises, nothing of ``changes`` was written."""
        alerts: list[dict[str, Any]] = []
        history: list[dict[str, Any]] = []
        for alert, new_history in changes:
            values = _alert_values(alert)
            alerts.append(values)
            history.extend(_history_values(values["fingerprint"], entry) for entry in new_history)

        def work(session: Session) -> None:
            upsert_many(session, AlertRow, alerts)
            if history:
                session.execute(insert(AlertHistoryRow), history)

        self._db.run(f"saving {len(alerts)} alerts", work)

    def forget(self, fingerprint: str) -> None:
        """Remove an alert and its history (a pending alert that never fired)."""

        def work(session: Session) -> None:
            # History explicitly: a SQLite connection may have foreign keys (cascades) off.
            session.execute(
                delete(AlertHistoryRow).where(AlertHistoryRow.fingerprint == fingerprint)
            )
            session.execute(delete(AlertRow).where(AlertRow.fingerprint == fingerprint))

        self._db.run(f"forgetting alert {fingerprint}", work)

    def load_alerts(self, resolved_since: datetime) -> list[dict[str, Any]]:
        """Every unresolved alert, and those resolved at ``resolved_since`` or later."""

        def work(session: Session) -> list[dict[str, Any]]:
            rows = session.execute(
                select(AlertRow.fingerprint, AlertRow.data)
                .where(or_(AlertRow.status != _RESOLVED, AlertRow.ends_at >= resolved_since))
                .order_by(AlertRow.fingerprint)
            )
            found = (_decoded(f"alert {fingerprint}", data) for fingerprint, data in rows)
            return [alert for alert in found if alert is not None]

        return self._db.run("loading alerts", work)

    def history(self, fingerprint: str) -> list[dict[str, Any]]:
        """Every transition of one alert, oldest first (empty when unknown)."""

        def work(session: Session) -> list[dict[str, Any]]:
            rows = session.execute(
                select(AlertHistoryRow.id, AlertHistoryRow.data)
                .where(AlertHistoryRow.fingerprint == fingerprint)
                .order_by(AlertHistoryRow.id)
            )
            found = (_decoded(f"history entry {row_id}", data) for row_id, data in rows)
            return [entry for entry in found if entry is not None]

        return self._db.run(f"reading the history of alert {fingerprint}", work)

    def prune_resolved(self, ended_before: datetime) -> int:
        """Drop alerts resolved before ``ended_before``, with their history; how many went."""

        def work(session: Session) -> int:
            old = select(AlertRow.fingerprint).where(
                AlertRow.status == _RESOLVED, AlertRow.ends_at < ended_before
            )
            fingerprints = list(session.scalars(old))
            for start in range(0, len(fingerprints), 500):  # bounded IN lists
                chunk = fingerprints[start : start + 500]
                session.execute(
                    delete(AlertHistoryRow).where(AlertHistoryRow.fingerprint.in_(chunk))
                )
                session.execute(delete(AlertRow).where(AlertRow.fingerprint.in_(chunk)))
            return len(fingerprints)

        return self._db.run("pruning resolved alerts", work)
