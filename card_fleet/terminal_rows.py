"""Reading and writing the registry's two tables (``terminals``, ``terminal_events``).

No policy here — which change is allowed is :mod:`card_fleet.registry`'s business. This module
turns rows into :class:`~card_fleet.model.Terminal` and :class:`TerminalEvent`, writes a change
together with its event, and runs each call in one transaction whose database failures become
:class:`~core.errors.StoreError`.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Engine, Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from card_fleet.credentials import AuthenticatedTerminal
from card_fleet.csv_import import MAX_LENGTHS, RowError, TerminalDraft
from card_fleet.errors import FleetError, store_failure_reason
from card_fleet.model import Terminal, TerminalKind, TerminalState
from core.errors import NotFound, StoreError
from core.state.terminal_tables import TerminalEventRow, TerminalRow

log = logging.getLogger(__name__)
T = TypeVar("T")
TERMINALS = cast(Table, TerminalRow.__table__)
EVENTS = cast(Table, TerminalEventRow.__table__)
Values = dict[str, Any]
"""A terminal row's columns by name."""
_CHUNK = 500  # bounded IN lists
_CREDENTIAL_COLUMNS = [
    TERMINALS.c[name] for name in ("id", "county", "city", "state", "credential_hash")
]


class TerminalEventKind(StrEnum):
    """What a terminal event records."""

    REGISTERED = "registered"
    PROVISIONED = "provisioned"
    """PSAM bound and first credential issued."""
    ACTIVATED = "activated"
    SUSPENDED = "suspended"
    RESUMED = "resumed"
    LOST = "lost"
    RETIRED = "retired"
    PSAM_RELEASED = "psam_released"
    CREDENTIAL_REISSUED = "credential_reissued"
    VERSIONS_CHANGED = "versions_changed"


@dataclass(frozen=True, slots=True)
class TerminalEvent:
    """One change to a terminal, written in the same transaction as the change."""

    at: datetime
    kind: TerminalEventKind
    by: str
    """Who: a user name, or ``terminal T…`` for what a heartbeat caused."""
    before: TerminalState | None
    """The state before (None for the registration)."""
    after: TerminalState | None
    reason: str
    """Why, as the person said (may be empty)."""
    detail: str | None
    """What changed besides the state (PSAM, credential, versions); never a secret."""


class RegistryTransactions:
    """Runs work in one transaction each; a database failure becomes a :class:`StoreError`
    naming the step (alerts.sql_store.SqlTransactions' pattern; card_fleet may not import it)."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def run(
        self,
        what: str,
        work: Callable[[Session], T],
        on_conflict: Callable[[], FleetError | None] | None = None,
    ) -> T:
        """``work`` in a transaction, committed when it returns, rolled back when it raises.

        A broken unique constraint is first offered to ``on_conflict``, which may explain it
        as a refusal (a PSAM bound by another station in the same instant)."""
        try:
            with self._sessions.begin() as session:
                return work(session)
        except SQLAlchemyError as exc:
            conflict = isinstance(exc, IntegrityError)
            refusal = on_conflict() if conflict and on_conflict is not None else None
            if refusal is not None:
                raise refusal from exc
            reason = store_failure_reason(exc)
            raise StoreError(f"terminal registry: {what} failed: {reason}") from exc


def chunks(values: Iterable[str]) -> Iterator[list[str]]:
    """``values`` in lists short enough for an IN clause."""
    it = iter(values)
    while chunk := list(itertools.islice(it, _CHUNK)):
        yield chunk


def current(session: Session, terminal_id: str) -> Values:
    """The terminal's row as it is now; :class:`NotFound` when there is none."""
    row = session.execute(select(TERMINALS).where(TERMINALS.c.id == terminal_id))
    found = row.mappings().one_or_none()
    if found is None:
        raise NotFound(f"no terminal {terminal_id}")
    return dict(found)


def terminal(values: Mapping[Any, Any]) -> Terminal:
    """The model's view of a row (whether a credential exists, never its hash)."""
    return Terminal(
        id=values["id"],
        serial=values["serial"],
        model=values["model"],
        kind=TerminalKind(values["kind"]),
        site=values["site"],
        county=values["county"],
        city=values["city"],
        state=TerminalState(values["state"]),
        psam_terminal_number=values["psam_terminal_number"],
        firmware_version=values["firmware_version"],
        parameter_version=values["parameter_version"],
        has_credential=values["credential_hash"] is not None,
        registered_at=values["registered_at"],
        updated_at=values["updated_at"],
    )


