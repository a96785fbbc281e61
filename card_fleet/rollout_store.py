"""Rollouts in the state DB (tables of migration 0010, SQLite or PostgreSQL).

:class:`SqlRolloutStore` is the :class:`~card_fleet.rollout_service.RolloutStore` the rollout
service writes through, so a restart carries on with the same rollouts, waves, members and
history. Each save is one transaction (the rollout, its waves, its new members and what happened,
or none of them); SQLAlchemy's errors become :class:`~core.errors.StoreError` naming what failed.
The plan and the gates' figures are kept as JSON beside the columns that queries filter on.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any, TypeVar

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from card_fleet.errors import store_failure_reason
from card_fleet.rollout_service import RolloutChange, RolloutChanged
from card_fleet.rollouts import (
    GateFigures,
    GatePolicy,
    Rollout,
    RolloutComponent,
    RolloutMember,
    RolloutPlan,
    RolloutState,
    WaveOutcome,
    WaveRecord,
    WaveSpec,
)
from core.errors import StoreError
from core.state.rollout_tables import (
    RolloutEventRow,
    RolloutMemberRow,
    RolloutRow,
    RolloutWaveRow,
)

T = TypeVar("T")


class SqlRolloutStore:
    """Rollouts, their waves, members and history in the state DB."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def load_rollouts(self) -> list[Rollout]:
        """Every rollout with its waves, oldest first."""

        def work(session: Session) -> list[Rollout]:
            waves: dict[str, list[WaveRecord]] = defaultdict(list)
            ordered = select(RolloutWaveRow).order_by(
                RolloutWaveRow.rollout_id, RolloutWaveRow.wave_index
            )
            for wave in session.scalars(ordered):
                waves[wave.rollout_id].append(_wave_from_row(wave))
            rows = session.scalars(
                select(RolloutRow).order_by(RolloutRow.created_at, RolloutRow.id)
            )
            return [_rollout_from_row(row, waves[row.id]) for row in rows]

        return self._run("loading rollouts", work)

    def load_members(self) -> dict[str, list[RolloutMember]]:
        """Every rollout's members, by rollout id (plain rows: there may be many thousands)."""

        def work(session: Session) -> dict[str, list[RolloutMember]]:
            found: dict[str, list[RolloutMember]] = defaultdict(list)
            m = RolloutMemberRow
            columns = select(
                m.rollout_id,
                m.terminal_id,
                m.wave_index,
                m.previous_version,
                m.baseline_reads,
                m.baseline_failures,
            )
            for rollout_id, terminal_id, wave, previous, reads, failures in session.execute(
                columns
            ):
                found[rollout_id].append(
                    RolloutMember(terminal_id, wave, previous, reads, failures)
                )
            return dict(found)

        return self._run("loading rollout members", work)

    def save(
        self,
        rollout: Rollout,
        changes: Sequence[RolloutChanged],
        members: Sequence[RolloutMember] = (),
    ) -> None:
        """The rollout as it now stands, its new members and what happened: all or nothing."""

        def work(session: Session) -> None:
            session.merge(_rollout_row(rollout))
            for wave in rollout.waves:
                session.merge(_wave_row(rollout.id, wave))
            session.flush()  # the rollout's row first: members and events refer to it
            if members:
                session.execute(
                    insert(RolloutMemberRow),
                    [_member_values(rollout.id, member) for member in members],
                )
            if changes:
                session.execute(insert(RolloutEventRow), [_event_values(c) for c in changes])

        self._run(f"saving rollout {rollout.id}", work)

    def history(self, rollout_id: str) -> list[RolloutChanged]:
        """What happened to a rollout, oldest first."""

        def work(session: Session) -> list[RolloutChanged]:
            rows = session.scalars(
                select(RolloutEventRow)
                .where(RolloutEventRow.rollout_id == rollout_id)
                .order_by(RolloutEventRow.id)
            )
            return [
                RolloutChanged(
                    row.at,
                    row.rollout_id,
                    RolloutChange(row.kind),
                    row.by,
                    row.message,
                    row.wave_index,
                    figures_from_json(row.figures),
                )
                for row in rows
            ]

        return self._run(f"reading the history of rollout {rollout_id}", work)

    def _run(self, what: str, work: Callable[[Session], T]) -> T:
        try:
            with self._sessions.begin() as session:
                return work(session)
        except SQLAlchemyError as exc:
            reason = store_failure_reason(exc)
            raise StoreError(f"rollout store: {what} failed: {reason}") from exc


