"""The NOC access review: who holds which roles where, who can approve and administer, and which
API tokens linger — and what changed since the last review a security officer signed.

Pure functions over plain inputs: users and tokens are anything shaped like the protocols
:class:`ReviewedUser` and :class:`ReviewedToken` (the user directory's views are).

:func:`access_review` gives one row per user, the holders of ``approve_runbooks`` and
``manage_users``, and the tokens to question; :func:`review_snapshot` makes it and the account
findings JSON, :func:`changes_since` compares two snapshots, and :class:`AccessReviewStore`
keeps signed snapshots in the state DB (``access_reviews``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from core.clock import Clock
from core.errors import StoreError
from core.security.account_audit import AccountFinding
from core.security.permissions import Permission, roles_granting
from core.security.principal import Grant
from core.state.tables import AccessReviewRow

SNAPSHOT_VERSION = 1
DEFAULT_UNUSED_AFTER_DAYS = 90
_DAY_S = 86_400


class ReviewedUser(Protocol):
    """What the review reads of a NOC user (``core.security.users.UserView`` has it)."""

    @property
    def username(self) -> str: ...
    @property
    def display_name(self) -> str: ...
    @property
    def disabled(self) -> bool: ...
    @property
    def last_login_at(self) -> datetime | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def grants(self) -> tuple[Grant, ...]: ...


class ReviewedToken(Protocol):
    """What the review reads of an API token (``ApiTokenView`` has it)."""

    @property
    def user(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def prefix(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def expires_at(self) -> datetime: ...
    @property
    def last_used_at(self) -> datetime | None: ...
    @property
    def revoked_at(self) -> datetime | None: ...


@dataclass(frozen=True, slots=True)
class TokenReviewRow:
    user: str
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    age_days: int
    live: bool
    """Neither revoked nor expired: it still opens the API."""
    never_used: bool
    old: bool
    """Created more than ``unused_after_days`` ago."""

    @property
    def flagged(self) -> bool:
        """A live token that is old or was never used: ask its owner whether it is needed."""
        return self.live and (self.old or self.never_used)


@dataclass(frozen=True, slots=True)
class UserReviewRow:
    username: str
    display_name: str
    disabled: bool
    grants: tuple[str, ...]
    """``role@scope``, sorted."""
    roles: tuple[str, ...]
    scopes: tuple[str, ...]
    created_at: datetime
    last_login_at: datetime | None
    never_logged_in: bool
    unused: bool
    """Enabled, and no login for ``unused_after_days`` (or never, on an account that old)."""
    tokens: tuple[TokenReviewRow, ...]

    @property
    def live_tokens(self) -> int:
        return sum(1 for token in self.tokens if token.live)


@dataclass(frozen=True, slots=True)
class PermissionHolder:
    """An enabled user who holds a permission, and where."""

    username: str
    scopes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AccessReview:
    at: datetime
    unused_after_days: int
    users: tuple[UserReviewRow, ...]
    can_approve_runbooks: tuple[PermissionHolder, ...]
    can_manage_users: tuple[PermissionHolder, ...]
    flagged_tokens: tuple[TokenReviewRow, ...]
    """Live tokens older than ``unused_after_days`` or never used."""


def access_review(
    users: Iterable[ReviewedUser],
    tokens: Iterable[ReviewedToken],
    now: datetime,
    unused_after_days: int = DEFAULT_UNUSED_AFTER_DAYS,
) -> AccessReview:
    """The review at ``now``: users by name, their tokens, the powerful few, tokens to question."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    token_rows: dict[str, list[TokenReviewRow]] = {}
    for token in tokens:
        token_rows.setdefault(token.user, []).append(_token_row(token, now, unused_after_days))
    rows = tuple(
        _user_row(user, token_rows.get(user.username, []), now, unused_after_days)
        for user in sorted(users, key=lambda u: u.username)
    )
    every_token = sorted(
        (t for group in token_rows.values() for t in group),
        key=lambda t: (t.user, t.name, t.prefix),
    )
    return AccessReview(
        at=now,
        unused_after_days=unused_after_days,
        users=rows,
        can_approve_runbooks=_holders(rows, Permission.APPROVE_RUNBOOKS),
        can_manage_users=_holders(rows, Permission.MANAGE_USERS),
        flagged_tokens=tuple(t for t in every_token if t.flagged),
    )


