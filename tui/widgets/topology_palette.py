"""How topology reads at a glance: one colour per failover state and per link status, and the
words for how long a site has been off its primary path — the same on every topology screen."""

from __future__ import annotations

from datetime import datetime

from rich.style import Style
from rich.text import Text

from tui.palette import STATUS_MARK
from tui.topology_models import FailoverState, LinkStatus, SiteFailover
from tui.units import MISSING, format_duration

FAILOVER_STYLE: dict[FailoverState, Style] = {
    FailoverState.ISOLATED: Style(color="red", bold=True),
    FailoverState.ON_BACKUP: Style(color="yellow", bold=True),
    FailoverState.ON_PRIMARY: Style(color="green"),
}
LINK_STYLE: dict[LinkStatus, Style] = {
    LinkStatus.UP: Style(color="green"),
    LinkStatus.DOWN: Style(color="red", bold=True),
    LinkStatus.UNKNOWN: Style(color="bright_black"),
}
DIM = "bright_black"


def failover_text(state: FailoverState | None) -> Text:
    if state is None:
        return Text(MISSING, style=DIM)
    return Text(state.words, style=FAILOVER_STYLE[state])


def failover_mark(state: FailoverState | None) -> Text:
    return Text(STATUS_MARK, style=FAILOVER_STYLE[state] if state else DIM)


def link_status_text(status: LinkStatus) -> Text:
    return Text(status.value, style=LINK_STYLE[status])


def off_primary_for(site: SiteFailover, now: datetime | None) -> str:
    """How long ``site`` has been off its primary path (``12m 5s``), before ``now`` — the
    answer's own time, so a skewed console clock does not lie; a dash when on its primary
    path or when the server cannot tell."""
    if site.state is FailoverState.ON_PRIMARY or site.left_primary_at is None or now is None:
        return MISSING
    return format_duration((now - site.left_primary_at).total_seconds())


def failover_words(site: SiteFailover, now: datetime | None) -> Text:
    """``on backup 12m 5s``, coloured by the state."""
    text = failover_text(site.state)
    since = off_primary_for(site, now)
    if since != MISSING:
        text.append(f" {since}")
    return text
