"""Part (a) of the alert benchmark (bench/alerts.py): steady evaluation cycles of the product's
``AlertEngine`` against a naive reference evaluator, and of the whole ``AlertService.cycle``.

Loaded by bench/alerts.py (which keeps its folder off sys.path), not run alone.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path

from alerts_world import CONFIG, FIRING_INTERFACES, T0, InMemorySeries, World, series

from alerts.evaluation import AlertEngine
from alerts.model import AlertStatus, StateSnapshot, TransitionKind, fingerprint_of
from alerts.notify.message import AlertMessage
from alerts.observation import INTERFACE_UTILISATION_PERCENT
from alerts.routing import Channel
from alerts.rule_schema import StateRule, ThresholdRule
from alerts.rules import RuleSet, load_default_rules
from core.clock import FakeClock
from core.metrics import names
from core.settings import AlertSettings

CYCLES = 20


class NaiveEvaluator:
    """The reference (described in bench/alerts.py): every rule against every series, no index."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = [r for r in rules if isinstance(r, ThresholdRule | StateRule)]
        self.since: dict[str, datetime] = {}
        self.firing: set[str] = set()

    def evaluate(self, now: datetime, store: InMemorySeries, snapshot: StateSnapshot) -> None:
        devices = {d.device_id: d.labels() for d in snapshot.devices}
        ends = {
            (end, name): link
            for link in snapshot.links
            for end, name in ((link.a_device, link.a_interface), (link.b_device, link.b_interface))
        }
        every = [(s.key, s.value) for found in store.by_name.values() for s in found]
        for rule in self.rules:
            if isinstance(rule, StateRule):
                self.facts(rule, snapshot, devices, now)
                continue
            for key, value in every:
                utilisation = rule.metric == INTERFACE_UTILISATION_PERCENT
                rates = (names.INTERFACE_IN_BPS, names.INTERFACE_OUT_BPS)
                if key.name != rule.metric and not (utilisation and key.name in rates):
                    continue
                labels = dict(key.labels)
                labels.update(devices.get(labels["device"], {}))
                link = ends.get((labels["device"], labels.get("if_name", "")))
                if link is not None:
                    labels.update(link=link.link_id, tier=link.tier, link_role=link.role)
                if utilisation:
                    if link is None or not link.capacity_bps:
                        continue
                    shown = 100.0 * value / link.capacity_bps
                else:
                    shown = value
                if rule.matchers and not rule.matchers.matches(labels):
                    continue
                self.step(rule, labels, rule.holds(shown, self.is_firing(rule, labels)), now)

    def facts(
        self,
        rule: StateRule,
        snapshot: StateSnapshot,
        devices: Mapping[str, dict[str, str]],
        now: datetime,
    ) -> None:
        found: list[tuple[dict[str, str], str | None]] = []
        if rule.fact == "device":
            found = [(dict(devices[d.device_id]), d.status) for d in snapshot.devices]
        elif rule.fact == "link":
            found = [
                ({"link": k.link_id, "tier": k.tier, "link_role": k.role}, k.state)
                for k in snapshot.links
            ]
        elif rule.fact == "site":
            found = [({"site": s.site_id, "device": s.device_id}, s.state) for s in snapshot.sites]
        for labels, state in found:
            if rule.matchers and not rule.matchers.matches(labels):
                continue
            self.step(rule, labels, state in rule.states, now)

    @staticmethod
    def identity(rule: ThresholdRule | StateRule, labels: Mapping[str, str]) -> str:
        names_ = ("link",) if getattr(rule, "fact", None) == "link" else ("device", "if_index")
        if getattr(rule, "fact", None) == "site":
            names_ = ("site",)
        return fingerprint_of(rule.name, {k: labels[k] for k in names_ if k in labels})

    def is_firing(self, rule: ThresholdRule | StateRule, labels: Mapping[str, str]) -> bool:
        return self.identity(rule, labels) in self.firing

    def step(
        self, rule: ThresholdRule | StateRule, labels: Mapping[str, str], holds: bool, now: datetime
    ) -> None:
        fp = self.identity(rule, labels)
        if not holds:
            self.since.pop(fp, None)
            self.firing.discard(fp)
            return
        started = self.since.setdefault(fp, now)
        if (now - started).total_seconds() >= rule.for_s:
            self.firing.add(fp)


