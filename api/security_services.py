"""What the user, audit and report routes serve from (one bundle, optional as a whole)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.security.access_review import AccessReviewStore
from core.security.audit_trail import AuditTrail
from core.security.rate_limit import LoginRateLimiter
from core.security.users import UserDirectory


@dataclass(frozen=True)
class SecurityServices:
    users: UserDirectory
    """NOC users, logins, sessions and API tokens."""
    trail: AuditTrail
    """The audit trail, for searching, verifying and exporting it."""
    login_limiter: LoginRateLimiter
    """Login attempts per client address."""
    reviews: AccessReviewStore
    """Signed-off access reviews, for "changes since the last review"."""
    account_policy_path: Path | None
    """The approved-accounts policy file; None: the account audit answers 503."""
    credential_names: tuple[tuple[str, str], ...] = ()
    """(kind, name) of the device credentials in use — names only, never a secret."""
