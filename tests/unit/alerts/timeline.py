"""A small timeline DSL for alert-engine tests, after Alertmanager's acceptance tests.

Push inputs at offsets from the start, run the engine every ``every`` seconds (and at every
offset something happens), then expect transitions between two offsets::

    tl = Timeline(rules_yaml, every="15s")
    tl.at("0s").metric("device_cpu_percent", {"device": "gz-core1"}, 95)
    tl.at("4m59s").check()                       # an evaluation exactly then
    tl.run(until="10m")
    tl.expect_none("fired", between=("0s", "4m59s"))
    tl.expect("fired", "cpu-high", between=("5m", "5m"), device="gz-core1")

Offsets are durations (``"4m59s"``) or seconds. Actions at an offset happen before the
evaluation at that offset; events pushed at an offset are delivered to that evaluation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from alerts.evaluation import AlertEngine, EngineSettings
from alerts.history import AlertStore
from alerts.model import (
    Alert,
    BackupFact,
    DeviceFact,
    EvaluationResult,
    LinkFact,
    SiteFact,
    StateSnapshot,
    TerminalFleetFact,
    Transition,
    TransitionKind,
)
from alerts.rule_schema import parse_duration
from alerts.rules import RuleSet, rules_from_data
from core.clock import FakeClock
from core.events import Event, TrapReceived
from core.metrics.store import LatestValue, SeriesKey

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
Offset = str | float


def seconds(offset: Offset) -> float:
    """``"4m59s"`` → 299.0; numbers are seconds already."""
    return float(offset) if isinstance(offset, int | float) else parse_duration(offset)


def rules_from_yaml(text: str) -> RuleSet:
    """Rules from YAML text (a whole file, or just the list under ``rules:``)."""
    data = yaml.safe_load(text)
    return rules_from_data(data if isinstance(data, dict) else {"rules": data}, "<test>")


class FakeMetrics:
    """A :class:`~alerts.observation.MetricsSource` holding current values.

    Values are stamped with the clock's time when read, like a collector that keeps polling;
    :meth:`freeze` stops one series' updates (its newest point then ages), :meth:`fail` makes
    reads raise.
    """

    def __init__(self, clock: FakeClock) -> None:
        self._clock = clock
        self._values: dict[SeriesKey, float] = {}
        self._frozen_at: dict[SeriesKey, float] = {}
        self.error: Exception | None = None

    def set(self, name: str, labels: Mapping[str, str], value: float) -> None:
        key = SeriesKey.of(name, labels)
        self._values[key] = value
        self._frozen_at.pop(key, None)

    def remove(self, name: str, labels: Mapping[str, str]) -> None:
        self._values.pop(SeriesKey.of(name, labels), None)

    def freeze(self, name: str, labels: Mapping[str, str]) -> None:
        self._frozen_at[SeriesKey.of(name, labels)] = self._clock.now().timestamp()

    def fail(self, error: Exception | None) -> None:
        self.error = error

    def latest(self, name: str, matchers: Mapping[str, str] | None = None) -> list[LatestValue]:
        if self.error is not None:
            raise self.error
        now_s = self._clock.now().timestamp()
        return [
            LatestValue(key, self._frozen_at.get(key, now_s), value)
            for key, value in self._values.items()
            if key.name == name and key.matches(matchers or {})
        ]


@dataclass
class World:
    """The state facts the timeline hands the engine, changed by actions."""

    devices: dict[str, DeviceFact] = field(default_factory=dict)
    links: dict[str, LinkFact] = field(default_factory=dict)
    sites: dict[str, SiteFact] = field(default_factory=dict)
    backups: dict[str, BackupFact] = field(default_factory=dict)
    terminal_fleets: dict[str, TerminalFleetFact] = field(default_factory=dict)

    def snapshot(self) -> StateSnapshot:
        return StateSnapshot(
            devices=tuple(self.devices.values()),
            links=tuple(self.links.values()),
            sites=tuple(self.sites.values()),
            backups=tuple(self.backups.values()),
            terminal_fleets=tuple(self.terminal_fleets.values()),
        )


@dataclass(frozen=True)
class Seen:
    """One transition, with when it happened (seconds from the start) and the alert's labels."""

    offset_s: float
    transition: Transition
    alert: Alert

    def __str__(self) -> str:
        labels = ",".join(f"{k}={v}" for k, v in sorted(self.alert.labels.items()))
        kind = self.transition.kind.value
        return f"{self.offset_s:>7.0f}s {kind:<18} {self.alert.rule} {{{labels}}}"


