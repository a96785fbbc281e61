"""Counter deltas to rates: wraps, resets, agent restarts."""

from __future__ import annotations

import pytest

from collectors.snmp.rates import COUNTER32_MODULUS, CounterReading, RateCalculator


def reading(
    value: int, at_s: float, width: int = 64, uptime_s: float | None = None
) -> CounterReading:
    return CounterReading(value=value, width_bits=width, at_s=at_s, uptime_s=uptime_s)


def test_first_reading_has_no_rate_and_second_gives_delta_over_time() -> None:
    rates = RateCalculator()
    assert rates.rate("k", reading(1_000, 100.0)) is None
    assert rates.rate("k", reading(61_000, 160.0)) == pytest.approx(1_000.0)


def test_each_key_has_its_own_history() -> None:
    rates = RateCalculator()
    rates.rate("a", reading(0, 0.0))
    rates.rate("b", reading(500, 0.0))
    assert rates.rate("a", reading(100, 10.0)) == pytest.approx(10.0)
    assert rates.rate("b", reading(600, 10.0)) == pytest.approx(10.0)


def test_counter32_wrap_is_counted_across_the_modulus() -> None:
    rates = RateCalculator()
    rates.rate("k", reading(COUNTER32_MODULUS - 1_000, 0.0, width=32))
    # 1,000 octets to the top, then 5,000 past zero: 6,000 octets in 60 s.
    assert rates.rate("k", reading(5_000, 60.0, width=32)) == pytest.approx(100.0)


def test_counter32_wrap_that_would_exceed_the_interface_speed_is_a_reset() -> None:
    rates = RateCalculator()
    rates.rate("k", reading(4_000_000_000, 0.0, width=32))
    # Going down by 3.9e9 would mean ~4e9 octets in 1 s on a 100 Mb/s (12.5e6 octets/s) port.
    assert rates.rate("k", reading(100_000_000, 1.0, width=32), max_per_s=12.5e6) is None
    # The new value is the next baseline.
    assert rates.rate("k", reading(100_012_500, 2.0, width=32), max_per_s=12.5e6) == pytest.approx(
        12_500.0
    )


def test_counter64_going_down_is_a_reset_not_a_wrap() -> None:
    rates = RateCalculator()
    rates.rate("k", reading(10**15, 0.0))
    assert rates.rate("k", reading(1_000, 60.0)) is None
    assert rates.rate("k", reading(61_000, 120.0)) == pytest.approx(1_000.0)


def test_agent_restart_detected_by_uptime_going_backwards_gives_no_spike() -> None:
    rates = RateCalculator()
    rates.rate("k", reading(10**12, 0.0, uptime_s=86_400.0))
    # The counter restarted near zero; a naive delta would be ~2^64 octets.
    assert rates.rate("k", reading(5_000, 60.0, uptime_s=20.0)) is None
    assert rates.rate("k", reading(65_000, 120.0, uptime_s=80.0)) == pytest.approx(1_000.0)


def test_agent_restart_between_polls_with_counter_already_past_old_value() -> None:
    rates = RateCalculator()
    # Previous poll came right after a restart; the agent restarted again and its counter
    # has already climbed above the old value: only the uptime tells.
    rates.rate("k", reading(100, 0.0, uptime_s=10.0))
    assert rates.rate("k", reading(900, 60.0, uptime_s=15.0)) is None


def test_counter32_restart_is_not_mistaken_for_a_wrap() -> None:
    rates = RateCalculator()
    rates.rate("k", reading(3_000_000_000, 0.0, width=32, uptime_s=500.0))
    assert rates.rate("k", reading(1_000, 60.0, width=32, uptime_s=30.0)) is None


def test_switch_between_counter_widths_gives_no_rate() -> None:
    rates = RateCalculator()
    rates.rate("k", reading(1_000, 0.0, width=32))
    assert rates.rate("k", reading(2_000, 60.0, width=64)) is None


def test_same_or_earlier_timestamp_gives_no_rate() -> None:
    rates = RateCalculator()
    rates.rate("k", reading(1_000, 60.0))
    assert rates.rate("k", reading(2_000, 60.0)) is None


def test_forget_drops_a_devices_counters() -> None:
    rates = RateCalculator()
    rates.rate(("dev1", 1, "in"), reading(0, 0.0))
    rates.rate(("dev2", 1, "in"), reading(0, 0.0))
    rates.forget("dev1")
    assert len(rates) == 1
    assert rates.rate(("dev1", 1, "in"), reading(100, 10.0)) is None
