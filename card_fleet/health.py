"""Fleet health per county, city and province: a pure function over frozen inputs.

:func:`compute_fleet_health` takes the registry's terminals (:class:`FleetMember`), the latest
statuses (:class:`~card_fleet.fleet_status.TerminalStatus`, rolling counters counted up to
``now``) and returns figures for every county, every city (the sums of its counties) and the
province. Nothing here reads a clock or a database, so known-answer tests state every figure.

What counts:

- **by state**: every registered terminal, in each life state.
- **online / silent**: among *active* terminals only (provisioned ones have not beaten yet,
  suspended ones are refused, retired and lost ones are gone). Online means heard from within
  ``silent_after_s`` of ``now`` (a heartbeat exactly ``silent_after_s`` old is still online);
  an active terminal with no status at all is silent with no last-seen time.
- **read-failure rate**: failures / (reads + failures) over the rolling window, summed over the
  active terminals; None with no read attempt.
- **outliers**: an active terminal is an outlier when, over the window, it made at least
  ``outlier_min_attempts`` read attempts (reads + failures: a reader failing every read has no
  successful read and must not escape), its failure rate is at least ``outlier_min_rate`` and at
  least ``outlier_median_factor`` × the median rate of its county's terminals that made at least
  ``outlier_min_attempts`` attempts (itself included). All three bounds are inclusive. With a
  healthy county (median 0) any terminal at 10 % stands out; when a whole county fails alike,
  nobody is an outlier — the county's own rate says it. A county with one eligible terminal never
  has outliers (a rate cannot be three times itself unless it is 0).
- **PSAM failures**: active terminals whose last heartbeat said the PSAM is missing or in error.
- **version drift**: counts of active terminals per firmware and parameter version; a county's
  majority version is its most common one (a tie goes to the later-sorting name, so the choice is
  stable); drift counts terminals off it. ``off_target`` counts terminals whose version is not
  the one a rollout targets for them (when a target source is given).

A city's figures are the sums of its counties' (a terminal's drift is counted against its own
county's majority); the province's are the sums of its cities'. The province's code is its
counties' first two digits and ``0000`` (GB/T 2260).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from statistics import median

from card_fleet.fleet_status import TerminalStatus
from card_fleet.model import PsamStatus, Terminal, TerminalState

_ROUNDING = 1e-9
"""Slack on the inclusive outlier bounds: 3 × 0.1 is 0.30000000000000004 in floating point."""

TargetLookup = Callable[[str, str, str], tuple[str | None, str | None]]
"""(terminal id, county, city) → (target firmware, target parameter version), None for no
target: a rollout's ``target_for``."""


@dataclass(frozen=True, slots=True)
class FleetHealthSettings:
    """Thresholds of fleet health."""

    silent_after_s: float = 300.0
    """An active terminal not heard from for longer than this is silent."""
    outlier_min_attempts: int = 20
    """Read attempts (reads + failures) in the window below which a terminal's rate is noise."""
    outlier_min_rate: float = 0.10
    """A failure rate below this is never an outlier, however it compares with the county's."""
    outlier_median_factor: float = 3.0
    """How many times the county's median failure rate a terminal's rate must reach."""


@dataclass(frozen=True, slots=True)
class FleetMember:
    """A registered terminal as fleet health counts it."""

    id: str
    county: str
    city: str
    state: TerminalState

    @classmethod
    def of(cls, terminal: Terminal) -> FleetMember:
        """The member for a registry terminal."""
        return cls(terminal.id, terminal.county, terminal.city, terminal.state)


class AreaLevel(StrEnum):
    COUNTY = "county"
    CITY = "city"
    PROVINCE = "province"


@dataclass(frozen=True, slots=True)
class SilentTerminal:
    terminal_id: str
    last_seen_at: datetime | None
    """None when the terminal never sent a heartbeat ssnoc knows of."""


@dataclass(frozen=True, slots=True)
class ReadOutlier:
    terminal_id: str
    reads: int
    failures: int
    failure_rate: float
    county_median_rate: float
    """The median rate of the terminal's county it was compared with."""