def plan_to_json(plan: RolloutPlan) -> str:
    """The plan as JSON (what the ``plan`` column keeps)."""
    return json.dumps(
        {
            "component": plan.component.value,
            "target_version": plan.target_version,
            "previous_version": plan.previous_version,
            "regions": sorted(plan.regions),
            "pilot_terminal_ids": list(plan.pilot_terminal_ids),
            "pilot_size": plan.pilot_size,
            "waves": [{"percent": w.percent, "regions": sorted(w.regions)} for w in plan.waves],
            "gate": asdict(plan.gate),
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def plan_from_json(text: str) -> RolloutPlan:
    """The plan :func:`plan_to_json` wrote."""
    data: dict[str, Any] = json.loads(text)
    return RolloutPlan(
        component=RolloutComponent(data["component"]),
        target_version=data["target_version"],
        previous_version=data["previous_version"],
        regions=frozenset(data["regions"]),
        pilot_terminal_ids=tuple(data["pilot_terminal_ids"]),
        pilot_size=data["pilot_size"],
        waves=tuple(WaveSpec(w["percent"], frozenset(w["regions"])) for w in data["waves"]),
        gate=GatePolicy(**data["gate"]),
    )


def figures_to_json(figures: GateFigures | None) -> str | None:
    """A gate's figures as JSON, or None."""
    return None if figures is None else json.dumps(asdict(figures), ensure_ascii=False)


def figures_from_json(text: str | None) -> GateFigures | None:
    """The figures :func:`figures_to_json` wrote."""
    if text is None:
        return None
    data: dict[str, Any] = json.loads(text)
    data["reasons"] = tuple(data["reasons"])
    return GateFigures(**data)


def _rollout_row(rollout: Rollout) -> RolloutRow:
    return RolloutRow(
        id=rollout.id,
        component=rollout.plan.component.value,
        target_version=rollout.plan.target_version,
        state=rollout.state.value,
        plan=plan_to_json(rollout.plan),
        created_by=rollout.created_by,
        created_at=rollout.created_at,
        updated_at=rollout.updated_at,
        started_at=rollout.started_at,
        finished_at=rollout.finished_at,
        reason=rollout.reason,
    )


def _rollout_from_row(row: RolloutRow, waves: list[WaveRecord]) -> Rollout:
    return Rollout(
        id=row.id,
        plan=plan_from_json(row.plan),
        state=RolloutState(row.state),
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        reason=row.reason,
        waves=tuple(waves),
    )


def _wave_row(rollout_id: str, wave: WaveRecord) -> RolloutWaveRow:
    return RolloutWaveRow(
        rollout_id=rollout_id,
        wave_index=wave.index,
        label=wave.label,
        opened_at=wave.opened_at,
        terminal_count=wave.terminal_count,
        outcome=None if wave.outcome is None else wave.outcome.value,
        judged_at=wave.judged_at,
        figures=figures_to_json(wave.figures),
    )


def _wave_from_row(row: RolloutWaveRow) -> WaveRecord:
    return WaveRecord(
        index=row.wave_index,
        label=row.label,
        opened_at=row.opened_at,
        terminal_count=row.terminal_count,
        outcome=None if row.outcome is None else WaveOutcome(row.outcome),
        judged_at=row.judged_at,
        figures=figures_from_json(row.figures),
    )


def _member_values(rollout_id: str, member: RolloutMember) -> dict[str, Any]:
    return {
        "rollout_id": rollout_id,
        "terminal_id": member.terminal_id,
        "wave_index": member.wave,
        "previous_version": member.previous_version,
        "baseline_reads": member.baseline_reads,
        "baseline_failures": member.baseline_failures,
    }


def _event_values(change: RolloutChanged) -> dict[str, Any]:
    return {
        "rollout_id": change.rollout_id,
        "at": change.at,
        "kind": change.change.value,
        "by": change.by,
        "message": change.message,
        "wave_index": change.wave,
        "figures": figures_to_json(change.figures),
    }
