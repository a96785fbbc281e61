"""Silences, and the one muting seam the dispatcher asks: "is this alert muted, and by what?".

A silence mutes every alert whose labels satisfy all its matchers between ``starts_at`` and
``ends_at`` (Alertmanager's model). It is *pending* before it starts, *active* while it holds and
*expired* after. A silence can also be set ``until_resolved``: it then ends as soon as every alert
it has muted has resolved — "keep quiet about this outage until it is over".

:class:`SilenceStore` and the maintenance calendar both implement :class:`Muter`;
:class:`CombinedMuter` asks them in turn, so the dispatcher sees one muter and every answer names
its causes (silence id, maintenance window id). Each store's ``tick(now)`` yields
:class:`SuppressionStarted` / :class:`SuppressionEnded` events for the notifier.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from alerts.matchers import FIRING, RESOLVED, AlertLike, Matcher, format_matchers, matches_all
from core.errors import NocError, NotFound
from core.events import Event


class InvalidSuppression(NocError, ValueError):
    """A silence or maintenance window asked for makes no sense (no matchers, ends before start)."""


class SuppressionKind(StrEnum):
    """What kind of thing mutes an alert."""

    SILENCE = "silence"
    MAINTENANCE = "maintenance"


@dataclass(frozen=True, slots=True)
class MuteCause:
    """One reason an alert is muted: the silence or maintenance window that mutes it."""

    kind: SuppressionKind
    id: str

    def __str__(self) -> str:
        return f"{self.kind.value} {self.id}"


@dataclass(frozen=True, slots=True)
class SuppressionStarted(Event):
    """A silence or maintenance window began to mute alerts (``at`` is when it began)."""

    kind: SuppressionKind
    suppression_id: str
    summary: str
    created_by: str
    comment: str
    ends_at: datetime | None


@dataclass(frozen=True, slots=True)
class SuppressionEnded(Event):
    """A silence or maintenance window stopped muting alerts (``at`` is when it stopped)."""

    kind: SuppressionKind
    suppression_id: str
    summary: str
    reason: str


SuppressionEvent = SuppressionStarted | SuppressionEnded


class Muter(Protocol):
    """Answers whether an alert is muted right now, and by what."""

    def muted_by(self, alert: AlertLike, now: datetime) -> tuple[MuteCause, ...]:
        """Every cause muting ``alert`` at ``now``; empty when it is not muted."""
        ...

    def observe(self, alert: AlertLike, now: datetime) -> None:
        """Be told of an alert's new state (until-resolved silences end on resolution)."""
        ...


class CombinedMuter:
    """Several muters asked as one (silences and maintenance windows)."""

    def __init__(self, *muters: Muter) -> None:
        self._muters = muters

    def muted_by(self, alert: AlertLike, now: datetime) -> tuple[MuteCause, ...]:
        return tuple(cause for muter in self._muters for cause in muter.muted_by(alert, now))

    def observe(self, alert: AlertLike, now: datetime) -> None:
        for muter in self._muters:
            muter.observe(alert, now)


class SilenceState(StrEnum):
    """Where a silence is in its life."""

    PENDING = "pending"
    ACTIVE = "active"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Silence:
    """Mute alerts matching all ``matchers`` from ``starts_at`` until ``ends_at``."""

    id: str
    """Unique id, shown in mute causes and events."""
    matchers: tuple[Matcher, ...]
    """All must match an alert's labels for it to be muted."""
    starts_at: datetime
    """When muting begins (aware)."""
    ends_at: datetime | None
    """When muting ends (aware); ``None`` only for ``until_resolved`` silences, which then last
    until their alerts resolve or someone expires them."""
    created_by: str
    """Who asked for the silence."""
    comment: str
    """Why (shown to the on-call staff)."""
    until_resolved: bool = False
    """End early, as soon as every alert this silence has muted has resolved."""
    end_reason: str | None = None
    """Why the silence ended before its planned end (expired by hand, alerts resolved)."""

    def __post_init__(self) -> None:
        if not self.matchers:
            raise InvalidSuppression("a silence needs at least one matcher")
        if all(matcher.matches_value("") for matcher in self.matchers):
            # Alertmanager's rule: otherwise the silence would mute every alert there is.
            raise InvalidSuppression(
                f"silence {format_matchers(self.matchers)} would match every alert: "
                "at least one matcher must not match an empty label"
            )
        for when in (self.starts_at, self.ends_at):
            if when is not None and when.tzinfo is None:
                raise InvalidSuppression("silence times must be timezone-aware")
        if self.ends_at is None and not self.until_resolved:
            raise InvalidSuppression("a silence needs an end time unless it lasts until resolved")
        if self.ends_at is not None and self.ends_at < self.starts_at:
            raise InvalidSuppression("a silence cannot end before it starts")

    def state(self, now: datetime) -> SilenceState:
        """Pending, active or expired at ``now``."""
        if self.ends_at is not None and now >= self.ends_at:
            return SilenceState.EXPIRED
        if now < self.starts_at:
            return SilenceState.PENDING
        return SilenceState.ACTIVE

    def matches(self, alert: AlertLike) -> bool:
        """Whether the alert's labels satisfy every matcher (regardless of time)."""
        return matches_all(self.matchers, alert.labels)

    @property
    def summary(self) -> str:
        """The matchers, as Alertmanager writes them."""
        return format_matchers(self.matchers)


