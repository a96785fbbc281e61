"""The alert screen's table: one row per alert, worst first, each root cause with its consequences
folded under it.

Order: firing alerts nobody holds, by severity (critical first) and newest first within one; then
pending ones; then those someone holds or something mutes (dimmed, with who, their note and until
when); then — when asked for — the resolved. A consequence sits under its root cause whatever its
own state; a folded root says how many it hides (``+3 consequences``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding, BindingType

from tui.alert_models import AlertInfo, AlertStatus
from tui.units import MISSING, format_duration
from tui.widgets.alert_palette import DIM, QUIET, severity_text
from tui.widgets.keyed_table import Column, KeyedTable, Row

_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")
SUMMARY_WIDTH = 40
NOTE_STYLE = "green"
MUTED_STYLE = "magenta"


@dataclass(frozen=True)
class AlertLine:
    """One row: an alert, how deep under its root cause, and what it folds."""

    alert: AlertInfo
    depth: int
    """0 for a root cause or an alert on its own; 1 and more under a root cause."""
    consequences: int
    """How many alerts are folded under this one (all depths)."""
    unfolded: bool
    muted_by: tuple[str, ...] = ()
    """``silence <id>``, ``maintenance <id>``: what mutes it now."""

    @property
    def quiet(self) -> bool:
        """Someone holds it or something mutes it: shown, but not shouting."""
        return self.alert.acknowledgement is not None or bool(self.muted_by)


def _rank(alert: AlertInfo, quiet: bool) -> tuple[int, int, float, str]:
    if alert.status is AlertStatus.RESOLVED:
        group = 3
    elif quiet:
        group = 2
    else:
        group = 0 if alert.status is AlertStatus.FIRING else 1
    since = alert.since.timestamp() if alert.since else 0.0
    return (group, -alert.severity.rank, -since, alert.fingerprint)


def alert_lines(
    alerts: Sequence[AlertInfo],
    unfolded: Collection[str],
    muted: Mapping[str, Sequence[str]],
    *,
    show_resolved: bool = False,
    unfold_all: bool = False,
) -> list[AlertLine]:
    """The rows in order (see the module docstring): the consequences of the roots in
    ``unfolded`` (every root's, with ``unfold_all``) under them; the others folded."""
    shown = {
        a.fingerprint: a for a in alerts if show_resolved or a.status is not AlertStatus.RESOLVED
    }

    def rank(alert: AlertInfo) -> tuple[int, int, float, str]:
        quiet = alert.acknowledgement is not None or bool(muted.get(alert.fingerprint))
        return _rank(alert, quiet)

    under: dict[str, list[AlertInfo]] = {}
    roots: list[AlertInfo] = []
    for alert in shown.values():
        cause = alert.caused_by
        if cause is not None and cause in shown and cause != alert.fingerprint:
            under.setdefault(cause, []).append(alert)
        else:
            roots.append(alert)
    lines: list[AlertLine] = []
    placed: set[str] = set()

    def count(fingerprint: str, seen: frozenset[str]) -> int:
        kids = [k for k in under.get(fingerprint, []) if k.fingerprint not in seen]
        return sum(1 + count(k.fingerprint, seen | {k.fingerprint}) for k in kids)

    def place(alert: AlertInfo, depth: int, visible: bool) -> None:
        fingerprint = alert.fingerprint
        placed.add(fingerprint)
        is_open = unfold_all or fingerprint in unfolded
        if visible:
            folded = count(fingerprint, frozenset({fingerprint}))
            causes = tuple(muted.get(fingerprint, ()))
            lines.append(AlertLine(alert, depth, folded, is_open, causes))
        for kid in sorted(under.get(fingerprint, []), key=rank):
            if kid.fingerprint not in placed:
                place(kid, depth + 1, visible and is_open)

    for root in sorted(roots, key=rank):
        place(root, 0, True)
    # Causes that point at each other in a ring have no root: shown on their own, not lost.
    for alert in sorted(shown.values(), key=rank):
        if alert.fingerprint not in placed:
            place(alert, 0, True)
    return lines


def _name(line: AlertLine) -> Text:
    if line.depth:
        marker = "  " * (line.depth - 1) + "  └ "
    elif line.consequences:
        marker = "▾ " if line.unfolded else "▸ "
    else:
        marker = "  "
    style = DIM if line.alert.status is AlertStatus.RESOLVED else ""
    text = Text(marker + line.alert.rule, style=style)
    if line.quiet:
        text.stylize(QUIET)
    return text


def _summary(line: AlertLine) -> Text:
    text = Text(line.alert.summary or line.alert.rule)
    if line.alert.status is AlertStatus.RESOLVED:
        text.stylize(DIM)
    elif line.quiet:
        text.stylize(QUIET)
    if not line.consequences or line.unfolded:
        return text
    n = line.consequences
    suffix = f" +{n} consequence{'s' if n != 1 else ''}"
    # The count must show whatever the summary's length: the summary gives way.
    text.truncate(SUMMARY_WIDTH - cell_len(suffix), overflow="ellipsis")
    text.append(suffix, style="italic bold")
    return text


def region_text(alert: AlertInfo, names: Mapping[str, str]) -> Text:
    """``荔湾区 440103``; a dash for a province-wide alert."""
    if alert.region is None:
        return Text(MISSING, style=DIM)
    name = names.get(alert.region)
    return Text(f"{name} {alert.region}" if name else alert.region)


def since_text(alert: AlertInfo, now: datetime | None) -> Text:
    """How long it has been firing (``12m 5s``), ``pending 40s``, ``resolved 3m``."""
    since = alert.since
    if since is None or now is None:
        return Text(MISSING, style=DIM)
    age = format_duration((now - since).total_seconds())
    if alert.status is AlertStatus.FIRING:
        return Text(age)
    return Text(f"{alert.status.value} {age}", style=DIM)


def ack_text(line: AlertLine) -> Text:
    """``✓ wang: on my way until 10:30``, and ``muted`` when something mutes it."""
    text = Text()
    if line.muted_by:
        text.append("muted", MUTED_STYLE)
    ack = line.alert.acknowledgement
    if ack is not None:
        if text:
            text.append(" · ")
        taken = f"✓ {ack.by}" + (f": {ack.note}" if ack.note else "")
        if ack.expires_at is not None:
            taken += f" until {ack.expires_at:%H:%M}"
        text.append(taken, NOTE_STYLE)
    return text


def cursor_text(line: AlertLine) -> Text:
    """The line under the table: the whole summary, who holds it, what mutes it."""
    text = Text(line.alert.summary, "bold")
    held = ack_text(line)
    if held:
        text.append("   ")
        text.append_text(held)
    if line.muted_by:
        text.append(f" by {', '.join(line.muted_by)}", DIM)
    return text


def alert_row(line: AlertLine, now: datetime | None, names: Mapping[str, str]) -> Row:
    alert = line.alert
    resolved = alert.status is AlertStatus.RESOLVED
    severity = severity_text(
        alert.severity, pending=alert.status is AlertStatus.PENDING, quiet=line.quiet
    )
    if resolved:
        severity = Text(f"○ {alert.severity.value}", style=DIM)
    device = alert.device or alert.labels.get("link") or alert.labels.get("site")
    return Row(
        key=alert.fingerprint,
        cells=(
            severity,
            _name(line),
            _summary(line),
            region_text(alert, names),
            Text(device or MISSING, style=DIM if resolved or not device else ""),
            since_text(alert, now),
            ack_text(line),
        ),
    )


class AlertTable(KeyedTable):
    DEFAULT_CSS = KeyedTable.DEFAULT_CSS + _CSS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Details"),
    ]

    # Fixed widths: rows come and go every few seconds, and the columns must not jump.
    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("severity", "SEVERITY", 10),
        Column("alert", "ALERT", 24),
        Column("summary", "SUMMARY", SUMMARY_WIDTH),
        Column("region", "REGION", 13),
        Column("device", "DEVICE", 17),
        Column("since", "SINCE", 12),
        Column("ack", "ACK", 26),
    )

    def show(
        self, lines: Sequence[AlertLine], now: datetime | None, names: Mapping[str, str]
    ) -> None:
        """``now``: the server's time, for how long each alert has been in its state."""
        self.set_rows([alert_row(line, now, names) for line in lines])
