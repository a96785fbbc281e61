"""The refusal throttle's memory: kinds quiet for a minute go, the count of a held-back flood
waits for its next record, and no more than MAX_KINDS are kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api import heartbeat_refusals
from api.heartbeat_refusals import RefusalThrottle

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def test_quiet_kinds_are_forgotten_and_held_back_counts_kept() -> None:
    throttle = RefusalThrottle()
    assert throttle.admit("client a", "no credential sent", T0) == "no credential sent"
    assert throttle.admit("client b", "no credential sent", T0) == "no credential sent"
    assert throttle.admit("client b", "no credential sent", T0) is None  # held back, counted
    later = T0 + timedelta(minutes=2)
    assert throttle.admit("client c", "no credential sent", later) == "no credential sent"
    assert [who for who, _ in throttle._kinds] == ["client b", "client c"]  # a was quiet
    assert throttle.admit("client b", "no credential sent", later) == (
        "no credential sent (and 1 more refused since 08:00:00 UTC)"
    )


def test_no_more_than_max_kinds_are_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heartbeat_refusals, "MAX_KINDS", 3)
    throttle = RefusalThrottle()
    for n in range(5):
        throttle.admit(f"client {n}", "unknown terminal", T0)
        throttle.admit(f"client {n}", "unknown terminal", T0)  # each one holding a count
    assert [who for who, _ in throttle._kinds] == ["client 2", "client 3", "client 4"]
