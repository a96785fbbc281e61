"""The console's copies of what the API answers about users, sessions, the audit trail and the
security reports (the console does not import the API).

Like :mod:`tui.api_models` they ignore fields they do not know, so a newer server does not break
an older console. Secrets that come back (a session's tokens, a temporary password) arrive as
:class:`~pydantic.SecretStr`: a repr, a log line or a traceback never shows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr


class _Answer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class GrantInfo(_Answer):
    """A role held for a region scope. The role stays text: a newer server may know more."""

    role: str
    scope: str

    @property
    def label(self) -> str:
        return f"{self.role}@{self.scope}"


class UserInfo(_Answer):
    username: str
    display_name: str = ""
    disabled: bool = False
    locked_until: datetime | None = None
    must_change_password: bool = False
    created_at: datetime
    created_by: str | None = None
    last_login_at: datetime | None = None
    password_changed_at: datetime | None = None
    grants: list[GrantInfo] = Field(default_factory=list)


class LoginAnswer(_Answer):
    """``POST /auth/login`` and ``/auth/refresh``: a session's tokens (kept in memory only)."""

    access_token: SecretStr
    refresh_token: SecretStr
    access_expires_at: datetime
    refresh_expires_at: datetime
    user: UserInfo


class MeInfo(_Answer):
    """``GET /auth/me``: who is logged in, how, and each permission with the scopes it holds in."""

    user: UserInfo
    via: str
    permissions: dict[str, list[str]]


class UserCreated(_Answer):
    user: UserInfo
    temporary_password: SecretStr


class PasswordReset(_Answer):
    temporary_password: SecretStr


class ApiTokenInfo(_Answer):
    id: int
    user: str
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class AuditRecord(_Answer):
    seq: int
    at: datetime
    actor: str
    client: str | None = None
    action: str
    target: str | None = None
    region_code: str | None = None
    outcome: str
    detail: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    hash: str = ""


class ChainProblem(_Answer):
    seq: int
    kind: str
    message: str


class AuditVerification(_Answer):
    ok: bool
    checked: int
    problems: list[ChainProblem] = Field(default_factory=list)


@dataclass(frozen=True)
class AuditQuery:
    """What the audit screen asks ``GET /audit`` for; None leaves a filter out."""

    actor: str | None = None
    """Exactly this user."""
    target: str | None = None
    """Text in the object acted on."""
    region: str | None = None
    """This region and below it."""
    text: str | None = None
    """Text anywhere in the record."""
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_seq: int | None = None
    """A page: records older than this one."""
    limit: int = 100

    def params(self) -> dict[str, str | None]:
        return {
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "region": self.region,
            "q": self.text,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "before_seq": str(self.before_seq) if self.before_seq is not None else None,
            "limit": str(self.limit),
        }


class AccountFinding(_Answer):
    """A local account on a device or host that the approved-accounts policy does not explain."""

    kind: str
    device_id: str
    region_code: str
    account: str
    privilege: str | None = None
    detail: str = ""
    severity: str = "medium"


class AccountFindings(_Answer):
    """``GET /reports/accounts``: the findings (of one region, when asked) and counts by region."""

    findings: list[AccountFinding] = Field(default_factory=list)
    by_region: dict[str, int] = Field(default_factory=dict)


Named = str | dict[str, Any]
"""A user, holder or token in a report: a name, or an object with at least a name in it."""


def name_of(item: Named) -> str:
    """What to call a report item: ``admin``, ``admin (440000)`` for a holder with scopes,
    ``li.na/nightly`` for a token."""
    if isinstance(item, str):
        return item
    user, name = item.get("user"), item.get("name")
    if isinstance(user, str) and isinstance(name, str):
        return f"{user}/{name}"
    username = item.get("username")
    if not isinstance(username, str):
        return "?"
    scopes = item.get("scopes")
    if isinstance(scopes, list) and scopes:
        return f"{username} ({', '.join(str(code) for code in scopes)})"
    return username


class AccessReviewSummary(_Answer):
    """``GET /reports/access``: every user, the holders of the powerful permissions and the API
    tokens to question (live, and old or never used)."""

    at: datetime | None = None
    unused_after_days: int | None = None
    users: list[dict[str, Any]] = Field(default_factory=list)
    can_approve_runbooks: list[Named] = Field(default_factory=list)
    can_manage_users: list[Named] = Field(default_factory=list)
    flagged_tokens: list[Named] = Field(
        default_factory=list, validation_alias=AliasChoices("flagged_tokens", "stale_tokens")
    )

    def count_users(self, flag: str) -> int:
        """How many users have ``flag`` (``unused``, ``disabled``) set."""
        return sum(1 for user in self.users if user.get(flag) is True)


class ReviewChanges(_Answer):
    """``GET /reports/changes``: what changed since the last signed review (everything, when
    none was signed)."""

    since_review: int | None = None
    since: datetime | None = None
    reviewer: str | None = None
    changes: dict[str, list[Any]] = Field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(len(items) for items in self.changes.values())


class SignedReview(_Answer):
    """``POST /reports/reviews``: the review just signed."""

    id: int
    reviewer: str
    users: int = 0
    findings: int = 0
