"""Rates, speeds and spans as people read them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tui.units import format_age, format_duration, format_percent, format_rate, format_speed


@pytest.mark.parametrize(
    ("bps", "text"),
    [
        (None, "—"),
        (0.0, "0 b/s"),
        (950.0, "950 b/s"),
        (999.4, "999 b/s"),
        (999.6, "1.00 kb/s"),
        (2_400.0, "2.40 kb/s"),
        (950e3, "950 kb/s"),
        (8.5e6, "8.50 Mb/s"),
        (45.2e6, "45.2 Mb/s"),
        (512e6, "512 Mb/s"),
        (2.4e9, "2.40 Gb/s"),
        (1.5e13, "15.0 Tb/s"),
    ],
)
def test_rates_in_si_bits_per_second(bps: float | None, text: str) -> None:
    assert format_rate(bps) == text


@pytest.mark.parametrize(
    ("bps", "text"),
    [
        (None, "—"),
        (0, "—"),
        (100_000_000, "100M"),
        (10**9, "1G"),
        (10 * 10**9, "10G"),
        (2_500_000_000, "2.5G"),
    ],
)
def test_interface_speeds_compact(bps: int | None, text: str) -> None:
    assert format_speed(bps) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (12, "12s"),
        (45 * 60 + 10, "45m 10s"),
        (3 * 3600 + 25 * 60, "3h 25m"),
        (40 * 86400 + 3 * 3600 + 59, "40d 3h"),
        (-5, "0s"),
    ],
)
def test_durations_in_the_two_largest_units(seconds: float | None, text: str) -> None:
    assert format_duration(seconds) == text


def test_age_is_against_the_given_now() -> None:
    now = datetime(2026, 3, 1, 8, 0, 30, tzinfo=UTC)
    assert format_age(now - timedelta(seconds=30), now) == "30s ago"
    assert format_age(None, now) == "—"
    # Without the server's time, the absolute UTC time rather than a guess.
    assert format_age(now, None) == "2026-03-01 08:00:30 UTC"


def test_percent() -> None:
    assert format_percent(None) == "—"
    assert format_percent(23.46) == "23.5%"
