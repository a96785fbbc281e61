"""Numbers as people read them in a NOC: rates in SI bits per second, spans in days and hours.

Every function takes ``None`` (not measured yet) and answers a dash, so tables never show "None".
"""

from __future__ import annotations

from datetime import datetime

MISSING = "—"
_RATE_UNITS = ("b/s", "kb/s", "Mb/s", "Gb/s", "Tb/s")
_SPEED_UNITS = ("", "k", "M", "G", "T")


def _three_digits(value: float) -> str:
    # Three significant digits keep a column's width steady as rates change.
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_rate(bps: float | None) -> str:
    """``512e6`` → ``512 Mb/s``; SI (1000) steps, as line rates are sold."""
    if bps is None:
        return MISSING
    if bps < 1:
        return "0 b/s"
    value, unit = float(bps), 0
    while value >= 999.5 and unit < len(_RATE_UNITS) - 1:
        value /= 1000
        unit += 1
    if unit == 0:
        return f"{value:.0f} b/s"
    return f"{_three_digits(value)} {_RATE_UNITS[unit]}"


def format_speed(bps: int | None) -> str:
    """Interface speed, compact: ``1G``, ``10G``, ``100M``."""
    if not bps:
        return MISSING
    value, unit = float(bps), 0
    while value >= 1000 and unit < len(_SPEED_UNITS) - 1:
        value /= 1000
        unit += 1
    text = f"{value:.0f}" if value == int(value) else f"{value:.1f}"
    return f"{text}{_SPEED_UNITS[unit]}"


def format_duration(seconds: float | None) -> str:
    """The two largest units: ``40d 3h``, ``3h 25m``, ``45m 10s``, ``12s``."""
    if seconds is None:
        return MISSING
    total = max(int(seconds), 0)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"


def format_age(when: datetime | None, now: datetime | None) -> str:
    """How long before ``now`` (the server's clock, so a skewed console clock does not lie)."""
    if when is None:
        return MISSING
    if now is None:
        return format_time(when)
    return f"{format_duration((now - when).total_seconds())} ago"


def format_time(when: datetime | None) -> str:
    """UTC wall time, labelled, as every timestamp in ssnoc is UTC."""
    if when is None:
        return MISSING
    return when.strftime("%Y-%m-%d %H:%M:%S UTC")


def format_percent(value: float | None) -> str:
    if value is None:
        return MISSING
    return f"{value:.1f}%"
