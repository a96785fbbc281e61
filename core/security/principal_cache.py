"""A few seconds' memory of who a token is, so a burst of API requests costs one SELECT.

Keyed by the token's digest (never the token). An entry lives ``ttl_s`` on the clock's monotonic
time and never past the token's own expiry. Changes made through the same
:class:`~core.security.users.UserDirectory` (logout, disable, password reset, grants, token
revocation) drop the user's entries at once; a change made by another process (the CLI while the
server runs) is seen within ``ttl_s`` — which is why the TTL stays at a few seconds.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from core.clock import Clock
from core.security.principal import Principal

DEFAULT_TTL_S = 5.0
DEFAULT_MAX_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class _Entry:
    principal: Principal
    fresh_until: float
    """Monotonic seconds."""
    token_expires_at: datetime


class PrincipalCache:
    """Principals by token digest, for at most ``ttl_s`` seconds each (0 turns it off).

    Thread-safe: the API authenticates from several worker threads."""

    def __init__(
        self, clock: Clock, ttl_s: float = DEFAULT_TTL_S, max_entries: int = DEFAULT_MAX_ENTRIES
    ) -> None:
        self._clock = clock
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> Principal | None:
        """The principal cached for ``digest``, or None when absent, stale or its token expired."""
        if self._ttl_s <= 0:
            return None
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None:
                return None
            if entry.fresh_until <= self._clock.monotonic() or (
                entry.token_expires_at <= self._clock.now()
            ):
                del self._entries[digest]
                return None
            return entry.principal

    def put(self, digest: str, principal: Principal, token_expires_at: datetime) -> None:
        if self._ttl_s <= 0:
            return
        now = self._clock.monotonic()
        with self._lock:
            if len(self._entries) >= self._max_entries:
                self._entries = {d: e for d, e in self._entries.items() if e.fresh_until > now}
                if len(self._entries) >= self._max_entries:
                    # Still full of fresh entries: start over rather than grow without bound.
                    self._entries.clear()
            self._entries[digest] = _Entry(principal, now + self._ttl_s, token_expires_at)

    def forget_user(self, user_id: int) -> None:
        """Drop every entry of a user (their sessions, tokens or grants just changed)."""
        with self._lock:
            self._entries = {
                d: e for d, e in self._entries.items() if e.principal.user_id != user_id
            }

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
