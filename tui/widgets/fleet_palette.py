"""How the card-terminal fleet reads at a glance, on every fleet screen: online share green at
95 % and above, yellow from 80 %, red below; life states, PSAM states, read-failure rates and
rollout states each in one colour."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from tui.units import MISSING

ONLINE_GOOD = 0.95
"""An area with at least this share of its active terminals online is healthy (green)."""
ONLINE_FAIR = 0.80
"""From this share up to :data:`ONLINE_GOOD` it wants a look (yellow); below, red."""
FAILURES_BAD = 0.10
"""A read-failure rate from which a terminal or an area is in trouble (red): the fleet's
outlier floor."""
FAILURES_FAIR = 0.03
"""A read-failure rate worth a look (yellow)."""

DIM = "bright_black"
GOOD = Style(color="green")
FAIR = Style(color="yellow", bold=True)
BAD = Style(color="red", bold=True)

STATE_STYLE: dict[str, Style] = {
    "registered": Style(color="cyan"),
    "provisioned": Style(color="blue", bold=True),
    "active": GOOD,
    "suspended": FAIR,
    "lost": BAD,
    "retired": Style(color=DIM),
}
PSAM_STYLE: dict[str, Style] = {"ok": GOOD, "missing": BAD, "error": BAD}
ROLLOUT_STYLE: dict[str, Style] = {
    "draft": Style(color="cyan"),
    "running": Style(color="green", bold=True),
    "paused": FAIR,
    "halted": BAD,
    "completed": GOOD,
    "rolled_back": Style(color="magenta"),
}
OUTCOME_STYLE: dict[str, Style] = {"passed": GOOD, "failed": BAD, "overridden": FAIR}


def counted(count: int, word: str, plural: str | None = None) -> str:
    """``1 county``, ``2 counties``: a count with its noun."""
    return f"{count} {word if count == 1 else plural or word + 's'}"


def online_style(share: float | None) -> Style:
    """The health colour of an online share (0..1); dim when there is nothing to count."""
    if share is None:
        return Style(color=DIM)
    if share >= ONLINE_GOOD:
        return GOOD
    if share >= ONLINE_FAIR:
        return FAIR
    return BAD


def percent(share: float | None) -> str:
    """``0.9375`` → ``93.8%``; a dash for None."""
    return MISSING if share is None else f"{share * 100:.1f}%"


def online_text(share: float | None, online: int, active: int) -> Text:
    """``93.8% 15/16`` in the share's health colour."""
    if share is None:
        return Text(f"{MISSING} 0/0", style=DIM, justify="right")
    return Text(f"{percent(share)} {online}/{active}", style=online_style(share), justify="right")


def failure_rate_text(rate: float | None) -> Text:
    if rate is None:
        return Text(MISSING, style=DIM, justify="right")
    style = BAD if rate >= FAILURES_BAD else FAIR if rate >= FAILURES_FAIR else Style()
    return Text(percent(rate), style=style, justify="right")


def count_text(count: int, style: Style = FAIR) -> Text:
    """A count of troubles: dim at zero, ``style`` otherwise."""
    return Text(str(count), style=style if count else Style(color=DIM), justify="right")


def state_text(state: str) -> Text:
    return Text(state, style=STATE_STYLE.get(state, Style(color=DIM)))


def psam_text(status: str | None) -> Text:
    if status is None:
        return Text(MISSING, style=DIM)
    return Text(status, style=PSAM_STYLE.get(status, FAIR))


def online_mark(online: bool | None) -> Text:
    """``● online`` / ``○ silent`` / a dash for a terminal never heard from."""
    if online is None:
        return Text(f"○ {MISSING}", style=DIM)
    return Text("● online", style=GOOD) if online else Text("○ silent", style=BAD)


def rollout_state_text(state: str) -> Text:
    return Text(state, style=ROLLOUT_STYLE.get(state, Style(color=DIM)))


def outcome_text(outcome: str | None, passed: bool | None) -> Text:
    """A wave's gate: ``passed``, ``failed``, ``overridden`` or ``soaking`` until judged."""
    word = outcome or (
        {True: "passed", False: "failed"}.get(passed) if passed is not None else None
    )
    if word is None:
        return Text("soaking", style=Style(color="cyan"))
    return Text(word, style=OUTCOME_STYLE.get(word, Style(color=DIM)))
