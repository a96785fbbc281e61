"""Counter deltas turned into rates, with wraps and agent restarts handled.

SNMP counters only ever go up, until they wrap (a Counter32 at 2^32; a Counter64 in practice
never within a poll interval) or the agent restarts and they start again from zero. A restart is
told apart from a wrap by sysUpTime going backwards; then there is no rate for that interval rather
than a spike of petabits. A 32-bit wrap is believed only when the rate it implies is possible on
the interface; otherwise the counter was reset (cleared by an operator, or a line card replaced).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

COUNTER32_MODULUS = 2**32
COUNTER64_MODULUS = 2**64
# A wrapped delta may exceed the interface speed by this factor before it is disbelieved:
# agents sample counters a little before or after they answer, so short intervals overshoot.
_SPEED_SLACK = 1.5


@dataclass(frozen=True, slots=True)
class CounterReading:
    """One counter's value at one time."""

    value: int
    width_bits: int
    """32 or 64: which modulus the counter wraps at."""
    at_s: float
    """When it was read, epoch seconds."""
    uptime_s: float | None = None
    """The agent's sysUpTime when it was read, to detect restarts."""


@dataclass(frozen=True, slots=True)
class _Previous:
    value: int
    width_bits: int
    at_s: float
    uptime_s: float | None


class RateCalculator:
    """Keeps the last reading of each counter and turns the next one into a per-second rate."""

    def __init__(self) -> None:
        self._previous: dict[Hashable, _Previous] = {}

    def __len__(self) -> int:
        return len(self._previous)

    def rate(
        self, key: Hashable, reading: CounterReading, max_per_s: float | None = None
    ) -> float | None:
        """Units per second since the last reading of ``key``; ``None`` when there is none to
        compare with, the agent restarted, or the counter was reset.

        ``max_per_s`` is the largest believable rate (e.g. the interface speed in octets/s); it
        decides whether a 32-bit counter that went down wrapped or was reset.
        """
        return self.rate_of(
            key, reading.value, reading.width_bits, reading.at_s, reading.uptime_s, max_per_s
        )

    def rate_of(
        self,
        key: Hashable,
        value: int,
        width_bits: int,
        at_s: float,
        uptime_s: float | None,
        max_per_s: float | None = None,
    ) -> float | None:
        """:meth:`rate` without building a :class:`CounterReading` (the poller's hot path)."""
        previous = self._previous.get(key)
        self._previous[key] = _Previous(value, width_bits, at_s, uptime_s)
        if previous is None:
            return None
        elapsed_s = at_s - previous.at_s
        if elapsed_s <= 0:
            return None
        if previous.width_bits != width_bits:
            return None  # the device switched between 32- and 64-bit counters: no common base
        if _restarted(previous.uptime_s, uptime_s, elapsed_s):
            return None
        delta = value - previous.value
        if delta < 0:
            if width_bits != 32:
                return None  # a 64-bit counter does not wrap in one interval: it was reset
            delta += COUNTER32_MODULUS
            if max_per_s is not None and delta / elapsed_s > max_per_s * _SPEED_SLACK:
                return None
        return delta / elapsed_s

    def forget(self, prefix_match: Hashable) -> None:
        """Drop every counter whose key is a tuple starting with ``prefix_match``."""
        doomed = [k for k in self._previous if isinstance(k, tuple) and k and k[0] == prefix_match]
        for key in doomed:
            del self._previous[key]


def _restarted(before_s: float | None, after_s: float | None, elapsed_s: float) -> bool:
    """sysUpTime went backwards, or moved far less than wall time (a restart in between)."""
    if before_s is None or after_s is None:
        return False
    if after_s < before_s:
        return True
    # Uptime that advanced far less than the wall clock, on an agent up for less than the
    # interval, means it restarted in between (twice, or right after the previous poll).
    return after_s <= elapsed_s * 1.1 and after_s - before_s < elapsed_s * 0.5
