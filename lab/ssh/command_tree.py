"""Resolving what was typed to a command: abbreviations word by word, and output filters.

Every platform accepts any unique prefix of each word (``dis int br``, ``sh ip int b``): at each
level the typed word is matched against the words that may follow; an exact match wins, one prefix
match is taken, several are ambiguous, none is unknown — at that word's position, which is where
the device puts its caret. ``| include``/``| exclude``/``| begin``/``| section`` filter an
output on every platform here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from lab.ssh.dialects import CommandSpec


class Problem(StrEnum):
    UNKNOWN = "unknown"
    AMBIGUOUS = "ambiguous"
    INCOMPLETE = "incomplete"


@dataclass(frozen=True, slots=True)
class Unresolved:
    problem: Problem
    word_index: int
    """The word the caret points at (the last word for an incomplete command)."""


@dataclass
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    spec: CommandSpec | None = None


class CommandTree:
    def __init__(self, specs: Iterable[CommandSpec]) -> None:
        self._root = _Node()
        for spec in specs:
            node = self._root
            for word in spec.words.lower().split():
                node = node.children.setdefault(word, _Node())
            node.spec = spec

    def resolve(self, words: list[str]) -> CommandSpec | Unresolved:
        node = self._root
        for index, word in enumerate(words):
            typed = word.lower()
            if typed in node.children:
                node = node.children[typed]
                continue
            matches = [word for word in node.children if word.startswith(typed)]
            if len(matches) > 1:
                return Unresolved(Problem.AMBIGUOUS, index)
            if not matches:
                return Unresolved(Problem.UNKNOWN, index)
            node = node.children[matches[0]]
        if node.spec is None:
            return Unresolved(Problem.INCOMPLETE, max(0, len(words) - 1))
        return node.spec

    def knows_first_word(self, word: str) -> bool:
        typed = word.lower()
        return any(candidate.startswith(typed) for candidate in self._root.children)


_FILTERS = ("include", "exclude", "begin", "section", "count")


@dataclass(frozen=True, slots=True)
class OutputFilter:
    kind: str
    pattern: str

    def matches(self, line: str) -> bool:
        try:
            return re.search(self.pattern, line) is not None
        except re.error:
            return self.pattern in line  # a pattern the device would take literally

    def apply(self, lines: list[str]) -> list[str]:
        if self.kind == "include":
            return [line for line in lines if self.matches(line)]
        if self.kind == "exclude":
            return [line for line in lines if not self.matches(line)]
        if self.kind == "begin":
            for index, line in enumerate(lines):
                if self.matches(line):
                    return lines[index:]
            return []
        if self.kind == "count":
            count = sum(self.matches(line) for line in lines)
            return [f"Number of lines which match regexp = {count}"]
        return self._sections(lines)

    def _sections(self, lines: list[str]) -> list[str]:
        """IOS ``| section``: each matching top-level line with the indented lines under it."""
        kept: list[str] = []
        keeping = False
        for line in lines:
            if line[:1] not in (" ", "\t"):
                keeping = self.matches(line)
            if keeping:
                kept.append(line)
        return kept


_PIPE = re.compile(r"\s\|\s*")


def split_filters(line: str) -> tuple[str, list[OutputFilter]] | None:
    """``cmd | include x`` → (``cmd``, [include x]); None when a filter word is unknown.

    Only a pipe after a space starts a filter, so ``include a|b`` keeps its alternation.
    """
    parts = _PIPE.split(line)
    filters: list[OutputFilter] = []
    for part in parts[1:]:
        word, _, pattern = part.strip().partition(" ")
        kinds = [kind for kind in _FILTERS if word and kind.startswith(word.lower())]
        if len(kinds) != 1:
            return None
        filters.append(OutputFilter(kinds[0], pattern.strip()))
    return parts[0].strip(), filters