Action = Callable[["Timeline", datetime], object]


def trap(
    at: datetime, kind: str, device: str, if_index: int | None = None, if_name: str | None = None
) -> TrapReceived:
    """A decoded trap from ``device`` (linkDown, linkUp, coldStart, …)."""
    return TrapReceived(
        at=at,
        source_address="127.0.0.1",
        device_id=device,
        kind=kind,
        trap_oid="1.3.6.1.6.3.1.1.5.3",
        varbinds=(),
        version="v2c",
        if_index=if_index,
        if_name=if_name,
    )


class At:
    """Actions scheduled at one offset (chainable)."""

    def __init__(self, timeline: Timeline, offset_s: float) -> None:
        self._tl = timeline
        self._offset_s = offset_s

    def do(self, action: Action) -> At:
        self._tl._actions.setdefault(self._offset_s, []).append(action)
        return self

    def check(self) -> At:
        """Only make sure the engine evaluates at this offset."""
        return self.do(lambda _tl, _now: None)

    def metric(self, name: str, labels: Mapping[str, str], value: float) -> At:
        return self.do(lambda tl, _now: tl.metrics.set(name, labels, value))

    def drop_metric(self, name: str, labels: Mapping[str, str]) -> At:
        return self.do(lambda tl, _now: tl.metrics.remove(name, labels))

    def device(self, device_id: str, status: str, **fields: Any) -> At:
        def act(tl: Timeline, now: datetime) -> None:
            old = tl.world.devices.get(device_id, DeviceFact(device_id))
            tl.world.devices[device_id] = replace(old, status=status, since=now, **fields)

        return self.do(act)

    def link(self, fact: LinkFact) -> At:
        return self.do(lambda tl, _now: tl.world.links.__setitem__(fact.link_id, fact))

    def link_state(self, link_id: str, state: str) -> At:
        def act(tl: Timeline, _now: datetime) -> None:
            tl.world.links[link_id] = replace(tl.world.links[link_id], state=state)

        return self.do(act)

    def site(self, site_id: str, device_id: str, state: str) -> At:
        def act(tl: Timeline, now: datetime) -> None:
            tl.world.sites[site_id] = SiteFact(site_id, device_id, state, since=now)

        return self.do(act)

    def terminal_fleet(self, county: str, state: str, **fields: Any) -> At:
        """County ``county``'s terminals in ``state`` (ok, partly_silent, silent…) from now."""

        def act(tl: Timeline, now: datetime) -> None:
            old = tl.world.terminal_fleets.get(county)
            if old is None or old.state != state:
                fields.setdefault("since", now)
            tl.world.terminal_fleets[county] = TerminalFleetFact(county, state, **fields)

        return self.do(act)

    def backup(self, device_id: str, last_success_at: datetime | None) -> At:
        fact = BackupFact(device_id, last_success_at)
        return self.do(lambda tl, _now: tl.world.backups.__setitem__(device_id, fact))

    def event(self, make: Callable[[datetime], Event]) -> At:
        """Publish ``make(now)`` (the event gets the offset's time)."""
        return self.do(lambda tl, now: tl._events.append(make(now)))

    def trap(
        self, kind: str, device: str, if_index: int | None = None, if_name: str | None = None
    ) -> At:
        def make(now: datetime) -> Event:
            return trap(now, kind, device, if_index, if_name)

        return self.event(make)

    def ack(
        self, rule: str, by: str, note: str, expires_in: Offset | None = None, **labels: str
    ) -> At:
        def act(tl: Timeline, now: datetime) -> None:
            expires = None if expires_in is None else now + timedelta(seconds=seconds(expires_in))
            fingerprint = tl.alert(rule, **labels).fingerprint
            tl.by_people(now, tl.engine.acknowledge(fingerprint, by, note, now, expires))

        return self.do(act)

    def unack(self, rule: str, by: str, **labels: str) -> At:
        def act(tl: Timeline, now: datetime) -> None:
            fingerprint = tl.alert(rule, **labels).fingerprint
            tl.by_people(now, tl.engine.unacknowledge(fingerprint, by, now, "given back"))

        return self.do(act)