def _new_id() -> str:
    return uuid.uuid4().hex


class SilenceStore:
    """The silences known to this process; a :class:`Muter`.

    In memory: the composition root persists silences (``all()``) and reloads them (``add``).
    """

    def __init__(self, *, id_factory: Callable[[], str] = _new_id) -> None:
        self._silences: dict[str, Silence] = {}
        self._muted: dict[str, set[str]] = {}
        """until-resolved silence id → fingerprints of the firing alerts it has muted."""
        self._announced: set[str] = set()
        """Ids whose start was announced and whose end was not yet."""
        self._new_id = id_factory

    def create(
        self,
        matchers: Sequence[Matcher],
        *,
        starts_at: datetime,
        ends_at: datetime | None,
        created_by: str,
        comment: str,
        until_resolved: bool = False,
    ) -> Silence:
        """Make, store and return a new silence with a fresh id."""
        silence = Silence(
            id=self._new_id(),
            matchers=tuple(matchers),
            starts_at=starts_at,
            ends_at=ends_at,
            created_by=created_by,
            comment=comment,
            until_resolved=until_resolved,
        )
        return self.add(silence)

    def add(self, silence: Silence) -> Silence:
        """Store ``silence`` (replacing one with the same id) and return it."""
        self._silences[silence.id] = silence
        return silence

    def get(self, silence_id: str) -> Silence:
        """The silence with this id; :class:`NotFound` otherwise."""
        try:
            return self._silences[silence_id]
        except KeyError:
            raise NotFound(f"no silence {silence_id!r}") from None

    def all(self) -> list[Silence]:
        """Every silence, expired ones included, in creation order."""
        return list(self._silences.values())

    def in_state(self, now: datetime, state: SilenceState | None = None) -> list[Silence]:
        """The silences in ``state`` at ``now`` (all of them when ``state`` is ``None``)."""
        return [s for s in self._silences.values() if state is None or s.state(now) is state]

    def expire(self, silence_id: str, now: datetime, *, by: str | None = None) -> Silence:
        """End a silence now (a pending one never starts); an expired one is left as it is."""
        silence = self.get(silence_id)
        if silence.state(now) is SilenceState.EXPIRED:
            return silence
        reason = f"expired by {by}" if by else "expired by hand"
        starts_at = min(silence.starts_at, now)
        return self._end(replace(silence, starts_at=starts_at), now, reason)

    def purge(self, now: datetime, *, keep_expired_for: timedelta) -> int:
        """Forget silences expired for longer than ``keep_expired_for``; how many were dropped."""
        stale = [
            s.id
            for s in self._silences.values()
            if s.ends_at is not None and s.ends_at + keep_expired_for <= now
        ]
        for silence_id in stale:
            del self._silences[silence_id]
            self._muted.pop(silence_id, None)
            self._announced.discard(silence_id)
        return len(stale)

    def muted_by(self, alert: AlertLike, now: datetime) -> tuple[MuteCause, ...]:
        """Active silences matching ``alert``. Also remembers what until-resolved silences muted."""
        causes = tuple(
            MuteCause(SuppressionKind.SILENCE, silence.id)
            for silence in self._silences.values()
            if silence.state(now) is SilenceState.ACTIVE and silence.matches(alert)
        )
        self.observe(alert, now)
        return causes

    def observe(self, alert: AlertLike, now: datetime) -> None:
        """Track alerts for until-resolved silences; end those whose alerts have all resolved."""
        for silence in list(self._silences.values()):
            if not silence.until_resolved or silence.state(now) is not SilenceState.ACTIVE:
                continue
            muted = self._muted.setdefault(silence.id, set())
            if alert.status == FIRING and silence.matches(alert):
                muted.add(alert.fingerprint)
            elif alert.status == RESOLVED and alert.fingerprint in muted:
                muted.discard(alert.fingerprint)
                if not muted:
                    self._end(silence, now, "the alerts it silenced resolved")

    def tick(self, now: datetime) -> list[SuppressionEvent]:
        """Events for silences that started or ended since the last tick, oldest first."""
        events: list[SuppressionEvent] = []
        for silence in self._silences.values():
            state = silence.state(now)
            if state is SilenceState.ACTIVE and silence.id not in self._announced:
                self._announced.add(silence.id)
                events.append(
                    SuppressionStarted(
                        at=silence.starts_at,
                        kind=SuppressionKind.SILENCE,
                        suppression_id=silence.id,
                        summary=silence.summary,
                        created_by=silence.created_by,
                        comment=silence.comment,
                        ends_at=silence.ends_at,
                    )
                )
            elif state is SilenceState.EXPIRED and silence.id in self._announced:
                self._announced.discard(silence.id)
                assert silence.ends_at is not None
                events.append(
                    SuppressionEnded(
                        at=silence.ends_at,
                        kind=SuppressionKind.SILENCE,
                        suppression_id=silence.id,
                        summary=silence.summary,
                        reason=silence.end_reason or "its end time passed",
                    )
                )
        return sorted(events, key=lambda event: event.at)

    def _end(self, silence: Silence, now: datetime, reason: str) -> Silence:
        ended = replace(silence, ends_at=now, end_reason=reason)
        self._silences[silence.id] = ended
        self._muted.pop(silence.id, None)
        return ended
