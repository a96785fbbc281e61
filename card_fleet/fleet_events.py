"""What the fleet tells the alert engine besides its county figures: per-terminal changes.

Each health computation is compared with the one before: a terminal whose PSAM went missing or
into error (or came back), a terminal that became a read-failure outlier in its county (or fell
back in line), and a rollout halted at a failed gate are published on the process's bus as core
events (:class:`~core.events.TerminalPsamChanged`, :class:`~core.events.TerminalReadingChanged`,
:class:`~core.events.RolloutHalted`), which the shipped rules turn into alerts that clear
themselves. Only changes are published; the first computation after a start tells of every
terminal already failing (the alert engine dedups what it restored).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from card_fleet.fleet_status import TerminalStatus
from card_fleet.health import FleetHealth
from card_fleet.model import PsamStatus
from card_fleet.rollout_service import RolloutChange, RolloutChanged, RolloutService
from core.events import (
    Event,
    EventBus,
    RolloutHalted,
    TerminalPsamChanged,
    TerminalReadingChanged,
)


class FleetEventTracker:
    """Remembers the last computation's PSAM failures and outliers; publishes the differences."""

    def __init__(self, bus: EventBus | None, province: str) -> None:
        """``province``: the code a rollout over the whole fleet is placed in (its alert's
        region)."""
        self._bus = bus
        self._province = province
        self._psam: dict[str, tuple[str, str, PsamStatus]] = {}
        """Terminal → (county, city, status) of those failing at the last computation."""
        self._outliers: dict[str, tuple[str, str, float]] = {}

    def observe(self, health: FleetHealth, statuses: Iterable[TerminalStatus]) -> list[Event]:
        """Compare with the last computation; publish and return the events of what changed."""
        now = health.computed_at
        psam: dict[str, tuple[str, str, PsamStatus]] = {
            s.terminal_id: (s.county, s.city, s.psam_status)
            for s in statuses
            if s.psam_status is not PsamStatus.OK
        }
        outliers = {
            o.terminal_id: (code, area.city or code, o.failure_rate)
            for code, area in health.counties.items()
            for o in area.outliers
        }
        found: list[Event] = []
        for terminal, (county, city, status) in psam.items():
            if self._psam.get(terminal, (None, None, None))[2] is not status:
                found.append(_psam(now, terminal, county, city, status.value))
        for terminal, (county, city, _) in self._psam.items():
            if terminal not in psam:
                found.append(_psam(now, terminal, county, city, PsamStatus.OK.value))
        for terminal, (county, city, rate) in outliers.items():
            if terminal not in self._outliers:
                found.append(_reading(now, terminal, county, city, poor=True, rate=rate))
        for terminal, (county, city, rate) in self._outliers.items():
            if terminal not in outliers:
                found.append(_reading(now, terminal, county, city, poor=False, rate=rate))
        self._psam, self._outliers = psam, outliers
        self._publish(found)
        return found

    def rollout_changes(
        self, changes: Iterable[RolloutChanged], rollouts: RolloutService
    ) -> list[Event]:
        """A :class:`RolloutHalted` for each halt among ``changes`` (the alert for a person)."""
        found: list[Event] = []
        for change in changes:
            if change.change is RolloutChange.HALTED:
                regions = sorted(rollouts.get(change.rollout_id).plan.regions)
                region = regions[0] if len(regions) == 1 else self._province
                found.append(RolloutHalted(change.at, change.rollout_id, region, change.message))
        self._publish(found)
        return found

    def _publish(self, found: list[Event]) -> None:
        if self._bus is not None:
            for event in found:
                self._bus.publish(event)


def _psam(now: datetime, terminal: str, county: str, city: str, status: str) -> Event:
    return TerminalPsamChanged(now, terminal, county, county, city, status)


def _reading(
    now: datetime, terminal: str, county: str, city: str, *, poor: bool, rate: float
) -> Event:
    return TerminalReadingChanged(now, terminal, county, county, city, poor, round(rate, 3))
