"""What one audit record holds, and the hash that chains it to the record before.

A record's hash is SHA-256 over a canonical JSON document of every field — its sequence number,
time, who, from where, what, on which target and region, the outcome, the detail, the state
before and after, and the previous record's hash. Changing any of them, or moving the record to
another place in the chain, changes the hash; verification (:mod:`core.security.audit_verify`)
recomputes it. ``before`` and ``after`` enter the hash as the canonical JSON text that is stored,
so verifying never has to parse them, and a record exported as JSON lines (where they are objects
again) hashes to the same value when they are dumped canonically once more.

Secret-looking keys in ``before``/``after`` (password, secret, token, key, community …) are
replaced by ``"***"`` before anything is hashed or stored. Callers should never hand secrets to
the audit trail in the first place; this is defence in depth, because an audit trail is kept for
years, exported and read by people who must not learn a device's community string from it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeAlias

from sqlalchemy import ColumnElement, Engine, Row, select
from sqlalchemy.exc import SQLAlchemyError

from core.errors import StoreError
from core.security.scope import is_region_code
from core.state.tables import AuditRecordRow

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first record ever written (and the anchor before any pruning)."""

REDACTED = "***"

ACTOR_MAX = 64
CLIENT_MAX = 64
ACTION_MAX = 64
TARGET_MAX = 300
"""Column widths of ``audit_log`` (core/state/tables.py)."""

_SECRET_WORDS = ("password", "passwd", "passphrase", "secret", "token", "community", "credential")
"""A key containing one of these anywhere (``enable_secret``, ``snmpCommunity``) is a secret."""
_SECRET_TOKENS = frozenset({"key", "pwd", "pin", "psk", "privkey", "apikey", "authkey", "cookie"})
"""A key with one of these as a whole word (``api_key``, ``ssh-key``) is a secret; ``monkey`` and
``keys`` (public keys) are not."""
_WORD_BOUNDARY = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


class AuditOutcome(StrEnum):
    """How the audited action ended."""

    OK = "ok"
    FAILED = "failed"
    """Attempted and permitted, but it did not work (a device refused, a store failed)."""
    DENIED = "denied"
    """Refused: not authenticated, or not permitted."""
    UNAVAILABLE = "unavailable"
    """Could not be attempted: something it needs was down."""


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """Something to write into the audit trail: who did what, to which target, and how it ended.

    ``target`` names the object (``device:gz-core1``, ``user:alice``); ``region_code`` is the
    region it belongs to, which decides who may read the record; ``client`` is where the request
    came from (an address, ``cli``); ``before``/``after`` are the object's state around a change.
    """

    actor: str
    action: str
    outcome: AuditOutcome
    target: str | None = None
    region_code: str | None = None
    client: str | None = None
    detail: str | None = None
    before: Mapping[str, object] | None = None
    after: Mapping[str, object] | None = None

    def __post_init__(self) -> None:
        if not self.actor:
            raise ValueError("an audit event needs an actor")
        if not self.action:
            raise ValueError("an audit event needs an action")
        if self.region_code is not None and not is_region_code(self.region_code):
            raise ValueError(f"not a six-digit region code: {self.region_code!r}")
        # A plain string ("ok") from a caller becomes the enum; anything else is refused here,
        # not when the record is already half written.
        object.__setattr__(self, "outcome", AuditOutcome(self.outcome))


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One record of the trail as stored: the event, where it sits in the chain, and its hash."""

    seq: int
    at: datetime
    actor: str
    action: str
    outcome: AuditOutcome
    target: str | None
    region_code: str | None
    client: str | None
    detail: str | None
    before: Mapping[str, object] | None
    after: Mapping[str, object] | None
    prev_hash: str
    hash: str

    def as_json(self) -> dict[str, object]:
        """Every field as JSON values (``at`` in ISO 8601, ``before``/``after`` as objects)."""
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "client": self.client,
            "action": self.action,
            "target": self.target,
            "region_code": self.region_code,
            "outcome": self.outcome.value,
            "detail": self.detail,
            "before": None if self.before is None else dict(self.before),
            "after": None if self.after is None else dict(self.after),
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


def canonical_json(value: object) -> str:
    """The one serialisation that is hashed: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def state_json(state: Mapping[str, object] | None) -> str | None:
    """``before``/``after`` as stored: secrets redacted, then canonical JSON text.

    Values JSON does not know (datetimes, paths, enums) are stored as their ``str``; keys become
    strings, as JSON has no others.
    """
    if state is None:
        return None
    # One plain round trip first makes every key a string, so sorting keys cannot meet an int
    # beside a str, and the stored text parses back to exactly what was hashed.
    plain = json.loads(json.dumps(redact_secrets(state), ensure_ascii=False, default=str))
    return canonical_json(plain)


def load_state(text: str | None) -> Mapping[str, object] | None:
    """Stored ``before``/``after`` text back to a mapping."""
    if text is None:
        return None
    try:
        loaded = json.loads(text)
    except ValueError:
        # Only a record edited behind the trail's back holds broken JSON; show what is there
        # (verification names the record) rather than fail the whole search or export.
        return {"unreadable": text}
    return loaded if isinstance(loaded, dict) else {"value": loaded}


