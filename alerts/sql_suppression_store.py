"""Silences, maintenance windows and on-call overrides in the state DB (migration 0006).

The in-memory :class:`~alerts.silences.SilenceStore`,
:class:`~alerts.maintenance.MaintenanceCalendar` and :class:`~alerts.oncall.OnCallDirectory` stay
the truth while the process runs; the composition root writes each change here as it is made and
reads everything back at start::

    for silence in store.load_silences():
        silences.add(silence)
    for window in store.load_maintenance_windows():
        calendar.add(window)
    for schedule, override in store.load_overrides():
        directory.add_override(schedule, override)

Matchers are stored as Alertmanager writes them (``{region=~"4401.*"}``); a recurring window
keeps its wall-clock times and timezone name, so it still opens at 02:00 Asia/Shanghai after a
restart. A row that can no longer be read is logged and skipped, never fatal.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, time
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.orm import Session

from alerts.maintenance import Frequency, MaintenanceWindow, OneOff, Recurrence
from alerts.matchers import format_matchers, parse_matchers
from alerts.oncall import Override
from alerts.silences import Silence
from alerts.sql_store import SqlTransactions, to_json, upsert
from core.state.alert_tables import MaintenanceWindowRow, OnCallOverrideRow, SilenceRow

log = logging.getLogger(__name__)


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()


def _when(text: object) -> datetime | None:
    return None if text is None else datetime.fromisoformat(str(text))


def _silence_values(silence: Silence) -> dict[str, Any]:
    return {
        "id": silence.id,
        "matchers": format_matchers(silence.matchers),
        "starts_at": silence.starts_at,
        "ends_at": silence.ends_at,
        "created_by": silence.created_by,
        "comment": silence.comment,
        "until_resolved": silence.until_resolved,
        "end_reason": silence.end_reason,
        # A silence cut short has its end moved to the moment it was cut (SilenceStore._end).
        "expired_at": silence.ends_at if silence.end_reason is not None else None,
    }


def _silence(row: SilenceRow) -> Silence:
    return Silence(
        id=row.id,
        matchers=parse_matchers(row.matchers),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        created_by=row.created_by,
        comment=row.comment,
        until_resolved=row.until_resolved,
        end_reason=row.end_reason,
    )


def schedule_to_dict(schedule: OneOff | Recurrence) -> dict[str, Any]:
    """A window's schedule as JSON values (:func:`schedule_from_dict` reads it back)."""
    if isinstance(schedule, OneOff):
        return {
            "kind": "one_off",
            "starts_at": schedule.starts_at.isoformat(),
            "ends_at": schedule.ends_at.isoformat(),
        }
    return {
        "kind": "recurrence",
        "frequency": schedule.frequency.value,
        "start": schedule.start.isoformat(),
        "end": schedule.end.isoformat(),
        "timezone": schedule.timezone,
        "weekdays": sorted(schedule.weekdays),
        "until": _iso(schedule.until),
    }


def schedule_from_dict(data: dict[str, Any]) -> OneOff | Recurrence:
    """A schedule as :func:`schedule_to_dict` wrote it; ``ValueError`` when it is not one."""
    kind = data.get("kind")
    if kind == "one_off":
        starts_at, ends_at = _when(data["starts_at"]), _when(data["ends_at"])
        if starts_at is None or ends_at is None:
            raise ValueError("a one-off window needs a start and an end")
        return OneOff(starts_at=starts_at, ends_at=ends_at)
    if kind == "recurrence":
        return Recurrence(
            frequency=Frequency(data["frequency"]),
            start=time.fromisoformat(str(data["start"])),
            end=time.fromisoformat(str(data["end"])),
            timezone=str(data["timezone"]),
            weekdays=frozenset(int(day) for day in data.get("weekdays", ())),
            until=_when(data.get("until")),
        )
    raise ValueError(f"unknown schedule kind {kind!r}")


def _window_values(window: MaintenanceWindow) -> dict[str, Any]:
    spec = {
        "schedule": schedule_to_dict(window.schedule),
        "regions": sorted(window.regions),
        "device_ids": sorted(window.device_ids),
        "pause_collection": window.pause_collection,
    }
    return {
        "id": window.id,
        "spec": to_json(spec),
        "created_by": window.created_by,
        "comment": window.comment,
        "removed_at": None,
    }


