"""Maintenance windows: planned work on a region and/or devices, once or on a recurring schedule.

A window covers an alert whose ``region`` label lies at or below one of its regions (GB/T 2260:
the city window 440100 covers the county 440103) or whose ``device`` label is one of its devices.
While a window is open its alerts are muted, and if it says so the poller skips collection from
what it covers (:meth:`MaintenanceCalendar.collection_paused`).

Recurring windows are wall-clock times in a timezone: "weekly Sun 02:00-04:00 Asia/Shanghai" is
02:00 to 04:00 local time every Sunday whatever the UTC offset that day. On a daylight-saving day a
window keeps its local bounds; a bound that falls in the spring-forward gap reads with the offset in
force before the change (02:00 on the night Berlin jumps to 03:00 is the jump itself).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from alerts.matchers import AlertLike
from alerts.silences import (
    InvalidSuppression,
    MuteCause,
    SuppressionEnded,
    SuppressionEvent,
    SuppressionKind,
    SuppressionStarted,
)
from core.errors import NotFound
from core.security.scope import is_region_code, scope_covers

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Day names accepted in recurrences, Monday first (index = ``date.weekday()``)."""
_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_SPEC = re.compile(
    r"^\s*(?P<freq>daily|weekly)\s+(?:(?P<days>[A-Za-z,]+)\s+)?"
    r"(?P<start>\d{1,2}:\d{2})\s*[-–]\s*(?P<end>\d{1,2}:\d{2})\s+(?P<tz>\S+)\s*$",
    re.IGNORECASE,
)

Occurrence = tuple[datetime, datetime]
"""One opening of a window: its start and end, aware UTC."""


class Frequency(StrEnum):
    """How often a recurring window opens."""

    DAILY = "daily"
    WEEKLY = "weekly"


