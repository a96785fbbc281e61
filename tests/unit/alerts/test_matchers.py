"""Label matchers: Alertmanager's semantics (missing label reads as "", anchored regexes)."""

from __future__ import annotations

import pytest

from alerts.matchers import (
    Matcher,
    MatchType,
    format_labels,
    format_matchers,
    matches_all,
    parse_matcher,
    parse_matchers,
)


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ('severity="critical"', {"severity": "critical"}, True),
        ('severity="critical"', {"severity": "warning"}, False),
        ('severity!="critical"', {"severity": "warning"}, True),
        ('severity!="critical"', {}, True),
        ('team=""', {}, True),
        ('team=""', {"team": "network"}, False),
        ('region=~"4401.*"', {"region": "440103"}, True),
        ('region=~"4401.*"', {"region": "440203"}, False),
        ('region=~"01"', {"region": "440101"}, False),  # anchored at both ends
        ('region=~"4401.."', {"region": "4401030"}, False),
        ('region!~"4401.*"', {"region": "440203"}, True),
        ('region!~"4401.*"', {"region": "440103"}, False),
        ('region!~".+"', {}, True),
        ('alertname=~"Link(Down|Flapping)"', {"alertname": "LinkDown"}, True),
        ("severity=critical", {"severity": "critical"}, True),
    ],
)
def test_matcher_semantics(text: str, labels: dict[str, str], expected: bool) -> None:
    assert parse_matcher(text).matches(labels) is expected


def test_all_matchers_must_hold_and_none_match_everything() -> None:
    matchers = parse_matchers('{severity="critical", region=~"4401.*"}')
    assert matches_all(matchers, {"severity": "critical", "region": "440103"})
    assert not matches_all(matchers, {"severity": "critical", "region": "440203"})
    assert matches_all((), {"anything": "at all"})


def test_parse_reads_operators_quotes_and_escapes() -> None:
    matcher = parse_matcher(r'comment = "a \"quoted\", b\\c\n"')
    assert matcher == Matcher("comment", MatchType.EQUAL, 'a "quoted", b\\c\n')
    assert parse_matcher("a!=b").type is MatchType.NOT_EQUAL
    assert parse_matcher("a!~b").type is MatchType.NOT_REGEX
    assert parse_matcher("a=~b").type is MatchType.REGEX


def test_commas_inside_quotes_are_values() -> None:
    matchers = parse_matchers('site="a,b", role=~"core|distribution"')
    assert [m.value for m in matchers] == ["a,b", "core|distribution"]


def test_text_forms_round_trip() -> None:
    matchers = parse_matchers('{severity="critical", note!~"x\\"y"}')
    assert format_matchers(matchers) == '{severity="critical", note!~"x\\"y"}'
    assert parse_matchers(format_matchers(matchers)) == matchers
    assert format_labels({"b": "2", "a": "1"}) == '{a="1", b="2"}'


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("severity", "not a matcher"),
        ("9x=1", "not a matcher"),
        ('a="unterminated', "unterminated quote"),
        ('a="x"y"', "unescaped quote"),
        (r'a="\q"', "bad escape"),
        ('a=~"("', "invalid regular expression"),
        ('a=b"', "stray quote"),
    ],
)
def test_bad_matchers_say_what_is_wrong(text: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        parse_matcher(text)


def test_unbalanced_braces_and_quotes_in_lists_are_refused() -> None:
    with pytest.raises(ValueError, match="unbalanced braces"):
        parse_matchers('{a="b"')
    with pytest.raises(ValueError, match="unterminated quote"):
        parse_matchers('a="b, c="d')
