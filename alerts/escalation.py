"""Escalation: page people, step by step, until someone acknowledges or the alerts resolve.

A policy is a list of steps. Step 1 pages as soon as an alert group fires unacknowledged; each step
names whom to page and how long to wait, still unacknowledged, before the next step
(``escalate_after``); after the last step the policy starts again at step 1, ``repeat`` more times.
A step's targets are a schedule by name, a user, or "the on-call of team T for the alert's region at
level L": step 1 "the network on-call of the county's city" (the city of county 440103 is 440100,
by code prefix), step 2 "the provincial duty engineer" (440000).

Groups are the dispatcher's aggregation groups on routes that name an escalation policy. Muted
alerts and consequences folded under a firing cause page nobody. When every firing alert of a group
is acknowledged the escalation stops; if an unacknowledged one appears later, it starts again at
step 1. When the group stops firing the escalation is forgotten.

A new tracker (the service restarted, or the alerting configuration was reloaded) knows nothing of
the pages already sent. Rather than start every firing group again at step 1 — which would page the
first step twice and put off the climb — the groups it finds at its first tick carry on from where
their timeline stands, counted from when their oldest unacknowledged alert fired: the step due now
is paged once, the earlier ones are taken as sent. (Counting from the firing time, a group whose
acknowledgement expired climbs sooner than it would have; erring towards paging is the safe side.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerts.dispatch import root_causes
from alerts.matchers import FIRING, AlertLike
from alerts.oncall import OnCallDirectory, who_is_on_call
from alerts.routing import Route
from alerts.silences import Muter
from core.errors import NotFound
from core.security.scope import ScopeLevel, is_region_code


@dataclass(frozen=True)
class ScheduleTarget:
    """Whoever is on call on the schedule called ``schedule``."""

    schedule: str

    def __str__(self) -> str:
        return f"schedule {self.schedule}"


@dataclass(frozen=True)
class OnCallTarget:
    """Whoever is on call for ``team`` in the alert's region at ``level`` (or the nearest above)."""

    team: str
    level: ScopeLevel

    def __str__(self) -> str:
        return f"{self.team} on-call ({self.level.value})"


@dataclass(frozen=True)
class UserTarget:
    """One named user, whatever the schedules say."""

    user: str

    def __str__(self) -> str:
        return f"user {self.user}"


EscalationTarget = ScheduleTarget | OnCallTarget | UserTarget


@dataclass(frozen=True)
class EscalationStep:
    """Page ``targets``; if still unacknowledged ``escalate_after`` later, go on."""

    targets: tuple[EscalationTarget, ...]
    escalate_after: timedelta


@dataclass(frozen=True)
class EscalationPolicy:
    """Steps paged in turn, then ``repeat`` more rounds of them."""

    name: str
    steps: tuple[EscalationStep, ...]
    repeat: int = 0
    """How many times to start again at step 1 after the last step."""

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError(f"escalation policy {self.name!r} has no steps")
        if self.repeat < 0:
            raise ValueError("repeat cannot be negative")
        for number, step in enumerate(self.steps, start=1):
            if not step.targets:
                raise ValueError(f"step {number} of {self.name!r} pages nobody")
            followed = number < len(self.steps) or self.repeat > 0
            if followed and step.escalate_after <= timedelta(0):
                raise ValueError(
                    f"step {number} of {self.name!r} is followed by another: "
                    "escalate_after must be positive"
                )

    def page_plan(self) -> list[tuple[timedelta, int, int]]:
        """Every page in order: (time after the escalation started, step number, round number)."""
        plan: list[tuple[timedelta, int, int]] = []
        offset = timedelta(0)
        for round_number in range(1, self.repeat + 2):
            for step_number, step in enumerate(self.steps, start=1):
                plan.append((offset, step_number, round_number))
                offset += step.escalate_after
        return plan


@dataclass(frozen=True)
class Page:
    """Page ``user`` (``None``: nobody could be found — see ``problem``) for an alert group."""

    due_at: datetime
    user: str | None
    policy: str
    step: int
    round: int
    group_key: str
    target: str
    """The step target this page came from (``network on-call (city)``)."""
    alert_fingerprints: tuple[str, ...]
    """The unacknowledged firing alerts of the group."""
    problem: str | None = None
    """Why nobody could be paged for this target (no schedule, nobody on call)."""


@dataclass(frozen=True)
class EscalationView:
    """A running escalation, for the API and the console."""

    group_key: str
    policy: str
    started_at: datetime
    acknowledged: bool
    next_step: int | None
    next_page_at: datetime | None


@dataclass
class _Escalation:
    policy: EscalationPolicy
    started_at: datetime
    pages_sent: int = 0
    acknowledged: bool = False


