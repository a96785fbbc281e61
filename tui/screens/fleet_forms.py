"""The fleet screens' dialogs: why a terminal or a rollout is changed (a reason, recorded in its
history and the audit trail), and a new rollout (component, versions, scope, pilot, waves).

Waves are typed as people say them — ``10,50,100`` — cumulative percentages that must grow;
regions as division codes separated by commas or spaces. Enter in any field submits; Esc cancels.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import TypeVar

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Select, Static

from core.security.scope import is_region_code
from tui.fleet_client import RolloutDraft
from tui.screens.alert_forms import FormDialog

T = TypeVar("T")

_SEPARATORS = re.compile(r"[,\s，、]+")
COMPONENTS = (("firmware", "firmware"), ("parameters", "parameter"))
"""(label, value) of what a rollout may change."""
DEFAULT_WAVES = "10,50,100"


def _words(text: str) -> list[str]:
    return [word for word in _SEPARATORS.split(text.strip()) if word]


def parse_waves(text: str) -> tuple[float, ...]:
    """``10,50,100`` → ``(10.0, 50.0, 100.0)``; :class:`ValueError` saying what is wrong."""
    words = _words(text)
    if not words:
        raise ValueError("give the waves as growing percentages, e.g. 10,50,100")
    try:
        waves = tuple(float(word.removesuffix("%")) for word in words)
    except ValueError:
        raise ValueError(f"'{text}' is not a list of percentages: try 10,50,100") from None
    if any(not 0 < wave <= 100 for wave in waves):
        raise ValueError("every wave is a percentage above 0 and at most 100")
    if any(later <= earlier for earlier, later in pairwise(waves)):
        raise ValueError("waves are cumulative: each must be larger than the one before")
    return waves


def parse_regions(text: str) -> tuple[str, ...]:
    """``440103, 440104`` → the codes; empty for the whole fleet in reach."""
    codes = tuple(_words(text))
    wrong = [code for code in codes if not is_region_code(code)]
    if wrong:
        raise ValueError(f"not six-digit region codes: {', '.join(wrong)}")
    return codes


class _Dialog(FormDialog[T]):
    """The alert dialogs' behaviour, with the fleet dialogs' look."""

    CSS_PATH = "fleet_forms.tcss"


class ReasonScreen(_Dialog[str]):
    """Why a change is made: answers the reason, or None when cancelled."""

    def __init__(
        self,
        title: str,
        about: str,
        *,
        placeholder: str = "why: ticket, what happened",
        action: str = "Go on",
        required: bool = True,
        warning: str = "",
    ) -> None:
        super().__init__()
        self._title = title
        self._about = about
        self._placeholder = placeholder
        self._action = action
        self._required = required
        self._warning = warning

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self._about, classes="about")
            if self._warning:
                yield Static(self._warning, classes="warning")
            yield Input(placeholder=self._placeholder, id="reason")
            yield from self._buttons(self._action)

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = self._title
        self.query_one("#dialog").border_subtitle = "recorded in its history and the audit trail"
        self.query_one("#reason", Input).focus()

    def submit(self) -> None:
        reason = self.value("#reason")
        if self._required and not reason:
            self.show_error("say why (the reason is required)")
            return
        self.dismiss(reason)


class RolloutFormScreen(_Dialog[RolloutDraft]):
    """A new rollout: answers a :class:`~tui.fleet_client.RolloutDraft`, or None."""

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Select(COMPONENTS, value="firmware", allow_blank=False, id="component")
            yield Input(placeholder="target version, e.g. 3.3.0", id="target")
            yield Input(placeholder="previous version (what a roll back returns to)", id="previous")
            yield Input(placeholder="regions: 440100 440604 (empty: all you reach)", id="regions")
            yield Input(placeholder="pilot size: terminals first, e.g. 5", id="pilot")
            yield Input(DEFAULT_WAVES, placeholder="waves, e.g. 10,50,100", id="waves")
            yield from self._buttons("Create")

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = "new rollout"
        self.query_one("#dialog").border_subtitle = "created as a draft: s starts it"
        self.query_one("#target", Input).focus()

    def submit(self) -> None:
        target = self.value("#target")
        if not target:
            self.show_error("which version? (the target version is required)")
            return
        previous = self.value("#previous") or None
        if previous == target:
            self.show_error("the previous version is the target version")
            return
        pilot_text = self.value("#pilot") or "0"
        if not pilot_text.isdigit():
            self.show_error(f"the pilot size is a number of terminals, not '{pilot_text}'")
            return
        try:
            regions = parse_regions(self.value("#regions"))
            waves = parse_waves(self.value("#waves"))
        except ValueError as exc:
            self.show_error(str(exc))
            return
        component = str(self.query_one("#component", Select).value)
        draft = RolloutDraft(
            component=component,
            target_version=target,
            previous_version=previous,
            regions=regions,
            pilot_size=int(pilot_text),
            waves=waves,
        )
        self.dismiss(draft)
