"""Secrets out of device configurations, before they are stored or handed to anyone.

The rules are data, one file per platform: ``scrub_rules/<platform>.yaml``. A *line* rule is a
regular expression applied to each line (without its line ending); every named group whose name
starts with ``secret`` is replaced by :data:`PLACEHOLDER`, and the rest of the line is left alone.
A *block* rule names a first and a last line (``begin``/``end``); every line between them — a
private key, a certificate — becomes the placeholder, indentation kept, one line for one line, so
a scrubbed configuration has exactly the lines of the original and diffs stay aligned.

Guarantees the tests hold the rules to: every line no rule touches comes out byte-for-byte as it
went in (line endings and trailing spaces included), and scrubbing scrubbed text changes nothing
and counts nothing. Rule files may define ``fragments`` — regular expressions used in several
patterns, written ``{name}`` there (never valid regex syntax on its own, so no clash).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.errors import ConfigError
from core.model import Platform

PLACEHOLDER = "<removed>"
"""What a secret is replaced with: recognisable, and matched by no rule's secret group twice."""

RULES_DIR = Path(__file__).with_name("scrub_rules")
SECRET_GROUP_PREFIX = "secret"  # noqa: S105 - a regex group name, not a password
_FRAGMENT = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RuleSpec(_Strict):
    """One rule as written in a rule file: ``pattern`` (a line rule) or ``begin``+``end``."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    description: str = Field(min_length=1)
    pattern: str | None = None
    within: str | None = None
    """Line rules only: applies only under a top-level line (no indentation) matching this."""
    begin: str | None = None
    end: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> RuleSpec:
        if self.pattern is not None and (self.begin is not None or self.end is not None):
            raise ValueError("a rule has either pattern, or begin and end")
        if self.pattern is None and (self.begin is None or self.end is None):
            raise ValueError("a block rule needs both begin and end")
        if self.within is not None and self.pattern is None:
            raise ValueError("within applies to line rules only")
        return self


class RuleFileSpec(_Strict):
    platform: Platform
    fragments: dict[str, str] = Field(default_factory=dict)
    rules: tuple[RuleSpec, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> RuleFileSpec:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.name in seen:
                raise ValueError(f"rule name {rule.name!r} is used twice")
            seen.add(rule.name)
        return self


@dataclass(frozen=True, slots=True)
class LineRule:
    name: str
    regex: re.Pattern[str]
    secret_groups: tuple[str, ...]
    within: re.Pattern[str] | None = None


@dataclass(frozen=True, slots=True)
class BlockRule:
    name: str
    begin: re.Pattern[str]
    end: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class ScrubRules:
    """The compiled rules of one platform, in file order (earlier rules win overlaps)."""

    platform: Platform
    source: str
    line_rules: tuple[LineRule, ...]
    block_rules: tuple[BlockRule, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.line_rules) + tuple(r.name for r in self.block_rules)


@dataclass(frozen=True, slots=True)
class ScrubResult:
    text: str
    replaced: int
    """Secrets replaced (a block counts once)."""
    by_rule: dict[str, int]
    """Rule name → secrets it replaced; rules that replaced nothing are absent."""


def scrub(text: str, platform: Platform) -> ScrubResult:
    """``text`` with every secret the rules of ``platform`` know replaced by the placeholder."""
    return apply_rules(text, scrub_rules(platform))


def scrub_platforms() -> tuple[Platform, ...]:
    """Platforms that have scrub rules."""
    return tuple(p for p in Platform if (RULES_DIR / f"{p.value}.yaml").exists())


@cache
def scrub_rules(platform: Platform) -> ScrubRules:
    """The rules of ``platform``, read and compiled once per process."""
    path = RULES_DIR / f"{platform.value}.yaml"
    if not path.exists():
        known = ", ".join(p.value for p in scrub_platforms())
        raise ConfigError(f"no scrub rules for platform {platform.value} (known: {known})")
    rules = load_rules(path)
    if rules.platform is not platform:
        raise ConfigError(f"{path}: field 'platform': says {rules.platform.value}")
    return rules


def load_rules(path: Path) -> ScrubRules:
    """Read and compile one rule file; any mistake names the file and the field."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not YAML: {exc}") from None
    try:
        spec = RuleFileSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise ConfigError(f"{path}: field '{_where(first['loc'])}': {first['msg']}") from None
    line_rules: list[LineRule] = []
    block_rules: list[BlockRule] = []
    for index, rule in enumerate(spec.rules):
        field = f"rules[{index}] ({rule.name})"
        if rule.pattern is not None:
            regex = _compile(path, f"{field}.pattern", rule.pattern, spec.fragments)
            groups = tuple(g for g in regex.groupindex if g.startswith(SECRET_GROUP_PREFIX))
            if not groups:
                raise ConfigError(
                    f"{path}: field '{field}.pattern': no named group for the secret "
                    f"(?P<{SECRET_GROUP_PREFIX}>…)"
                )
            within = (
                _compile(path, f"{field}.within", rule.within, spec.fragments)
                if rule.within is not None
                else None
            )
            line_rules.append(LineRule(rule.name, regex, groups, within))
        else:
            assert rule.begin is not None
            assert rule.end is not None
            block_rules.append(
                BlockRule(
                    rule.name,
                    _compile(path, f"{field}.begin", rule.begin, spec.fragments),
                    _compile(path, f"{field}.end", rule.end, spec.fragments),
                )
            )
    return ScrubRules(spec.platform, str(path), tuple(line_rules), tuple(block_rules))


