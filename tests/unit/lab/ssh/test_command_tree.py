"""Abbreviations word by word, and output filters."""

from __future__ import annotations

import pytest

from lab.ssh.command_tree import CommandTree, OutputFilter, Problem, Unresolved, split_filters
from lab.ssh.dialects import CommandSpec

TREE = CommandTree(
    CommandSpec(words, output=words)
    for words in (
        "display version",
        "display interface brief",
        "display interface description",
        "display ip interface brief",
        "display local-user",
        "display lldp neighbor",
        "display lldp neighbor brief",
    )
)


@pytest.mark.parametrize(
    ("typed", "command"),
    [
        ("dis ver", "display version"),
        ("DISPLAY Version", "display version"),
        ("d int br", "display interface brief"),
        ("dis lldp nei", "display lldp neighbor"),
        ("dis lldp nei b", "display lldp neighbor brief"),
        ("dis ip int br", "display ip interface brief"),
    ],
)
def test_unique_prefixes_resolve(typed: str, command: str) -> None:
    resolved = TREE.resolve(typed.split())
    assert isinstance(resolved, CommandSpec)
    assert resolved.words == command


@pytest.mark.parametrize(
    ("typed", "problem", "word"),
    [
        ("dis l", Problem.AMBIGUOUS, 1),  # lldp or local-user
        ("dis int", Problem.INCOMPLETE, 1),
        ("dis frob", Problem.UNKNOWN, 1),
        ("show version", Problem.UNKNOWN, 0),
        ("dis ver extra", Problem.UNKNOWN, 2),
    ],
)
def test_what_does_not_resolve_says_where(typed: str, problem: Problem, word: int) -> None:
    assert TREE.resolve(typed.split()) == Unresolved(problem, word)


def test_filters_split_on_spaced_pipes_only() -> None:
    assert split_filters("show run | i user|enable") == (
        "show run",
        [OutputFilter("include", "user|enable")],
    )
    assert split_filters("show run | ex ^! | beg ^interface") == (
        "show run",
        [OutputFilter("exclude", "^!"), OutputFilter("begin", "^interface")],
    )
    assert split_filters("show run | frobnicate x") is None


def test_filters_keep_what_they_say() -> None:
    lines = ["hostname A", "interface Gi0/1", " description up", "interface Gi0/2", "end"]
    assert OutputFilter("include", "^interface").apply(lines) == [
        "interface Gi0/1",
        "interface Gi0/2",
    ]
    assert OutputFilter("exclude", "interface").apply(lines) == [
        "hostname A",
        " description up",
        "end",
    ]
    assert OutputFilter("begin", "Gi0/2").apply(lines) == ["interface Gi0/2", "end"]
    assert OutputFilter("section", "Gi0/1").apply(lines) == ["interface Gi0/1", " description up"]
    assert OutputFilter("include", "(unbalanced").apply(["a (unbalanced b", "c"]) == [
        "a (unbalanced b"
    ]