@dataclass(frozen=True, slots=True)
class AreaHealth:
    """The figures of one county, city or province."""

    code: str
    level: AreaLevel
    city: str | None
    """The city of a county (and a city's own code); None for the province."""
    by_state: Mapping[TerminalState, int]
    """Terminals in each life state (every state present, zeros included)."""
    terminals: int
    active: int
    online: int
    online_share: float | None
    """online / active; None without active terminals."""
    silent: tuple[SilentTerminal, ...]
    """Silent active terminals, sorted by id."""
    card_reads: int
    card_read_failures: int
    read_failure_rate: float | None
    outliers: tuple[ReadOutlier, ...]
    """Sorted by id."""
    psam_missing: int
    psam_error: int
    firmware_versions: Mapping[str, int]
    parameter_versions: Mapping[str, int]
    majority_firmware: str | None
    majority_parameter: str | None
    firmware_drift: int
    parameter_drift: int
    version_drift: int
    """Terminals off the majority firmware or off the majority parameter version."""
    off_target: int

    @property
    def psam_failures(self) -> int:
        """Terminals whose PSAM is missing or in error."""
        return self.psam_missing + self.psam_error


@dataclass(frozen=True, slots=True)
class FleetHealth:
    """The whole fleet's health at ``computed_at``."""

    computed_at: datetime
    settings: FleetHealthSettings
    counties: Mapping[str, AreaHealth]
    cities: Mapping[str, AreaHealth]
    provinces: Mapping[str, AreaHealth]


class _Tally:
    """Running sums of one county while the fleet is walked once."""

    __slots__ = (
        "active",
        "by_state",
        "city",
        "eligible",
        "failures",
        "firmware",
        "off_target",
        "online",
        "parameter",
        "psam_error",
        "psam_missing",
        "rates",
        "reads",
        "silent",
        "versions",
    )  # fmt: skip

    def __init__(self, city: str) -> None:
        self.city = city
        self.by_state: Counter[TerminalState] = Counter()
        self.active = 0
        self.online = 0
        self.silent: list[SilentTerminal] = []
        self.reads = 0
        self.failures = 0
        self.rates: list[float] = []
        self.eligible: list[TerminalStatus] = []
        self.psam_missing = 0
        self.psam_error = 0
        self.firmware: Counter[str] = Counter()
        self.parameter: Counter[str] = Counter()
        self.versions: list[tuple[str, str]] = []
        self.off_target = 0


def compute_fleet_health(
    statuses: Iterable[TerminalStatus],
    terminals: Iterable[FleetMember],
    now: datetime,
    settings: FleetHealthSettings | None = None,
    *,
    targets: TargetLookup | None = None,
) -> FleetHealth:
    """Health of every county, city and province of ``terminals`` at ``now``."""
    settings = settings or FleetHealthSettings()
    latest = {status.terminal_id: status for status in statuses}
    online_since = now - timedelta(seconds=settings.silent_after_s)
    tallies: dict[str, _Tally] = {}
    for member in terminals:
        tally = tallies.get(member.county)
        if tally is None:
            tally = tallies[member.county] = _Tally(member.city)
        tally.by_state[member.state] += 1
        if member.state is not TerminalState.ACTIVE:
            continue
        tally.active += 1
        status = latest.get(member.id)
        if status is None:
            tally.silent.append(SilentTerminal(member.id, None))
            continue
        _count_active(tally, member, status, online_since, settings, targets)
    counties = {code: _county(code, tally, now, settings) for code, tally in tallies.items()}
    cities = _roll_up(counties.values(), AreaLevel.CITY, lambda area: area.city or "")
    provinces = _roll_up(cities.values(), AreaLevel.PROVINCE, lambda area: area.code[:2] + "0000")
    return FleetHealth(now, settings, counties, cities, provinces)


def _count_active(
    tally: _Tally,
    member: FleetMember,
    status: TerminalStatus,
    online_since: datetime,
    settings: FleetHealthSettings,
    targets: TargetLookup | None,
) -> None:
    if status.last_seen_at >= online_since:
        tally.online += 1
    else:
        tally.silent.append(SilentTerminal(member.id, status.last_seen_at))
    reads, failures = status.window_reads, status.window_failures
    tally.reads += reads
    tally.failures += failures
    if reads + failures >= settings.outlier_min_attempts:
        tally.rates.append(failures / (reads + failures))
        tally.eligible.append(status)
    if status.psam_status is PsamStatus.MISSING:
        tally.psam_missing += 1
    elif status.psam_status is PsamStatus.ERROR:
        tally.psam_error += 1
    tally.firmware[status.firmware_version] += 1
    tally.parameter[status.parameter_version] += 1
    tally.versions.append((status.firmware_version, status.parameter_version))
    if targets is not None:
        firmware, parameter = targets(member.id, member.county, member.city)
        if (firmware is not None and firmware != status.firmware_version) or (
            parameter is not None and parameter != status.parameter_version
        ):
            tally.off_target += 1


