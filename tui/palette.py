"""How states look: one colour per device status and per interface state, everywhere."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from core.model import Status

STATUS_STYLE: dict[Status, Style] = {
    Status.UP: Style(color="green"),
    Status.DEGRADED: Style(color="yellow", bold=True),
    Status.DOWN: Style(color="red", bold=True),
    Status.UNKNOWN: Style(color="bright_black"),
}
STATUS_MARK = "●"

# ifAdminStatus / ifOperStatus words, as the collectors store them.
_PORT_STYLE: dict[str, Style] = {
    "up": Style(color="green"),
    "down": Style(color="red"),
    "testing": Style(color="yellow"),
    "dormant": Style(color="yellow"),
    "lowerLayerDown": Style(color="red"),
    "notPresent": Style(color="bright_black"),
}
_DIM = Style(color="bright_black")


def status_text(status: Status) -> Text:
    return Text(status.value, style=STATUS_STYLE[status])


def port_state_text(state: str | None, muted: bool = False) -> Text:
    """``muted``: the state is expected (a port shut down on purpose), so it must not alarm."""
    if state is None:
        return Text("—", style=_DIM)
    return Text(state, style=_DIM if muted else _PORT_STYLE.get(state, _DIM))


def utilisation_text(percent: float | None) -> Text:
    """Busy links stand out before they saturate."""
    if percent is None:
        return Text("—", style=_DIM, justify="right")
    style = Style()
    if percent >= 90:
        style = Style(color="red", bold=True)
    elif percent >= 70:
        style = Style(color="yellow")
    return Text(f"{percent:.1f}%", style=style, justify="right")
