"""The alert screen's dialogs: take an alert (a note, maybe for how long), give it back (why),
and silence alerts (matchers drafted from the alert, for how long or until they resolve, why).

Durations are typed as people say them — ``30m``, ``2h``, ``1d``, ``1h30m`` — and turned into
times by the caller, against the server's clock. Enter in any field submits; Esc cancels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Static

from tui.alert_models import AlertInfo

T = TypeVar("T")

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_UNIT_S = (86400, 3600, 60, 1)
DEFAULT_SILENCE = "2h"


def parse_duration(text: str) -> float | None:
    """``1h30m`` → 5400.0; None for an empty text; :class:`ValueError` for anything else."""
    compact = text.replace(" ", "").lower()
    if not compact:
        return None
    found = _DURATION.match(compact)
    if found is None or not any(found.groups()):
        raise ValueError(f"'{text}' is not a duration: try 30m, 2h, 1d or 1h30m")
    seconds = sum(int(part or 0) * unit for part, unit in zip(found.groups(), _UNIT_S, strict=True))
    if seconds <= 0:
        raise ValueError("a duration must be longer than nothing")
    return float(seconds)


@dataclass(frozen=True)
class AckRequest:
    note: str
    hold_for_s: float | None
    """None: until the alert resolves."""


@dataclass(frozen=True)
class UnackRequest:
    reason: str


@dataclass(frozen=True)
class SilenceRequest:
    matchers: str
    duration_s: float | None
    """None only when ``until_resolved``."""
    until_resolved: bool
    comment: str


def _about(alert: AlertInfo) -> str:
    where = f" · {alert.region}" if alert.region else ""
    return f"{alert.severity.value} · {alert.rule}{where}\n{alert.summary}"


class FormDialog(ModalScreen[T | None]):
    """Esc cancels; an error line under the fields says what is missing. Subclasses compose
    their fields and ``_buttons``, implement :meth:`submit`, and may set their own ``CSS_PATH``
    (the fleet dialogs do)."""

    CSS_PATH = "alert_forms.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def action_cancel(self) -> None:
        self.dismiss(None)

    def show_error(self, message: str) -> None:
        error = self.query_one("#form-error", Static)
        error.update(message)
        error.set_class(bool(message), "-shown")

    def value(self, selector: str) -> str:
        return self.query_one(selector, Input).value.strip()

    @staticmethod
    def _buttons(label: str) -> ComposeResult:
        yield Static("", id="form-error", classes="error")
        with Horizontal(classes="buttons"):
            yield Button(label, id="ok", variant="primary")
            yield Button("Cancel", id="cancel")

    @on(Button.Pressed, "#cancel")
    def _cancelled(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _submitted(self) -> None:
        self.submit()

    def submit(self) -> None:
        raise NotImplementedError


class AckScreen(FormDialog[AckRequest]):
    """Take an alert: answers an :class:`AckRequest`, or None when cancelled."""

    def __init__(self, alert: AlertInfo) -> None:
        super().__init__()
        self.alert = alert

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(_about(self.alert), classes="about")
            yield Input(placeholder="note: what you are doing about it", id="note")
            yield Input(placeholder="hold it for (30m, 2h); empty: until it resolves", id="hold")
            yield from self._buttons("Take it")

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = "take the alert"
        self.query_one("#dialog").border_subtitle = "its escalation stops while you hold it"
        self.query_one("#note", Input).focus()

    def submit(self) -> None:
        note = self.value("#note")
        if not note:
            self.show_error("say what you are doing about it (the note is required)")
            return
        try:
            hold = parse_duration(self.value("#hold"))
        except ValueError as exc:
            self.show_error(str(exc))
            return
        self.dismiss(AckRequest(note, hold))


class UnackScreen(FormDialog[UnackRequest]):
    """Give an alert back: answers an :class:`UnackRequest`, or None when cancelled."""

    def __init__(self, alert: AlertInfo) -> None:
        super().__init__()
        self.alert = alert

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(_about(self.alert), classes="about")
            yield Input(placeholder="why (optional): handing over to the night shift", id="reason")
            yield from self._buttons("Give it back")

    def on_mount(self) -> None:
        ack = self.alert.acknowledgement
        holder = f" (held by {ack.by})" if ack else ""
        self.query_one("#dialog").border_title = f"give the alert back{holder}"
        self.query_one("#dialog").border_subtitle = "its escalation starts again"
        self.query_one("#reason", Input).focus()

    def submit(self) -> None:
        self.dismiss(UnackRequest(self.value("#reason")))


class SilenceScreen(FormDialog[SilenceRequest]):
    """Silence the alerts some matchers select (drafted from ``alert``'s identifying labels):
    answers a :class:`SilenceRequest`, or None when cancelled."""

    def __init__(self, alert: AlertInfo, matchers: str) -> None:
        super().__init__()
        self.alert = alert
        self._matchers = matchers

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(_about(self.alert), classes="about")
            yield Static("alerts matching", classes="label")
            yield Input(self._matchers, id="matchers")
            yield Static("for", classes="label")
            yield Input(DEFAULT_SILENCE, placeholder="30m, 2h, 1d", id="duration")
            yield Checkbox("until they resolve (ends early once all have)", id="until-resolved")
            yield Input(placeholder="why: fibre splice, ticket 4411", id="comment")
            yield from self._buttons("Silence")

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = "silence alerts"
        self.query_one("#dialog").border_subtitle = "nobody is told of what it mutes"
        self.query_one("#comment", Input).focus()

    def submit(self) -> None:
        matchers = self.value("#matchers")
        until_resolved = self.query_one("#until-resolved", Checkbox).value
        comment = self.value("#comment")
        if not matchers:
            self.show_error('which alerts? e.g. {region="440103", alertname="site-isolated"}')
            return
        try:
            duration = parse_duration(self.value("#duration"))
        except ValueError as exc:
            self.show_error(str(exc))
            return
        if duration is None and not until_resolved:
            self.show_error("for how long? (or tick 'until they resolve')")
            return
        if not comment:
            self.show_error("say why (the comment is required)")
            return
        self.dismiss(SilenceRequest(matchers, duration, until_resolved, comment))
