"""What the provisioning station says when a run stops: a title and what to do, in the
technician's words. The error's own message (which names the reader and the step) is shown
beside it, on the step that failed.

Every failure before the binding leaves the registry as it was, and the advice says so; a binding
whose answer never came (the API did not answer in time) may or may not have happened, and the
advice says that instead.
"""

from __future__ import annotations

from card_fleet.errors import (
    CardRefused,
    CardRemoved,
    FleetError,
    NoCard,
    PsamAlreadyBound,
    ReaderUnavailable,
    TransitionRefused,
    WrongCard,
)
from core.errors import NocError, NotFound
from tui.api_transport import ApiUnavailable

NOTHING_WRITTEN = "Nothing was written."


def advice_for(error: NocError, *, bound: bool = False) -> tuple[str, str]:
    """(title, advice) for ``error``; ``bound``: the binding was sent when it happened."""
    if isinstance(error, ApiUnavailable):
        if bound:
            return (
                "No answer from the API",
                "the binding was sent but not confirmed: press r and look whether the "
                "terminal is still listed as registered before trying again",
            )
        return "No answer from the API", f"{error.message}. {NOTHING_WRITTEN}"
    if isinstance(error, CardRemoved):
        return (
            "Card removed",
            "the card was pulled out before the reading finished: put it back and press p "
            f"again, and leave it in until the station says so. {NOTHING_WRITTEN}",
        )
    if isinstance(error, NoCard):
        return (
            "No card",
            "no card came in time: put the PSAM in its reader and the test card in the other, "
            f"then press p. {NOTHING_WRITTEN}",
        )
    if isinstance(error, WrongCard):
        return (
            "Wrong card",
            "that is not the card expected in that reader (a PSAM in the PSAM reader, the "
            f"test social-security card in the card reader). {NOTHING_WRITTEN}",
        )
    if isinstance(error, ReaderUnavailable):
        return (
            "Reader unavailable",
            "a reader is unplugged, or the PC/SC service is not running: plug it back in, "
            f"press r to list the readers again, and choose them. {NOTHING_WRITTEN}",
        )
    if isinstance(error, CardRefused):
        return (
            "Card refused",
            f"the card answered as no good card does; try another test card. {NOTHING_WRITTEN}",
        )
    if isinstance(error, PsamAlreadyBound):
        return (
            "PSAM already bound",
            f"PSAM {error.psam_terminal_number} is bound to terminal {error.bound_to}: a "
            f"security officer must release it first, or use another PSAM. {NOTHING_WRITTEN}",
        )
    if isinstance(error, TransitionRefused):
        return "Not registered", f"{error}. {NOTHING_WRITTEN}"
    if isinstance(error, NotFound):
        return "No such terminal", f"{error} (in your regions). {NOTHING_WRITTEN}"
    if isinstance(error, FleetError):
        return "Refused", f"{error}. {NOTHING_WRITTEN}"
    return "Provisioning failed", f"{error}. {NOTHING_WRITTEN}"
