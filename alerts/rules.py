"""Alert rules from YAML, validated with errors that name the file, line, rule and field.

A rule file::

    defaults:                      # optional
      flapping: {changes: 4, within: 15m, stable_for: 15m}   # or: flapping: false
      labels: {team: noc}
    rules:
      - name: uplink-hot                       # a threshold rule: it has ``metric``
        metric: interface_utilisation_percent
        matchers: {tier: city_county}          # a value or a list of accepted values
        op: ">"
        threshold: 80
        clear_threshold: 70                    # hysteresis: fires above 80, resolves below 70
        for: 5m
        keep_firing_for: 1m
        severity: major
        labels: {service: backbone}
        annotations:
          summary: "{device} {if_name} at {value:.0f}%"
        runbook_url: https://noc.example/runbooks/uplink-hot
      - name: device-unreachable               # a state rule: it has ``fact``
        fact: device                           # device | link | site | backup
        state: down                            # or a list; backups use older_than: 24h
        for: 1m
        ...
      - name: interface-down-trap              # an event rule: it has ``event``
        event: TrapReceived
        match: {kind: linkDown}
        identify_by: [device, if_index]
        clear: {match: {kind: linkUp}}         # same event type unless ``event:`` is given
        resolve_after: 1h

Quote ``op`` (``op: >`` alone is YAML for folded text). Durations are ``30s``, ``5m``, ``1h``,
``1d`` or combined (``1h30m``). Matchers may name the series' or fact's labels and the context
labels the engine adds (alerts/observation.py lists them: ``METRIC_LABELS``, ``FACT_LABELS``, an
event's fields with ``device_id`` as ``device``). Templates are format strings over plain names
(``{device}``, ``{value:.0f}``): they see the alert's labels, ``rule`` and ``severity``, and also
``value``/``threshold``/``metric`` (threshold rules) or ``state``/``reason``/``since``/``age``
(state rules); a name with no value stays as written.

Every problem of a file is reported at once (:class:`RuleFileError`), one line each::

    rules.yaml:14: rule 'uplink-hot': for: '5x' is not a duration (use 30s, 5m, 1h)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from alerts.observation import Observation
from alerts.rule_schema import (
    DEFAULT_FLAPPING,
    AnyRule,
    EventRule,
    FlappingPolicy,
    StateRule,
    ThresholdRule,
    format_duration,
    suggest,
)
from alerts.rule_validation import RuleReader
from core.errors import ConfigError, InventoryError
from core.yaml_source import format_path, load_located_yaml

DEFAULT_RULES_PATH = Path(__file__).with_name("rules") / "default.yaml"
"""The rule set shipped for this NOC."""

LineOf = Callable[[Sequence[str | int]], int | None]
__all__ = [
    "DEFAULT_RULES_PATH",
    "RuleFileError",
    "RuleProblem",
    "RuleSet",
    "condition_holds",
    "event_observation",
    "fact_template_values",
    "load_default_rules",
    "load_rule_file",
    "load_rule_files",
    "render",
    "rules_from_data",
]


class RuleProblem(NamedTuple):
    """One thing wrong in a rule file."""

    source: str
    line: int | None
    rule: str | None
    field: str | None
    reason: str

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        rule = f" rule '{self.rule}':" if self.rule else ""
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{rule}{field} {self.reason}"


class RuleFileError(ConfigError):
    """One or more rule files are wrong; ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[RuleProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Validated rules, names unique."""

    rules: tuple[AnyRule, ...] = ()

    def __iter__(self) -> Iterator[AnyRule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def by_name(self) -> dict[str, AnyRule]:
        return {rule.name: rule for rule in self.rules}

    @property
    def threshold_rules(self) -> tuple[ThresholdRule, ...]:
        return tuple(r for r in self.rules if isinstance(r, ThresholdRule))

    @property
    def state_rules(self) -> tuple[StateRule, ...]:
        return tuple(r for r in self.rules if isinstance(r, StateRule))

    @property
    def event_rules(self) -> tuple[EventRule, ...]:
        return tuple(r for r in self.rules if isinstance(r, EventRule))


def load_rule_files(paths: Iterable[Path]) -> RuleSet:
    """Every rule of every file; all problems of all files in one :class:`RuleFileError`."""
    problems: list[RuleProblem] = []
    rules: list[AnyRule] = []
    for path in paths:
        try:
            located = load_located_yaml(path)
        except InventoryError as exc:
            problems.append(RuleProblem(exc.path, exc.line, None, exc.field, exc.reason))
            continue
        found, bad = _read_document(located.data, str(path), located.line_of)
        rules.extend(found)
        problems.extend(sorted(bad, key=lambda p: p.line or 0))
    problems.extend(_duplicates(rules))
    if problems:
        raise RuleFileError(problems)
    return RuleSet(tuple(rules))


def load_rule_file(path: Path) -> RuleSet:
    """The rules of one file."""
    return load_rule_files([path])


def load_default_rules() -> RuleSet:
    """The rule set shipped with ssnoc (alerts/rules/default.yaml)."""
    return load_rule_file(DEFAULT_RULES_PATH)


def rules_from_data(
    data: object, source: str = "<rules>", line_of: LineOf | None = None
) -> RuleSet:
    """Rules from already-parsed YAML data (tests, rules kept elsewhere than in files)."""
    found, problems = _read_document(data, source, line_of or (lambda _key: None))
    problems.extend(_duplicates(found))
    if problems:
        raise RuleFileError(problems)
    return RuleSet(tuple(found))


_TOP_LEVEL = ("rules", "defaults")
_DEFAULTS = ("flapping", "labels")


def _read_document(
    data: object, source: str, line_of: LineOf
) -> tuple[list[AnyRule], list[RuleProblem]]:
    problems: list[RuleProblem] = []

    def problem(key: Sequence[str | int], field: str | None, reason: str) -> None:
        problems.append(RuleProblem(source, line_of(key), None, field, reason))

    if not isinstance(data, Mapping) or "rules" not in data:
        problem((), None, "a rule file is a mapping with a 'rules:' list")
        return [], problems
    for key in data:
        if key not in _TOP_LEVEL:
            problem((key,), str(key), f"unknown field{suggest(str(key), _TOP_LEVEL)}")
    defaults = data.get("defaults") or {}
    flapping: FlappingPolicy | None = DEFAULT_FLAPPING
    default_labels: Mapping[str, Any] = {}
    if not isinstance(defaults, Mapping):
        problem(("defaults",), "defaults", "must be a mapping (flapping, labels)")
    else:
        for key in defaults:
            if key not in _DEFAULTS:
                problem(
                    ("defaults", key), f"defaults.{key}", f"unknown field{suggest(key, _DEFAULTS)}"
                )
        reader = RuleReader(defaults)
        flapping = reader.flapping()
        reader.labels()  # validated here once, applied under every rule's own labels
        if not reader.problems:
            default_labels = defaults.get("labels") or {}
        for path, reason in reader.problems:
            key = ("defaults", *path)
            problems.append(RuleProblem(source, line_of(key), None, format_path(key), reason))
    raw_rules = data["rules"]
    if not isinstance(raw_rules, list):
        problem(("rules",), "rules", "must be a list of rules")
        return [], problems
    rules: list[AnyRule] = []
    for index, raw in enumerate(raw_rules):
        reader = RuleReader(raw, flapping, default_labels)
        rule = reader.rule()
        name = reader.name or f"#{index + 1}"
        for path, reason in reader.problems:
            line = line_of(("rules", index, *path))
            problems.append(RuleProblem(source, line, name, format_path(path) or None, reason))
        if rule is not None:
            rules.append(replace(rule, source=source, line=line_of(("rules", index))))
    return rules, problems


def _duplicates(rules: Sequence[AnyRule]) -> list[RuleProblem]:
    seen: dict[str, AnyRule] = {}
    problems: list[RuleProblem] = []
    for rule in rules:
        first = seen.setdefault(rule.name, rule)
        if first is not rule:
            where = first.source if first.line is None else f"{first.source}:{first.line}"
            problems.append(
                RuleProblem(
                    rule.source, rule.line, rule.name, "name", f"defined twice (first at {where})"
                )
            )
    return problems


# --- what a rule makes of an observation --------------------------------------------------------


def fact_template_values(observation: Observation, now: datetime) -> dict[str, object]:
    """What a state rule's templates may use besides labels: ``state``, ``reason``, ``since``,
    ``age`` (``5m``; ``never`` for a backup never made)."""
    values: dict[str, object] = {}
    if observation.state is not None:
        values["state"] = observation.state
    if observation.reason is not None:
        values["reason"] = observation.reason
    if observation.at is not None:
        values["since"] = observation.at.isoformat(timespec="seconds")
        values["age"] = format_duration((now - observation.at).total_seconds())
    else:
        values["age"] = "never"
    return values


def condition_holds(
    rule: ThresholdRule | StateRule, obs: Observation, firing: bool, now: datetime
) -> bool:
    """Whether ``rule``'s condition is true of ``obs`` (a firing alert uses the clear threshold)."""
    if isinstance(rule, ThresholdRule):
        return obs.value is not None and rule.holds(obs.value, firing)
    if rule.older_than_s is not None:
        return obs.at is None or (now - obs.at).total_seconds() > rule.older_than_s
    return obs.state in rule.states


def event_observation(rule: EventRule, labels: Mapping[str, str]) -> Observation:
    """An event seen by ``rule``: identified by the rule's ``identify_by`` labels."""
    identity = tuple(sorted((name, labels.get(name, "")) for name in rule.identify_by))
    return Observation(identity, dict(labels))


def render(rule: AnyRule, obs: Observation, now: datetime) -> tuple[dict[str, str], dict[str, str]]:
    """An alert's labels and annotations from the rule's templates.

    Templates see the observation's labels, ``rule``, ``severity``; threshold rules add ``value``,
    ``threshold``, ``metric``; state rules add :func:`fact_template_values`.
    """
    values: dict[str, object] = dict(obs.labels)
    values.update(rule=rule.name, severity=rule.severity.value)
    if isinstance(rule, ThresholdRule):
        values.update(threshold=rule.threshold, metric=rule.metric)
        if obs.value is not None:
            values["value"] = obs.value
    elif isinstance(rule, StateRule):
        values.update(fact_template_values(obs, now))
    labels = {"alertname": rule.name, "severity": rule.severity.value, **obs.labels}
    labels.update((name, template.render(values)) for name, template in rule.labels)
    annotations = {name: template.render(values) for name, template in rule.annotations}
    if rule.runbook_url:
        annotations["runbook_url"] = rule.runbook_url
    return labels, annotations
