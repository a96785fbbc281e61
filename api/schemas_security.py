"""Request and answer bodies of the auth, user, audit and report routes.

Passwords and tokens that come *in* are :class:`~pydantic.SecretStr`, so a validation error or a
log line can never echo one. Tokens go *out* exactly once: in the login answer and when a
personal API token is created.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from core.security.audit_trail import AuditRecord, AuditVerification
from core.security.permissions import Role
from core.security.user_views import ApiTokenView, SessionTokens, UserView

_REGION = r"^\d{6}$"
_USERNAME = r"^[a-z0-9._-]{1,64}$"


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LoginRequest(_Body):
    username: str = Field(min_length=1, max_length=64, examples=["zhang.wei"])
    password: SecretStr = Field(min_length=1, max_length=1024)


class RefreshRequest(_Body):
    refresh_token: SecretStr = Field(min_length=1, max_length=512)


class PasswordChange(_Body):
    old_password: SecretStr = Field(min_length=1, max_length=1024)
    new_password: SecretStr = Field(min_length=1, max_length=1024)


class NewApiToken(_Body):
    name: str = Field(min_length=1, max_length=64, examples=["nightly-report"])
    days: int | None = Field(default=None, ge=1, le=3650, description="Default: 90")


class GrantInfo(_Body):
    role: Role
    scope: str = Field(pattern=_REGION, description="Province, city or county code")


class UserInfo(_Body):
    username: str
    display_name: str
    disabled: bool
    locked_until: datetime | None
    must_change_password: bool
    created_at: datetime
    created_by: str | None
    last_login_at: datetime | None
    password_changed_at: datetime
    grants: list[GrantInfo]


class SessionInfo(_Body):
    access_token: str
    refresh_token: str
    access_expires_at: datetime
    refresh_expires_at: datetime
    user: UserInfo


class MeInfo(_Body):
    user: UserInfo
    via: str = Field(description="session (a login) or api_token")
    permissions: dict[str, list[str]] = Field(
        description="Each permission held, with the region scopes where it holds"
    )


class ApiTokenInfo(_Body):
    id: int
    user: str
    name: str
    prefix: str = Field(description="The token's first characters, to recognise it")
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiTokenCreated(_Body):
    token: str = Field(description="Shown this once; only a hash is kept")
    info: ApiTokenInfo


class NewUser(_Body):
    username: str = Field(pattern=_USERNAME, examples=["li.na"])
    display_name: str = Field(default="", max_length=128)
    grants: list[GrantInfo] = Field(default_factory=list)


class UserCreated(_Body):
    user: UserInfo
    temporary_password: str = Field(
        description="Shown this once; the user must change it at first login"
    )


class PasswordReset(_Body):
    temporary_password: str = Field(description="Shown this once; must be changed at login")


class AuditRecordInfo(_Body):
    seq: int
    at: datetime
    actor: str
    client: str | None
    action: str
    target: str | None
    region_code: str | None
    outcome: str
    detail: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    hash: str


class ChainProblemInfo(_Body):
    seq: int
    kind: str
    message: str


class AuditVerificationInfo(_Body):
    ok: bool
    checked: int
    problems: list[ChainProblemInfo]


class ConsoleAction(_Body):
    """A console action to record (what the user looked at or did in the console)."""

    action: str = Field(pattern=r"^[a-z][a-z0-9_.]{0,47}$", examples=["open_configs"])
    target: str | None = Field(default=None, max_length=300)
    detail: str | None = Field(default=None, max_length=1000)


class CredentialName(_Body):
    kind: str
    name: str


def user_info(user: UserView) -> UserInfo:
    return UserInfo(
        username=user.username,
        display_name=user.display_name,
        disabled=user.disabled,
        locked_until=user.locked_until,
        must_change_password=user.must_change_password,
        created_at=user.created_at,
        created_by=user.created_by,
        last_login_at=user.last_login_at,
        password_changed_at=user.password_changed_at,
        grants=[GrantInfo(role=g.role, scope=g.scope_code) for g in user.grants],
    )


def session_info(tokens: SessionTokens) -> SessionInfo:
    return SessionInfo(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        access_expires_at=tokens.access_expires_at,
        refresh_expires_at=tokens.refresh_expires_at,
        user=user_info(tokens.user),
    )


def api_token_info(token: ApiTokenView) -> ApiTokenInfo:
    return ApiTokenInfo(
        id=token.id,
        user=token.user,
        name=token.name,
        prefix=token.prefix,
        created_at=token.created_at,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
    )


def audit_record_info(record: AuditRecord) -> AuditRecordInfo:
    return AuditRecordInfo(
        seq=record.seq,
        at=record.at,
        actor=record.actor,
        client=record.client,
        action=record.action,
        target=record.target,
        region_code=record.region_code,
        outcome=str(record.outcome),
        detail=record.detail,
        before=dict(record.before) if record.before is not None else None,
        after=dict(record.after) if record.after is not None else None,
        hash=record.hash,
    )


def verification_info(result: AuditVerification) -> AuditVerificationInfo:
    return AuditVerificationInfo(
        ok=result.ok,
        checked=result.checked,
        problems=[
            ChainProblemInfo(seq=p.seq, kind=p.kind, message=p.message) for p in result.problems
        ],
    )
