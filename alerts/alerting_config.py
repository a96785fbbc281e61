"""The alerting configuration file: receivers, the route tree, on-call schedules, escalation
policies and planned maintenance, read from YAML and checked before anything uses it.

Every mistake is reported as :class:`AlertingConfigError` naming the file, the line, the path of
the value (``route.routes[1].receiver``) and what is wrong. tests/data/alerts/routing.yaml is a
complete example. Durations are ``30s``, ``5m``, ``4h``, ``1d``, ``1h30m`` or a number of seconds;
times of day are quoted, ``"09:00"`` (YAML reads an unquoted ``10:30`` as the number 630).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from alerts.escalation import (
    EscalationPolicy,
    EscalationStep,
    EscalationTarget,
    OnCallTarget,
    ScheduleTarget,
    UserTarget,
)
from alerts.maintenance import MaintenanceWindow, OneOff, Recurrence
from alerts.matchers import parse_matcher
from alerts.oncall import Override, Rotation, RotationPeriod, Schedule
from alerts.routing import Channel, ChannelKind, Receiver, Route, RouteSpec, build_route_tree
from core.errors import ConfigError, InventoryError
from core.security.scope import ScopeLevel
from core.yaml_source import LocatedYaml, format_path, load_located_yaml

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?\d{5,15}$")
_LONGEST_S = 366 * 86400.0  # a year: anything longer is a typo, and timedelta would overflow


class AlertingConfigError(ConfigError):
    """The alerting configuration file is wrong: ``path``, ``line``, ``field`` and ``reason``."""

    def __init__(self, path: str, line: int | None, field: str | None, reason: str) -> None:
        self.path, self.line, self.field, self.reason = path, line, field, reason
        where = path if line is None else f"{path}:{line}"
        super().__init__(f"{where}: {field}: {reason}" if field else f"{where}: {reason}")


def parse_duration(value: object) -> timedelta:
    """``"1h30m"`` / ``"45s"`` / ``90`` (seconds) → :class:`timedelta`; :class:`ValueError` else."""
    seconds: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif (
        isinstance(value, str) and (found := _DURATION.match(value.strip())) and any(found.groups())
    ):
        days, hours, minutes, secs = (int(part or 0) for part in found.groups())
        seconds = ((days * 24 + hours) * 60 + minutes) * 60.0 + secs
    if seconds is None or not 0 <= seconds <= _LONGEST_S:
        raise ValueError("not a duration (use 30s, 5m, 4h, 1d, 1h30m or seconds)")
    return timedelta(seconds=seconds)


def _clock_time(value: object) -> time:
    found = _CLOCK.match(value) if isinstance(value, str) else None
    if found is None:
        raise ValueError('not a time of day: write it quoted, as "HH:MM"')
    return time(int(found[1]), int(found[2]))


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
ClockTime = Annotated[time, BeforeValidator(_clock_time)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, frozen=True)


class _Channel(_Model):
    kind: Literal["webhook", "email", "sms"]
    target: str
    send_resolved: bool = True

    @model_validator(mode="after")
    def _target_fits_kind(self) -> _Channel:
        if self.kind == "webhook":
            parts = urlsplit(self.target)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError("a webhook target must be an http:// or https:// URL")
        elif self.kind == "email" and not _EMAIL.match(self.target):
            raise ValueError("an email target must be an address like noc@example.org")
        elif self.kind == "sms" and not _PHONE.match(self.target):
            raise ValueError("an sms target must be a phone number (digits, optional leading +)")
        return self


class _Receiver(_Model):
    name: str = Field(min_length=1)
    channels: list[_Channel] = Field(min_length=1)


class _Route(_Model):
    receiver: str | None = None
    matchers: list[str] = []
    continue_: bool = Field(False, alias="continue")
    group_by: list[str] | None = None
    group_wait: Duration | None = None
    group_interval: Duration | None = None
    repeat_interval: Duration | None = None
    escalation: str | None = None
    routes: list[_Route] = []

    @field_validator("matchers")
    @classmethod
    def _parseable(cls, matchers: list[str]) -> list[str]:
        for text in matchers:
            parse_matcher(text)
        return matchers


class _Rotation(_Model):
    users: list[str] = Field(min_length=1)
    start: date
    handoff: ClockTime
    period: Literal["daily", "weekly"]
    timezone: str


class _Override(_Model):
    user: str
    starts_at: AwareDatetime
    ends_at: AwareDatetime


class _Schedule(_Model):
    name: str = Field(min_length=1)
    team: str = Field(min_length=1)
    region: str
    rotation: _Rotation
    overrides: list[_Override] = []


class _Target(_Model):
    schedule: str | None = None
    user: str | None = None
    on_call: Literal["county", "city", "province"] | None = None
    team: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> _Target:
        given = [name for name in ("schedule", "user", "on_call") if getattr(self, name)]
        if len(given) != 1:
            raise ValueError(
                "a target is one of {schedule: NAME}, {user: NAME}, {on_call: LEVEL, team: TEAM}"
            )
        if (self.on_call is None) != (self.team is None):
            raise ValueError(
                "'team' goes with 'on_call' (the team whose on-call is paged), and only there"
            )
        return self


class _Step(_Model):
    targets: list[_Target] = Field(min_length=1)
    escalate_after: Duration = timedelta(0)


class _Policy(_Model):
    name: str = Field(min_length=1)
    steps: list[_Step] = Field(min_length=1)
    repeat: int = Field(0, ge=0)


class _Maintenance(_Model):
    id: str = Field(min_length=1)
    regions: list[str] = []
    devices: list[str] = []
    recurrence: str | None = None
    until: AwareDatetime | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    pause_collection: bool = False
    created_by: str = "config"
    comment: str = ""


class _Document(_Model):
    receivers: list[_Receiver] = Field(min_length=1)
    route: _Route
    schedules: list[_Schedule] = []
    escalation_policies: list[_Policy] = []
    maintenance: list[_Maintenance] = []


@dataclass(frozen=True)
class AlertingConfig:
    """Everything the alerting configuration file says, checked and resolved."""

    source: str
    route: Route
    receivers: Mapping[str, Receiver]
    schedules: tuple[Schedule, ...]
    escalation_policies: Mapping[str, EscalationPolicy]
    maintenance: tuple[MaintenanceWindow, ...]

    def send_resolved(self, receiver: str) -> bool:
        """For :class:`alerts.dispatch.Dispatcher`: does ``receiver`` want resolutions?"""
        found = self.receivers.get(receiver)
        return found.wants_resolved if found is not None else True


def load_alerting_config(path: Path) -> AlertingConfig:
    """Read and check ``path``; :class:`AlertingConfigError` for the first thing wrong."""
    try:
        located = load_located_yaml(path)
        document = located.validate(_Document)
    except InventoryError as exc:
        reason = exc.reason.removeprefix("Value error, ")  # pydantic's prefix says nothing
        raise AlertingConfigError(exc.path, exc.line, exc.field, reason) from None
    return _Resolver(located).resolve(document)


class _Resolver:
    """Turns the validated document into domain objects, checking names across sections."""

    def __init__(self, located: LocatedYaml) -> None:
        self._located = located

    def fail(self, key: Sequence[str | int], reason: str) -> AlertingConfigError:
        line = self._located.line_of(key)
        return AlertingConfigError(str(self._located.path), line, format_path(key) or None, reason)

    @contextmanager
    def at(self, key: Sequence[str | int]) -> Iterator[None]:
        """Report a ValueError raised by the domain objects at ``key``."""
        try:
            yield
        except ValueError as exc:
            raise self.fail(key, str(exc)) from None

    def unique(self, section: str, names: Sequence[str], field: str = "name") -> None:
        seen: set[str] = set()
        for index, name in enumerate(names):
            if name in seen:
                raise self.fail((section, index, field), f"{name!r} is defined twice")
            seen.add(name)

    def resolve(self, document: _Document) -> AlertingConfig:
        self.unique("receivers", [r.name for r in document.receivers])
        self.unique("schedules", [s.name for s in document.schedules])
        self.unique("escalation_policies", [p.name for p in document.escalation_policies])
        self.unique("maintenance", [m.id for m in document.maintenance], "id")
        receivers = {
            r.name: Receiver(
                r.name,
                tuple(Channel(ChannelKind(c.kind), c.target, c.send_resolved) for c in r.channels),
            )
            for r in document.receivers
        }
        schedules = tuple(
            self.schedule(("schedules", i), s) for i, s in enumerate(document.schedules)
        )
        policies = {
            p.name: self.policy(("escalation_policies", i), p, schedules)
            for i, p in enumerate(document.escalation_policies)
        }
        if document.route.receiver is None:
            raise self.fail(("route", "receiver"), "the root route needs a receiver")
        if document.route.matchers:
            raise self.fail(
                ("route", "matchers"), "the root route matches every alert: no matchers"
            )
        spec = self.route(("route",), document.route, receivers, policies)
        with self.at(("route",)):
            route = build_route_tree(spec)
        maintenance = tuple(
            self.maintenance(("maintenance", i), m) for i, m in enumerate(document.maintenance)
        )
        source = str(self._located.path)
        return AlertingConfig(source, route, receivers, schedules, policies, maintenance)

    def route(
        self,
        key: tuple[str | int, ...],
        model: _Route,
        receivers: Mapping[str, Receiver],
        policies: Mapping[str, EscalationPolicy],
    ) -> RouteSpec:
        if model.receiver is not None and model.receiver not in receivers:
            known = ", ".join(sorted(receivers))
            raise self.fail((*key, "receiver"), f"no receiver {model.receiver!r} (known: {known})")
        if model.escalation is not None and model.escalation not in policies:
            known = ", ".join(sorted(policies)) or "none defined"
            reason = f"no escalation policy {model.escalation!r} (known: {known})"
            raise self.fail((*key, "escalation"), reason)
        return RouteSpec(
            receiver=model.receiver,
            matchers=tuple(parse_matcher(text) for text in model.matchers),
            continue_matching=model.continue_,
            group_by=None if model.group_by is None else tuple(model.group_by),
            group_wait=model.group_wait,
            group_interval=model.group_interval,
            repeat_interval=model.repeat_interval,
            escalation=model.escalation,
            routes=tuple(
                self.route((*key, "routes", i), child, receivers, policies)
                for i, child in enumerate(model.routes)
            ),
        )

    def schedule(self, key: tuple[str | int, ...], model: _Schedule) -> Schedule:
        spec = model.rotation
        with self.at((*key, "rotation")):
            period = RotationPeriod(spec.period)
            rotation = Rotation(tuple(spec.users), spec.start, spec.handoff, period, spec.timezone)
        overrides: list[Override] = []
        for i, override in enumerate(model.overrides):
            with self.at((*key, "overrides", i)):
                overrides.append(Override(override.user, override.starts_at, override.ends_at))
        with self.at(key):
            return Schedule(model.name, model.team, model.region, rotation, tuple(overrides))

    def policy(
        self, key: tuple[str | int, ...], model: _Policy, schedules: Sequence[Schedule]
    ) -> EscalationPolicy:
        names = {s.name for s in schedules}
        teams = {s.team for s in schedules}
        steps: list[EscalationStep] = []
        for s, step in enumerate(model.steps):
            targets: list[EscalationTarget] = []
            for t, target in enumerate(step.targets):
                where = (*key, "steps", s, "targets", t)
                if target.schedule is not None:
                    if target.schedule not in names:
                        raise self.fail((*where, "schedule"), f"no schedule {target.schedule!r}")
                    targets.append(ScheduleTarget(target.schedule))
                elif target.user is not None:
                    targets.append(UserTarget(target.user))
                elif target.on_call is not None and target.team is not None:
                    if target.team not in teams:
                        reason = f"no schedule belongs to team {target.team!r}"
                        raise self.fail((*where, "team"), reason)
                    targets.append(OnCallTarget(target.team, ScopeLevel(target.on_call)))
            steps.append(EscalationStep(tuple(targets), step.escalate_after))
        with self.at(key):
            return EscalationPolicy(model.name, tuple(steps), model.repeat)

    def maintenance(self, key: tuple[str | int, ...], model: _Maintenance) -> MaintenanceWindow:
        starts, ends, text = model.starts_at, model.ends_at, model.recurrence
        with self.at(key):
            schedule: OneOff | Recurrence
            if text is not None and starts is None and ends is None:
                schedule = Recurrence.parse(text, until=model.until)
            elif text is None and starts is not None and ends is not None:
                schedule = OneOff(starts, ends)
            else:
                raise ValueError("give either 'recurrence' or both 'starts_at' and 'ends_at'")
            return MaintenanceWindow(
                id=model.id,
                schedule=schedule,
                regions=frozenset(model.regions),
                device_ids=frozenset(model.devices),
                pause_collection=model.pause_collection,
                created_by=model.created_by,
                comment=model.comment,
            )