def identity(values: Mapping[Any, Any]) -> AuthenticatedTerminal:
    """What the credential index keeps of a row."""
    return AuthenticatedTerminal(
        values["id"], values["county"], values["city"], TerminalState(values["state"])
    )


def event(values: Mapping[Any, Any]) -> TerminalEvent:
    """An event row as a :class:`TerminalEvent`."""
    before, after = values["before"], values["after"]
    return TerminalEvent(
        at=values["at"],
        kind=TerminalEventKind(values["kind"]),
        by=values["by"],
        before=None if before is None else TerminalState(before),
        after=None if after is None else TerminalState(after),
        reason=values["reason"],
        detail=values["detail"],
    )


def event_values(
    terminal_id: str,
    kind: TerminalEventKind,
    by: str,
    before: str | None,
    after: str | None,
    now: datetime,
    *,
    reason: str = "",
    detail: str | None = None,
) -> Values:
    """The columns of one event row."""
    return {
        "terminal_id": terminal_id,
        "at": now,
        "kind": kind.value,
        "by": by,
        "before": before,
        "after": after,
        "reason": reason,
        "detail": detail,
    }


def change(
    session: Session,
    before: Values,
    changes: Mapping[str, Any],
    kind: TerminalEventKind,
    by: str,
    now: datetime,
    *,
    reason: str = "",
    detail: str | None = None,
) -> Values:
    """Write ``changes`` to the row read as ``before`` and record the event; the new row.

    The update holds only while the row still has the state and credential it was read with,
    so a change made meanwhile by someone else is refused, never silently overwritten."""
    terminal_id, hash_before = before["id"], before["credential_hash"]
    same_credential = (
        TERMINALS.c.credential_hash.is_(None)
        if hash_before is None
        else TERMINALS.c.credential_hash == hash_before
    )
    statement = (
        update(TERMINALS)
        .where(TERMINALS.c.id == terminal_id, TERMINALS.c.state == before["state"])
        .where(same_credential)
        .values({**changes, "updated_at": now})
    )
    if cast(CursorResult[Any], session.execute(statement)).rowcount != 1:
        raise FleetError(
            f"terminal {terminal_id} was changed by someone else at the same moment; "
            "look at it again and retry"
        )
    after = {**before, **changes, "updated_at": now}
    values = event_values(
        terminal_id, kind, by, before["state"], after["state"], now, reason=reason, detail=detail
    )
    session.execute(insert(EVENTS), [values])
    return after


def without_conflicts(
    session: Session, drafts: Sequence[TerminalDraft]
) -> tuple[list[TerminalDraft], list[RowError]]:
    """The drafts whose serial and id are free, and an error for each of the others."""
    serials: dict[str, str] = {}
    for chunk in chunks(d.serial for d in drafts):
        query = select(TERMINALS.c.serial, TERMINALS.c.id).where(TERMINALS.c.serial.in_(chunk))
        serials.update((serial, tid) for serial, tid in session.execute(query))
    ids: set[str] = set()
    for chunk in chunks(d.terminal_id for d in drafts if d.terminal_id):
        ids.update(session.scalars(select(TERMINALS.c.id).where(TERMINALS.c.id.in_(chunk))))
    good, conflicts = [], []
    for draft in drafts:
        if draft.serial in serials:
            reason = f"'{draft.serial}' is already registered as terminal {serials[draft.serial]}"
            conflicts.append(RowError(draft.line, "serial", reason))
        elif draft.terminal_id in ids:
            reason = f"terminal {draft.terminal_id} is already registered"
            conflicts.append(RowError(draft.line, "id", reason))
        else:
            good.append(draft)
    return good, conflicts