class Timeline:
    """An :class:`AlertEngine` on a fake clock, fed by scheduled actions; see the module doc."""

    def __init__(
        self,
        rules: RuleSet | str,
        every: Offset = "15s",
        store: AlertStore | None = None,
        settings: EngineSettings | None = None,
    ) -> None:
        self.clock = FakeClock(T0)
        self.metrics = FakeMetrics(self.clock)
        self.world = World()
        ruleset = rules_from_yaml(rules) if isinstance(rules, str) else rules
        self.engine = AlertEngine(ruleset, store=store, settings=settings)
        self.every_s = seconds(every)
        self.results: list[tuple[float, EvaluationResult]] = []
        self.people: list[Seen] = []
        """Transitions made outside evaluation (acknowledgements, links), with their offsets."""
        self._actions: dict[float, list[Action]] = {}
        self._events: list[Event] = []
        self._done_until_s = -1.0

    def at(self, offset: Offset) -> At:
        return At(self, seconds(offset))

    def time(self, offset: Offset) -> datetime:
        return T0 + timedelta(seconds=seconds(offset))

    def run(self, until: Offset) -> None:
        """Evaluate on the grid and at every action's offset, up to ``until`` included."""
        end_s = seconds(until)
        grid = int(end_s // self.every_s) + 1
        ticks = {i * self.every_s for i in range(grid)} | set(self._actions)
        for offset_s in sorted(t for t in ticks if self._done_until_s < t <= end_s):
            self.clock.set(T0 + timedelta(seconds=offset_s))
            now = self.clock.now()
            for action in self._actions.get(offset_s, []):
                action(self, now)
            events, self._events = self._events, []
            result = self.engine.evaluate(now, self.metrics, self.world.snapshot(), events)
            self.results.append((offset_s, result))
            self._done_until_s = offset_s

    def by_people(self, now: datetime, *transitions: Transition) -> None:
        """Record transitions made outside an evaluation, so :meth:`seen` lists them too."""
        offset_s = (now - T0).total_seconds()
        for transition in transitions:
            self.people.append(Seen(offset_s, transition, self.engine.get(transition.fingerprint)))

    # --- looking back ----------------------------------------------------------------------------

    def seen(
        self,
        kind: str | TransitionKind | None = None,
        rule: str | None = None,
        between: tuple[Offset, Offset] | None = None,
        **labels: str,
    ) -> list[Seen]:
        """Transitions so far, filtered by kind, rule, offsets (inclusive) and alert labels."""
        low, high = (seconds(between[0]), seconds(between[1])) if between else (0.0, float("inf"))
        everything = [
            (offset_s, 1, Seen(offset_s, t, result.alerts[t.fingerprint]))
            for offset_s, result in self.results
            for t in result.transitions
        ] + [(s.offset_s, 0, s) for s in self.people]  # people act before the evaluation
        out = []
        for offset_s, _, entry in sorted(everything, key=lambda e: (e[0], e[1])):
            alert, transition = entry.alert, entry.transition
            if not low <= offset_s <= high:
                continue
            if kind is not None and transition.kind != kind:
                continue
            if rule is not None and alert.rule != rule:
                continue
            if any(alert.labels.get(k) != v for k, v in labels.items()):
                continue
            out.append(entry)
        return out

    def expect(
        self,
        kind: str | TransitionKind,
        rule: str | None = None,
        between: tuple[Offset, Offset] | None = None,
        count: int = 1,
        **labels: str,
    ) -> list[Seen]:
        found = self.seen(kind, rule, between, **labels)
        assert len(found) == count, (
            f"expected {count} × {kind} {rule or ''} {labels or ''} between {between}, "
            f"got {len(found)}; the whole timeline:\n{self.describe()}"
        )
        return found

    def expect_none(
        self,
        kind: str | TransitionKind | None = None,
        rule: str | None = None,
        between: tuple[Offset, Offset] | None = None,
        **labels: str,
    ) -> None:
        found = self.seen(kind, rule, between, **labels)
        assert not found, "expected nothing, got:\n" + "\n".join(map(str, found))

    def describe(self, entries: Iterable[Seen] | None = None) -> str:
        return "\n".join(str(s) for s in (self.seen() if entries is None else entries))

    def alert(self, rule: str, **labels: str) -> Alert:
        """The one alert of ``rule`` with ``labels``, as it is now."""
        found = self.engine.find(rule, **labels)
        assert len(found) == 1, f"{len(found)} alerts of {rule} {labels}: {found}"
        return found[0]

    def kinds(self, rule: str | None = None, **labels: str) -> list[tuple[float, str]]:
        """(offset, kind) of every transition, for compact assertions."""
        return [
            (s.offset_s, s.transition.kind.value) for s in self.seen(None, rule, None, **labels)
        ]
