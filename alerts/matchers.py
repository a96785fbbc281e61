"""Label matchers with Alertmanager's semantics, and what suppression and routing need of an alert.

A matcher is ``name op value`` with ``op`` one of ``=``, ``!=``, ``=~``, ``!~``. As in
Alertmanager, a label the alert does not carry reads as the empty string (so ``team=""`` matches
alerts without a team), and regular expressions are anchored at both ends (``region=~"4401.*"``
matches ``440103`` but ``region=~"01"`` does not).

:class:`AlertLike` is the small structural protocol the alert model satisfies; suppression, routing,
dispatch and escalation depend on it instead of on the model itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

FIRING = "firing"
"""The ``status`` of an alert whose condition holds."""
RESOLVED = "resolved"
"""The ``status`` of an alert whose condition has cleared."""


class AlertLike(Protocol):
    """What suppression, routing, dispatch and escalation read from an alert.

    ``status`` is ``"firing"``, ``"resolved"`` or anything else (``"pending"``), which is ignored.
    ``starts_at`` is when it started firing (``None`` if it never fired); ``caused_by`` is the
    fingerprint of the alert's root cause when correlation found one.
    """

    @property
    def fingerprint(self) -> str: ...

    @property
    def labels(self) -> Mapping[str, str]: ...

    @property
    def status(self) -> str: ...

    @property
    def starts_at(self) -> datetime | None: ...

    @property
    def ends_at(self) -> datetime | None: ...

    @property
    def acknowledged(self) -> bool: ...

    @property
    def caused_by(self) -> str | None: ...


class MatchType(StrEnum):
    """How a matcher compares a label's value."""

    EQUAL = "="
    NOT_EQUAL = "!="
    REGEX = "=~"
    NOT_REGEX = "!~"


_LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MATCHER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$", re.DOTALL)
_ESCAPES = {"\\": "\\", '"': '"', "n": "\n"}


@dataclass(frozen=True)
class Matcher:
    """One ``name op value`` condition on an alert's labels."""

    name: str
    """The label name."""
    type: MatchType
    """The comparison."""
    value: str
    """The value, or the regular expression for ``=~`` and ``!~`` (anchored at both ends)."""
    _pattern: re.Pattern[str] | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        if not _LABEL_NAME.match(self.name):
            raise ValueError(f"not a label name: {self.name!r}")
        if self.type in (MatchType.REGEX, MatchType.NOT_REGEX):
            try:
                pattern = re.compile(f"(?:{self.value})")
            except re.error as exc:
                raise ValueError(f"invalid regular expression {self.value!r}: {exc}") from None
            object.__setattr__(self, "_pattern", pattern)

    def matches_value(self, value: str) -> bool:
        """Whether a label value (``""`` for a missing label) satisfies this matcher."""
        if self.type is MatchType.EQUAL:
            return value == self.value
        if self.type is MatchType.NOT_EQUAL:
            return value != self.value
        assert self._pattern is not None
        found = self._pattern.fullmatch(value) is not None
        return found if self.type is MatchType.REGEX else not found

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether ``labels`` satisfy this matcher (a missing label reads as ``""``)."""
        return self.matches_value(labels.get(self.name, ""))

    def __str__(self) -> str:
        return f"{self.name}{self.type.value}{_quote(self.value)}"


def matches_all(matchers: Iterable[Matcher], labels: Mapping[str, str]) -> bool:
    """True when every matcher is satisfied (so no matchers at all match everything)."""
    return all(matcher.matches(labels) for matcher in matchers)


def format_matchers(matchers: Iterable[Matcher]) -> str:
    """``{a="b", c=~"d.*"}``: the matchers as Alertmanager writes them."""
    return "{" + ", ".join(str(matcher) for matcher in matchers) + "}"


def format_labels(labels: Mapping[str, str]) -> str:
    """``{a="b", c="d"}`` with names sorted: a stable text form of a label set."""
    return "{" + ", ".join(f"{name}={_quote(labels[name])}" for name in sorted(labels)) + "}"


def parse_matcher(text: str) -> Matcher:
    """``region=~"4401.*"`` (or with the value unquoted) → :class:`Matcher`.

    :class:`ValueError` names what is wrong.
    """
    found = _MATCHER.match(text)
    if found is None:
        raise ValueError(
            f"not a matcher (want name=value, name!=value, name=~re, name!~re): {text!r}"
        )
    name, operator, raw = found.groups()
    return Matcher(name, MatchType(operator), _unquote(raw, text))


def parse_matchers(text: str) -> tuple[Matcher, ...]:
    """``{a="b", c=~"d"}`` or ``a="b", c=~"d"`` → matchers; commas inside quotes are values."""
    body = text.strip()
    if body.startswith("{"):
        if not body.endswith("}"):
            raise ValueError(f"unbalanced braces in matchers: {text!r}")
        body = body[1:-1]
    return tuple(parse_matcher(part) for part in _split_on_commas(body) if part.strip())


def _split_on_commas(body: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    in_quotes = escaped = False
    for char in body:
        if escaped:
            escaped = False
        elif char == "\\" and in_quotes:
            escaped = True
        elif char == '"':
            in_quotes = not in_quotes
        elif char == "," and not in_quotes:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    if in_quotes:
        raise ValueError(f"unterminated quote in matchers: {body!r}")
    parts.append("".join(current))
    return parts


def _unquote(raw: str, whole: str) -> str:
    if not raw.startswith('"'):
        if '"' in raw:
            raise ValueError(f"stray quote in matcher value: {whole!r}")
        return raw
    if len(raw) < 2 or not raw.endswith('"'):
        raise ValueError(f"unterminated quote in matcher: {whole!r}")
    out: list[str] = []
    chars = iter(raw[1:-1])
    for char in chars:
        if char == '"':
            raise ValueError(f"unescaped quote inside matcher value: {whole!r}")
        if char != "\\":
            out.append(char)
            continue
        following = next(chars, None)
        if following is None or following not in _ESCAPES:
            raise ValueError(f'bad escape in matcher value (use \\\\, \\" or \\n): {whole!r}')
        out.append(_ESCAPES[following])
    return "".join(out)


def _quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
