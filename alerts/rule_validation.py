"""Reading one rule from plain YAML data into its typed form, collecting every problem.

Messages say what is wrong and what would be right; unknown fields are rejected with a
suggestion, and a field that belongs to another kind of rule says so. The fields every rule has
are read by :class:`~alerts.rule_schema.FieldReader`; the kinds' own fields here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from alerts.model import Severity
from alerts.observation import (
    DEFAULT_IDENTIFY_BY,
    DEVICE_CONTEXT_LABELS,
    EVENT_TYPES,
    FACT_LABELS,
    FACT_STATES,
    METRIC_LABELS,
    event_label_names,
)
from alerts.rule_schema import (
    OPERATORS,
    AnyRule,
    EventClear,
    EventRule,
    FieldReader,
    StateRule,
    Template,
    ThresholdRule,
    suggest,
)

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_COMMON = (
    "name",
    "severity",
    "labels",
    "annotations",
    "runbook_url",
    "for",
    "keep_firing_for",
    "flapping",
)
_KIND_FIELDS = {
    "threshold": ("metric", "matchers", "op", "threshold", "clear_threshold"),
    "state": ("fact", "matchers", "state", "older_than"),
    "event": ("event", "match", "identify_by", "clear", "resolve_after"),
}
_KIND_BY_KEY = {"metric": "threshold", "fact": "state", "event": "event"}
_OPERATORS = ", ".join(OPERATORS)
_SEVERITIES = ", ".join(s.value for s in Severity)


class RuleReader(FieldReader):
    """Reads one rule's mapping into its typed form (see :class:`FieldReader`)."""

    name: str | None = None

    # --- a whole rule ----------------------------------------------------------------------------

    def rule(self) -> AnyRule | None:
        """The typed rule, or None (and :attr:`problems`) when it is wrong."""
        if not self._is_mapping:
            self.problem((), "a rule is a mapping (name, severity, annotations, …)")
            return None
        self.name = self._read_name()
        kinds = [key for key in _KIND_BY_KEY if key in self._raw]
        if len(kinds) != 1:
            self.problem(
                (),
                "needs one of metric (threshold rule), fact (state rule) or event (event rule)"
                if not kinds
                else f"has {' and '.join(kinds)}: a rule is of one kind only",
            )
            return None
        kind = _KIND_BY_KEY[kinds[0]]
        self._reject_unknown(kind)
        common: dict[str, Any] = {
            "name": self.name,
            "severity": self._severity(),
            "annotations": self._annotations(),
            "labels": self._labels_with_defaults(),
            "runbook_url": self._runbook_url(),
            "for_s": self.duration("for") or 0.0,
            "keep_firing_for_s": self.duration("keep_firing_for") or 0.0,
            "flapping": self.flapping(),
        }
        built = {"threshold": self._threshold, "state": self._state, "event": self._event}[kind](
            common
        )
        return None if self.problems else built

    def _read_name(self) -> str | None:
        value = self._raw.get("name")
        if not isinstance(value, str) or not _NAME.match(value):
            given = "" if value is None else f" (got {value!r})"
            self.problem(("name",), f"required: lowercase letters, digits, '.', '_', '-'{given}")
            return None
        return value

    def _reject_unknown(self, kind: str) -> None:
        allowed = (*_COMMON, *_KIND_FIELDS[kind])
        for key in self._raw:
            if key in allowed:
                continue
            other = [k for k, fields in _KIND_FIELDS.items() if key in fields]
            reason = (
                f"is for {other[0]} rules (this is a {kind} rule)"
                if other
                else "unknown field" + suggest(str(key), allowed)
            )
            self.problem((str(key),), reason)
        if kind == "event" and "for" in self._raw:
            self.problem(
                ("for",), "event rules fire at once: 'for' is for threshold and state rules"
            )

    # --- the fields of every rule -----------------------------------------------------------------

    def _severity(self) -> Severity:
        value = self._raw.get("severity")
        try:
            return Severity(str(value))
        except ValueError:
            reason = "required" if value is None else f"{value!r} is not a severity"
            self.problem(("severity",), f"{reason} (use {_SEVERITIES})")
            return Severity.INFO

    def _labels_with_defaults(self) -> tuple[tuple[str, Template], ...]:
        merged = {name: Template(str(value)) for name, value in self._default_labels.items()}
        merged.update(self.labels())
        return tuple(merged.items())

    def _annotations(self) -> tuple[tuple[str, Template], ...]:
        found = self._text_mapping("annotations", frozenset({"runbook_url"}))
        if "summary" not in dict(found) and "annotations" in self._raw:
            self.problem(("annotations",), "needs a summary")
        elif "annotations" not in self._raw:
            self.problem(("annotations",), "required, with at least a summary")
        return tuple(found)

    def _runbook_url(self) -> str | None:
        value = self._raw.get("runbook_url")
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip() or " " in value.strip():
            self.problem(("runbook_url",), "must be a link (https://…, or a runbook path)")
            return None
        return value.strip()

    # --- per kind --------------------------------------------------------------------------------

    def _threshold(self, common: dict[str, Any]) -> ThresholdRule | None:
        metric = self._raw.get("metric")
        if metric not in METRIC_LABELS:
            hint = suggest(str(metric), METRIC_LABELS) or " (see core/metrics/names.py)"
            self.problem(("metric",), f"unknown metric {metric!r}{hint}")
            return None
        op = self._raw.get("op")
        if op not in OPERATORS:
            if op in (None, ""):
                reason = f'required: one of {_OPERATORS}, quoted (op: ">")'
            else:
                reason = f"{op!r} is not an operator (use {_OPERATORS})"
            self.problem(("op",), reason)
            return None
        threshold = self._raw.get("threshold")
        if not isinstance(threshold, int | float) or isinstance(threshold, bool):
            given = "required" if threshold is None else f"got {threshold!r}"
            self.problem(("threshold",), f"must be a number ({given})")
            return None
        clear = self._raw.get("clear_threshold")
        if clear is not None:
            clear = self._clear_threshold(str(op), float(threshold), clear)
        matchers = self._matchers(
            ("matchers",), self._raw.get("matchers"), METRIC_LABELS[str(metric)], f"metric {metric}"
        )
        return ThresholdRule(
            **common,
            metric=str(metric),
            matchers=matchers,
            op=str(op),
            threshold=float(threshold),
            clear_threshold=clear,
        )

    def _clear_threshold(self, op: str, threshold: float, clear: object) -> float | None:
        if not isinstance(clear, int | float) or isinstance(clear, bool):
            self.problem(("clear_threshold",), f"must be a number (got {clear!r})")
            return None
        value = float(clear)
        if op in ("==", "!="):
            self.problem(("clear_threshold",), "only with >, >=, < or <=")
        elif op in (">", ">=") and value > threshold:
            self.problem(
                ("clear_threshold",),
                f"{value:g} must not be above threshold {threshold:g} for op '{op}' "
                "(the alert resolves when the value falls below it)",
            )
        elif op in ("<", "<=") and value < threshold:
            self.problem(
                ("clear_threshold",),
                f"{value:g} must not be below threshold {threshold:g} for op '{op}' "
                "(the alert resolves when the value rises above it)",
            )
        return value

    def _state(self, common: dict[str, Any]) -> StateRule | None:
        fact = self._raw.get("fact")
        if fact not in FACT_LABELS:
            self.problem(("fact",), f"{fact!r} is not a fact (use {', '.join(FACT_LABELS)})")
            return None
        fact = str(fact)
        matchers = self._matchers(
            ("matchers",), self._raw.get("matchers"), FACT_LABELS[fact], f"fact {fact}"
        )
        states: frozenset[str] = frozenset()
        older_than = self.duration("older_than")
        if fact == "backup":
            if "state" in self._raw:
                self.problem(("state",), "backups have no state: use older_than (e.g. 24h)")
            if older_than is None and "older_than" not in self._raw:
                self.problem(("older_than",), "required for fact backup (e.g. older_than: 24h)")
        else:
            if "older_than" in self._raw:
                self.problem(("older_than",), "only for fact backup")
            states = self._states(fact)
        return StateRule(
            **common, fact=fact, matchers=matchers, states=states, older_than_s=older_than
        )

    def _states(self, fact: str) -> frozenset[str]:
        raw = self._raw.get("state")
        known = FACT_STATES[fact]
        values = raw if isinstance(raw, list) else [raw]
        if raw is None or not values:
            self.problem(("state",), f"required: one or more of {', '.join(sorted(known))}")
            return frozenset()
        for value in values:
            if value not in known:
                self.problem(
                    ("state",), f"{value!r} is not a {fact} state (use {', '.join(sorted(known))})"
                )
        return frozenset(str(v) for v in values)

    def _event(self, common: dict[str, Any]) -> EventRule | None:
        name = self._raw.get("event")
        if name not in EVENT_TYPES:
            hint = suggest(str(name), EVENT_TYPES) or f" (use {', '.join(EVENT_TYPES)})"
            self.problem(("event",), f"unknown event type {name!r}{hint}")
            return None
        name = str(name)
        own = event_label_names(EVENT_TYPES[name])
        known = own | DEVICE_CONTEXT_LABELS if "device" in own else own
        match = self._matchers(("match",), self._raw.get("match"), known, f"event {name}")
        identify_by = self._identify_by(name, own)
        clear = self._clear(name, identify_by)
        resolve_after = self.duration("resolve_after")
        if clear is None and resolve_after is None and "resolve_after" not in self._raw:
            self.problem((), "needs clear or resolve_after (else its alerts never resolve)")
        common["for_s"] = 0.0
        return EventRule(
            **common,
            event=name,
            match=match,
            identify_by=identify_by,
            clear=clear,
            resolve_after_s=resolve_after,
        )

    def _identify_by(self, event: str, own: frozenset[str]) -> tuple[str, ...]:
        raw = self._raw.get("identify_by")
        if raw is None:
            return DEFAULT_IDENTIFY_BY.get(event, ("device",))
        if not isinstance(raw, list) or not raw or not all(isinstance(v, str) for v in raw):
            self.problem(("identify_by",), "must be a list of label names")
            return ()
        for label in raw:
            if label not in own:
                hint = suggest(label, own) or f" (known: {', '.join(sorted(own))})"
                self.problem(("identify_by",), f"event {event} has no label '{label}'{hint}")
        return tuple(raw)

    def _clear(self, event: str, identify_by: tuple[str, ...]) -> EventClear | None:
        raw = self._raw.get("clear")
        if raw is None:
            return None
        if not isinstance(raw, Mapping) or "match" not in raw:
            self.problem(("clear",), "must be a mapping with match (and optionally event)")
            return None
        for key in raw:
            if key not in ("event", "match"):
                self.problem(
                    ("clear", str(key)), "unknown field" + suggest(str(key), ("event", "match"))
                )
        name = raw.get("event", event)
        if name not in EVENT_TYPES:
            hint = suggest(str(name), EVENT_TYPES)
            self.problem(("clear", "event"), f"unknown event type {name!r}{hint}")
            return None
        own = event_label_names(EVENT_TYPES[name])
        for label in identify_by:
            if label not in own:
                self.problem(
                    ("clear", "event"),
                    f"event {name} has no label '{label}' to find the alert by (identify_by)",
                )
        known = own | DEVICE_CONTEXT_LABELS if "device" in own else own
        match = self._matchers(("clear", "match"), raw.get("match"), known, f"event {name}")
        return EventClear(event=str(name), match=match)
