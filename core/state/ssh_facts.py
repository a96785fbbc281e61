"""What the CLI says of devices and hosts (``ssh_facts``) and the named services of hosts
(``host_units``).

A success replaces a device's facts and keeps ``last_success_at``; a failure records only the
error and when, so the last good facts stay visible beside the reason they are getting old. Units
are replaced per host on every successful collection, like accounts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from core.errors import StoreError
from core.state.ssh_views import (
    HostUnitState,
    SshFacts,
    SshFactsView,
    StoredHostUnit,
    UnitState,
)
from core.state.tables import HostUnitRow, SshFactsRow


class SshFactsRepository:
    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    # ------------------------------------------------------------------ writes

    def record_success(self, device_id: str, facts: SshFacts, at: datetime) -> None:
        """Store the facts of a successful collection (the previous error is cleared)."""
        _aware(at)
        try:
            with self._sessions.begin() as session:
                row = session.get(SshFactsRow, device_id) or SshFactsRow(device_id=device_id)
                row.hostname = facts.hostname
                row.vendor = facts.vendor
                row.os_version = facts.os_version
                row.model = facts.model
                row.serial = facts.serial
                row.uptime = facts.uptime
                row.facts = json.dumps(facts.details, ensure_ascii=False, default=str)
                row.collected_at = at
                row.last_success_at = at
                row.last_error = None
                session.add(row)
        except SQLAlchemyError as exc:
            raise StoreError(f"state DB: cannot store the facts of {device_id}: {exc}") from exc

    def record_failure(self, device_id: str, error: str, at: datetime) -> None:
        """Note a failed collection; the last good facts are kept."""
        _aware(at)
        try:
            with self._sessions.begin() as session:
                row = session.get(SshFactsRow, device_id) or SshFactsRow(device_id=device_id)
                row.collected_at = at
                row.last_error = error
                session.add(row)
        except SQLAlchemyError as exc:
            raise StoreError(f"state DB: cannot store the failure of {device_id}: {exc}") from exc

    def replace_host_units(
        self, device_id: str, units: Iterable[HostUnitState], collected_at: datetime
    ) -> None:
        """Make the host's stored unit states exactly ``units``."""
        _aware(collected_at)
        try:
            with self._sessions.begin() as session:
                session.execute(delete(HostUnitRow).where(HostUnitRow.device_id == device_id))
                session.add_all(
                    HostUnitRow(
                        device_id=device_id,
                        unit=unit.unit,
                        state=unit.state.value,
                        detail=unit.detail,
                        collected_at=collected_at,
                    )
                    for unit in {u.unit: u for u in units}.values()
                )
        except SQLAlchemyError as exc:
            raise StoreError(f"state DB: cannot store the units of {device_id}: {exc}") from exc

    # ------------------------------------------------------------------ reads

    def facts(self, device_id: str) -> SshFactsView | None:
        try:
            with self._sessions() as session:
                row = session.get(SshFactsRow, device_id)
                return None if row is None else _view(row)
        except SQLAlchemyError as exc:
            raise StoreError(f"state DB: cannot read the facts of {device_id}: {exc}") from exc

    def all_facts(self) -> list[SshFactsView]:
        try:
            with self._sessions() as session:
                query = select(SshFactsRow).order_by(SshFactsRow.device_id)
                return [_view(row) for row in session.scalars(query)]
        except SQLAlchemyError as exc:
            raise StoreError(f"state DB: cannot read SSH facts: {exc}") from exc

    def host_units(self, device_id: str | None = None) -> list[StoredHostUnit]:
        """Unit states of one host (or of every host), by host and unit."""
        query = select(HostUnitRow).order_by(HostUnitRow.device_id, HostUnitRow.unit)
        if device_id is not None:
            query = query.where(HostUnitRow.device_id == device_id)
        try:
            with self._sessions() as session:
                return [
                    StoredHostUnit(
                        device_id=row.device_id,
                        unit=row.unit,
                        state=UnitState(row.state),
                        detail=row.detail,
                        collected_at=row.collected_at,
                    )
                    for row in session.scalars(query)
                ]
        except SQLAlchemyError as exc:
            raise StoreError(f"state DB: cannot read host units: {exc}") from exc


def _aware(at: datetime) -> None:
    if at.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")


def _view(row: SshFactsRow) -> SshFactsView:
    details: dict[str, Any] = json.loads(row.facts) if row.facts else {}
    return SshFactsView(
        device_id=row.device_id,
        hostname=row.hostname,
        vendor=row.vendor,
        os_version=row.os_version,
        model=row.model,
        serial=row.serial,
        uptime=row.uptime,
        details=details,
        collected_at=row.collected_at,
        last_success_at=row.last_success_at,
        last_error=row.last_error,
    )