def apply_rules(text: str, rules: ScrubRules) -> ScrubResult:
    """Scrub ``text`` with ``rules``; lines are split on ``\\n`` only, so joining is exact."""
    counts: Counter[str] = Counter()
    lines = text.split("\n")
    section = ""
    open_block: BlockRule | None = None
    block_changed = False
    for index, line in enumerate(lines):
        body, ending = (line[:-1], "\r") if line.endswith("\r") else (line, "")
        if open_block is not None:
            if open_block.end.search(body):
                if block_changed:
                    counts[open_block.name] += 1
                open_block, block_changed = None, False
                continue
            stripped = body.strip()
            if stripped and stripped != PLACEHOLDER:
                indent = body[: len(body) - len(body.lstrip())]
                lines[index] = indent + PLACEHOLDER + ending
                block_changed = True
            continue
        if body[:1] not in ("", " ", "\t"):
            section = body
        new_body = _scrub_line(body, section, rules, counts)
        if new_body is not body:
            lines[index] = new_body + ending
        open_block = next((b for b in rules.block_rules if b.begin.search(body)), None)
    if open_block is not None and block_changed:
        counts[open_block.name] += 1  # a block cut short by the end of the text
    order = {name: i for i, name in enumerate(rules.names)}
    by_rule = dict(sorted(counts.items(), key=lambda item: order[item[0]]))
    return ScrubResult("\n".join(lines), sum(by_rule.values()), by_rule)


def _scrub_line(body: str, section: str, rules: ScrubRules, counts: Counter[str]) -> str:
    """``body`` itself when nothing was replaced (callers test identity), else the new line."""
    accepted: list[tuple[int, int, str]] = []
    for rule in rules.line_rules:
        if rule.within is not None and not rule.within.search(section):
            continue
        for match in rule.regex.finditer(body):
            for group in rule.secret_groups:
                start, end = match.span(group)
                if start < 0 or start == end:
                    continue
                # The first rule (in file order) to claim a stretch of the line owns it.
                if any(start < e and s < end for s, e, _ in accepted):
                    continue
                accepted.append((start, end, rule.name))
    if not accepted:
        return body
    result = body
    for start, end, name in sorted(accepted, reverse=True):
        if result[start:end] == PLACEHOLDER:
            continue  # already scrubbed: idempotent, and not counted again
        result = result[:start] + PLACEHOLDER + result[end:]
        counts[name] += 1
    return result if result != body else body


def _compile(path: Path, field: str, pattern: str, fragments: dict[str, str]) -> re.Pattern[str]:
    def expand(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in fragments:
            raise ConfigError(f"{path}: field '{field}': no fragment {{{name}}} in fragments")
        return fragments[name]

    try:
        return re.compile(_FRAGMENT.sub(expand, pattern))
    except re.error as exc:
        raise ConfigError(f"{path}: field '{field}': not a regular expression: {exc}") from None


def _where(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(file)"
