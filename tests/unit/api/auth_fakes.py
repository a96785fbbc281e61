"""Test doubles for the API's authentication and audit seams (pure logic: no users DB).

Route tests that are not about users use :class:`FakeAuthenticator` with fixed tokens; the
permission matrix and the user/audit route tests use the real directory and trail instead.
"""

from __future__ import annotations

from core.errors import AuthenticationFailed
from core.security.audit_trail import AuditEvent
from core.security.permissions import Role
from core.security.principal import Grant, Principal

ADMIN_TOKEN = "test-admin-token"
ADMIN = Principal(user_id=1, name="admin", grants=(Grant(Role.ADMIN, "440000"),))
ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


class FakeAuthenticator:
    """Fixed tokens → principals; anything else is refused like the real directory does."""

    def __init__(self, tokens: dict[str, Principal] | None = None) -> None:
        self.tokens = dict(tokens or {ADMIN_TOKEN: ADMIN})

    def cached_principal(self, token: str) -> Principal | None:
        return None  # always the slow path: the tests exercise authenticate()

    def authenticate(self, token: str) -> Principal:
        try:
            return self.tokens[token]
        except KeyError:
            raise AuthenticationFailed("unknown token") from None


class FakeAuditSink:
    """Keeps every event, in order."""

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def append(self, event: AuditEvent) -> AuditEvent:
        self.events.append(event)
        return event
