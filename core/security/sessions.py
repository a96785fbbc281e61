"""Logins, lockout, sessions and token authentication: the part of the user directory that runs on
every request. :class:`~core.security.users.UserDirectory` is the public face; this is its engine.

**Lockout.** ``lockout_after`` wrong passwords in a row lock the account for ``lockout_s``; while
locked every login is refused with :class:`AccountLocked`, the right password included. The count
is kept in the user's row and updated in a short transaction *after* argon2 has run, with the row
locked, so parallel guesses cannot slip past it and no lock is held during the slow hash.

**Same answer for every failure.** An unknown user, a wrong password and a disabled user all get
``AuthenticationFailed("wrong user name or password")``, and an unknown user still costs one
argon2 verify (against a dummy hash), so neither the text nor the time tells which it was.

**Sessions.** A login stores a row with the SHA-256 of a short-lived access token and of a refresh
token. A refresh rotates both: the old row is revoked and a new one takes its place, carrying the
login's ``created_at`` and its ``refresh_expires_at`` — so a console stays logged in at most
``refresh_ttl_s`` after the login, however often it refreshes. The rows of one login (same user,
same ``created_at``) form its *family*: presenting a refresh token whose row is already revoked
means it was used twice (stolen, or replayed), and the whole family is revoked.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cached_property

from argon2 import PasswordHasher
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from core.clock import Clock
from core.errors import AccountLocked, AuthenticationFailed
from core.security.passwords import hash_password, needs_rehash, verify_password
from core.security.permissions import Role
from core.security.principal import Grant, Principal
from core.security.principal_cache import PrincipalCache
from core.security.tokens import TokenKind, new_token, token_digest, token_kind
from core.security.user_rows import find_user_row, store_errors, view_of
from core.security.user_views import USERNAME_PATTERN, SessionTokens, sort_grants
from core.settings import AuthSettings
from core.state.tables import ApiTokenRow, NocUserRow, RoleGrantRow, SessionRow

log = logging.getLogger(__name__)

WRONG_LOGIN = "wrong user name or password"
LAST_USED_EVERY_S = 60.0
"""An API token's ``last_used_at`` is written at most this often: a write per request would cost
a transaction (and on SQLite the one writer lock) on the hottest path, for a figure people read
to the day."""
MAX_CLIENT_CHARS = 64


class LoginSessions:
    """Check passwords with lockout, open, rotate and close sessions, authenticate tokens."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        settings: AuthSettings,
        hasher: PasswordHasher,
        cache: PrincipalCache,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._settings = settings
        self._hasher = hasher
        self._cache = cache

    # ------------------------------------------------------------------------------ passwords

    @cached_property
    def _dummy_hash(self) -> str:
        # Made once, with the same hasher, so verifying against it costs what a real verify does.
        return hash_password("not the password of anyone", self._hasher)

    def checked_user(self, username: str, password: str) -> NocUserRow:
        """The row of ``username`` when ``password`` is theirs, the account is not locked and not
        disabled; :class:`AuthenticationFailed` (or :class:`AccountLocked`) otherwise. Failures
        count towards the lockout."""
        row = self._read_user(username)
        if row is None:
            verify_password(self._dummy_hash, password, self._hasher)
            raise AuthenticationFailed(WRONG_LOGIN)
        self._refuse_if_locked(row.locked_until)
        good = verify_password(row.password_hash, password, self._hasher)
        if row.disabled:
            raise AuthenticationFailed(WRONG_LOGIN)
        if not good:
            self._count_failure(row.id)
            raise AuthenticationFailed(WRONG_LOGIN)
        return row

    def _read_user(self, username: str) -> NocUserRow | None:
        if not USERNAME_PATTERN.match(username):
            return None
        with store_errors("read a user"), self._sessions() as session:
            return find_user_row(session, username)

    def _refuse_if_locked(self, locked_until: datetime | None) -> None:
        if locked_until is not None and locked_until > self._clock.now():
            raise AccountLocked(locked_until.isoformat())

    def _count_failure(self, user_id: int) -> None:
        now = self._clock.now()
        with store_errors("count a failed login"), self._sessions.begin() as session:
            row = session.get(NocUserRow, user_id, with_for_update=True)
            if row is None:  # deleted meanwhile: nothing to count
                return
            if row.locked_until is not None and row.locked_until <= now:
                row.failed_logins, row.locked_until = 0, None  # the old lock ran out
            if row.locked_until is None:
                row.failed_logins += 1
                if row.failed_logins >= self._settings.lockout_after:
                    row.locked_until = now + timedelta(seconds=self._settings.lockout_s)
                    log.warning(
                        "user %s locked after %d failed logins", row.username, row.failed_logins
                    )
            locked_until = row.locked_until
        self._refuse_if_locked(locked_until)

    # ------------------------------------------------------------------------------ sessions

    def login(self, username: str, password: str, *, client: str | None) -> SessionTokens:
        """A new session for ``username``, or :class:`AuthenticationFailed`."""
        row = self.checked_user(username, password)
        now = self._clock.now()
        access, refresh = new_token(TokenKind.ACCESS), new_token(TokenKind.REFRESH)
        refresh_expires_at = now + timedelta(seconds=self._settings.refresh_ttl_s)
        access_expires_at = min(
            now + timedelta(seconds=self._settings.access_ttl_s), refresh_expires_at
        )
        with store_errors("open a session"), self._sessions.begin() as session:
            locked = session.get(NocUserRow, row.id, with_for_update=True)
            if locked is None or locked.disabled:
                raise AuthenticationFailed(WRONG_LOGIN)
            self._refuse_if_locked(locked.locked_until)
            if needs_rehash(locked.password_hash, self._hasher):
                locked.password_hash = hash_password(password, self._hasher)
            locked.failed_logins, locked.locked_until, locked.last_login_at = 0, None, now
            session.add(
                SessionRow(
                    user_id=row.id,
                    access_hash=token_digest(access),
                    access_expires_at=access_expires_at,
                    refresh_hash=token_digest(refresh),
                    refresh_expires_at=refresh_expires_at,
                    created_at=now,
                    client=_client(client),
                )
            )
            view = view_of(session, locked)
        return SessionTokens(access, refresh, access_expires_at, refresh_expires_at, view)

    def refresh(self, refresh_token: str, *, client: str | None) -> SessionTokens:
        """New access and refresh tokens for a live session; the presented one stops working."""
        if token_kind(refresh_token) is not TokenKind.REFRESH:
            raise AuthenticationFailed("unknown token")
        now = self._clock.now()
        access, refresh = new_token(TokenKind.ACCESS), new_token(TokenKind.REFRESH)
        replayed_by: int | None = None
        with store_errors("refresh a session"), self._sessions.begin() as session:
            old = session.scalars(
                select(SessionRow)
                .where(SessionRow.refresh_hash == token_digest(refresh_token))
                .with_for_update()
            ).one_or_none()
            if old is None:
                raise AuthenticationFailed("unknown token")
            if old.revoked_at is not None:
                # Used before: whoever holds the newer tokens may be a thief. End the login.
                _revoke_family(session, old, now)
                replayed_by = old.user_id
            else:
                if old.refresh_expires_at <= now:
                    raise AuthenticationFailed("token expired")
                user = session.get(NocUserRow, old.user_id)
                if user is None or user.disabled:
                    raise AuthenticationFailed("user disabled")
                old.revoked_at = now
                access_expires_at = min(
                    now + timedelta(seconds=self._settings.access_ttl_s), old.refresh_expires_at
                )
                session.add(
                    SessionRow(
                        user_id=old.user_id,
                        access_hash=token_digest(access),
                        access_expires_at=access_expires_at,
                        refresh_hash=token_digest(refresh),
                        refresh_expires_at=old.refresh_expires_at,
                        created_at=old.created_at,
                        client=_client(client) or old.client,
                    )
                )
                view = view_of(session, user)
                refresh_expires_at = old.refresh_expires_at
            user_id = old.user_id
        self._cache.forget_user(user_id)
        if replayed_by is not None:
            log.warning("refresh token of user id %d used twice: session revoked", replayed_by)
            raise AuthenticationFailed("token revoked")
        return SessionTokens(access, refresh, access_expires_at, refresh_expires_at, view)

    def logout(self, access_token: str) -> None:
        """Revoke the session of ``access_token`` (both its tokens). Logging out twice is fine."""
        if token_kind(access_token) is not TokenKind.ACCESS:
            raise AuthenticationFailed("unknown token")
        with store_errors("close a session"), self._sessions.begin() as session:
            row = session.scalars(
                select(SessionRow).where(SessionRow.access_hash == token_digest(access_token))
            ).one_or_none()
            if row is None:
                raise AuthenticationFailed("unknown token")
            _revoke_family(session, row, self._clock.now())
            user_id = row.user_id
        self._cache.forget_user(user_id)

    def prune_expired_sessions(self) -> int:
        """Delete sessions whose refresh token has expired (revoked ones included: their replay
        could not be used any more either). Returns how many rows went."""
        now = self._clock.now()
        with store_errors("prune sessions"), self._sessions.begin() as session:
            result = session.execute(delete(SessionRow).where(SessionRow.refresh_expires_at <= now))
        return int(getattr(result, "rowcount", 0) or 0)

    # ------------------------------------------------------------------------- authentication

    def authenticate(self, token: str) -> Principal:
        """Who presents ``token``: see :meth:`core.security.users.UserDirectory.authenticate`."""
        kind = token_kind(token)
        if kind is not TokenKind.ACCESS and kind is not TokenKind.PERSONAL:
            raise AuthenticationFailed("unknown token")
        digest = token_digest(token)
        cached = self._cache.get(digest)
        if cached is not None:
            return cached
        if kind is TokenKind.ACCESS:
            principal, expires_at = self._session_principal(digest)
        else:
            principal, expires_at = self._api_token_principal(digest)
        self._cache.put(digest, principal, expires_at)
        return principal

    def cached_principal(self, token: str) -> Principal | None:
        """The principal for ``token`` if it is in the cache and still good; never reads the DB
        (so the API may ask on its event loop), and never raises: None means "ask
        :meth:`authenticate`"."""
        kind = token_kind(token)
        if kind is not TokenKind.ACCESS and kind is not TokenKind.PERSONAL:
            return None
        return self._cache.get(token_digest(token))

    def _session_principal(self, digest: str) -> tuple[Principal, datetime]:
        query = (
            select(
                SessionRow.access_expires_at,
                SessionRow.revoked_at,
                NocUserRow.id,
                NocUserRow.username,
                NocUserRow.disabled,
                NocUserRow.must_change_password,
                RoleGrantRow.role,
                RoleGrantRow.scope_code,
            )
            .join(NocUserRow, NocUserRow.id == SessionRow.user_id)
            .outerjoin(RoleGrantRow, RoleGrantRow.user_id == NocUserRow.id)
            .where(SessionRow.access_hash == digest)
        )
        with store_errors("authenticate"), self._sessions() as session:
            rows = session.execute(query).all()
        if not rows:
            raise AuthenticationFailed("unknown token")
        expires_at, revoked_at, user_id, username, disabled, must_change = rows[0][:6]
        self._check_token(expires_at, revoked_at, disabled)
        grants = () if must_change else _grants((role, scope) for *_, role, scope in rows)
        return Principal(user_id, username, grants, via="session"), expires_at

    def _api_token_principal(self, digest: str) -> tuple[Principal, datetime]:
        query = (
            select(
                ApiTokenRow.expires_at,
                ApiTokenRow.revoked_at,
                NocUserRow.id,
                NocUserRow.username,
                NocUserRow.disabled,
                NocUserRow.must_change_password,
                ApiTokenRow.id,
                ApiTokenRow.last_used_at,
                RoleGrantRow.role,
                RoleGrantRow.scope_code,
            )
            .join(NocUserRow, NocUserRow.id == ApiTokenRow.user_id)
            .outerjoin(RoleGrantRow, RoleGrantRow.user_id == NocUserRow.id)
            .where(ApiTokenRow.token_hash == digest)
        )
        with store_errors("authenticate"), self._sessions() as session:
            rows = session.execute(query).all()
        if not rows:
            raise AuthenticationFailed("unknown token")
        expires_at, revoked_at, user_id, username, disabled, must_change, token_id, last_used = (
            rows[0][:8]
        )
        self._check_token(expires_at, revoked_at, disabled)
        now = self._clock.now()
        if last_used is None or (now - last_used).total_seconds() >= LAST_USED_EVERY_S:
            with store_errors("note an API token's use"), self._sessions.begin() as session:
                session.execute(
                    update(ApiTokenRow).where(ApiTokenRow.id == token_id).values(last_used_at=now)
                )
        grants = () if must_change else _grants((role, scope) for *_, role, scope in rows)
        return Principal(user_id, username, grants, via="api_token"), expires_at

    def _check_token(
        self, expires_at: datetime, revoked_at: datetime | None, user_disabled: bool
    ) -> None:
        if revoked_at is not None:
            raise AuthenticationFailed("token revoked")
        if expires_at <= self._clock.now():
            raise AuthenticationFailed("token expired")
        if user_disabled:
            raise AuthenticationFailed("user disabled")


def _revoke_family(session: Session, row: SessionRow, now: datetime) -> None:
    """Revoke every live row of ``row``'s login (same user, same ``created_at``)."""
    session.execute(
        update(SessionRow)
        .where(
            SessionRow.user_id == row.user_id,
            SessionRow.created_at == row.created_at,
            SessionRow.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )


def _grants(pairs: Iterable[tuple[str | None, str | None]]) -> tuple[Grant, ...]:
    found: set[Grant] = set()
    for role, scope in pairs:
        if role is not None and scope is not None:  # the outer join's row for a user without grants
            found.add(Grant(Role(role), scope))
    return sort_grants(found)


def _client(client: str | None) -> str | None:
    return client[:MAX_CLIENT_CHARS] if client else None
