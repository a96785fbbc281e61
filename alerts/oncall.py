"""On-call schedules: who answers for a team in a region, right now.

A schedule belongs to a team and a region (GB/T 2260 code: the network team of Guangzhou 440100,
the provincial duty engineers of 440000). Its rotation hands over from one user to the next at a
local wall-clock time, every day or every week, starting on a given date: "weekly, Monday 09:00
Asia/Shanghai, from 2026-01-05" — the handoff stays at 09:00 local across daylight-saving changes.
Overrides put someone else on call for a stretch (a swap, sick leave); the latest added wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import NocError, NotFound
from core.security.scope import ScopeLevel, is_region_code, scope_level


class InvalidOnCall(NocError, ValueError):
    """A rotation, override or schedule asked for makes no sense (no users, ends before start)."""


class RotationPeriod(StrEnum):
    """How often a rotation hands over."""

    DAILY = "daily"
    WEEKLY = "weekly"


_PERIOD_DAYS = {RotationPeriod.DAILY: 1, RotationPeriod.WEEKLY: 7}


@dataclass(frozen=True)
class Rotation:
    """Users taking turns, handing over at ``handoff`` local time every day or week."""

    users: tuple[str, ...]
    """In turn order; the first is on call from the first handoff."""
    start: date
    """Local date of the first handoff (for weekly rotations, also the handoff weekday)."""
    handoff: time
    """Local wall-clock time of every handoff."""
    period: RotationPeriod
    """Daily or weekly handoffs."""
    timezone: str
    """IANA name the handoff time is read in, e.g. ``Asia/Shanghai``."""
    _tz: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.users:
            raise InvalidOnCall("a rotation needs at least one user")
        try:
            object.__setattr__(self, "_tz", ZoneInfo(self.timezone))
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidOnCall(f"unknown timezone {self.timezone!r}") from None

    def on_call_at(self, now: datetime) -> str | None:
        """Whose turn it is at ``now``; ``None`` before the first handoff."""
        local = now.astimezone(self._tz)
        days = (local.date() - self.start).days
        if local.time().replace(tzinfo=None) < self.handoff:
            days -= 1  # today's handoff has not happened yet
        if days < 0:
            return None
        turns = days // _PERIOD_DAYS[self.period]
        return self.users[turns % len(self.users)]


@dataclass(frozen=True)
class Override:
    """``user`` is on call instead of the rotation from ``starts_at`` until ``ends_at``."""

    user: str
    starts_at: datetime
    ends_at: datetime

    def __post_init__(self) -> None:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise InvalidOnCall("override times must be timezone-aware")
        if self.ends_at <= self.starts_at:
            raise InvalidOnCall("an override must end after it starts")

    def holds_at(self, now: datetime) -> bool:
        """Whether the override is in force at ``now``."""
        return self.starts_at <= now < self.ends_at


@dataclass(frozen=True)
class Schedule:
    """Who is on call for ``team`` in ``region``."""

    name: str
    """Unique name, used by escalation policies."""
    team: str
    """The team (network, systems, duty, …)."""
    region: str
    """GB/T 2260 code of the region the schedule answers for."""
    rotation: Rotation
    overrides: tuple[Override, ...] = ()
    """In the order they were added; a later one wins where they overlap."""

    def __post_init__(self) -> None:
        if not is_region_code(self.region):
            raise InvalidOnCall(f"not a six-digit region code: {self.region!r}")

    def with_override(self, override: Override) -> Schedule:
        """This schedule with one more override (taking precedence over earlier ones)."""
        return replace(self, overrides=(*self.overrides, override))


def who_is_on_call(schedule: Schedule, now: datetime) -> str | None:
    """The user on call at ``now``: the latest override in force, else the rotation's turn."""
    for override in reversed(schedule.overrides):
        if override.holds_at(now):
            return override.user
    return schedule.rotation.on_call_at(now)


def region_at_level(code: str, level: ScopeLevel) -> str | None:
    """The region at ``level`` containing ``code``: the city of a county is its 4-digit prefix.

    ``None`` when ``code`` lies above ``level`` (a province has no city).
    """
    own = scope_level(code)
    order = (ScopeLevel.PROVINCE, ScopeLevel.CITY, ScopeLevel.COUNTY)
    if order.index(own) < order.index(level):
        return None
    if level is ScopeLevel.PROVINCE:
        return code[:2] + "0000"
    if level is ScopeLevel.CITY:
        return code[:4] + "00"
    return code


class OnCallDirectory:
    """All schedules, found by name or by team and region."""

    def __init__(self, schedules: Iterable[Schedule] = ()) -> None:
        self._schedules: dict[str, Schedule] = {}
        for schedule in schedules:
            self.put(schedule)

    def put(self, schedule: Schedule) -> Schedule:
        """Store ``schedule`` (replacing one of the same name)."""
        self._schedules[schedule.name] = schedule
        return schedule

    def get(self, name: str) -> Schedule:
        """The schedule called ``name``; :class:`NotFound` otherwise."""
        try:
            return self._schedules[name]
        except KeyError:
            raise NotFound(f"no on-call schedule {name!r}") from None

    def all(self) -> list[Schedule]:
        """Every schedule, by name."""
        return [self._schedules[name] for name in sorted(self._schedules)]

    def add_override(self, name: str, override: Override) -> Schedule:
        """Add an override to the schedule called ``name``; the updated schedule."""
        return self.put(self.get(name).with_override(override))

    def who_is_on_call(self, name: str, now: datetime) -> str | None:
        """The user on call for the schedule called ``name``."""
        return who_is_on_call(self.get(name), now)

    def schedule_for(self, team: str, region: str) -> Schedule | None:
        """``team``'s schedule for exactly ``region`` (first by name if several)."""
        for schedule in self.all():
            if schedule.team == team and schedule.region == region:
                return schedule
        return None

    def schedule_covering(self, team: str, region: str, level: ScopeLevel) -> Schedule | None:
        """``team``'s schedule for ``region`` at ``level``, else the nearest one above it.

        For the county 440103 at city level: the team's 440100 schedule, or failing that its
        440000 one. ``None`` when the team has none on the way up.
        """
        if not is_region_code(region):
            return None
        levels = (ScopeLevel.COUNTY, ScopeLevel.CITY, ScopeLevel.PROVINCE)
        for candidate_level in levels[levels.index(level) :]:
            code = region_at_level(region, candidate_level)
            if code is None:
                continue
            schedule = self.schedule_for(team, code)
            if schedule is not None:
                return schedule
        return None
