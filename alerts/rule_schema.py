"""The typed rule model: threshold, state and event rules, their matchers, templates, durations.

Rules are data loaded from YAML (alerts/rules.py loads them, alerts/rule_validation.py reads each
rule); this module holds what a loaded rule *is*. The vocabulary rules may use (metric names,
fact kinds, event types and their labels) is in alerts/observation.py, beside what produces it.
"""

from __future__ import annotations

import difflib
import operator
import re
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from alerts.model import Severity

# --- durations ---------------------------------------------------------------------------------

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_UNIT_S = (86400, 3600, 60, 1)


def parse_duration(value: object) -> float:
    """Seconds in ``30s``, ``5m``, ``1h``, ``1d``, ``1h30m``; ValueError with a usable message."""
    text = str(value).strip() if isinstance(value, str | int | float) else ""
    match = _DURATION.match(text) if text and not isinstance(value, bool) else None
    if match is None or not any(match.groups()):
        raise ValueError(f"{value!r} is not a duration (use 30s, 5m, 1h)")
    return float(
        sum(int(part or 0) * unit for part, unit in zip(match.groups(), _UNIT_S, strict=True))
    )


def format_duration(seconds: float) -> str:
    """``300`` → ``5m``, ``5400`` → ``1h30m``, ``0`` → ``0s``."""
    rest = round(seconds)
    out = ""
    for unit, suffix in zip(_UNIT_S, "dhms", strict=True):
        count, rest = divmod(rest, unit)
        if count:
            out += f"{count}{suffix}"
    return out or "0s"


# --- matchers and templates --------------------------------------------------------------------


class LabelMatchers:
    """Label name → the values accepted; every name must match (a missing label never does)."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, Iterable[str]] | None = None) -> None:
        self._items = tuple(sorted((k, frozenset(v)) for k, v in (items or {}).items()))

    @property
    def items(self) -> tuple[tuple[str, frozenset[str]], ...]:
        return self._items

    def matches(self, labels: Mapping[str, str]) -> bool:
        for name, accepted in self._items:  # noqa: SIM110 - a plain loop: runs per series per rule
            if labels.get(name) not in accepted:
                return False
        return True

    def __bool__(self) -> bool:
        return bool(self._items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LabelMatchers) and other._items == self._items

    def __hash__(self) -> int:
        return hash(self._items)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={sorted(v)}" for k, v in self._items)
        return f"LabelMatchers({inner})"


_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Template:
    """Text with ``{label}`` fields and optional format specs (``{value:.1f}``).

    Only plain names are allowed (no ``{a.b}``, ``{a[0]}``, ``{a!r}``): a template must not reach
    into objects. A field with no value renders as written (``{county}``), so a mistake shows.
    """

    __slots__ = ("_parts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        parts: list[tuple[str, str | None, str]] = []
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError as exc:
            raise ValueError(f"bad template {text!r}: {exc}") from None
        for literal, name, spec, conversion in parsed:
            if name is not None and (conversion or not _FIELD.match(name)):
                shown = name + (f"!{conversion}" if conversion else "")
                raise ValueError(f"bad template field {{{shown}}}: use a plain label name")
            parts.append((literal, name, spec or ""))
        self._parts = tuple(parts)

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(name for _, name, _ in self._parts if name is not None)

    def render(self, values: Mapping[str, object]) -> str:
        out: list[str] = []
        for literal, name, spec in self._parts:
            out.append(literal)
            if name is None:
                continue
            if name not in values:
                out.append("{" + name + (":" + spec if spec else "") + "}")
                continue
            value = values[name]
            try:
                out.append(format(value, spec))
            except (ValueError, TypeError):
                out.append(str(value))
        return "".join(out)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Template) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return f"Template({self.text!r})"


# --- the rules ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FlappingPolicy:
    """``changes`` fired/resolved changes within ``within_s`` make an alert flapping: it is held
    firing and not re-notified until its condition has not changed for ``stable_for_s``."""

    changes: int
    within_s: float
    stable_for_s: float


DEFAULT_FLAPPING = FlappingPolicy(changes=4, within_s=900.0, stable_for_s=900.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """What every rule has."""

    name: str
    severity: Severity
    annotations: tuple[tuple[str, Template], ...]
    """``summary`` (always), ``description``, anything else; templated from the alert's labels."""
    labels: tuple[tuple[str, Template], ...] = ()
    """Added to the alert's labels (they win over the series' own); templated."""
    runbook_url: str | None = None
    for_s: float = 0.0
    """How long the condition must hold before the alert fires (pending meanwhile)."""
    keep_firing_for_s: float = 0.0
    """How long the alert stays firing after its condition ended."""
    flapping: FlappingPolicy | None = DEFAULT_FLAPPING
    source: str = "<rules>"
    line: int | None = None


