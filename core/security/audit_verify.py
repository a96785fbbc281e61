"""Verifying the audit trail's hash chain, and naming what is wrong with it.

Verification walks the records from the anchor (the last pruned record, or the genesis) in seq
order, a chunk at a time, and recomputes every hash. What it can find, and how it is named:

``edited``     a record's content no longer matches its hash
``deleted``    a gap in the sequence numbers, or the head counts records that are not there
``reordered``  a record holds the content written at another seq, or links to a later record,
               or was written before its predecessor
``relinked``   a record's ``prev_hash`` is not its predecessor's hash (the predecessor was
               rewritten with a fresh hash, or the link itself was changed)
``inserted``   a record that is not part of the chain (beyond the head, before the anchor, or
               skipped over by the link of the record after it)
``head``       ``audit_head`` disagrees with the last record

Appends may run while a verification does: the head is read first and records appended after
it are not checked; a record beyond the head counts as inserted only if it is also beyond the
head read again at the end. A prune running at the same time makes records vanish from under the
walk; run verification after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from core.errors import StoreError
from core.security.audit_record import CHUNK_ROWS, AuditRow, hash_at_seq, iter_rows, row_hash

__all__ = ["LOOKUPS_MAX", "AuditVerification", "ChainProblem", "ProblemKind", "verify_chain"]
from core.state.tables import AuditHeadRow, AuditRecordRow

ProblemKind = Literal["edited", "deleted", "reordered", "relinked", "inserted", "head"]

LOOKUPS_MAX = 50
"""Hash lookups (each a scan of the table) spent telling a moved record from an edited one; past
this many, further broken records are reported as edited or relinked without looking."""


@dataclass(frozen=True, slots=True)
class ChainProblem:
    """One thing wrong with the chain: at which seq, what kind, and a sentence saying it."""

    seq: int
    """The record the problem is at (for a missing range, its first seq)."""
    kind: ProblemKind
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class AuditVerification:
    """The outcome of verifying the chain: ``checked`` records, seq ``first_seq``–``last_seq``."""

    ok: bool
    checked: int
    first_seq: int | None
    last_seq: int | None
    problems: tuple[ChainProblem, ...]


@dataclass(frozen=True, slots=True)
class _Head:
    last_seq: int
    last_hash: str
    anchor_seq: int
    anchor_hash: str


def verify_chain(engine: Engine, *, chunk_rows: int = CHUNK_ROWS) -> AuditVerification:
    """Check every record from the anchor to the head; never loads the trail at once."""
    head = _read_head(engine)
    walk = _ChainWalk(engine, head)
    if head.anchor_seq > head.last_seq:
        # Nothing can be checked against a head that contradicts itself.
        walk.finish()
        return walk.verification()
    walk.before_anchor(
        [
            row.seq
            for row in iter_rows(
                engine, AuditRecordRow.seq <= head.anchor_seq, chunk_rows=chunk_rows
            )
        ]
    )
    for row in iter_rows(
        engine,
        AuditRecordRow.seq > head.anchor_seq,
        AuditRecordRow.seq <= head.last_seq,
        chunk_rows=chunk_rows,
    ):
        walk.step(row)
    walk.finish()
    beyond = [
        row.seq
        for row in iter_rows(engine, AuditRecordRow.seq > head.last_seq, chunk_rows=chunk_rows)
    ]
    if beyond:
        # Read the head again only now: whatever was appended meanwhile is within it.
        head_now = _read_head(engine)
        walk.beyond_head([seq for seq in beyond if seq > head_now.last_seq], head_now.last_seq)
    return walk.verification()


class _ChainWalk:
    """The state of one walk along the chain, and the problems found so far."""

    def __init__(self, engine: Engine, head: _Head) -> None:
        self._engine = engine
        self._head = head
        self.problems: list[ChainProblem] = []
        self.checked = 0
        self.first_seq: int | None = None
        self.last_seq: int | None = None
        self._prev_seq = head.anchor_seq
        self._prev_hash = head.anchor_hash
        self._prev_written: tuple[int, datetime] | None = None
        """(seq, at) of the last record that sits where it was written."""
        self._prev_moved = False
        self._lookups = 0

    def verification(self) -> AuditVerification:
        return AuditVerification(
            ok=not self.problems,
            checked=self.checked,
            first_seq=self.first_seq,
            last_seq=self.last_seq,
            problems=tuple(self.problems),
        )

    def before_anchor(self, seqs: list[int]) -> None:
        """Records at or before the anchor should have been pruned with everything before it."""
        for first, last in _ranges(seqs):
            which = f"record {first}" if first == last else f"records {first}–{last}"
            self._add(
                first,
                "inserted",
                f"{which}: not in the chain: it starts after seq {self._head.anchor_seq}, "
                "where older records were pruned",
            )

    def step(self, row: AuditRow) -> None:
        seq = int(row.seq)
        self.checked += 1
        if self.first_seq is None:
            self.first_seq = seq
        self.last_seq = seq
        gap = seq > self._prev_seq + 1
        if gap:
            self._add(self._prev_seq + 1, "deleted", _missing(self._prev_seq + 1, seq - 1))
        moved = False
        if row_hash(row) != row.hash:
            written_at = self._original_seq(row)
            if written_at is not None:
                moved = True
                self._add(
                    seq,
                    "reordered",
                    f"record {seq}: holds the record written as seq {written_at} "
                    "(records reordered)",
                )
            else:
                self._add(
                    seq,
                    "edited",
                    f"record {seq}: content changed after it was written (hash mismatch)",
                )
        elif row.prev_hash != self._prev_hash and not gap and not self._prev_moved:
            self._broken_link(seq, row.prev_hash)
        elif self._prev_written is not None and row.at < self._prev_written[1]:
            earlier_seq, earlier_at = self._prev_written
            self._add(
                seq,
                "reordered",
                f"record {seq}: written at {row.at.isoformat()}, before record {earlier_seq} "
                f"({earlier_at.isoformat()}): records out of order",
            )
        self._prev_seq, self._prev_hash = seq, row.hash
        if not moved:
            # A moved record's time belongs elsewhere; the next one is compared with the last
            # record that is where it was written.
            self._prev_written = (seq, row.at)
        self._prev_moved = moved

    def finish(self) -> None:
        head = self._head
        if head.anchor_seq > head.last_seq:
            self._add(
                head.anchor_seq,
                "head",
                f"head: its anchor (seq {head.anchor_seq}) lies after its last record "
                f"(seq {head.last_seq})",
            )
        elif self._prev_seq < head.last_seq:
            self._add(
                self._prev_seq + 1,
                "deleted",
                _missing(self._prev_seq + 1, head.last_seq)
                + f": the head says the chain ends at seq {head.last_seq}, "
                + (
                    f"the last record is {self._prev_seq}"
                    if self.last_seq is not None
                    else "but no record is left"
                ),
            )
        elif self._prev_hash != head.last_hash and self.last_seq is not None:
            self._add(
                head.last_seq,
                "head",
                f"head: its hash does not match record {head.last_seq} "
                "(the head or the last record was rewritten)",
            )

    def beyond_head(self, seqs: list[int], head_seq: int) -> None:
        for first, last in _ranges(seqs):
            which = f"record {first}" if first == last else f"records {first}–{last}"
            self._add(
                first, "inserted", f"{which}: not in the chain: the head ends at seq {head_seq}"
            )

    # ------------------------------------------------------------------------------------

    def _broken_link(self, seq: int, prev_hash: str) -> None:
        linked = self._seq_where(AuditRecordRow.hash, prev_hash)
        if linked is not None and linked > seq:
            self._add(
                seq,
                "reordered",
                f"record {seq}: links to record {linked}, which comes after it (records reordered)",
            )
        elif linked is not None and linked < self._prev_seq:
            self._add(
                linked + 1,
                "inserted",
                f"{_records(linked + 1, self._prev_seq)} not in the chain: record {seq} links "
                f"to record {linked}",
            )
        else:
            previous = (
                f"the chain's anchor (seq {self._prev_seq})"
                if self._prev_seq == self._head.anchor_seq
                else f"record {self._prev_seq}"
            )
            self._add(
                seq,
                "relinked",
                f"record {seq}: does not link to {previous}: its prev_hash is not that record's "
                "hash (the record before was rewritten, or the link was changed)",
            )

    def _original_seq(self, row: AuditRow) -> int | None:
        """The seq ``row``'s content was written at, when it verifies there (a moved record)."""
        seq = int(row.seq)
        candidates = [seq - 1, seq + 1]
        if row.prev_hash == self._head.anchor_hash:
            candidates.append(self._head.anchor_seq + 1)
        for candidate in candidates:
            if candidate > 0 and hash_at_seq(row, candidate) == row.hash:
                return candidate
        # Further away: the record it links to, or the record linking to it, places it.
        predecessor = self._seq_where(AuditRecordRow.hash, row.prev_hash)
        successor = self._seq_where(AuditRecordRow.prev_hash, row.hash)
        placed: list[int] = [
            *(() if predecessor is None else (predecessor + 1,)),
            *(() if successor is None else (successor - 1,)),
        ]
        for placed_seq in placed:
            if placed_seq > 0 and hash_at_seq(row, placed_seq) == row.hash:
                return placed_seq
        return None

    def _seq_where(self, column: Any, value: str) -> int | None:
        if self._lookups >= LOOKUPS_MAX:
            return None
        self._lookups += 1
        try:
            with self._engine.connect() as conn:
                found = conn.execute(
                    select(AuditRecordRow.seq).where(column == value).limit(1)
                ).scalar_one_or_none()
        except SQLAlchemyError as exc:
            raise StoreError(f"state DB: cannot read the audit trail: {exc}") from exc
        return None if found is None else int(found)

    def _add(self, seq: int, kind: ProblemKind, message: str) -> None:
        self.problems.append(ChainProblem(seq=seq, kind=kind, message=message))


