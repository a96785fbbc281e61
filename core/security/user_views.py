"""What :class:`core.security.users.UserDirectory` hands out: frozen views without secrets, the
errors of bad requests, and the checks of user names and grants.

No view carries a password hash or a token digest; the only secrets that ever leave the directory
are new tokens and temporary passwords, returned once to whoever asked for them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.errors import NocError
from core.security.permissions import Role
from core.security.principal import Grant
from core.security.scope import is_region_code
from core.state.tables import ApiTokenRow, NocUserRow, RoleGrantRow

USERNAME_PATTERN = re.compile(r"^[a-z0-9._-]{1,64}$")
MAX_DISPLAY_NAME = 128
MAX_TOKEN_NAME = 64


class InvalidUserRequest(NocError, ValueError):
    """A request about users that cannot be done as asked (bad name, bad grant, bad expiry…);
    the message says what to change."""


class UserExists(InvalidUserRequest):
    """A user of that name already exists."""

    def __init__(self, username: str) -> None:
        self.username = username
        super().__init__(f"user '{username}' exists")


@dataclass(frozen=True)
class UserView:
    """A NOC user as others may see them: never the password hash."""

    id: int
    username: str
    display_name: str
    disabled: bool
    locked_until: datetime | None
    must_change_password: bool
    """Set by a reset or for a new user: until the password is changed, a login gives a session
    that can do nothing but change it."""
    created_at: datetime
    created_by: str | None
    last_login_at: datetime | None
    password_changed_at: datetime
    failed_logins: int
    """Failed logins in a row since the last good one."""
    grants: tuple[Grant, ...]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (for the audit trail's before/after and ``--json`` output)."""
        return {
            "id": self.id,
            "username": self.username,
            "display_name": self.display_name,
            "disabled": self.disabled,
            "locked_until": _iso(self.locked_until),
            "must_change_password": self.must_change_password,
            "created_at": _iso(self.created_at),
            "created_by": self.created_by,
            "last_login_at": _iso(self.last_login_at),
            "password_changed_at": _iso(self.password_changed_at),
            "failed_logins": self.failed_logins,
            "grants": [{"role": g.role.value, "scope_code": g.scope_code} for g in self.grants],
        }

    def audit_state(self) -> dict[str, Any]:
        """The state recorded as an audit record's before/after. The audit trail masks every key
        that contains "password" (``must_change_password`` would read ``***``), so these two
        flags go under names it keeps; the last login is left out, it is not a change."""
        state = self.to_json()
        state["must_change"] = state.pop("must_change_password")
        state["pw_changed_at"] = state.pop("password_changed_at")
        del state["last_login_at"]
        return state


@dataclass(frozen=True)
class ApiTokenView:
    """A personal API token as listed: its name and prefix, never the token or its digest."""

    id: int
    user: str
    """The owner's user name."""
    name: str
    prefix: str
    """The token's first characters, to recognise it (not enough to use it)."""
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    """Updated at most once a minute (see ``UserDirectory.authenticate``)."""
    revoked_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "user": self.user,
            "name": self.name,
            "prefix": self.prefix,
            "created_at": _iso(self.created_at),
            "expires_at": _iso(self.expires_at),
            "last_used_at": _iso(self.last_used_at),
            "revoked_at": _iso(self.revoked_at),
        }


@dataclass(frozen=True)
class SessionTokens:
    """What a login or a refresh returns. The tokens are shown to their owner only, once; they
    are left out of ``repr`` so that logging this object does not leak them."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    access_expires_at: datetime
    refresh_expires_at: datetime
    user: UserView
    """``user.must_change_password`` true: this session may only change the password (its
    principal holds no grants, so every permission check fails)."""


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


def check_username(username: str) -> str:
    """``username`` when it is 1–64 characters of a-z, 0-9, '.', '_' and '-'."""
    if not USERNAME_PATTERN.match(username):
        raise InvalidUserRequest(
            f"user name {username!r} is not allowed: use 1 to 64 characters of a-z, 0-9, "
            "'.', '_' and '-'"
        )
    return username


def check_display_name(display_name: str) -> str:
    cleaned = display_name.strip()
    if len(cleaned) > MAX_DISPLAY_NAME:
        raise InvalidUserRequest(f"display name longer than {MAX_DISPLAY_NAME} characters")
    return cleaned


def check_token_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned or len(cleaned) > MAX_TOKEN_NAME:
        raise InvalidUserRequest(f"a token's name needs 1 to {MAX_TOKEN_NAME} characters")
    return cleaned


def check_grant(role: Role | str, scope_code: str) -> Grant:
    """A :class:`Grant` for a known role and a six-digit region code; a clear error otherwise."""
    try:
        known_role = Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise InvalidUserRequest(f"unknown role {role!r} (roles: {roles})") from None
    if not is_region_code(scope_code):
        raise InvalidUserRequest(
            f"scope {scope_code!r} is not a six-digit region code (e.g. 440000, 440100, 440103)"
        )
    return Grant(known_role, scope_code)


def check_grants(grants: Iterable[Grant | tuple[str, str]]) -> tuple[Grant, ...]:
    """Every grant checked, duplicates dropped, in a stable order."""
    checked = {
        check_grant(g.role, g.scope_code) if isinstance(g, Grant) else check_grant(*g)
        for g in grants
    }
    return sort_grants(checked)


def sort_grants(grants: Iterable[Grant]) -> tuple[Grant, ...]:
    return tuple(sorted(grants, key=lambda g: (g.scope_code, g.role.value)))


def user_view(row: NocUserRow, grant_rows: Iterable[RoleGrantRow]) -> UserView:
    return UserView(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        disabled=row.disabled,
        locked_until=row.locked_until,
        must_change_password=row.must_change_password,
        created_at=row.created_at,
        created_by=row.created_by,
        last_login_at=row.last_login_at,
        password_changed_at=row.password_changed_at,
        failed_logins=row.failed_logins,
        grants=sort_grants(Grant(Role(g.role), g.scope_code) for g in grant_rows),
    )


def api_token_view(row: ApiTokenRow, username: str) -> ApiTokenView:
    return ApiTokenView(
        id=row.id,
        user=username,
        name=row.name,
        prefix=row.prefix,
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )
