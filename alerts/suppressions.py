"""Silences, maintenance windows and on-call overrides, kept in memory and in the state DB.

The in-memory :class:`~alerts.silences.SilenceStore`, :class:`~alerts.maintenance.
MaintenanceCalendar` and :class:`~alerts.oncall.OnCallDirectory` are the truth while the process
runs; :class:`Suppressions` writes every change through a
:class:`~alerts.sql_suppression_store.SqlSuppressionStore` (when there is one) as it is made, and
reads everything back at start. Silences that end by themselves (an until-resolved silence whose
alerts resolved) are written back after each tick.

Windows and schedules from the alerting configuration file are loaded from the file at each
start, not stored: the file stays their truth. Not thread-safe: its owner serialises calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from alerts.maintenance import MaintenanceCalendar, MaintenanceWindow
from alerts.matchers import Matcher
from alerts.oncall import OnCallDirectory, Override, Schedule
from alerts.silences import CombinedMuter, Silence, SilenceStore, SuppressionEvent
from alerts.sql_suppression_store import SqlSuppressionStore


class Suppressions:
    """What mutes alerts (silences, maintenance) and who is on call, persisted."""

    def __init__(
        self,
        store: SqlSuppressionStore | None,
        *,
        windows: Iterable[MaintenanceWindow] = (),
        schedules: Iterable[Schedule] = (),
    ) -> None:
        windows = tuple(windows)
        self._store = store
        self.silences = SilenceStore()
        self.calendar = MaintenanceCalendar(windows)
        self.directory = OnCallDirectory(schedules)
        self.muter = CombinedMuter(self.silences, self.calendar)
        self._configured = frozenset(window.id for window in windows)
        self._saved: dict[str, Silence] = {}

    def load(self, now: datetime) -> None:
        """Read the stored silences, windows and overrides back (at start). What is in force
        now was announced before the restart: it is not announced again."""
        if self._store is not None:
            for silence in self._store.load_silences():
                self._saved[silence.id] = self.silences.add(silence)
            for window in self._store.load_maintenance_windows():
                self.calendar.add(window)
            known = {schedule.name for schedule in self.directory.all()}
            for name, override in self._store.load_overrides(ending_after=now):
                if name in known:
                    self.directory.add_override(name, override)
        self.silences.tick(now)
        self.calendar.tick(now)

    # --- silences ------------------------------------------------------------------------------

    def create_silence(
        self,
        matchers: Sequence[Matcher],
        *,
        starts_at: datetime,
        ends_at: datetime | None,
        created_by: str,
        comment: str,
        until_resolved: bool = False,
    ) -> Silence:
        """A new silence, stored."""
        silence = self.silences.create(
            matchers,
            starts_at=starts_at,
            ends_at=ends_at,
            created_by=created_by,
            comment=comment,
            until_resolved=until_resolved,
        )
        self._save_silence(silence)
        return silence

    def expire_silence(self, silence_id: str, now: datetime, by: str) -> Silence:
        """End a silence now, stored (:class:`~core.errors.NotFound` for an unknown id)."""
        silence = self.silences.expire(silence_id, now, by=by)
        self._save_silence(silence)
        return silence

    def _save_silence(self, silence: Silence) -> None:
        if self._store is not None:
            self._store.save_silence(silence)
        self._saved[silence.id] = silence

    # --- maintenance ---------------------------------------------------------------------------

    def add_window(self, window: MaintenanceWindow) -> MaintenanceWindow:
        """Add (or replace) a window, stored."""
        if self._store is not None:
            self._store.save_maintenance_window(window)
        return self.calendar.add(window)

    def remove_window(self, window_id: str, now: datetime) -> MaintenanceWindow:
        """Cancel a window, stored; the removed window (:class:`NotFound` for an unknown id)."""
        window = self.calendar.get(window_id)
        self.calendar.remove(window_id, now)
        if self._store is not None and window_id not in self._configured:
            self._store.remove_maintenance_window(window_id, now)
        return window

    # --- on call -------------------------------------------------------------------------------

    def add_override(self, schedule: str, override: Override, created_by: str) -> Schedule:
        """Put someone else on call for a stretch, stored (:class:`NotFound`: no schedule)."""
        updated = self.directory.add_override(schedule, override)
        if self._store is not None:
            self._store.add_override(schedule, override, created_by)
        return updated

    # --- time ----------------------------------------------------------------------------------

    def tick(self, now: datetime) -> list[SuppressionEvent]:
        """Silences and windows that started or ended since the last tick, oldest first; the
        silences that ended by themselves are stored."""
        events = self.silences.tick(now) + self.calendar.tick(now)
        for silence in self.silences.all():
            if self._saved.get(silence.id) != silence:
                self._save_silence(silence)
        return sorted(events, key=lambda event: event.at)

    def purge(self, now: datetime, keep_for: timedelta) -> int:
        """Forget silences that ended more than ``keep_for`` ago (memory and store)."""
        dropped = self.silences.purge(now, keep_expired_for=keep_for)
        self._saved = {s.id: s for s in self.silences.all()}
        if self._store is not None:
            dropped = max(dropped, self._store.purge_silences(now - keep_for))
        return dropped
