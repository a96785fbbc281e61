"""What the rules see each cycle: metric series and state facts, with their context labels.

The engine (:class:`alerts.evaluation.AlertEngine`) asks this module for *observations*: for each
thing a rule looks at (a series, a device, a link, a site, a backup), its identifying labels, all
its labels (the identifying ones plus the context the state snapshot gives: region codes, site,
role, link tier, …), its value and the values templates may use.

Metric series come through :class:`MetricsSource` (``MetricStore`` satisfies it). A series whose
newest point is older than ``max_sample_age_s`` is absent, as a series that is gone: its alert
resolves (a dead device's CPU alert gives way to its unreachable alert).
``interface_utilisation_percent`` is derived here: 100 × max(in, out) bps / the capacity of the
link the interface ends (interfaces that end no link with a capacity have none).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Protocol

from alerts.model import (
    DEVICE_STATES,
    LINK_STATES,
    SITE_STATES,
    TERMINAL_FLEET_STATES,
    DeviceFact,
    StateSnapshot,
    region_levels,
)
from core import events
from core.metrics import names
from core.metrics.store import LatestValue

# --- vocabulary: what rules may name ---------------------------------------------------------

INTERFACE_UTILISATION_PERCENT = "interface_utilisation_percent"
"""Derived by the engine: 100 × max(in, out) bps / the link's capacity, for link ends only."""

DEVICE_CONTEXT_LABELS = frozenset(
    {"device", "region", "province", "city", "county", "site", "role", "platform", "services"}
)
"""Labels the engine adds from the device's :class:`~alerts.model.DeviceFact`."""
LINK_CONTEXT_LABELS = frozenset({"link", "tier", "link_role", "peer_device", "peer_interface"})
"""Labels the engine adds to an interface series whose interface is a link end."""

_INTERFACE = frozenset({"if_index", "if_name"}) | DEVICE_CONTEXT_LABELS | LINK_CONTEXT_LABELS
METRIC_LABELS: Mapping[str, frozenset[str]] = {
    **dict.fromkeys(names.INTERFACE_METRICS, _INTERFACE),
    INTERFACE_UTILISATION_PERCENT: _INTERFACE,
    **dict.fromkeys(names.DEVICE_METRICS, DEVICE_CONTEXT_LABELS),
    names.HOST_LOAD1: DEVICE_CONTEXT_LABELS,
    names.HOST_MEMORY_PERCENT: DEVICE_CONTEXT_LABELS,
    names.HOST_DISK_USED_PERCENT: DEVICE_CONTEXT_LABELS | {"mount"},
    names.HOST_UNIT_ACTIVE: DEVICE_CONTEXT_LABELS | {"unit"},
}
"""Every metric a threshold rule may use, with the labels its series carry once enriched."""

FACT_LABELS: Mapping[str, frozenset[str]] = {
    "device": DEVICE_CONTEXT_LABELS,
    "link": DEVICE_CONTEXT_LABELS
    | {"link", "tier", "link_role", "a_device", "a_interface", "b_device", "b_interface"},
    "site": DEVICE_CONTEXT_LABELS,
    "backup": DEVICE_CONTEXT_LABELS,
    "terminal_fleet": frozenset({"region", "province", "city", "county", "site"}),
}
"""State-fact kinds and their labels (a link's device context is its lower-level end's)."""
FACT_STATES: Mapping[str, frozenset[str]] = {
    "device": DEVICE_STATES,
    "link": LINK_STATES,
    "site": SITE_STATES,
    "terminal_fleet": TERMINAL_FLEET_STATES,
}

EVENT_TYPES: Mapping[str, type[events.Event]] = {
    cls.__name__: cls
    for cls in (
        events.TrapReceived,
        events.ConfigChanged,
        events.HostKeyChanged,
        events.BackupFailed,
        events.LinkFailedOver,
        events.SiteIsolated,
        events.SiteRestored,
        events.DeviceStatusChanged,
        events.TerminalPsamChanged,
        events.TerminalReadingChanged,
        events.RolloutHalted,
    )
}
DEFAULT_IDENTIFY_BY: Mapping[str, tuple[str, ...]] = {
    "TrapReceived": ("source_address", "device", "if_index"),
    "HostKeyChanged": ("endpoint",),
    "LinkFailedOver": ("site",),
    "SiteIsolated": ("site",),
    "SiteRestored": ("site",),
    "TerminalPsamChanged": ("terminal_id",),
    "TerminalReadingChanged": ("terminal_id",),
    "RolloutHalted": ("rollout_id",),
}
"""Identifying labels of an event rule's alert when the rule does not say (else ``device``)."""