def redact_secrets(value: object) -> object:
    """``value`` with every secret-looking key's value replaced by ``"***"``, at any depth."""
    if isinstance(value, Mapping):
        return {
            key: (
                REDACTED if is_secret_key(str(key)) and item is not None else redact_secrets(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact_secrets(item) for item in value]
    return value


def is_secret_key(key: str) -> bool:
    """True for a key whose value is probably a secret (``password``, ``snmp_community``…)."""
    lowered = key.lower()
    if any(word in lowered for word in _SECRET_WORDS):
        return True
    words = _WORD_BOUNDARY.split(_CAMEL.sub("_", key).lower())
    return any(word in _SECRET_TOKENS for word in words)


def utc_instant(when: datetime) -> datetime:
    """``when`` in UTC; a naive time is refused (every timestamp in ssnoc is aware)."""
    if when.tzinfo is None:
        raise ValueError("naive datetime: audit times are timezone-aware UTC")
    return when.astimezone(UTC)


def clipped(text: str | None, width: int) -> str | None:
    """``text`` cut to ``width`` characters, marked with an ellipsis where it was cut.

    An overlong name must never cost the audit record (PostgreSQL would refuse the row)."""
    if text is None or len(text) <= width:
        return text
    return text[: width - 1] + "…"


def record_hash(
    *,
    seq: int,
    at: datetime,
    actor: str,
    client: str | None,
    action: str,
    target: str | None,
    region_code: str | None,
    outcome: str,
    detail: str | None,
    before_json: str | None,
    after_json: str | None,
    prev_hash: str,
) -> str:
    """SHA-256 (hex) of a record's canonical document; ``before``/``after`` as stored text."""
    document = {
        "seq": seq,
        "at": utc_instant(at).isoformat(),
        "actor": actor,
        "client": client,
        "action": action,
        "target": target,
        "region_code": region_code,
        "outcome": outcome,
        "detail": detail,
        "before": before_json,
        "after": after_json,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()


# ------------------------------------------------------------------------------------ reading

RECORD_COLUMNS = (
    AuditRecordRow.seq,
    AuditRecordRow.at,
    AuditRecordRow.actor,
    AuditRecordRow.client,
    AuditRecordRow.action,
    AuditRecordRow.target,
    AuditRecordRow.region_code,
    AuditRecordRow.outcome,
    AuditRecordRow.detail,
    AuditRecordRow.before,
    AuditRecordRow.after,
    AuditRecordRow.prev_hash,
    AuditRecordRow.hash,
)
"""The columns of ``audit_log`` in the order :func:`record_from_row` reads them."""

AuditRow: TypeAlias = Row[*tuple[Any, ...]]
"""A row of ``audit_log`` selected with :data:`RECORD_COLUMNS` (read by column name)."""

CHUNK_ROWS = 2000
"""Rows per query when streaming through the trail (which may hold millions)."""


def iter_rows(
    engine: Engine, *conditions: ColumnElement[bool], chunk_rows: int = CHUNK_ROWS
) -> Iterator[AuditRow]:
    """Rows of ``audit_log`` matching ``conditions``, in seq order, fetched ``chunk_rows`` at a
    time by seq (keyset paging: each chunk is one short query, no long-held cursor)."""
    after_seq: int | None = None
    while True:
        query = select(*RECORD_COLUMNS).order_by(AuditRecordRow.seq).limit(chunk_rows)
        for condition in conditions:
            query = query.where(condition)
        if after_seq is not None:
            query = query.where(AuditRecordRow.seq > after_seq)
        try:
            with engine.connect() as conn:
                rows = conn.execute(query).all()
        except SQLAlchemyError as exc:
            raise StoreError(f"state DB: cannot read the audit trail: {exc}") from exc
        except ValueError as exc:  # a time the driver cannot parse: written behind our back
            raise StoreError(
                f"state DB: an audit record after seq {after_seq or 0} cannot be read "
                f"(edited in the database?): {exc}"
            ) from exc
        yield from rows
        if len(rows) < chunk_rows:
            return
        after_seq = rows[-1].seq


def record_from_row(row: AuditRow) -> AuditRecord:
    """A stored row (selected with :data:`RECORD_COLUMNS`) as an :class:`AuditRecord`."""
    try:
        outcome = AuditOutcome(row.outcome)
    except ValueError:
        # Only an edit behind the trail's back stores another value.
        raise StoreError(
            f"audit record {row.seq} has an unknown outcome {row.outcome!r}: "
            "the trail was edited (run `ssnoc audit verify`)"
        ) from None
    return AuditRecord(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        outcome=outcome,
        target=row.target,
        region_code=row.region_code,
        client=row.client,
        detail=row.detail,
        before=load_state(row.before),
        after=load_state(row.after),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def row_hash(row: AuditRow) -> str:
    """The hash a stored row's content should have (compare with ``row.hash``)."""
    return hash_at_seq(row, row.seq)


def hash_at_seq(row: AuditRow, seq: int) -> str:
    """The hash of a stored row's content as if it were written at ``seq``."""
    return record_hash(
        seq=seq,
        at=row.at,
        actor=row.actor,
        client=row.client,
        action=row.action,
        target=row.target,
        region_code=row.region_code,
        outcome=row.outcome,
        detail=row.detail,
        before_json=row.before,
        after_json=row.after,
        prev_hash=row.prev_hash,
    )
