"""Local accounts of devices and hosts, as last collected — the input of the permission audit.

Each collection replaces a device's accounts as a whole (an account deleted on the device
disappears here too), stamped with ``collected_at``. A failed collection stores nothing, so the
last good picture stays visible with its age.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Engine, delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from core.errors import StoreError
from core.state.ssh_views import AccountOrigin, LocalAccount, StoredAccount
from core.state.tables import AccountRow

PRIVILEGED_LEVELS = frozenset({"15", "3", "root", "sudo", "network-admin", "level-15"})
"""Privilege values that mean "may change the device": IOS/VRP 15, Comware 5 level 3, Comware 7's
network-admin role, and on hosts uid 0 or a sudoers rule."""


class AccountRepository:
    """Accounts per device: replace on every collection, read for the audit."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def replace(
        self, device_id: str, accounts: Iterable[LocalAccount], collected_at: datetime
    ) -> int:
        """Make ``device_id``'s stored accounts exactly ``accounts``; returns how many."""
        if collected_at.tzinfo is None:
            raise ValueError("collected_at must be timezone-aware")
        unique: dict[tuple[str, str], LocalAccount] = {}
        for account in accounts:
            # The table's key is (device, name, origin); a source listing a name twice keeps the
            # later entry, as the device itself would.
            unique[(account.name, account.origin.value)] = account
        try:
            with self._sessions.begin() as session:
                session.execute(delete(AccountRow).where(AccountRow.device_id == device_id))
                session.add_all(_row(device_id, a, collected_at) for a in unique.values())
        except SQLAlchemyError as exc:
            raise StoreError(f"state DB: cannot store the accounts of {device_id}: {exc}") from exc
        return len(unique)

    def for_device(self, device_id: str) -> list[StoredAccount]:
        """The accounts of one device or host, by name."""
        return self._select(AccountRow.device_id == device_id)

    def search(
        self,
        *,
        name: str | None = None,
        origin: AccountOrigin | None = None,
        privileged_only: bool = False,
    ) -> list[StoredAccount]:
        """Accounts across the fleet: called ``name``, from ``origin``, privileged only."""
        conditions: list[ColumnElement[bool]] = []
        if name is not None:
            conditions.append(AccountRow.name == name)
        if origin is not None:
            conditions.append(AccountRow.origin == origin.value)
        found = self._select(*conditions)
        if privileged_only:
            found = [a for a in found if is_privileged(a)]
        return found

    def device_ids(self) -> list[str]:
        """Devices and hosts that have stored accounts."""
        try:
            with self._sessions() as session:
                query = select(AccountRow.device_id).distinct().order_by(AccountRow.device_id)
                return list(session.scalars(query))
        except SQLAlchemyError as exc:
            raise StoreError(f"state DB: cannot list account holders: {exc}") from exc

    def _select(self, *conditions: ColumnElement[bool]) -> list[StoredAccount]:
        query = select(AccountRow).order_by(AccountRow.device_id, AccountRow.name)
        for condition in conditions:
            query = query.where(condition)
        try:
            with self._sessions() as session:
                return [_stored(row) for row in session.scalars(query)]
        except SQLAlchemyError as exc:
            raise StoreError(f"state DB: cannot read accounts: {exc}") from exc


def is_privileged(account: LocalAccount) -> bool:
    """True when the account may change the device or host."""
    return (account.privilege or "") in PRIVILEGED_LEVELS or bool(account.sudo)


def _dump(values: Sequence[str]) -> str | None:
    return json.dumps(list(values), ensure_ascii=False) if values else None


def _load(text: str | None) -> tuple[str, ...]:
    return tuple(json.loads(text)) if text else ()


def _row(device_id: str, account: LocalAccount, collected_at: datetime) -> AccountRow:
    return AccountRow(
        device_id=device_id,
        name=account.name,
        origin=account.origin.value,
        privilege=account.privilege,
        uid=account.uid,
        groups=_dump(account.groups),
        shell=account.shell,
        sudo=_dump(account.sudo),
        authorized_keys=_dump(account.authorized_keys),
        password_type=account.password_type,
        password_changed_at=account.password_changed_at,
        password_max_age_days=account.password_max_age_days,
        state=account.state,
        service_types=_dump(account.service_types),
        collected_at=collected_at,
    )


def _stored(row: AccountRow) -> StoredAccount:
    return StoredAccount(
        device_id=row.device_id,
        name=row.name,
        origin=AccountOrigin(row.origin),
        privilege=row.privilege,
        uid=row.uid,
        groups=_load(row.groups),
        shell=row.shell,
        sudo=_load(row.sudo),
        authorized_keys=_load(row.authorized_keys),
        password_type=row.password_type,
        password_changed_at=row.password_changed_at,
        password_max_age_days=row.password_max_age_days,
        state=row.state,
        service_types=_load(row.service_types),
        collected_at=row.collected_at,
    )