_RENAMED = {"device_id": "device", "site_id": "site"}
_UNLABELLED = frozenset({"at", "varbinds"})


def event_label_names(event_type: type[events.Event]) -> frozenset[str]:
    """The labels made of an event type's fields (``device_id`` becomes ``device``)."""
    return frozenset(
        _RENAMED.get(f.name, f.name)
        for f in dataclasses.fields(event_type)
        if f.name not in _UNLABELLED
    )


def event_labels(event: events.Event) -> dict[str, str]:
    """An event's fields as labels; fields that are None are left out."""
    out: dict[str, str] = {}
    for f in dataclasses.fields(event):
        if f.name in _UNLABELLED:
            continue
        value: Any = getattr(event, f.name)
        if value is None:
            continue
        out[_RENAMED.get(f.name, f.name)] = _label_text(value)
    return out


def _label_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"  # as a matcher would write it
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


# --- observations ------------------------------------------------------------------------------

_LEVEL_RANK = {"county": 3, "city": 2, "province": 1}


class MetricsSource(Protocol):
    """The read side of the metric store the engine needs (``MetricStore`` is one)."""

    def latest(self, name: str, matchers: Mapping[str, str] | None = None) -> list[LatestValue]:
        """The newest point of every series called ``name`` whose labels match ``matchers``."""
        ...


class Observation:
    """One thing a rule looked at, this cycle.

    A series' context labels are worked out only when asked for (matchers on context labels, or
    an alert to label): most series of a cycle are fine and need none.
    """

    __slots__ = ("_index", "_labels", "at", "identity", "reason", "state", "value")

    def __init__(
        self,
        identity: tuple[tuple[str, str], ...],
        labels: dict[str, str] | None = None,
        value: float | None = None,
        state: str | None = None,
        at: datetime | None = None,
        reason: str | None = None,
        index: FactIndex | None = None,
    ) -> None:
        self.identity = identity
        """The labels that name it (part of the fingerprint), sorted."""
        self.value = value
        self.state = state
        self.at = at
        """The fact's timestamp (a backup's last success)."""
        self.reason = reason
        self._labels = labels
        self._index = index

    @property
    def labels(self) -> dict[str, str]:
        """Identity plus context labels."""
        if self._labels is None:
            own = dict(self.identity)
            self._labels = self._index.enrich(own) if self._index is not None else own
        return self._labels


@dataclass(frozen=True, slots=True)
class _LinkEnd:
    link: str
    tier: str
    role: str
    peer_device: str
    peer_interface: str
    capacity_bps: int | None


