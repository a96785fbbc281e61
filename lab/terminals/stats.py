"""What came of each terminal's turn, and the running totals the progress line shows."""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum

from lab.terminals.behaviour import Install


class BeatOutcome(StrEnum):
    """What came of one terminal's turn."""

    ACCEPTED = "accepted"
    BAD_REPLY = "bad_reply"
    """2xx, but the body is not a heartbeat reply: counted as accepted, no targets taken."""
    UNAUTHORIZED = "unauthorized"
    REFUSED = "refused"
    SERVER_ERROR = "server_error"
    CONNECTION_ERROR = "connection_error"
    SILENT = "silent"
    """Its county is cut off: nothing sent."""
    STOPPED = "stopped"
    """Stopped earlier (401, or dead of a bad firmware): nothing sent, never again."""
    FAILED = "failed"
    """A bug in the simulator: logged with the terminal's id; the terminal carries on."""


@dataclass(slots=True)
class SimulatorStats:
    """Running totals, for the progress line and the tests."""

    terminals: int = 0
    sent: int = 0
    accepted: int = 0
    bad_reply: int = 0
    unauthorized: int = 0
    refused: int = 0
    server_error: int = 0
    connection_error: int = 0
    silent: int = 0
    stopped: int = 0
    failed: int = 0
    firmware_installs: int = 0
    parameter_installs: int = 0
    firmware_rolled_back: int = 0
    bricked: int = 0
    cut_off_counties: int = 0
    silent_terminals: int = 0

    def count(self, outcome: BeatOutcome) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)
        if outcome in _SENT:
            self.sent += 1

    def count_install(self, install: Install) -> None:
        name = _INSTALL_COUNTERS[install]
        setattr(self, name, getattr(self, name) + 1)

    def snapshot(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def line(self) -> str:
        """One line for people: what was sent and what came back."""
        return (
            f"terminals {self.terminals} · beats {self.sent} ok {self.accepted} "
            f"401 {self.unauthorized} refused {self.refused} 5xx {self.server_error} "
            f"conn-err {self.connection_error} · cut-off counties {self.cut_off_counties} "
            f"({self.silent_terminals} terminals silent) · installs fw {self.firmware_installs} "
            f"param {self.parameter_installs} rolled-back {self.firmware_rolled_back} "
            f"dead {self.bricked}"
        )


_SENT = frozenset(
    {
        BeatOutcome.ACCEPTED,
        BeatOutcome.BAD_REPLY,
        BeatOutcome.UNAUTHORIZED,
        BeatOutcome.REFUSED,
        BeatOutcome.SERVER_ERROR,
        BeatOutcome.CONNECTION_ERROR,
    }
)
_INSTALL_COUNTERS = {
    Install.FIRMWARE: "firmware_installs",
    Install.PARAMETER: "parameter_installs",
    Install.FIRMWARE_ROLLED_BACK: "firmware_rolled_back",
    Install.BRICKED: "bricked",
}