def _county(code: str, tally: _Tally, now: datetime, settings: FleetHealthSettings) -> AreaHealth:
    majority_firmware = _majority(tally.firmware)
    majority_parameter = _majority(tally.parameter)
    firmware_drift = parameter_drift = either = 0
    for firmware, parameter in tally.versions:
        off_firmware = firmware != majority_firmware
        off_parameter = parameter != majority_parameter
        firmware_drift += off_firmware
        parameter_drift += off_parameter
        either += off_firmware or off_parameter
    return AreaHealth(
        code=code,
        level=AreaLevel.COUNTY,
        city=tally.city,
        by_state={state: tally.by_state[state] for state in TerminalState},
        terminals=sum(tally.by_state.values()),
        active=tally.active,
        online=tally.online,
        online_share=tally.online / tally.active if tally.active else None,
        silent=tuple(sorted(tally.silent, key=lambda silent: silent.terminal_id)),
        card_reads=tally.reads,
        card_read_failures=tally.failures,
        read_failure_rate=_rate(tally.reads, tally.failures),
        outliers=_outliers(tally, settings),
        psam_missing=tally.psam_missing,
        psam_error=tally.psam_error,
        firmware_versions=dict(tally.firmware),
        parameter_versions=dict(tally.parameter),
        majority_firmware=majority_firmware,
        majority_parameter=majority_parameter,
        firmware_drift=firmware_drift,
        parameter_drift=parameter_drift,
        version_drift=either,
        off_target=tally.off_target,
    )


def _outliers(tally: _Tally, settings: FleetHealthSettings) -> tuple[ReadOutlier, ...]:
    if not tally.rates:
        return ()
    county_median = median(tally.rates)
    bar = max(settings.outlier_min_rate, settings.outlier_median_factor * county_median)
    found = []
    for status, rate in zip(tally.eligible, tally.rates, strict=True):
        if rate >= bar - _ROUNDING:
            found.append(
                ReadOutlier(
                    status.terminal_id,
                    status.window_reads,
                    status.window_failures,
                    rate,
                    county_median,
                )
            )
    return tuple(sorted(found, key=lambda outlier: outlier.terminal_id))


def _roll_up(
    areas: Iterable[AreaHealth], level: AreaLevel, parent_of: Callable[[AreaHealth], str]
) -> dict[str, AreaHealth]:
    groups: dict[str, list[AreaHealth]] = {}
    for area in areas:
        groups.setdefault(parent_of(area), []).append(area)
    return {code: _sum(code, level, parts) for code, parts in groups.items()}


def _sum(code: str, level: AreaLevel, parts: list[AreaHealth]) -> AreaHealth:
    by_state: Counter[TerminalState] = Counter()
    firmware: Counter[str] = Counter()
    parameter: Counter[str] = Counter()
    for part in parts:
        by_state.update(part.by_state)
        firmware.update(part.firmware_versions)
        parameter.update(part.parameter_versions)
    active = sum(part.active for part in parts)
    online = sum(part.online for part in parts)
    reads = sum(part.card_reads for part in parts)
    failures = sum(part.card_read_failures for part in parts)
    return AreaHealth(
        code=code,
        level=level,
        city=code if level is AreaLevel.CITY else None,
        by_state={state: by_state[state] for state in TerminalState},
        terminals=sum(part.terminals for part in parts),
        active=active,
        online=online,
        online_share=online / active if active else None,
        silent=tuple(sorted((s for p in parts for s in p.silent), key=lambda s: s.terminal_id)),
        card_reads=reads,
        card_read_failures=failures,
        read_failure_rate=_rate(reads, failures),
        outliers=tuple(sorted((o for p in parts for o in p.outliers), key=lambda o: o.terminal_id)),
        psam_missing=sum(part.psam_missing for part in parts),
        psam_error=sum(part.psam_error for part in parts),
        firmware_versions=dict(firmware),
        parameter_versions=dict(parameter),
        majority_firmware=_majority(firmware),
        majority_parameter=_majority(parameter),
        firmware_drift=sum(part.firmware_drift for part in parts),
        parameter_drift=sum(part.parameter_drift for part in parts),
        version_drift=sum(part.version_drift for part in parts),
        off_target=sum(part.off_target for part in parts),
    )


def _majority(counts: Counter[str]) -> str | None:
    if not counts:
        return None
    return max(counts.items(), key=lambda item: (item[1], item[0]))[0]


def _rate(reads: int, failures: int) -> float | None:
    attempts = reads + failures
    return failures / attempts if attempts else None