def timed_cycles(cycle: Callable[[int], float], warm_up: int, measured: int) -> list[float]:
    for i in range(warm_up):
        cycle(i)
    return [cycle(warm_up + i) for i in range(measured)]


def measure_engine(world: World) -> tuple[list[float], list[float], int]:
    """Steady cycles of the engine and of the reference; the series evaluated."""
    rules = load_default_rules()
    store = InMemorySeries(series(world.province, 0.0))
    snapshot = world.monitor.snapshot()
    from alerts.snapshot_source import StateSnapshotSource

    facts = StateSnapshotSource(world.inventory, world.engine, world.state).build(
        snapshot.failover, T0
    )
    engine, naive = AlertEngine(rules), NaiveEvaluator(rules)

    def at(i: int) -> datetime:  # a minute apart while warming up, then every 10 s
        return T0 + timedelta(minutes=min(i, 7), seconds=10 * max(0, i - 7))

    def engine_cycle(i: int) -> float:
        store.at_s = at(i).timestamp()
        started = time.perf_counter()
        engine.evaluate(at(i), store, StateSnapshot(facts.devices, facts.links, facts.sites))
        return time.perf_counter() - started

    def naive_cycle(i: int) -> float:
        started = time.perf_counter()
        naive.evaluate(at(i), store, facts)
        return time.perf_counter() - started

    engine_s = timed_cycles(engine_cycle, 8, CYCLES)
    naive_s = timed_cycles(naive_cycle, 8, CYCLES)
    firing = len(engine.alerts(AlertStatus.FIRING))
    assert firing == len(naive.firing) == FIRING_INTERFACES, (firing, len(naive.firing))
    return engine_s, naive_s, sum(len(found) for found in store.by_name.values())


class NullChannel:
    """A channel that accepts everything (the evaluation figures are not about delivery)."""

    def __init__(self, name: str, channel: Channel) -> None:
        self.name = name

    async def send(self, message: AlertMessage) -> None:
        return None


async def measure_service(folder: Path) -> tuple[list[float], dict[str, float], int]:
    """Steady cycles of the whole service, and the storm cycles of the warm-up: the one where
    2,000 alerts go pending, the one where they fire, the one where they are told."""
    clock = FakeClock(T0)
    world = World(folder, clock)
    try:
        config = folder / "alerting-a.yaml"
        config.write_text(
            CONFIG.format(
                url="http://127.0.0.1:9/hook", group_by="[alertname, city]", group_wait="30s"
            )
        )
        service = world.service(
            AlertSettings(alerting_config_path=config), channel_factory=NullChannel
        )
        storms: dict[str, float] = {}
        times: list[float] = []
        for i in range(8 + CYCLES):
            clock.advance(60.0 if i < 8 else 10.0)
            if i < 8 or i % 6 == 0:  # the poller writes a point a minute
                world.metrics.write(series(world.province, clock.now().timestamp()))
            started = time.perf_counter()
            report = await service.cycle(clock.now())
            took = time.perf_counter() - started
            if i >= 8:
                times.append(took)
                continue
            kinds = Counter(t.kind for t in report.evaluation.transitions)
            if kinds[TransitionKind.PENDING] >= FIRING_INTERFACES:
                storms["pending"] = took
            if kinds[TransitionKind.FIRED] >= FIRING_INTERFACES:
                storms["fired"] = took
            if report.outgoing:
                storms["told"] = max(storms.get("told", 0.0), took)
        firing = len(service.alerts(status=AlertStatus.FIRING))
        await service.close()
        return times, storms, firing
    finally:
        world.close()