def zone(name: str) -> ZoneInfo:
    """The timezone called ``name``; :class:`InvalidSuppression` for an unknown one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidSuppression(f"unknown timezone {name!r}") from None


def weekday_number(name: str) -> int:
    """``"Sun"`` → 6; :class:`InvalidSuppression` for something that is not a day."""
    given = name.strip().lower()
    key = given[:3]
    if key not in WEEKDAY_NAMES or given not in (key, _FULL_DAY_NAMES[WEEKDAY_NAMES.index(key)]):
        raise InvalidSuppression(
            f"not a day of the week: {name!r} (use {', '.join(WEEKDAY_NAMES)})"
        )
    return WEEKDAY_NAMES.index(key)


@dataclass(frozen=True)
class OneOff:
    """A window open once, from ``starts_at`` to ``ends_at``."""

    starts_at: datetime
    ends_at: datetime

    def __post_init__(self) -> None:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise InvalidSuppression("maintenance times must be timezone-aware")
        if self.ends_at <= self.starts_at:
            raise InvalidSuppression("a maintenance window must end after it starts")

    def occurrence_at(self, now: datetime) -> Occurrence | None:
        """The opening holding ``now``, if any."""
        return (self.starts_at, self.ends_at) if self.starts_at <= now < self.ends_at else None

    def next_occurrence(self, after: datetime) -> Occurrence | None:
        """The first opening that has not ended by ``after``."""
        return (self.starts_at, self.ends_at) if after < self.ends_at else None

    def describe(self) -> str:
        return f"{self.starts_at.isoformat()} – {self.ends_at.isoformat()}"


@dataclass(frozen=True)
class Recurrence:
    """A window opening daily, or weekly on given days, between two local wall-clock times."""

    frequency: Frequency
    start: time
    """Local opening time."""
    end: time
    """Local closing time; at or before ``start`` means the next day (22:00–02:00)."""
    timezone: str
    """IANA name, e.g. ``Asia/Shanghai``."""
    weekdays: frozenset[int] = frozenset()
    """Days (0 = Monday) a weekly window opens on; ignored for daily windows."""
    until: datetime | None = None
    """No opening starts at or after this instant (aware), like RRULE's UNTIL."""
    _tz: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_tz", zone(self.timezone))
        if self.frequency is Frequency.WEEKLY and not self.weekdays:
            raise InvalidSuppression("a weekly maintenance window needs at least one day")
        if not all(0 <= day <= 6 for day in self.weekdays):
            raise InvalidSuppression("weekdays are numbered 0 (Monday) to 6 (Sunday)")
        if self.start == self.end:
            raise InvalidSuppression("a recurring window cannot start and end at the same time")
        if self.until is not None and self.until.tzinfo is None:
            raise InvalidSuppression("'until' must be timezone-aware")

    @classmethod
    def parse(cls, spec: str, *, until: datetime | None = None) -> Recurrence:
        """Read a spec: ``"weekly Sun 02:00-04:00 Asia/Shanghai"``, ``"weekly Sat,Sun …"``,
        ``"daily 01:00-01:30 UTC"``; :class:`InvalidSuppression` names what is wrong."""
        found = _SPEC.match(spec)
        if found is None:
            raise InvalidSuppression(
                f"not a recurrence: {spec!r} (want e.g. 'weekly Sun 02:00-04:00 Asia/Shanghai' "
                "or 'daily 01:00-01:30 UTC')"
            )
        frequency = Frequency(found["freq"].lower())
        days = found["days"]
        if frequency is Frequency.DAILY and days:
            raise InvalidSuppression(f"a daily recurrence names no days: {spec!r}")
        weekdays = (
            frozenset(weekday_number(day) for day in days.split(",")) if days else frozenset()
        )
        return cls(
            frequency=frequency,
            start=_clock_time(found["start"], spec),
            end=_clock_time(found["end"], spec),
            timezone=found["tz"],
            weekdays=weekdays,
            until=until,
        )

    def describe(self) -> str:
        """The spec :meth:`parse` reads back."""
        days = ""
        if self.frequency is Frequency.WEEKLY:
            days = ",".join(WEEKDAY_NAMES[d].capitalize() for d in sorted(self.weekdays)) + " "
        span = f"{self.start:%H:%M}-{self.end:%H:%M}"
        return f"{self.frequency.value} {days}{span} {self.timezone}"

    def occurrence_at(self, now: datetime) -> Occurrence | None:
        """The opening holding ``now``, if any."""
        local_day = now.astimezone(self._tz).date()
        # An opening lasts at most a day, so only today's and yesterday's can hold now.
        for day in (local_day - timedelta(days=1), local_day):
            opening = self._opening_on(day)
            if opening is not None and opening[0] <= now < opening[1]:
                return opening
        return None

    def next_occurrence(self, after: datetime) -> Occurrence | None:
        """The first opening that has not ended by ``after``; ``None`` past ``until``."""
        day = after.astimezone(self._tz).date() - timedelta(days=1)
        for _ in range(9):
            opening = self._opening_on(day)
            if opening is not None and after < opening[1]:
                return opening
            day += timedelta(days=1)
        return None

    def _opening_on(self, day: date) -> Occurrence | None:
        if self.frequency is Frequency.WEEKLY and day.weekday() not in self.weekdays:
            return None
        end_day = day if self.end > self.start else day + timedelta(days=1)
        opens = datetime.combine(day, self.start, tzinfo=self._tz).astimezone(UTC)
        closes = datetime.combine(end_day, self.end, tzinfo=self._tz).astimezone(UTC)
        if self.until is not None and opens >= self.until:
            return None
        return opens, closes


def _clock_time(text: str, spec: str) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    if hours > 23 or minutes > 59:
        raise InvalidSuppression(f"not a time of day: {text!r} in {spec!r}")
    return time(hours, minutes)


@dataclass(frozen=True)
class MaintenanceWindow:
    """Planned work: mute alerts (and maybe pause collection) for regions and/or devices."""

    id: str
    """Unique id, shown in mute causes and events."""
    schedule: OneOff | Recurrence
    """When the window is open."""
    regions: frozenset[str] = frozenset()
    """GB/T 2260 codes; each covers itself and everything below it."""
    device_ids: frozenset[str] = frozenset()
    """Devices covered wherever they are."""
    pause_collection: bool = False
    """The poller skips what the window covers while it is open."""
    created_by: str = ""
    """Who planned the work."""
    comment: str = ""
    """What the work is."""

    def __post_init__(self) -> None:
        if not self.regions and not self.device_ids:
            raise InvalidSuppression(
                f"maintenance window {self.id!r} covers no region and no device"
            )
        for code in self.regions:
            if not is_region_code(code):
                raise InvalidSuppression(f"not a six-digit region code: {code!r}")

    def covers(self, device_id: str | None, region: str | None) -> bool:
        """Whether the window covers this device, or this region (by region code prefix)."""
        if device_id is not None and device_id in self.device_ids:
            return True
        if region is None or not is_region_code(region):
            return False
        return any(scope_covers(scope, region) for scope in self.regions)

    def occurrence_at(self, now: datetime) -> Occurrence | None:
        """The opening holding ``now``, if any."""
        return self.schedule.occurrence_at(now)

    @property
    def summary(self) -> str:
        """What and when, for events and the console."""
        scope = sorted(self.regions) + sorted(self.device_ids)
        return f"{', '.join(scope)} ({self.schedule.describe()})"


