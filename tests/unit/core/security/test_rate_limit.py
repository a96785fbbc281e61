"""Login attempts per client over a sliding minute, on a fake clock."""

from __future__ import annotations

import pytest

from core.clock import FakeClock
from core.errors import RateLimited
from core.security.rate_limit import LoginRateLimiter


def attempt(limiter: LoginRateLimiter, client: str) -> None:
    limiter.check(client)
    limiter.record(client)


def test_the_limit_holds_within_a_minute_per_client(clock: FakeClock) -> None:
    limiter = LoginRateLimiter(clock, attempts_per_minute=3)
    for _ in range(3):
        attempt(limiter, "10.0.0.1")
        clock.advance(10)
    with pytest.raises(RateLimited) as limited:
        limiter.check("10.0.0.1")
    assert limited.value.retry_after_s == pytest.approx(30.0)
    attempt(limiter, "10.0.0.2")  # another client is not affected


def test_the_window_slides(clock: FakeClock) -> None:
    limiter = LoginRateLimiter(clock, attempts_per_minute=2)
    attempt(limiter, "c")
    clock.advance(30)
    attempt(limiter, "c")
    clock.advance(29.9)
    with pytest.raises(RateLimited) as limited:
        limiter.check("c")
    assert limited.value.retry_after_s == pytest.approx(0.1)
    clock.advance(0.1)
    attempt(limiter, "c")  # the first attempt left the window
    with pytest.raises(RateLimited) as limited:
        limiter.check("c")
    assert limited.value.retry_after_s == pytest.approx(30.0)


def test_checking_alone_does_not_count(clock: FakeClock) -> None:
    limiter = LoginRateLimiter(clock, attempts_per_minute=1)
    for _ in range(5):
        limiter.check("c")
    limiter.record("c")
    with pytest.raises(RateLimited):
        limiter.check("c")


def test_quiet_clients_are_forgotten(clock: FakeClock) -> None:
    limiter = LoginRateLimiter(clock, attempts_per_minute=5)
    for number in range(100):
        limiter.record(f"10.0.{number}.1")
    assert limiter.tracked_clients() == 100
    clock.advance(61)
    limiter.record("10.9.9.9")
    assert limiter.tracked_clients() == 1


def test_memory_is_bounded_even_within_a_window(clock: FakeClock) -> None:
    limiter = LoginRateLimiter(clock, attempts_per_minute=5, max_clients=10)
    for number in range(50):
        limiter.record(f"client-{number}")
    assert limiter.tracked_clients() == 10
    for _ in range(100):
        limiter.record("busy")
    assert limiter.tracked_clients() == 10


def test_a_limit_below_one_is_refused(clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        LoginRateLimiter(clock, attempts_per_minute=0)