def _read_head(engine: Engine) -> _Head:
    try:
        with engine.connect() as conn:
            row = conn.execute(
                select(
                    AuditHeadRow.last_seq,
                    AuditHeadRow.last_hash,
                    AuditHeadRow.anchor_seq,
                    AuditHeadRow.anchor_hash,
                ).where(AuditHeadRow.id == 1)
            ).one_or_none()
    except SQLAlchemyError as exc:
        raise StoreError(f"state DB: cannot read the audit trail's head: {exc}") from exc
    if row is None:
        raise StoreError("state DB: the audit trail has no head row (run the state DB migrations)")
    return _Head(int(row.last_seq), str(row.last_hash), int(row.anchor_seq), str(row.anchor_hash))


def _records(first: int, last: int) -> str:
    return f"record {first} is" if first == last else f"records {first}–{last} are"


def _missing(first: int, last: int) -> str:
    return f"{_records(first, last)} missing (deleted)"


def _ranges(seqs: list[int]) -> list[tuple[int, int]]:
    """Ascending ``seqs`` as runs of consecutive numbers: [1, 2, 3, 7] → [(1, 3), (7, 7)]."""
    runs: list[tuple[int, int]] = []
    for seq in seqs:
        if runs and seq == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], seq)
        else:
            runs.append((seq, seq))
    return runs
