"""The route tree: first match wins, ``continue`` goes on, children inherit, group keys."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerts.matchers import parse_matchers
from alerts.routing import (
    DEFAULT_GROUP_INTERVAL,
    DEFAULT_GROUP_WAIT,
    DEFAULT_REPEAT_INTERVAL,
    RouteSpec,
    build_route_tree,
    receivers_used,
)


def tree() -> RouteSpec:
    return RouteSpec(
        receiver="noc",
        group_by=("alertname", "region"),
        group_wait=timedelta(seconds=10),
        escalation="network",
        routes=(
            RouteSpec(
                matchers=parse_matchers('severity="critical"'),
                receiver="duty-sms",
                continue_matching=True,
                group_by=("...",),
            ),
            RouteSpec(
                matchers=parse_matchers('region=~"4401.*"'),
                receiver="guangzhou",
                repeat_interval=timedelta(hours=1),
                routes=(
                    RouteSpec(matchers=parse_matchers('role="core"'), receiver="guangzhou-core"),
                ),
            ),
            RouteSpec(matchers=parse_matchers('region=~"4401.*"'), receiver="never-reached"),
            RouteSpec(matchers=parse_matchers('team="systems"'), receiver="systems"),
        ),
    )


def receivers(labels: dict[str, str]) -> list[str]:
    return [route.receiver for route in build_route_tree(tree()).match(labels)]


def test_an_alert_no_child_takes_stays_at_the_root() -> None:
    assert receivers({"region": "440203"}) == ["noc"]


def test_the_first_matching_child_wins() -> None:
    assert receivers({"region": "440103"}) == ["guangzhou"]


def test_a_matching_grandchild_takes_the_alert_from_its_parent() -> None:
    assert receivers({"region": "440103", "role": "core"}) == ["guangzhou-core"]


def test_continue_lets_the_next_siblings_match_too() -> None:
    assert receivers({"severity": "critical", "region": "440103"}) == ["duty-sms", "guangzhou"]
    assert receivers({"severity": "critical", "region": "440203"}) == ["duty-sms"]


def test_a_route_that_does_not_match_returns_nothing() -> None:
    root = build_route_tree(tree())
    child = root.routes[1]
    assert child.match({"region": "440203"}) == []


def test_children_inherit_what_they_do_not_set() -> None:
    root = build_route_tree(tree())
    guangzhou = root.routes[1]
    core = guangzhou.routes[0]
    assert root.group_wait == timedelta(seconds=10)
    assert root.group_interval == DEFAULT_GROUP_INTERVAL
    assert root.repeat_interval == DEFAULT_REPEAT_INTERVAL
    assert core.group_by == ("alertname", "region")
    assert core.group_wait == timedelta(seconds=10)
    assert core.repeat_interval == timedelta(hours=1)
    assert core.escalation == "network"
    assert root.routes[0].group_by_all


def test_defaults_are_alertmanagers() -> None:
    root = build_route_tree(RouteSpec(receiver="noc"))
    assert (root.group_wait, root.group_interval, root.repeat_interval) == (
        DEFAULT_GROUP_WAIT,
        timedelta(minutes=5),
        timedelta(hours=4),
    )
    assert root.group_by == ()
    assert root.group_key({"alertname": "X", "region": "440103"}) == "{}:{}"


def test_group_keys_name_the_route_and_the_grouping_labels() -> None:
    root = build_route_tree(tree())
    labels = {"alertname": "LinkDown", "region": "440103", "device": "gz-1"}
    guangzhou = root.match(labels)[0]
    assert guangzhou.group_labels(labels) == {"alertname": "LinkDown", "region": "440103"}
    assert guangzhou.group_key(labels) == (
        '{}/{region=~"4401.*"}/1:{alertname="LinkDown", region="440103"}'
    )
    everything = root.routes[0]
    assert everything.group_labels(labels) == labels


def test_route_ids_are_unique_even_with_identical_matchers() -> None:
    root = build_route_tree(tree())
    ids = [route.id for route in root.walk()]
    assert len(ids) == len(set(ids))
    assert root.routes[1].key == root.routes[2].key
    assert receivers_used(root) == {
        "noc",
        "duty-sms",
        "guangzhou",
        "guangzhou-core",
        "never-reached",
        "systems",
    }


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [
        (RouteSpec(), "needs a receiver"),
        (RouteSpec(receiver="noc", matchers=parse_matchers("a=b")), "cannot have matchers"),
        (RouteSpec(receiver="noc", continue_matching=True), "cannot 'continue'"),
        (RouteSpec(receiver="noc", group_by=("...", "region")), "cannot be combined"),
        (RouteSpec(receiver="noc", group_interval=timedelta(0)), "must be positive"),
        (RouteSpec(receiver="noc", group_wait=timedelta(seconds=-1)), "cannot be negative"),
    ],
)
def test_impossible_trees_are_refused(spec: RouteSpec, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        build_route_tree(spec)
