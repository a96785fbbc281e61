"""The audit trail: an append-only, hash-chained record of every action taken through the NOC.

Each record carries a gapless sequence number and the SHA-256 of its content and its
predecessor's hash (:mod:`core.security.audit_record`), so editing, deleting, inserting or
reordering records in the database is found by :meth:`AuditTrail.verify`, which names the record
and what is wrong with it (:mod:`core.security.audit_verify`). The one row of ``audit_head``
holds the sequence number and hash of the newest record; every append takes it first, which
serialises appenders across threads and processes on both SQLite and PostgreSQL.

Someone who may rewrite the whole database can rewrite the whole chain and the head with it: the
chain proves the trail was not changed *since a head hash was seen elsewhere*. Exports carry the
hashes, so a copy kept off the machine (or the head hash noted in a ticket) is that witness.

Old records are pruned behind an anchor: ``audit_head.anchor_*`` is the (seq, hash) of the last
pruned record, and verification starts from it. Pruning is itself written into the trail.

Every method is synchronous (short transactions); the API calls them from a worker thread.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal, TextIO

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    delete,
    false,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

from core.clock import Clock
from core.errors import StoreError
from core.security.audit_export import export_records
from core.security.audit_record import (
    ACTION_MAX,
    ACTOR_MAX,
    CHUNK_ROWS,
    CLIENT_MAX,
    RECORD_COLUMNS,
    TARGET_MAX,
    AuditEvent,
    AuditOutcome,
    AuditRecord,
    clipped,
    load_state,
    record_from_row,
    record_hash,
    state_json,
    utc_instant,
)
from core.security.audit_verify import AuditVerification, ChainProblem, verify_chain
from core.security.scope import ScopeLevel, scope_level
from core.state.tables import AuditHeadRow, AuditRecordRow

__all__ = [
    "PRUNE_ACTION",
    "AuditEvent",
    "AuditOutcome",
    "AuditRecord",
    "AuditTrail",
    "AuditVerification",
    "ChainProblem",
    "region_filter",
]

PRUNE_ACTION = "audit_prune"
"""The action of the record every prune writes."""
HEAD_ID = 1


class AuditTrail:
    """Append to, search, verify, export and prune the audit trail in the state DB."""

    def __init__(self, engine: Engine, clock: Clock, *, chunk_rows: int = CHUNK_ROWS) -> None:
        self._engine = engine
        self._clock = clock
        self._chunk_rows = chunk_rows

    # ------------------------------------------------------------------------------ writing

    def append(self, event: AuditEvent) -> AuditRecord:
        """Write ``event`` as the next record of the chain and return it.

        Safe with any number of threads and processes appending at once: sequence numbers stay
        gapless and every record links to the one before it."""
        try:
            with self._engine.begin() as conn:
                return _append_in(conn, event, utc_instant(self._clock.now()))
        except SQLAlchemyError as exc:
            raise StoreError(f"state DB: cannot write the audit record: {exc}") from exc

    def prune(self, older_than: datetime, *, actor: str) -> int:
        """Delete the records written before ``older_than``; returns how many.

        Only the oldest run of records that are all older than the cutoff goes, so nothing newer
        is ever removed (even were times out of order). The chain's anchor moves to the last
        removed record, so what remains still verifies, and an ``audit_prune`` record by
        ``actor`` says how many records went and up to which sequence number."""
        cutoff = utc_instant(older_than)
        try:
            with self._engine.begin() as conn:
                # Lock the head before reading anything, as an append does (see _append_in):
                # no record can be appended between choosing what to delete and re-anchoring.
                locked = conn.execute(
                    update(AuditHeadRow)
                    .where(AuditHeadRow.id == HEAD_ID)
                    .values(last_seq=AuditHeadRow.last_seq)
                    .returning(AuditHeadRow.id)
                ).one_or_none()
                if locked is None:
                    raise StoreError(_NO_HEAD)
                up_to_seq = _last_seq_of_old_prefix(conn, cutoff)
                removed = 0
                anchor_hash: str | None = None
                if up_to_seq is not None:
                    anchor_hash = conn.execute(
                        select(AuditRecordRow.hash).where(AuditRecordRow.seq == up_to_seq)
                    ).scalar_one()
                    removed = conn.execute(
                        delete(AuditRecordRow).where(AuditRecordRow.seq <= up_to_seq)
                    ).rowcount
                    conn.execute(
                        update(AuditHeadRow)
                        .where(AuditHeadRow.id == HEAD_ID)
                        .values(anchor_seq=up_to_seq, anchor_hash=anchor_hash)
                    )
                upto = f" (up to seq {up_to_seq})" if up_to_seq is not None else ""
                event = AuditEvent(
                    actor=actor,
                    action=PRUNE_ACTION,
                    outcome=AuditOutcome.OK,
                    target="audit_log",
                    detail=f"removed {removed} records older than {cutoff.isoformat()}{upto}",
                    after={
                        "removed": removed,
                        "older_than": cutoff.isoformat(),
                        "up_to_seq": up_to_seq,
                        # The new anchor, for anyone holding an older export to check against.
                        "anchor_hash": anchor_hash,
                    },
                )
                _append_in(conn, event, utc_instant(self._clock.now()))
        except SQLAlchemyError as exc:
            raise StoreError(f"state DB: cannot prune the audit trail: {exc}") from exc
        return removed

    # ------------------------------------------------------------------------------ reading

    def search(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        target: str | None = None,
        region_codes: Iterable[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        text: str | None = None,
        before_seq: int | None = None,
        limit: int = 200,
    ) -> list[AuditRecord]:
        """Records matching every filter given, newest first, at most ``limit``.

        ``actor`` and ``action`` match exactly; ``target`` and ``text`` (in action, target,
        detail or actor) as substrings, ignoring case. ``region_codes`` are the reader's scopes:
        ``None`` filters nothing, otherwise a record shows when one scope covers its region, and
        a record without a region only to a province-wide reader. ``since`` is inclusive,
        ``until`` exclusive. For the next page pass the last record's seq as ``before_seq``."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        conditions: list[ColumnElement[bool]] = []
        if actor is not None:
            conditions.append(AuditRecordRow.actor == actor)
        if action is not None:
            conditions.append(AuditRecordRow.action == action)
        if target is not None:
            conditions.append(AuditRecordRow.target.icontains(target, autoescape=True))
        if region_codes is not None:
            conditions.append(region_filter(region_codes))
        if since is not None:
            conditions.append(AuditRecordRow.at >= utc_instant(since))
        if until is not None:
            conditions.append(AuditRecordRow.at < utc_instant(until))
        if text is not None:
            conditions.append(
                or_(
                    *(
                        column.icontains(text, autoescape=True)
                        for column in (
                            AuditRecordRow.action,
                            AuditRecordRow.target,
                            AuditRecordRow.detail,
                            AuditRecordRow.actor,
                        )
                    )
                )
            )
        if before_seq is not None:
            conditions.append(AuditRecordRow.seq < before_seq)
        query = select(*RECORD_COLUMNS).order_by(AuditRecordRow.seq.desc()).limit(limit)
        for condition in conditions:
            query = query.where(condition)
        try:
            with self._engine.connect() as conn:
                return [record_from_row(row) for row in conn.execute(query)]
        except SQLAlchemyError as exc:
            raise StoreError(f"state DB: cannot search the audit trail: {exc}") from exc

    def count(self) -> int:
        """How many records the trail holds (after pruning, only those kept)."""
        try:
            with self._engine.connect() as conn:
                return conn.execute(select(func.count()).select_from(AuditRecordRow)).scalar_one()
        except SQLAlchemyError as exc:
            raise StoreError(f"state DB: cannot count audit records: {exc}") from exc

    def last(self) -> AuditRecord | None:
        """The newest record, or ``None`` while the trail is empty."""
        found = self.search(limit=1)
        return found[0] if found else None

    def verify(self) -> AuditVerification:
        """Check the whole chain from its anchor, naming every problem found.

        See :func:`core.security.audit_verify.verify_chain`."""
        return verify_chain(self._engine, chunk_rows=self._chunk_rows)

    def export(
        self,
        out: TextIO,
        *,
        fmt: Literal["jsonl", "csv"],
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> int:
        """Write the records of a period to ``out``, oldest first; returns how many.

        See :func:`core.security.audit_export.export_records` for the formats."""
        return export_records(
            self._engine, out, fmt=fmt, since=since, until=until, chunk_rows=self._chunk_rows
        )


def region_filter(scope_codes: Iterable[str]) -> ColumnElement[bool]:
    """SQL for "a record one of ``scope_codes`` covers": :func:`core.security.scope.scope_covers`
    as prefixes of the six digits, so the database filters (and pages) by scope.

    Records without a region (logins, user administration) are for province-wide readers only.
    """
    clauses: list[ColumnElement[bool]] = []
    for code in set(scope_codes):
        level = scope_level(code)  # ValueError for something that is not a region code
        if level is ScopeLevel.PROVINCE:
            clauses.append(AuditRecordRow.region_code.like(code[:2] + "%"))
            clauses.append(AuditRecordRow.region_code.is_(None))
        elif level is ScopeLevel.CITY:
            clauses.append(AuditRecordRow.region_code.like(code[:4] + "%"))
        else:
            clauses.append(AuditRecordRow.region_code == code)
    return or_(*clauses) if clauses else false()


_NO_HEAD = "state DB: the audit trail has no head row (run the state DB migrations)"


def _append_in(conn: Connection, event: AuditEvent, now: datetime) -> AuditRecord:
    # The first statement takes the head's write lock: on SQLite the transaction becomes a
    # writer at once (waiting on the busy timeout for others), where a read-then-write
    # transaction under WAL can fail with SQLITE_BUSY when another writer got in between; on
    # PostgreSQL it row-locks the head, so a second appender waits and then sees the committed
    # last_seq and last_hash. Either way appenders queue here, and seq stays gapless (a failed
    # append rolls the increment back with everything else).
    head = conn.execute(
        update(AuditHeadRow)
        .where(AuditHeadRow.id == HEAD_ID)
        .values(last_seq=AuditHeadRow.last_seq + 1)
        .returning(AuditHeadRow.last_seq, AuditHeadRow.last_hash)
    ).one_or_none()
    if head is None:
        raise StoreError(_NO_HEAD)
    seq, prev_hash = int(head.last_seq), str(head.last_hash)
    previous_at = conn.execute(
        select(AuditRecordRow.at).where(AuditRecordRow.seq == seq - 1)
    ).scalar_one_or_none()
    # Times never go backwards along the chain, even when the wall clock is stepped back, so
    # a record earlier than its predecessor can only mean the records were reordered.
    at = now if previous_at is None else max(now, previous_at)
    actor = clipped(event.actor, ACTOR_MAX) or event.actor
    action = clipped(event.action, ACTION_MAX) or event.action
    client = clipped(event.client, CLIENT_MAX)
    target = clipped(event.target, TARGET_MAX)
    before_json = state_json(event.before)
    after_json = state_json(event.after)
    digest = record_hash(
        seq=seq,
        at=at,
        actor=actor,
        client=client,
        action=action,
        target=target,
        region_code=event.region_code,
        outcome=event.outcome.value,
        detail=event.detail,
        before_json=before_json,
        after_json=after_json,
        prev_hash=prev_hash,
    )
    conn.execute(
        insert(AuditRecordRow).values(
            seq=seq,
            at=at,
            actor=actor,
            client=client,
            action=action,
            target=target,
            region_code=event.region_code,
            outcome=event.outcome.value,
            detail=event.detail,
            before=before_json,
            after=after_json,
            prev_hash=prev_hash,
            hash=digest,
        )
    )
    conn.execute(update(AuditHeadRow).where(AuditHeadRow.id == HEAD_ID).values(last_hash=digest))
    return AuditRecord(
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        outcome=event.outcome,
        target=target,
        region_code=event.region_code,
        client=client,
        detail=event.detail,
        before=load_state(before_json),
        after=load_state(after_json),
        prev_hash=prev_hash,
        hash=digest,
    )


def _last_seq_of_old_prefix(conn: Connection, cutoff: datetime) -> int | None:
    """The last seq of the oldest run of records all written before ``cutoff``, if any."""
    first_kept = conn.execute(
        select(func.min(AuditRecordRow.seq)).where(AuditRecordRow.at >= cutoff)
    ).scalar_one_or_none()
    query = select(func.max(AuditRecordRow.seq)).where(AuditRecordRow.at < cutoff)
    if first_kept is not None:
        query = query.where(AuditRecordRow.seq < first_kept)
    found = conn.execute(query).scalar_one_or_none()
    return None if found is None else int(found)