class FactIndex:
    """A state snapshot, indexed once per snapshot for the rules and for enriching labels."""

    def __init__(self, snapshot: StateSnapshot) -> None:
        self.snapshot = snapshot
        self._devices: dict[str, DeviceFact] = {d.device_id: d for d in snapshot.devices}
        self.device_labels: dict[str, dict[str, str]] = {
            d.device_id: d.labels() for d in snapshot.devices
        }
        self.link_ends: dict[tuple[str, str], _LinkEnd] = {}
        for link in snapshot.links:
            for device, interface, peer, peer_if in (
                (link.a_device, link.a_interface, link.b_device, link.b_interface),
                (link.b_device, link.b_interface, link.a_device, link.a_interface),
            ):
                self.link_ends[(device, interface)] = _LinkEnd(
                    link.link_id, link.tier, link.role, peer, peer_if, link.capacity_bps
                )
        self._facts: dict[str, list[Observation]] = {}

    def context(self, device: str | None) -> dict[str, str]:
        """The labels a device gives what is on it; just ``device`` when it is unknown."""
        if device is None:
            return {}
        return self.device_labels.get(device) or {"device": device}

    def enrich(self, labels: Mapping[str, str]) -> dict[str, str]:
        """``labels`` with the context of their device and, for a link end, of its link."""
        device = labels.get("device")
        out = dict(self.device_labels.get(device, {})) if device else {}
        out.update(labels)
        if_name = labels.get("if_name")
        if device and if_name:
            end = self.link_ends.get((device, if_name))
            if end is not None:
                out["link"] = end.link
                out["tier"] = end.tier
                out["link_role"] = end.role
                out["peer_device"] = end.peer_device
                out["peer_interface"] = end.peer_interface
        return out

    def facts(self, kind: str) -> list[Observation]:
        """Observations of one fact kind: device, link, site or backup."""
        found = self._facts.get(kind)
        if found is None:
            found = self._facts[kind] = getattr(self, f"_{kind}_facts")()
        return found

    def _device_facts(self) -> list[Observation]:
        return [
            Observation(
                (("device", d.device_id),),
                self.device_labels[d.device_id],
                state=d.status,
                at=d.since,
                reason=d.reason,
            )
            for d in self.snapshot.devices
        ]

    def _link_facts(self) -> list[Observation]:
        out = []
        for link in self.snapshot.links:
            deeper = max((link.a_device, link.b_device), key=self._depth)
            labels = dict(self.context(deeper))
            labels.update(
                link=link.link_id,
                tier=link.tier,
                link_role=link.role,
                a_device=link.a_device,
                a_interface=link.a_interface,
                b_device=link.b_device,
                b_interface=link.b_interface,
            )
            out.append(Observation((("link", link.link_id),), labels, state=link.state))
        return out

    def _depth(self, device: str) -> int:
        fact = self._devices.get(device)
        if fact is None:
            return 0
        levels = self.device_labels[device]
        return max((_LEVEL_RANK[name] for name in _LEVEL_RANK if name in levels), default=0)

    def _site_facts(self) -> list[Observation]:
        out = []
        for site in self.snapshot.sites:
            labels = dict(self.context(site.device_id))
            if site.device_id not in self.device_labels and site.region:
                labels.update(region_levels(site.region), region=site.region)
            labels["site"] = site.site_id
            out.append(
                Observation((("site", site.site_id),), labels, state=site.state, at=site.since)
            )
        return out

    def _terminal_fleet_facts(self) -> list[Observation]:
        out = []
        for fleet in self.snapshot.terminal_fleets:
            labels = region_levels(fleet.county)
            labels.update(region=fleet.county, county=fleet.county)
            if fleet.site is not None:
                labels["site"] = fleet.site
            reason = (
                f"{fleet.silent} of {fleet.active} active terminals silent"
                if fleet.silent
                else None
            )
            out.append(
                Observation(
                    (("county", fleet.county),),
                    labels,
                    state=fleet.state,
                    at=fleet.since,
                    reason=reason,
                )
            )
        return out

    def _backup_facts(self) -> list[Observation]:
        return [
            Observation(
                (("device", b.device_id),),
                self.context(b.device_id),
                at=b.last_success_at,
                reason=b.last_error,
            )
            for b in self.snapshot.backups
        ]


class SeriesCache:
    """The metric series of one cycle, read once per metric name, fresh ones only, enriched."""

    def __init__(
        self, source: MetricsSource, index: FactIndex, now: datetime, max_sample_age_s: float
    ) -> None:
        self._source = source
        self._index = index
        self._oldest_s = now.timestamp() - max_sample_age_s
        self._cache: dict[str, list[Observation]] = {}

    def get(self, metric: str) -> list[Observation]:
        """Observations of every fresh series of ``metric``; raises what the source raises."""
        found = self._cache.get(metric)
        if found is None:
            if metric == INTERFACE_UTILISATION_PERCENT:
                found = self._utilisation()
            else:
                index = self._index
                found = [
                    Observation(v.key.labels, value=v.value, index=index)
                    for v in self._fresh(metric)
                ]
            self._cache[metric] = found
        return found

    def _fresh(self, metric: str) -> list[LatestValue]:
        return [v for v in self._source.latest(metric) if v.ts_s >= self._oldest_s]

    def _utilisation(self) -> list[Observation]:
        rates: dict[tuple[tuple[str, str], ...], float] = {}
        for metric in (names.INTERFACE_IN_BPS, names.INTERFACE_OUT_BPS):
            for v in self._fresh(metric):
                rates[v.key.labels] = max(rates.get(v.key.labels, 0.0), v.value)
        out = []
        link_ends = self._index.link_ends
        for labels, bps in rates.items():
            own = dict(labels)
            end = link_ends.get((own.get("device", ""), own.get("if_name", "")))
            if end is not None and end.capacity_bps:
                value = 100.0 * bps / end.capacity_bps
                out.append(Observation(labels, value=value, index=self._index))
        return out
