"""Request and answer bodies of the rollout routes: a rollout's plan, its waves as they opened and
were judged, what happened to it, and a new rollout as asked for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from card_fleet.rollout_service import RolloutChange, RolloutChanged
from card_fleet.rollouts import (
    GateFigures,
    GatePolicy,
    Rollout,
    RolloutComponent,
    RolloutPlan,
    RolloutState,
    WaveOutcome,
    WaveRecord,
    WaveSpec,
)

RegionCode = Annotated[str, Field(pattern=r"^\d{6}$", examples=["440103"])]
_DEFAULT_GATE = GatePolicy()
_DEFAULT_WAVES: tuple[float | WaveSpecInfo, ...] = (10.0, 50.0, 100.0)


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class GateInfo(_Body):
    """When a wave is healthy enough for the next one to open."""

    soak_s: int = Field(
        default=_DEFAULT_GATE.soak_s, gt=0, description="The gate is judged this long after"
    )
    min_back_pct: float = Field(
        default=_DEFAULT_GATE.min_back_pct,
        ge=0,
        le=100,
        description="Share of the wave's terminals back online on the target version",
    )
    max_failure_rate_increase_points: float = Field(
        default=_DEFAULT_GATE.max_failure_rate_increase_points,
        ge=0,
        description="How many points their read-failure rate may rise over its level before",
    )
    max_psam_failures: int = Field(
        default=_DEFAULT_GATE.max_psam_failures,
        ge=0,
        description="How many of the wave's terminals may report a PSAM missing or in error",
    )
    online_within_s: int = Field(
        default=_DEFAULT_GATE.online_within_s,
        gt=0,
        description="A terminal counts as online when its last heartbeat is at most this old",
    )


class WaveSpecInfo(_Body):
    percent: float = Field(gt=0, le=100, description="Cumulative share of the terminals")
    regions: list[RegionCode] = Field(
        default_factory=list, description="Division codes the wave is limited to; empty: scope"
    )


class PlannedWaveInfo(_Body):
    number: int = Field(description="0 is the pilot when there is one")
    label: str
    percent: float | None = Field(description="None for the pilot")
    regions: list[str]


class WaveInfo(_Body):
    """A wave that has opened, and its gate once judged."""

    number: int
    label: str
    percent: float | None
    opened_at: datetime
    members: int = Field(description="Terminals the wave took")
    judged_at: datetime | None
    outcome: WaveOutcome | None = Field(description="passed, failed, overridden; None: not yet")
    passed: bool | None = Field(description="Whether the gate passed; None: not judged yet")
    summary: str | None = Field(description="The gate's figures in one line, failures first")


class RolloutInfo(_Body):
    id: str
    component: RolloutComponent
    target_version: str
    previous_version: str | None
    regions: list[str] = Field(description="The scope's division codes; empty: the whole fleet")
    pilot_terminal_ids: list[str]
    pilot_size: int
    planned_waves: list[PlannedWaveInfo] = Field(description="Every step of the plan, in order")
    gate: GateInfo
    state: RolloutState
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    reason: str | None = Field(description="Why it is paused, halted or rolled back")
    waves: list[WaveInfo] = Field(description="The waves opened so far, in order")


class RolloutChangeInfo(_Body):
    at: datetime
    change: RolloutChange
    by: str = Field(description="A user, or 'system' for what the gates decided")
    message: str
    wave: int | None


class NewRollout(_Body):
    """A rollout to create (in draft: nothing moves until it is started)."""

    component: RolloutComponent
    target_version: str = Field(min_length=1, max_length=64, examples=["3.3.0"])
    previous_version: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="What a roll back returns a terminal to when its own is unknown",
    )
    regions: list[RegionCode] = Field(
        default_factory=list, description="Division codes of the scope; empty: the whole fleet"
    )
    pilot_terminal_ids: list[Annotated[str, Field(min_length=1, max_length=32)]] = Field(
        default_factory=list, max_length=1000, description="The pilot group by hand"
    )
    pilot_size: int = Field(default=0, ge=0, description="Or: this many, picked by the rollout")
    waves: list[float | WaveSpecInfo] = Field(
        default_factory=lambda: list(_DEFAULT_WAVES),
        max_length=50,
        description="Cumulative percents after the pilot: numbers, or {percent, regions}",
    )
    gate: GateInfo = Field(default_factory=GateInfo)


class RolloutReason(_Body):
    reason: str = Field(min_length=1, max_length=500, examples=["gate failure explained"])


class StartRollout(_Body):
    reason: str | None = Field(default=None, max_length=500, description="For the audit trail")


def plan_of(body: NewRollout) -> RolloutPlan:
    """The plan asked for; :class:`~card_fleet.errors.FleetError` when it makes no sense."""
    waves = tuple(
        WaveSpec(float(wave))
        if isinstance(wave, float | int)
        else WaveSpec(wave.percent, frozenset(wave.regions))
        for wave in body.waves
    )
    return RolloutPlan(
        component=body.component,
        target_version=body.target_version,
        previous_version=body.previous_version,
        regions=frozenset(body.regions),
        pilot_terminal_ids=tuple(body.pilot_terminal_ids),
        pilot_size=body.pilot_size,
        waves=waves,
        gate=GatePolicy(**body.gate.model_dump()),
    )


def _wave_info(wave: WaveRecord, percent: float | None) -> WaveInfo:
    figures: GateFigures | None = wave.figures
    return WaveInfo(
        number=wave.index,
        label=wave.label,
        percent=percent,
        opened_at=wave.opened_at,
        members=wave.terminal_count,
        judged_at=wave.judged_at,
        outcome=wave.outcome,
        passed=None if figures is None else figures.passed,
        summary=None if figures is None else figures.summary(),
    )


def rollout_info(rollout: Rollout, pilot_terminal_ids: Sequence[str] | None = None) -> RolloutInfo:
    """``pilot_terminal_ids``: those the caller may see (default: every one)."""
    plan = rollout.plan
    steps = plan.planned_waves()
    return RolloutInfo(
        id=rollout.id,
        component=plan.component,
        target_version=plan.target_version,
        previous_version=plan.previous_version,
        regions=sorted(plan.regions),
        pilot_terminal_ids=list(
            plan.pilot_terminal_ids if pilot_terminal_ids is None else pilot_terminal_ids
        ),
        pilot_size=plan.pilot_size,
        planned_waves=[
            PlannedWaveInfo(
                number=number, label=step.label, percent=step.percent, regions=sorted(step.regions)
            )
            for number, step in enumerate(steps)
        ],
        gate=GateInfo(**asdict(plan.gate)),
        state=rollout.state,
        created_by=rollout.created_by,
        created_at=rollout.created_at,
        started_at=rollout.started_at,
        finished_at=rollout.finished_at,
        reason=rollout.reason,
        waves=[
            _wave_info(wave, steps[wave.index].percent if wave.index < len(steps) else None)
            for wave in rollout.waves
        ],
    )


def change_info(change: RolloutChanged) -> RolloutChangeInfo:
    return RolloutChangeInfo(
        at=change.at, change=change.change, by=change.by, message=change.message, wave=change.wave
    )
