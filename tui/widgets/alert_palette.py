"""How alerts read at a glance: one colour per severity, everywhere in the console — critical
red, major orange, minor yellow, warning cyan, info dim — and dimmed once someone holds the alert,
something mutes it, or it has resolved."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.style import Style
from rich.text import Text

from tui.alert_models import AlertInfo, AlertStatus, Severity

SEVERITY_STYLE: dict[Severity, Style] = {
    Severity.CRITICAL: Style(color="red", bold=True),
    Severity.MAJOR: Style(color="dark_orange", bold=True),
    Severity.MINOR: Style(color="yellow"),
    Severity.WARNING: Style(color="cyan"),
    Severity.INFO: Style(color="bright_black"),
}
FIRING_MARK = "●"
PENDING_MARK = "◌"
"""Pending: the condition holds, not yet long enough to fire."""
DIM = "bright_black"
QUIET = Style(dim=True)
"""Laid over an alert someone holds, or something mutes: still there, no longer shouting."""


def severity_text(severity: Severity, *, pending: bool = False, quiet: bool = False) -> Text:
    """``● critical`` in the severity's colour (``◌`` while pending; dimmed when ``quiet``)."""
    style = SEVERITY_STYLE[severity] + QUIET if quiet else SEVERITY_STYLE[severity]
    return Text(f"{PENDING_MARK if pending else FIRING_MARK} {severity.value}", style=style)


def severity_counts(counts: dict[Severity, int]) -> Text:
    """``2 critical · 3 major · 0 minor …``, each coloured when there is any."""
    line = Text()
    for severity in Severity:
        count = counts.get(severity, 0)
        if line:
            line.append(" · ")
        line.append(f"{count} {severity.value}", SEVERITY_STYLE[severity] if count else DIM)
    return line


def alert_counts(alerts: Sequence[AlertInfo], muted: Mapping[str, Sequence[str]]) -> Text:
    """``firing: 2 critical · 4 major …   1 pending   1 held   0 muted``: the firing ones
    nobody holds and nothing mutes by severity, then the rest."""
    firing = [a for a in alerts if a.status is AlertStatus.FIRING]
    held = [a for a in firing if a.acknowledgement is not None]
    silent = [a for a in firing if muted.get(a.fingerprint)]
    loud = [a for a in firing if a not in held and a not in silent]
    line = Text("firing: ", "bold")
    line.append_text(severity_counts({s: sum(a.severity is s for a in loud) for s in Severity}))
    pending = sum(a.status is AlertStatus.PENDING for a in alerts)
    for count, words in ((pending, "pending"), (len(held), "held"), (len(silent), "muted")):
        line.append(f"   {count} {words}", "" if count else DIM)
    if not loud:
        line.append("   nothing firing that nobody holds", "green")
    return line
