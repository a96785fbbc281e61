"""NOC users: accounts, passwords, roles per region, sessions and personal API tokens.

:class:`UserDirectory` is the one way in. It is synchronous (the API calls it from worker
threads; the CLI directly), opens a short transaction per call, hands out frozen views that never
hold a password hash or a token digest, and raises the NOC's errors: :class:`NotFound`,
:class:`~core.security.user_views.InvalidUserRequest` (and :class:`UserExists`),
:class:`~core.security.passwords.PasswordRejected`, :class:`AuthenticationFailed` /
:class:`AccountLocked`, :class:`StoreError`. It does not write the audit trail: callers know who
acted from where and record it, using the ``(before, after)`` views the changes return.

How logins, lockout, refresh rotation and token checks work is told in
:mod:`core.security.sessions`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import sessionmaker

from core.clock import Clock
from core.errors import NotFound
from core.security.passwords import (
    PasswordRejected,
    check_password_policy,
    hash_password,
    server_hasher,
    temporary_password,
)
from core.security.permissions import Role
from core.security.principal import Grant, Principal
from core.security.principal_cache import DEFAULT_TTL_S, PrincipalCache
from core.security.scope import ScopeLevel, scope_level
from core.security.sessions import LoginSessions
from core.security.tokens import TokenKind, display_prefix, new_token, token_digest
from core.security.user_rows import find_user_row, revoke_sessions, store_errors, user_row, view_of
from core.security.user_views import (
    ApiTokenView,
    InvalidUserRequest,
    SessionTokens,
    UserExists,
    UserView,
    api_token_view,
    check_display_name,
    check_grant,
    check_grants,
    check_token_name,
    check_username,
    user_view,
)
from core.settings import AuthSettings
from core.state.tables import ApiTokenRow, NocUserRow, RoleGrantRow

log = logging.getLogger(__name__)


class UserDirectory:
    """NOC users, their grants, sessions and API tokens in the state DB."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        settings: AuthSettings,
        hasher: PasswordHasher | None = None,
        *,
        cache_ttl_s: float = DEFAULT_TTL_S,
    ) -> None:
        """``hasher`` defaults to :func:`~core.security.passwords.server_hasher`; tests pass
        :func:`~core.security.passwords.cheap_hasher`. ``cache_ttl_s`` is how long
        :meth:`authenticate` trusts what it read (0: always read)."""
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._clock = clock
        self._settings = settings
        self._hasher = hasher or server_hasher()
        self._cache = PrincipalCache(clock, cache_ttl_s)
        self._logins = LoginSessions(self._sessions, clock, settings, self._hasher, self._cache)

    # ---------------------------------------------------------------------------------- users

    def create_user(
        self,
        username: str,
        password: str,
        *,
        display_name: str = "",
        grants: tuple[Grant, ...] | list[Grant] = (),
        created_by: str | None,
        must_change_password: bool = False,
    ) -> UserView:
        """A new user; ``must_change_password`` for one whose password someone else chose."""
        check_username(username)
        display = check_display_name(display_name)
        checked = check_grants(grants)
        check_password_policy(password, self._settings.password_min_length, username)
        password_hash = hash_password(password, self._hasher)
        now = self._clock.now()
        with (
            store_errors(f"create user {username}", conflict=UserExists(username)),
            self._sessions.begin() as session,
        ):
            if find_user_row(session, username) is not None:
                raise UserExists(username)
            row = NocUserRow(
                username=username,
                display_name=display,
                password_hash=password_hash,
                disabled=False,
                must_change_password=must_change_password,
                created_at=now,
                created_by=created_by,
                password_changed_at=now,
                failed_logins=0,
            )
            session.add(row)
            session.flush()
            grant_rows = [_grant_row(row.id, g, now, created_by) for g in checked]
            session.add_all(grant_rows)
            view = user_view(row, grant_rows)
        log.info("user %s created by %s", username, created_by)
        return view

    def has_admin(self) -> bool:
        """True when some user who is not disabled holds ``admin`` for a whole province."""
        query = (
            select(NocUserRow.id)
            .join(RoleGrantRow, RoleGrantRow.user_id == NocUserRow.id)
            .where(
                NocUserRow.disabled.is_(False),
                RoleGrantRow.role == Role.ADMIN.value,
                RoleGrantRow.scope_code.like("%0000"),
            )
            .limit(1)
        )
        with store_errors("look for an admin"), self._sessions() as session:
            return session.execute(query).first() is not None

    def create_admin(
        self,
        username: str,
        password: str,
        province_code: str = "440000",
        *,
        created_by: str | None = None,
    ) -> UserView:
        """A user holding ``admin`` for the province ``province_code`` (the first user, usually)."""
        check_grant(Role.ADMIN, province_code)
        if scope_level(province_code) is not ScopeLevel.PROVINCE:
            raise InvalidUserRequest(
                f"an admin's scope must be a province code (like 440000), not {province_code}"
            )
        return self.create_user(
            username, password, grants=(Grant(Role.ADMIN, province_code),), created_by=created_by
        )

    def get(self, username: str) -> UserView:
        """The user called ``username``; :class:`NotFound` when there is none."""
        with store_errors("read a user"), self._sessions() as session:
            return view_of(session, user_row(session, username))

    def list_users(self) -> list[UserView]:
        """Every user, by name."""
        with store_errors("list users"), self._sessions() as session:
            users = session.scalars(select(NocUserRow).order_by(NocUserRow.username)).all()
            by_user: dict[int, list[RoleGrantRow]] = {}
            for grant in session.scalars(select(RoleGrantRow)):
                by_user.setdefault(grant.user_id, []).append(grant)
        return [user_view(row, by_user.get(row.id, [])) for row in users]

    def set_disabled(self, username: str, disabled: bool, by: str) -> tuple[UserView, UserView]:
        """Disable (or enable) a user. Disabling revokes their sessions at once; their API tokens
        stop working too, as long as the user stays disabled."""
        with store_errors(f"change user {username}"), self._sessions.begin() as session:
            row = user_row(session, username, for_update=True)
            before = view_of(session, row)
            row.disabled = disabled
            if disabled:
                revoke_sessions(session, row.id, self._clock.now())
            after = view_of(session, row)
        self._cache.forget_user(row.id)
        log.info("user %s %s by %s", username, "disabled" if disabled else "enabled", by)
        return before, after

    def reset_password(self, username: str, by: str) -> str:
        """Give ``username`` a new random temporary password, returned once: their next login
        can only change it. Their sessions are revoked and a lockout is lifted."""
        temporary = temporary_password(self._settings.password_min_length, username)
        password_hash = hash_password(temporary, self._hasher)
        now = self._clock.now()
        with store_errors(f"reset the password of {username}"), self._sessions.begin() as session:
            row = user_row(session, username, for_update=True)
            row.password_hash = password_hash
            row.password_changed_at = now
            row.must_change_password = True
            row.failed_logins, row.locked_until = 0, None
            revoke_sessions(session, row.id, now)
        self._cache.forget_user(row.id)
        log.info("password of user %s reset by %s", username, by)
        return temporary

    def change_password(self, username: str, old: str, new: str) -> UserView:
        """Change one's own password, proving the old one (a wrong one counts towards lockout).
        Clears ``must_change_password``: a session opened with the temporary password gets the
        user's grants from its next request on."""
        self._logins.checked_user(username, old)
        if new == old:
            raise PasswordRejected("the new password must differ from the old one")
        check_password_policy(new, self._settings.password_min_length, username)
        password_hash = hash_password(new, self._hasher)
        with store_errors(f"change the password of {username}"), self._sessions.begin() as session:
            row = user_row(session, username, for_update=True)
            row.password_hash = password_hash
            row.password_changed_at = self._clock.now()
            row.must_change_password = False
            row.failed_logins, row.locked_until = 0, None
            view = view_of(session, row)
        self._cache.forget_user(row.id)
        return view

    def unlock(self, username: str, by: str) -> UserView:
        """Lift a lockout now and reset the failure count."""
        with store_errors(f"unlock {username}"), self._sessions.begin() as session:
            row = user_row(session, username, for_update=True)
            row.failed_logins, row.locked_until = 0, None
            view = view_of(session, row)
        log.info("user %s unlocked by %s", username, by)
        return view

    def grant(
        self, username: str, role: Role | str, scope_code: str, by: str
    ) -> tuple[UserView, UserView]:
        """Give ``username`` a role for a region scope."""
        wanted = check_grant(role, scope_code)
        what = f"{wanted.role.value} at {wanted.scope_code}"
        with (
            store_errors(
                f"grant {what}",
                conflict=InvalidUserRequest(f"user '{username}' already holds {what}"),
            ),
            self._sessions.begin() as session,
        ):
            row = user_row(session, username, for_update=True)
            before = view_of(session, row)
            if wanted in before.grants:
                raise InvalidUserRequest(f"user '{username}' already holds {what}")
            session.add(_grant_row(row.id, wanted, self._clock.now(), by))
            session.flush()
            after = view_of(session, row)
        self._cache.forget_user(row.id)
        log.info("user %s granted %s by %s", username, what, by)
        return before, after

    def revoke(
        self, username: str, role: Role | str, scope_code: str, by: str
    ) -> tuple[UserView, UserView]:
        """Take a role for a region scope away from ``username``."""
        wanted = check_grant(role, scope_code)
        what = f"{wanted.role.value} at {wanted.scope_code}"
        with store_errors(f"revoke {what}"), self._sessions.begin() as session:
            row = user_row(session, username, for_update=True)
            before = view_of(session, row)
            if wanted not in before.grants:
                raise NotFound(f"user '{username}' does not hold {what}")
            session.execute(
                delete(RoleGrantRow).where(
                    RoleGrantRow.user_id == row.id,
                    RoleGrantRow.role == wanted.role.value,
                    RoleGrantRow.scope_code == wanted.scope_code,
                )
            )
            after = view_of(session, row)
        self._cache.forget_user(row.id)
        log.info("user %s lost %s, revoked by %s", username, what, by)
        return before, after

    # ------------------------------------------------------------------ sessions (sessions.py)

    def login(self, username: str, password: str, *, client: str | None) -> SessionTokens:
        """A session for ``username``. Every failure reads "wrong user name or password"; after
        ``lockout_after`` failures in a row the account is locked (:class:`AccountLocked`), the
        right password included, for ``lockout_s``. A user who must change their password gets a
        session that can only do that (``tokens.user.must_change_password``)."""
        return self._logins.login(username, password, client=client)

    def refresh(self, refresh_token: str, *, client: str | None) -> SessionTokens:
        """Rotate a session's tokens. The old refresh token stops working; presenting it again
        revokes the whole session (replay defence)."""
        return self._logins.refresh(refresh_token, client=client)

    def logout(self, access_token: str) -> None:
        """Revoke the session of ``access_token``."""
        self._logins.logout(access_token)

    def authenticate(self, token: str) -> Principal:
        """The principal presenting ``token``: a session's access token or a personal API token,
        neither expired nor revoked, of a user who is not disabled. Otherwise
        :class:`AuthenticationFailed`: "unknown token", "token revoked", "token expired" or
        "user disabled".

        A user who must change their password gets a principal *without grants*: every
        permission check fails, and the only thing left to do is ``change_password`` (which
        proves the old password itself).

        Runs on every API request: one indexed SELECT (token ⋈ user ⟕ grants); what it read is
        trusted for a few seconds (``cache_ttl_s``), and changes made through this directory drop
        it at once. An API token's ``last_used_at`` is written at most once a minute."""
        return self._logins.authenticate(token)

    def cached_principal(self, token: str) -> Principal | None:
        """The principal for ``token`` from the few-seconds cache, without touching the DB;
        None when it is not there (then :meth:`authenticate` decides)."""
        return self._logins.cached_principal(token)

    def prune_expired_sessions(self) -> int:
        """Delete sessions past their refresh expiry; returns how many."""
        return self._logins.prune_expired_sessions()

    # ----------------------------------------------------------------------------- API tokens

    def create_api_token(
        self, username: str, name: str, *, days: int | None, by: str
    ) -> tuple[str, ApiTokenView]:
        """A personal API token for ``username``, good for ``days`` (default
        ``api_token_default_days``, at most ``api_token_max_days``). The token is returned here
        once and stored only as its digest."""
        label = check_token_name(name)
        life_days = self._settings.api_token_default_days if days is None else days
        if life_days < 1:
            raise InvalidUserRequest("an API token must live at least 1 day")
        if life_days > self._settings.api_token_max_days:
            raise InvalidUserRequest(
                f"an API token may live at most {self._settings.api_token_max_days} days, "
                f"not {life_days}"
            )
        token = new_token(TokenKind.PERSONAL)
        now = self._clock.now()
        with store_errors(f"create an API token for {username}"), self._sessions.begin() as session:
            owner = user_row(session, username)
            if owner.disabled:
                raise InvalidUserRequest(f"user '{username}' is disabled")
            row = ApiTokenRow(
                user_id=owner.id,
                name=label,
                token_hash=token_digest(token),
                prefix=display_prefix(token),
                created_at=now,
                expires_at=now + timedelta(days=life_days),
            )
            session.add(row)
            session.flush()
            view = api_token_view(row, username)
        log.info("API token %d (%s) of %s created by %s", view.id, label, username, by)
        return token, view

    def list_api_tokens(self, username: str | None = None) -> list[ApiTokenView]:
        """API tokens (of ``username``, or of everyone), oldest first; revoked ones included."""
        query = (
            select(ApiTokenRow, NocUserRow.username)
            .join(NocUserRow, NocUserRow.id == ApiTokenRow.user_id)
            .order_by(ApiTokenRow.id)
        )
        with store_errors("list API tokens"), self._sessions() as session:
            if username is not None:
                query = query.where(ApiTokenRow.user_id == user_row(session, username).id)
            return [api_token_view(row, owner) for row, owner in session.execute(query)]

    def revoke_api_token(self, token_id: int, by: str) -> ApiTokenView:
        """Revoke a token for good (revoking it again changes nothing)."""
        with store_errors(f"revoke API token {token_id}"), self._sessions.begin() as session:
            row = session.get(ApiTokenRow, token_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no API token {token_id}")
            if row.revoked_at is None:
                row.revoked_at = self._clock.now()
            owner = session.get(NocUserRow, row.user_id)
            view = api_token_view(row, owner.username if owner else "?")
        self._cache.forget_user(row.user_id)
        log.info("API token %d revoked by %s", token_id, by)
        return view


def _grant_row(user_id: int, grant: Grant, now: datetime, by: str | None) -> RoleGrantRow:
    return RoleGrantRow(
        user_id=user_id,
        role=grant.role.value,
        scope_code=grant.scope_code,
        granted_at=now,
        granted_by=by,
    )
