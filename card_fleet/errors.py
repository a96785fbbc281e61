"""Errors of the card-terminal fleet, under core's one tree.

    NocError
    ├── CardError                    talking to a reader or a card failed (carries the reader)
    │   ├── ReaderUnavailable        no such reader, the reader was unplugged, or pcscd is gone
    │   ├── NoCard                   no card came within the wait
    │   ├── CardRemoved              the card was pulled out (before or during a command)
    │   └── CardRefused              the card answered, but not as a card of its kind must
    │       └── WrongCard            not the card asked for (a bank card where an SS card belongs)
    └── FleetError                   the registry refused a change (the message says why)
        ├── TransitionRefused        that state may not follow this one
        ├── PsamAlreadyBound         the PSAM's terminal number is bound to another terminal
        └── ImportRefused            a CSV import could not be read at all (per-row errors are not
                                     raised: they are returned with the rows that went in)

A card error's message names the reader and what was being done ("reading EF06 record 2 on
'Virtual PCD 00 01': the card was removed"), never the card holder's data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.errors import NocError

if TYPE_CHECKING:
    from sqlalchemy.exc import SQLAlchemyError


class CardError(NocError):
    """Talking to a PC/SC reader or the card in it failed."""

    def __init__(self, reader: str, message: str) -> None:
        self.reader = reader
        super().__init__(f"{reader}: {message}" if reader else message)


class ReaderUnavailable(CardError):
    """No such reader, the reader was unplugged, or the PC/SC service is not running."""


class NoCard(CardError):
    """No card was inserted within the wait."""


class CardRemoved(CardError):
    """The card was removed (before or during a command)."""


class CardRefused(CardError):
    """The card answered with a status word or a format its kind must not give."""


class WrongCard(CardRefused):
    """Another kind of card than the one asked for (a bank card where a PSAM or SS card belongs)."""


class FleetError(NocError):
    """The terminal registry refused a change."""


class TransitionRefused(FleetError):
    """The terminal's state may not move to the one asked for."""


class PsamAlreadyBound(FleetError):
    """The PSAM's terminal number is already bound to another terminal."""

    def __init__(self, psam_terminal_number: str, bound_to: str) -> None:
        self.psam_terminal_number = psam_terminal_number
        self.bound_to = bound_to
        super().__init__(
            f"PSAM {psam_terminal_number} is already bound to terminal {bound_to}; "
            "a security officer must release it first"
        )


class ImportRefused(FleetError):
    """A CSV import cannot be read at all (wrong encoding, no header, missing columns)."""


def store_failure_reason(exc: SQLAlchemyError) -> str:
    """The database's own one-line reason, without the statement and its parameters."""
    cause = getattr(exc, "orig", None)
    text = str(cause if cause is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