class MaintenanceCalendar:
    """The maintenance windows known to this process; a muter for alerts in them.

    Alerts are matched by their ``region_label`` and ``device_label`` labels.
    """

    def __init__(
        self,
        windows: Iterable[MaintenanceWindow] = (),
        *,
        region_label: str = "region",
        device_label: str = "device",
    ) -> None:
        self._windows: dict[str, MaintenanceWindow] = {}
        self._announced: dict[str, Occurrence] = {}
        self._removed: list[SuppressionEnded] = []
        self._region_label = region_label
        self._device_label = device_label
        for window in windows:
            self.add(window)

    def add(self, window: MaintenanceWindow) -> MaintenanceWindow:
        """Store ``window`` (replacing one with the same id) and return it."""
        self._windows[window.id] = window
        return window

    def remove(self, window_id: str, now: datetime) -> None:
        """Cancel a window; if it was open, its end is announced at the next tick."""
        window = self.get(window_id)
        del self._windows[window_id]
        if self._announced.pop(window_id, None) is not None:
            self._removed.append(_ended(window, now, "cancelled"))

    def get(self, window_id: str) -> MaintenanceWindow:
        """The window with this id; :class:`NotFound` otherwise."""
        try:
            return self._windows[window_id]
        except KeyError:
            raise NotFound(f"no maintenance window {window_id!r}") from None

    def all(self) -> list[MaintenanceWindow]:
        """Every window, in the order they were added."""
        return list(self._windows.values())

    def open_at(self, now: datetime) -> list[tuple[MaintenanceWindow, Occurrence]]:
        """The windows open at ``now``, each with its current opening."""
        found = ((w, w.occurrence_at(now)) for w in self._windows.values())
        return [(window, opening) for window, opening in found if opening is not None]

    def covering(
        self, device_id: str | None, region: str | None, now: datetime
    ) -> list[MaintenanceWindow]:
        """The windows open at ``now`` that cover this device or region."""
        return [window for window, _ in self.open_at(now) if window.covers(device_id, region)]

    def collection_paused(self, device_id: str, region: str | None, now: datetime) -> bool:
        """Whether the poller should skip this device now (an open window pauses collection)."""
        return any(window.pause_collection for window in self.covering(device_id, region, now))

    def muted_by(self, alert: AlertLike, now: datetime) -> tuple[MuteCause, ...]:
        """The open windows covering the alert's device or region."""
        device = alert.labels.get(self._device_label)
        region = alert.labels.get(self._region_label)
        return tuple(
            MuteCause(SuppressionKind.MAINTENANCE, window.id)
            for window in self.covering(device, region, now)
        )

    def observe(self, alert: AlertLike, now: datetime) -> None:
        """Nothing to track: windows open and close by the clock alone."""

    def tick(self, now: datetime) -> list[SuppressionEvent]:
        """Events for openings that started or ended since the last tick, oldest first."""
        events: list[SuppressionEvent] = list(self._removed)
        self._removed.clear()
        for window in self._windows.values():
            opening = window.occurrence_at(now)
            announced = self._announced.get(window.id)
            if announced is not None and announced != opening:
                del self._announced[window.id]
                events.append(_ended(window, min(announced[1], now), "the window closed"))
            if opening is not None and announced != opening:
                self._announced[window.id] = opening
                events.append(
                    SuppressionStarted(
                        at=opening[0],
                        kind=SuppressionKind.MAINTENANCE,
                        suppression_id=window.id,
                        summary=window.summary,
                        created_by=window.created_by,
                        comment=window.comment,
                        ends_at=opening[1],
                    )
                )
        return sorted(events, key=lambda event: event.at)


def _ended(window: MaintenanceWindow, at: datetime, reason: str) -> SuppressionEnded:
    return SuppressionEnded(
        at=at,
        kind=SuppressionKind.MAINTENANCE,
        suppression_id=window.id,
        summary=window.summary,
        reason=reason,
    )