def _window(row: MaintenanceWindowRow) -> MaintenanceWindow:
    spec = json.loads(row.spec)
    return MaintenanceWindow(
        id=row.id,
        schedule=schedule_from_dict(spec["schedule"]),
        regions=frozenset(str(code) for code in spec.get("regions", ())),
        device_ids=frozenset(str(device) for device in spec.get("device_ids", ())),
        pause_collection=bool(spec.get("pause_collection", False)),
        created_by=row.created_by,
        comment=row.comment,
    )


class SqlSuppressionStore:
    """Silences, maintenance windows and on-call overrides, kept across restarts."""

    def __init__(self, engine: Engine) -> None:
        self._db = SqlTransactions(engine, "suppression store")

    # --- silences --------------------------------------------------------------------------------

    def save_silence(self, silence: Silence) -> None:
        """Insert or replace ``silence`` (call it on create and on expire)."""
        values = _silence_values(silence)
        self._db.run(f"saving silence {silence.id}", lambda s: upsert(s, SilenceRow, values))

    def load_silences(self) -> list[Silence]:
        """Every stored silence, expired ones included, by start time."""

        def work(session: Session) -> list[Silence]:
            query = select(SilenceRow).order_by(SilenceRow.starts_at, SilenceRow.id)
            found = []
            for row in session.scalars(query):
                try:
                    found.append(_silence(row))
                except ValueError as exc:  # InvalidSuppression and bad matchers are ValueErrors
                    log.error("silence %s cannot be read back (%s); skipped", row.id, exc)
            return found

        return self._db.run("loading silences", work)

    def purge_silences(self, ended_before: datetime) -> int:
        """Forget silences that ended before ``ended_before``; how many went."""

        def work(session: Session) -> int:
            gone = delete(SilenceRow).where(SilenceRow.ends_at < ended_before)
            return session.execute(gone).rowcount  # type: ignore[attr-defined, no-any-return]

        return self._db.run("purging silences", work)

    # --- maintenance windows ---------------------------------------------------------------------

    def save_maintenance_window(self, window: MaintenanceWindow) -> None:
        """Insert or replace ``window`` (a window saved again under a removed id stands again)."""
        values = _window_values(window)
        self._db.run(
            f"saving maintenance window {window.id}",
            lambda s: upsert(s, MaintenanceWindowRow, values),
        )

    def remove_maintenance_window(self, window_id: str, at: datetime) -> None:
        """Mark a window cancelled at ``at``; it is kept, but no longer loaded."""

        def work(session: Session) -> None:
            session.execute(
                update(MaintenanceWindowRow)
                .where(MaintenanceWindowRow.id == window_id)
                .values(removed_at=at)
            )

        self._db.run(f"removing maintenance window {window_id}", work)

    def load_maintenance_windows(self) -> list[MaintenanceWindow]:
        """Every window not cancelled, by id."""

        def work(session: Session) -> list[MaintenanceWindow]:
            query = (
                select(MaintenanceWindowRow)
                .where(MaintenanceWindowRow.removed_at.is_(None))
                .order_by(MaintenanceWindowRow.id)
            )
            found = []
            for row in session.scalars(query):
                try:
                    found.append(_window(row))
                except (ValueError, KeyError, TypeError) as exc:
                    log.error("window %s cannot be read back (%r); skipped", row.id, exc)
            return found

        return self._db.run("loading maintenance windows", work)

    # --- on-call overrides -----------------------------------------------------------------------

    def add_override(self, schedule: str, override: Override, created_by: str = "") -> None:
        """Keep one more override of the schedule called ``schedule``."""
        values = {
            "schedule": schedule,
            "user": override.user,
            "starts_at": override.starts_at,
            "ends_at": override.ends_at,
            "created_by": created_by,
        }

        def work(session: Session) -> None:
            session.execute(insert(OnCallOverrideRow), [values])

        self._db.run(f"saving an on-call override of {schedule}", work)

    def load_overrides(self, ending_after: datetime | None = None) -> list[tuple[str, Override]]:
        """(schedule name, override) in the order they were added — the later wins.

        ``ending_after``: only overrides still in force or to come at that time."""

        def work(session: Session) -> list[tuple[str, Override]]:
            query = select(OnCallOverrideRow).order_by(OnCallOverrideRow.id)
            if ending_after is not None:
                query = query.where(OnCallOverrideRow.ends_at > ending_after)
            found = []
            for row in session.scalars(query):
                try:
                    found.append((row.schedule, Override(row.user, row.starts_at, row.ends_at)))
                except ValueError as exc:
                    log.error("on-call override %s cannot be read back (%s); skipped", row.id, exc)
            return found

        return self._db.run("loading on-call overrides", work)
