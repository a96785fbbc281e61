"""Login attempts per client, limited over a sliding minute, in memory.

The lockout in :mod:`core.security.users` protects one account from many guesses; this protects
the server from one client guessing across many accounts (and from argon2 being used to burn its
CPU). Each client key (the address the API sees) keeps the times of its last attempts, at most
``attempts_per_minute`` of them; a client with no attempt inside the window is forgotten, and the
number of clients kept is capped, so memory stays bounded whatever arrives. State is per process:
behind several API processes each one counts on its own, which only makes the limit looser by
that factor.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque

from core.clock import Clock
from core.errors import RateLimited

WINDOW_S = 60.0
DEFAULT_MAX_CLIENTS = 100_000
"""Clients remembered at once; beyond it the least recently seen is forgotten."""


class LoginRateLimiter:
    """At most ``attempts_per_minute`` login attempts per client in any 60 s.

    Call :meth:`check` before an attempt and :meth:`record` for every attempt made, good or bad.
    Thread-safe: the API calls it from worker threads."""

    def __init__(
        self,
        clock: Clock,
        attempts_per_minute: int,
        *,
        window_s: float = WINDOW_S,
        max_clients: int = DEFAULT_MAX_CLIENTS,
    ) -> None:
        if attempts_per_minute < 1:
            raise ValueError("attempts_per_minute must be at least 1")
        self._clock = clock
        self._limit = attempts_per_minute
        self._window_s = window_s
        self._max_clients = max_clients
        self._attempts: OrderedDict[str, deque[float]] = OrderedDict()
        self._last_sweep = clock.monotonic()
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        """Raise :class:`RateLimited` (with the seconds until a slot frees) when ``client`` has
        used up its attempts in the window."""
        now = self._clock.monotonic()
        with self._lock:
            times = self._attempts.get(client)
            if times is None:
                return
            self._drop_old(times, now)
            if len(times) >= self._limit:
                raise RateLimited(max(times[0] + self._window_s - now, 0.0))

    def record(self, client: str) -> None:
        """Count one attempt by ``client`` now."""
        now = self._clock.monotonic()
        with self._lock:
            self._sweep(now)
            times = self._attempts.get(client)
            if times is None:
                # Only the newest `limit` attempts can decide a check, so older ones are dropped.
                times = deque(maxlen=self._limit)
                self._attempts[client] = times
            self._attempts.move_to_end(client)
            times.append(now)
            while len(self._attempts) > self._max_clients:
                self._attempts.popitem(last=False)

    def tracked_clients(self) -> int:
        """How many clients are remembered (for tests and metrics)."""
        with self._lock:
            return len(self._attempts)

    def _drop_old(self, times: deque[float], now: float) -> None:
        while times and times[0] <= now - self._window_s:
            times.popleft()

    def _sweep(self, now: float) -> None:
        # At most once a window: walking every client on every attempt would cost more than it
        # saves. Clients are kept in order of their last attempt, so the walk stops early.
        if now - self._last_sweep < self._window_s:
            return
        self._last_sweep = now
        while self._attempts:
            oldest_client, times = next(iter(self._attempts.items()))
            if times and times[-1] > now - self._window_s:
                break
            del self._attempts[oldest_client]