def _days(since: datetime, now: datetime) -> int:
    return int((now - since).total_seconds() // _DAY_S)


def _token_row(token: ReviewedToken, now: datetime, unused_after_days: int) -> TokenReviewRow:
    age = _days(token.created_at, now)
    return TokenReviewRow(
        user=token.user,
        name=token.name,
        prefix=token.prefix,
        created_at=token.created_at,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
        age_days=age,
        live=token.revoked_at is None and token.expires_at > now,
        never_used=token.last_used_at is None,
        old=age > unused_after_days,
    )


def _user_row(
    user: ReviewedUser, tokens: list[TokenReviewRow], now: datetime, unused_after_days: int
) -> UserReviewRow:
    grants = sorted({(g.role.value, g.scope_code) for g in user.grants})
    last = user.last_login_at
    idle_since = last if last is not None else user.created_at
    return UserReviewRow(
        username=user.username,
        display_name=user.display_name,
        disabled=user.disabled,
        grants=tuple(f"{role}@{scope}" for role, scope in grants),
        roles=tuple(sorted({role for role, _ in grants})),
        scopes=tuple(sorted({scope for _, scope in grants})),
        created_at=user.created_at,
        last_login_at=last,
        never_logged_in=last is None,
        unused=not user.disabled and _days(idle_since, now) > unused_after_days,
        tokens=tuple(sorted(tokens, key=lambda t: (t.name, t.prefix))),
    )


def _holders(rows: Sequence[UserReviewRow], permission: Permission) -> tuple[PermissionHolder, ...]:
    """Enabled users holding a role that grants ``permission``, with the scopes of those roles
    (a disabled user holds nothing they can use)."""
    granting = {role.value for role in roles_granting(permission)}
    held = [
        (row.username, sorted({g.split("@")[1] for g in row.grants if g.split("@")[0] in granting}))
        for row in rows
        if not row.disabled
    ]
    return tuple(PermissionHolder(name, tuple(scopes)) for name, scopes in held if scopes)


def review_snapshot(
    review: AccessReview, account_findings: Iterable[AccountFinding]
) -> dict[str, Any]:
    """The review and the account findings as plain JSON data, to sign and to diff later."""
    return {
        "version": SNAPSHOT_VERSION,
        "at": review.at.isoformat(),
        "users": {
            row.username: {
                "display_name": row.display_name,
                "disabled": row.disabled,
                "grants": list(row.grants),
                "last_login_at": _iso(row.last_login_at),
            }
            for row in review.users
        },
        "tokens": {
            f"{t.user}/{t.name}/{t.prefix}": {
                "user": t.user,
                "name": t.name,
                "created_at": t.created_at.isoformat(),
                "expires_at": t.expires_at.isoformat(),
                "last_used_at": _iso(t.last_used_at),
                "revoked_at": _iso(t.revoked_at),
            }
            for row in review.users
            for t in row.tokens
        },
        "findings": [f.to_json() for f in account_findings],
    }


@dataclass(frozen=True, slots=True)
class FindingRef:
    """A finding as two snapshots compare it."""

    kind: str
    device_id: str
    account: str
    region_code: str = ""


@dataclass(frozen=True, slots=True)
class ReviewChanges:
    """What differs between an earlier snapshot and a later one."""

    users_added: tuple[str, ...] = ()
    users_removed: tuple[str, ...] = ()
    users_disabled: tuple[str, ...] = ()
    users_enabled: tuple[str, ...] = ()
    grants_added: tuple[tuple[str, str], ...] = ()
    """(user, ``role@scope``)."""
    grants_removed: tuple[tuple[str, str], ...] = ()
    tokens_created: tuple[str, ...] = ()
    """``user/name/prefix`` of tokens the earlier snapshot did not have."""
    tokens_revoked: tuple[str, ...] = ()
    """Revoked since, or gone from the list."""
    findings_new: tuple[FindingRef, ...] = ()
    findings_resolved: tuple[FindingRef, ...] = ()

    @property
    def empty(self) -> bool:
        return not any(getattr(self, field.name) for field in fields(self))


def changes_since(previous: Mapping[str, Any], current: Mapping[str, Any]) -> ReviewChanges:
    """What changed from ``previous`` to ``current`` (both from :func:`review_snapshot`).

    Sections missing from a snapshot count as empty, so an older snapshot still compares.
    """
    before_users, after_users = _section(previous, "users"), _section(current, "users")
    before_grants = {(u, str(g)) for u, v in before_users.items() for g in _get(v, "grants")}
    after_grants = {(u, str(g)) for u, v in after_users.items() for g in _get(v, "grants")}
    both = before_users.keys() & after_users.keys()
    was_disabled = {u for u in both if _get(before_users[u], "disabled")}
    now_disabled = {u for u in both if _get(after_users[u], "disabled")}
    before_tokens, after_tokens = _section(previous, "tokens"), _section(current, "tokens")
    live_before = {k for k, v in before_tokens.items() if not _get(v, "revoked_at")}
    revoked = {
        k for k in live_before if k not in after_tokens or _get(after_tokens[k], "revoked_at")
    }
    before_findings, after_findings = _findings(previous), _findings(current)
    return ReviewChanges(
        users_added=tuple(sorted(after_users.keys() - before_users.keys())),
        users_removed=tuple(sorted(before_users.keys() - after_users.keys())),
        users_disabled=tuple(sorted(now_disabled - was_disabled)),
        users_enabled=tuple(sorted(was_disabled - now_disabled)),
        grants_added=tuple(sorted(after_grants - before_grants)),
        grants_removed=tuple(sorted(before_grants - after_grants)),
        tokens_created=tuple(sorted(after_tokens.keys() - before_tokens.keys())),
        tokens_revoked=tuple(sorted(revoked)),
        findings_new=_refs(after_findings, before_findings),
        findings_resolved=_refs(before_findings, after_findings),
    )


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


def _section(snapshot: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = snapshot.get(name)
    return value if isinstance(value, dict) else {}


def _get(value: Any, name: str) -> Any:
    """``value[name]`` of a snapshot's mapping; ``()`` for anything missing or malformed."""
    found = value.get(name) if isinstance(value, dict) else None
    return () if found is None else found


def _findings(snapshot: Mapping[str, Any]) -> dict[tuple[str, str, str], FindingRef]:
    items = snapshot.get("findings")
    refs = [
        FindingRef(*(str(item.get(k, "")) for k in ("kind", "device_id", "account", "region_code")))
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, dict)
    ]
    return {(ref.kind, ref.device_id, ref.account): ref for ref in refs}


def _refs(
    these: dict[tuple[str, str, str], FindingRef], not_in: dict[tuple[str, str, str], FindingRef]
) -> tuple[FindingRef, ...]:
    keys = sorted(
        these.keys() - not_in.keys(), key=lambda k: (these[k].region_code, k[1], k[2], k[0])
    )
    return tuple(these[k] for k in keys)


class SignedReview(NamedTuple):
    id: int
    at: datetime
    reviewer: str
    snapshot: dict[str, Any]


class AccessReviewStore:
    """Signed reviews in the state DB: each one a snapshot, who signed it and when."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._clock = clock

    def save(self, reviewer: str, snapshot: Mapping[str, Any]) -> int:
        """Record that ``reviewer`` signed ``snapshot`` now; returns the review's id."""
        if not reviewer.strip():
            raise ValueError("a signed review needs a reviewer")
        row = AccessReviewRow(
            at=self._clock.now(),
            reviewer=reviewer,
            snapshot=json.dumps(snapshot, ensure_ascii=False, sort_keys=True),
        )
        try:
            with self._sessions.begin() as session:
                session.add(row)
                session.flush()
                return row.id
        except SQLAlchemyError as exc:
            raise StoreError(f"state DB: cannot save the access review: {exc}") from exc

    def latest(self) -> SignedReview | None:
        """The most recently signed review, or ``None`` before the first."""
        query = select(AccessReviewRow).order_by(AccessReviewRow.id.desc()).limit(1)
        try:
            with self._sessions() as session:
                row = session.scalars(query).first()
        except SQLAlchemyError as exc:
            raise StoreError(f"state DB: cannot read access reviews: {exc}") from exc
        if row is None:
            return None
        try:
            snapshot = json.loads(row.snapshot)
        except ValueError as exc:
            raise StoreError(f"state DB: access review {row.id} is not valid JSON") from exc
        return SignedReview(
            row.id, row.at, row.reviewer, snapshot if isinstance(snapshot, dict) else {}
        )