def insert_drafts(
    session: Session,
    drafts: Sequence[TerminalDraft],
    cities: Mapping[str, str],
    *,
    by: str,
    now: datetime,
    reason: str,
) -> list[Terminal]:
    """Register ``drafts`` (ids ``T<county>-<seq>`` where none is given) with their events."""
    if not drafts:
        return []
    given = {d.terminal_id for d in drafts if d.terminal_id}
    fresh: dict[str, Iterator[str]] = {}
    rows: list[Values] = []
    for draft in drafts:
        terminal_id = draft.terminal_id
        if terminal_id is None:
            if draft.county not in fresh:
                fresh[draft.county] = _fresh_ids(session, draft.county, given)
            terminal_id = next(fresh[draft.county])
        rows.append(
            {
                "id": terminal_id,
                "serial": draft.serial,
                "model": draft.model,
                "kind": draft.kind.value,
                "site": draft.site,
                "county": draft.county,
                "city": cities[draft.county],
                "state": TerminalState.REGISTERED.value,
                "psam_terminal_number": None,
                "firmware_version": draft.firmware_version,
                "parameter_version": draft.parameter_version,
                "credential_hash": None,
                "credential_issued_at": None,
                "registered_at": now,
                "updated_at": now,
            }
        )
    session.execute(insert(TERMINALS), rows)
    events = [
        event_values(
            row["id"],
            TerminalEventKind.REGISTERED,
            by,
            None,
            row["state"],
            now,
            reason=reason,
            detail=f"line {d.line}" if d.line else None,
        )
        for row, d in zip(rows, drafts, strict=True)
    ]
    session.execute(insert(EVENTS), events)
    return [terminal(row) for row in rows]


def conflict_refusal(session: Session, drafts: Sequence[TerminalDraft]) -> FleetError | None:
    """Why registering ``drafts`` broke a unique constraint: a serial or id someone else
    registered at the same moment. None when it was not that (the store failed)."""
    _, conflicts = without_conflicts(session, drafts)
    if not conflicts:
        return None
    first = conflicts[0]
    return FleetError(f"{first.column}: {first.reason} (by someone else at the same moment)")


def _fresh_ids(session: Session, county: str, taken: Collection[str | None]) -> Iterator[str]:
    """``T<county>-0001``, … after the highest number the county's ids already use."""
    prefix = f"T{county}-"
    existing = session.scalars(select(TERMINALS.c.id).where(TERMINALS.c.id.like(f"{prefix}%")))
    numbers = [
        int(suffix)
        for tid in itertools.chain(existing, (t for t in taken if t))
        if tid.startswith(prefix) and (suffix := tid[len(prefix) :]).isdigit()
    ]
    return (f"{prefix}{n:04d}" for n in itertools.count(max(numbers, default=0) + 1))


def record_version_changes(
    session: Session, changes: Mapping[str, tuple[str, str]], now: datetime
) -> int:
    """Store reported (firmware, parameter) versions that differ from the rows, with an event
    each; how many terminals changed. Ids with no row are left out, and versions too long for
    their columns are skipped (and logged: one bad terminal must not lose the others')."""
    reported = {
        tid: versions
        for tid, versions in changes.items()
        if max(len(versions[0]), len(versions[1])) <= MAX_LENGTHS["firmware_version"]
    }
    if len(reported) < len(changes):
        log.warning("versions of %d terminals too long to store", len(changes) - len(reported))
    updates: list[Values] = []
    events: list[Values] = []
    columns = (
        TERMINALS.c.id,
        TERMINALS.c.state,
        TERMINALS.c.firmware_version,
        TERMINALS.c.parameter_version,
    )
    for chunk in chunks(sorted(reported)):
        for tid, state, firmware, parameters in session.execute(
            select(*columns).where(TERMINALS.c.id.in_(chunk))
        ):
            new_firmware, new_parameters = reported[tid]
            if (firmware, parameters) == (new_firmware, new_parameters):
                continue
            updates.append({"tid": tid, "fw": new_firmware, "pv": new_parameters})
            detail = (
                f"firmware {firmware or '(none)'} → {new_firmware}, "
                f"parameters {parameters or '(none)'} → {new_parameters}"
            )
            events.append(
                event_values(
                    tid,
                    TerminalEventKind.VERSIONS_CHANGED,
                    f"terminal {tid}",
                    state,
                    state,
                    now,
                    detail=detail,
                )
            )
    if updates:
        session.execute(
            update(TERMINALS)
            .where(TERMINALS.c.id == bindparam("tid"))
            .values(
                firmware_version=bindparam("fw"), parameter_version=bindparam("pv"), updated_at=now
            ),
            updates,
        )
        session.execute(insert(EVENTS), events)
    return len(updates)


def credential_entries(session: Session) -> list[tuple[AuthenticatedTerminal, str | None]]:
    """Every terminal's identity and credential hash (None where it has none)."""
    return [
        (identity(row), row["credential_hash"])
        for row in session.execute(select(*_CREDENTIAL_COLUMNS)).mappings()
    ]