class EscalationTracker:
    """Follows alert groups through their escalation policies; :meth:`tick` says whom to page."""

    def __init__(
        self,
        route: Route,
        policies: Mapping[str, EscalationPolicy],
        directory: OnCallDirectory,
        *,
        muter: Muter | None = None,
        region_label: str = "region",
    ) -> None:
        self._route = route
        self._policies = policies
        self._directory = directory
        self._muter = muter
        self._region_label = region_label
        self._running: dict[str, _Escalation] = {}
        self._first_tick = True

    def tick(self, now: datetime, alerts: Iterable[AlertLike]) -> list[Page]:
        """The pages due by ``now``, given every current alert (any status)."""
        groups = self._groups(now, alerts)
        for key in [key for key in self._running if key not in groups]:
            del self._running[key]  # resolved (or muted, or folded): nothing left to escalate
        pages: list[Page] = []
        for key in sorted(groups):
            policy, members = groups[key]
            unacknowledged = [a for a in members if not a.acknowledged]
            running = self._running.get(key)
            if not unacknowledged:
                if running is not None:
                    running.acknowledged = True
                continue
            plan = policy.page_plan()
            if running is None and self._first_tick:
                running = self._running[key] = _resumed(policy, plan, unacknowledged, now)
            elif running is None or running.acknowledged or running.policy != policy:
                running = self._running[key] = _Escalation(policy, now)
            while running.pages_sent < len(plan):
                offset, step, round_number = plan[running.pages_sent]
                if running.started_at + offset > now:
                    break
                due = running.started_at + offset
                pages.extend(self._pages(key, policy, step, round_number, due, unacknowledged))
                running.pages_sent += 1
        self._first_tick = False
        return pages

    def escalations(self) -> list[EscalationView]:
        """Every running (or acknowledged, still firing) escalation, by group key."""
        views: list[EscalationView] = []
        for key in sorted(self._running):
            running = self._running[key]
            plan = running.policy.page_plan()
            upcoming = None if running.acknowledged else plan[running.pages_sent :][:1]
            views.append(
                EscalationView(
                    group_key=key,
                    policy=running.policy.name,
                    started_at=running.started_at,
                    acknowledged=running.acknowledged,
                    next_step=upcoming[0][1] if upcoming else None,
                    next_page_at=running.started_at + upcoming[0][0] if upcoming else None,
                )
            )
        return views

    def _groups(
        self, now: datetime, alerts: Iterable[AlertLike]
    ) -> dict[str, tuple[EscalationPolicy, list[AlertLike]]]:
        firing = {a.fingerprint: a for a in alerts if a.status == FIRING}
        folded = root_causes(firing)
        groups: dict[str, tuple[EscalationPolicy, list[AlertLike]]] = {}
        for alert in firing.values():
            if alert.fingerprint in folded:
                continue
            if self._muter is not None and self._muter.muted_by(alert, now):
                continue
            for route in self._route.match(alert.labels):
                policy = self._policies.get(route.escalation or "")
                if policy is not None:
                    key = route.group_key(alert.labels)
                    groups.setdefault(key, (policy, []))[1].append(alert)
        return groups

    def _pages(
        self,
        key: str,
        policy: EscalationPolicy,
        step: int,
        round_number: int,
        due: datetime,
        alerts: list[AlertLike],
    ) -> list[Page]:
        fingerprints = tuple(sorted(a.fingerprint for a in alerts))
        pages: list[Page] = []
        paged: set[str] = set()
        for target in policy.steps[step - 1].targets:
            for user, problem in self._resolve(target, alerts, due):
                if user is not None and user in paged:
                    continue
                if user is not None:
                    paged.add(user)
                pages.append(
                    Page(
                        due,
                        user,
                        policy.name,
                        step,
                        round_number,
                        key,
                        str(target),
                        fingerprints,
                        problem,
                    )
                )
        return pages

    def _resolve(
        self, target: EscalationTarget, alerts: list[AlertLike], now: datetime
    ) -> list[tuple[str | None, str | None]]:
        """(user, None) for each user the target names now, or (None, why nobody)."""
        if isinstance(target, UserTarget):
            return [(target.user, None)]
        if isinstance(target, ScheduleTarget):
            try:
                schedule = self._directory.get(target.schedule)
            except NotFound:
                return [(None, f"no on-call schedule {target.schedule!r}")]
            user = who_is_on_call(schedule, now)
            return [(user, None if user else f"nobody is on call on {schedule.name!r}")]
        regions = sorted(
            {
                region
                for a in alerts
                if (region := a.labels.get(self._region_label)) and is_region_code(region)
            }
        )
        if not regions:
            return [(None, f"the alerts carry no '{self._region_label}' label to find a schedule")]
        found: list[tuple[str | None, str | None]] = []
        for region in regions:
            covering = self._directory.schedule_covering(target.team, region, target.level)
            if covering is None:
                found.append((None, f"team {target.team!r} has no schedule covering {region}"))
                continue
            user = who_is_on_call(covering, now)
            found.append((user, None if user else f"nobody is on call on {covering.name!r}"))
        return found


def _resumed(
    policy: EscalationPolicy,
    plan: list[tuple[timedelta, int, int]],
    unacknowledged: list[AlertLike],
    now: datetime,
) -> _Escalation:
    """An escalation found running by a new tracker: its timeline counted from the oldest
    unacknowledged alert's start, every page before the one due now taken as sent."""
    starts = [a.starts_at for a in unacknowledged if a.starts_at is not None and a.starts_at <= now]
    started_at = min(starts, default=now)
    due = [index for index, (offset, _, _) in enumerate(plan) if started_at + offset <= now]
    return _Escalation(policy, started_at, pages_sent=max(due, default=0))
