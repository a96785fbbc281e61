"""The route tree: which receiver hears of an alert, and how its notifications are grouped.

Alertmanager's model (dispatch/route.go). A route has matchers, a receiver, grouping and timing; a
child route inherits every setting it does not set from its parent. An alert enters the tree at the
root (which matches everything) and descends: the first matching child takes it unless that child
says ``continue``, in which case the next matching siblings take it too; a route none of whose
children match takes the alert itself. So ``match`` returns one route or, with ``continue``,
several.

``group_by`` names the labels whose values split a route's alerts into aggregation groups; ``...``
groups by all labels (one group per alert); no ``group_by`` puts all of a route's alerts into one
group. A :class:`Receiver` is what a route names: a set of channels (webhook, email, sms).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import TypeVar

from alerts.matchers import Matcher, format_labels, format_matchers, matches_all

_T = TypeVar("_T")

GROUP_BY_ALL = "..."
"""The ``group_by`` entry meaning "every label": each distinct alert gets its own group."""

DEFAULT_GROUP_WAIT = timedelta(seconds=30)
"""Alertmanager's default: how long a new group waits for company before its first notice."""
DEFAULT_GROUP_INTERVAL = timedelta(minutes=5)
"""Alertmanager's default: how often a group's changes are batched into a notification."""
DEFAULT_REPEAT_INTERVAL = timedelta(hours=4)
"""Alertmanager's default: how long an unchanged firing group waits before it is re-sent."""


@dataclass(frozen=True)
class RouteSpec:
    """A route as configured: anything left ``None`` is inherited from the parent route."""

    receiver: str | None = None
    """Receiver name; required on the root."""
    matchers: tuple[Matcher, ...] = ()
    """All must match; the root has none."""
    continue_matching: bool = False
    """After this route matches, keep trying its later siblings (``continue`` in YAML)."""
    group_by: tuple[str, ...] | None = None
    """Label names to group by; ``("...",)`` for all labels."""
    group_wait: timedelta | None = None
    """Wait before a new group's first notification."""
    group_interval: timedelta | None = None
    """Wait between a group's notifications of changes."""
    repeat_interval: timedelta | None = None
    """Wait before re-sending an unchanged firing group."""
    escalation: str | None = None
    """Name of the escalation policy paging people for this route's alert groups."""
    routes: tuple[RouteSpec, ...] = ()
    """Child routes, tried in order."""


def _inherit(own: _T | None, parents: _T | None, default: _T) -> _T:
    if own is not None:
        return own
    return parents if parents is not None else default


class Route:
    """A node of the resolved route tree: every setting is known (inherited or its own)."""

    def __init__(
        self,
        spec: RouteSpec,
        parent: Route | None = None,
        index: int = 0,
    ) -> None:
        self.parent = parent
        self.matchers = spec.matchers
        self.continue_matching = spec.continue_matching
        receiver = _inherit(spec.receiver, parent.receiver if parent else None, "")
        if not receiver:
            raise ValueError("the root route needs a receiver")
        self.receiver: str = receiver
        group_by = _inherit(spec.group_by, parent.group_by if parent else None, ())
        self.group_by_all: bool = GROUP_BY_ALL in group_by
        if self.group_by_all and len(group_by) > 1:
            raise ValueError("group_by '...' cannot be combined with label names")
        self.group_by: tuple[str, ...] = tuple(sorted(set(group_by)))
        self.group_wait: timedelta = _inherit(
            spec.group_wait, parent.group_wait if parent else None, DEFAULT_GROUP_WAIT
        )
        self.group_interval: timedelta = _inherit(
            spec.group_interval, parent.group_interval if parent else None, DEFAULT_GROUP_INTERVAL
        )
        self.repeat_interval: timedelta = _inherit(
            spec.repeat_interval,
            parent.repeat_interval if parent else None,
            DEFAULT_REPEAT_INTERVAL,
        )
        if self.group_wait < timedelta(0):
            raise ValueError("group_wait cannot be negative")
        if self.group_interval <= timedelta(0) or self.repeat_interval <= timedelta(0):
            raise ValueError("group_interval and repeat_interval must be positive")
        self.escalation: str | None = _inherit(
            spec.escalation, parent.escalation if parent else None, None
        )
        self.key: str = format_matchers(self.matchers)
        """Alertmanager's route key: the matchers of this route and its ancestors."""
        self.id: str = self.key
        """Unique among routes: the key with each level's position among its siblings."""
        if parent is not None:
            self.key = f"{parent.key}/{self.key}"
            self.id = f"{parent.id}/{format_matchers(self.matchers)}/{index}"
        self.routes: tuple[Route, ...] = tuple(
            Route(child, self, position) for position, child in enumerate(spec.routes)
        )

    def match(self, labels: Mapping[str, str]) -> list[Route]:
        """The routes an alert with ``labels`` is sent to (empty when this route does not match)."""
        if not matches_all(self.matchers, labels):
            return []
        found: list[Route] = []
        for child in self.routes:
            taken = child.match(labels)
            found.extend(taken)
            if taken and not child.continue_matching:
                break
        return found or [self]

    def walk(self) -> Iterator[Route]:
        """This route and all below it, depth first."""
        yield self
        for child in self.routes:
            yield from child.walk()

    def group_labels(self, labels: Mapping[str, str]) -> dict[str, str]:
        """The labels that name an alert's aggregation group on this route."""
        if self.group_by_all:
            return dict(labels)
        return {name: labels[name] for name in self.group_by if name in labels}

    def group_key(self, labels: Mapping[str, str]) -> str:
        """The aggregation group key: route id and group labels (unique across the tree)."""
        return f"{self.id}:{format_labels(self.group_labels(labels))}"

    def __repr__(self) -> str:
        return f"Route({self.id!r}, receiver={self.receiver!r})"


def build_route_tree(spec: RouteSpec) -> Route:
    """Resolve inheritance; the root must have a receiver and no matchers.

    :class:`ValueError` says what is wrong (the config loader reports it with file and path).
    """
    if spec.matchers:
        raise ValueError("the root route matches every alert: it cannot have matchers")
    if spec.continue_matching:
        raise ValueError("the root route cannot 'continue'")
    return Route(spec)


def receivers_used(route: Route) -> set[str]:
    """Every receiver name the tree sends to."""
    return {node.receiver for node in route.walk()}


class ChannelKind(StrEnum):
    """How a receiver is reached (the notify package has one channel per kind)."""

    WEBHOOK = "webhook"
    EMAIL = "email"
    SMS = "sms"


@dataclass(frozen=True)
class Channel:
    """One way to reach a receiver: a webhook URL, a mail address or a phone number."""

    kind: ChannelKind
    target: str
    send_resolved: bool = True
    """Also tell this channel when alerts resolve."""


@dataclass(frozen=True)
class Receiver:
    """A named set of channels that routes send notifications to."""

    name: str
    channels: tuple[Channel, ...]

    @property
    def wants_resolved(self) -> bool:
        """Whether any channel wants resolutions (the dispatcher's ``send_resolved``)."""
        return any(channel.send_resolved for channel in self.channels)