OPERATORS: Mapping[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ThresholdRule(Rule):
    """``metric{matchers} op threshold`` for ``for``; one alert per matching series."""

    metric: str
    matchers: LabelMatchers = field(default_factory=LabelMatchers)
    op: str
    threshold: float
    clear_threshold: float | None = None
    """Hysteresis: once firing, the alert stays so until the value passes this (``> 80`` with
    clear 70 resolves below 70)."""

    def holds(self, value: float, firing: bool) -> bool:
        """Whether the condition is true for ``value``; a firing alert uses the clear threshold."""
        if firing and self.clear_threshold is not None:
            if self.op in (">", ">="):
                return value >= self.clear_threshold
            return value <= self.clear_threshold
        return OPERATORS[self.op](value, self.threshold)


@dataclass(frozen=True, slots=True, kw_only=True)
class StateRule(Rule):
    """A state fact (device, link, site, backup) in one of ``states``, or older than
    ``older_than_s`` (backups); one alert per matching fact."""

    fact: str
    matchers: LabelMatchers = field(default_factory=LabelMatchers)
    states: frozenset[str] = frozenset()
    older_than_s: float | None = None


@dataclass(frozen=True, slots=True)
class EventClear:
    """The event that ends an event rule's alert (same identifying labels)."""

    event: str
    match: LabelMatchers


@dataclass(frozen=True, slots=True, kw_only=True)
class EventRule(Rule):
    """An event of type ``event`` whose labels match fires an alert identified by
    ``identify_by``; it resolves on a ``clear`` event or ``resolve_after_s`` after the last one."""

    event: str
    match: LabelMatchers = field(default_factory=LabelMatchers)
    identify_by: tuple[str, ...]
    clear: EventClear | None = None
    resolve_after_s: float | None = None


AnyRule = ThresholdRule | StateRule | EventRule


# --- reading fields ------------------------------------------------------------------------------

Key = tuple[str | int, ...]
_LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESERVED_LABELS = frozenset({"alertname", "severity"})
_FLAPPING_FIELDS = ("changes", "within", "stable_for")


def suggest(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` when ``word`` looks like one of ``choices``, else ``''``."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _is_scalar(value: object) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


class FieldReader:
    """Reads the fields every rule has from plain YAML data, collecting problems.

    Problems are kept in :attr:`problems` as (path inside the mapping, reason); the caller adds
    the file, line and rule name.
    """

    def __init__(
        self,
        raw: object,
        default_flapping: FlappingPolicy | None = DEFAULT_FLAPPING,
        default_labels: Mapping[str, Any] | None = None,
    ) -> None:
        self.problems: list[tuple[Key, str]] = []
        self._raw: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        self._is_mapping = isinstance(raw, Mapping)
        self._default_flapping = default_flapping
        self._default_labels = default_labels or {}

    def problem(self, path: Key, reason: str) -> None:
        """Record a problem at ``path`` inside this mapping."""
        self.problems.append((path, reason))

    def _template(self, path: Key, value: object) -> Template:
        if not _is_scalar(value):
            self.problem(path, "must be text")
            return Template("")
        try:
            return Template(str(value))
        except ValueError as exc:
            self.problem(path, str(exc))
            return Template("")

    def _text_mapping(self, field: str, reserved: frozenset[str]) -> list[tuple[str, Template]]:
        raw = self._raw.get(field)
        if raw is None:
            return []
        if not isinstance(raw, Mapping):
            self.problem((field,), "must be a mapping of name: text")
            return []
        out: list[tuple[str, Template]] = []
        for name, value in raw.items():
            if not isinstance(name, str) or not _LABEL_NAME.match(name):
                self.problem((field, str(name)), "a name is letters, digits and '_'")
            elif name in reserved:
                self.problem((field, name), "set by the engine; choose another name")
            else:
                out.append((name, self._template((field, name), value)))
        return out

    def labels(self) -> tuple[tuple[str, Template], ...]:
        """The ``labels`` mapping, validated."""
        return tuple(self._text_mapping("labels", _RESERVED_LABELS))

    def duration(self, field: str, path: Key | None = None, raw: object = None) -> float | None:
        """Seconds of the duration at ``field`` (None when absent); must be positive."""
        value = self._raw.get(field) if path is None else raw
        if value is None:
            return None
        try:
            seconds = parse_duration(value)
        except ValueError as exc:
            self.problem(path or (field,), str(exc))
            return None
        return seconds

    def flapping(self) -> FlappingPolicy | None:
        """The flapping policy: the rule's, else the file's default; ``false`` turns it off."""
        if "flapping" not in self._raw:
            return self._default_flapping
        raw = self._raw["flapping"]
        if raw is False or raw == "off":
            return None
        if not isinstance(raw, Mapping):
            self.problem(("flapping",), "must be {changes, within, stable_for} or false")
            return self._default_flapping
        base = self._default_flapping or DEFAULT_FLAPPING
        for key in raw:
            if key not in _FLAPPING_FIELDS:
                self.problem(
                    ("flapping", str(key)), "unknown field" + suggest(str(key), _FLAPPING_FIELDS)
                )
        changes = raw.get("changes", base.changes)
        if not isinstance(changes, int) or isinstance(changes, bool) or changes < 2:
            self.problem(
                ("flapping", "changes"), f"must be a whole number of at least 2 (got {changes!r})"
            )
            changes = base.changes
        within = self.duration("", ("flapping", "within"), raw.get("within"))
        stable = self.duration("", ("flapping", "stable_for"), raw.get("stable_for"))
        return FlappingPolicy(
            changes=changes,
            within_s=within or base.within_s,
            stable_for_s=stable or base.stable_for_s,
        )

    def _matchers(self, path: Key, raw: object, known: frozenset[str], what: str) -> LabelMatchers:
        if raw is None:
            return LabelMatchers()
        if not isinstance(raw, Mapping):
            self.problem(path, "must be a mapping of label: value (or a list of values)")
            return LabelMatchers()
        items: dict[str, list[str]] = {}
        for label, value in raw.items():
            if label not in known:
                hint = suggest(str(label), known) or f" (known: {', '.join(sorted(known))})"
                self.problem((*path, str(label)), f"{what} has no label '{label}'{hint}")
                continue
            values = value if isinstance(value, list) else [value]
            if not values or not all(_is_scalar(v) for v in values):
                self.problem((*path, str(label)), "must be a value or a list of values")
                continue
            items[str(label)] = [str(v) for v in values]
        return LabelMatchers(items)
