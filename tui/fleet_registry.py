"""The provisioning station's registry, reached through the API: what lets the console run
:class:`~card_fleet.provisioning.ProvisioningStation` on the technician's own machine, with the
readers plugged into it, while the API — and only the API — checks who may provision what and
keeps the audit trail.

The station is synchronous (card I/O blocks), so the console runs it in a worker thread; the API
client is asynchronous and lives on the console's event loop. :class:`ApiProvisioningRegistry`
bridges the two: each call is handed to the loop (:class:`OnLoop`) and waited for. The
API's refusals come back as the errors the station knows — 404 as ``NotFound``, a PSAM bound
elsewhere as ``PsamAlreadyBound`` naming the other terminal, any other 409 as ``FleetError`` —
so the station's own messages hold whatever its registry is.

The API wants the acceptance test's summary with the binding (``POST …/provision``), which the
station's registry protocol does not carry: :class:`ConsoleStation` hands the result of its
acceptance test to the registry before the station binds. No holder data travels: the summary
names the card's region, specification, ATR and expiry only.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar

from card_fleet.errors import FleetError, PsamAlreadyBound
from card_fleet.model import Terminal, TerminalKind, TerminalState
from card_fleet.provisioning import (
    AcceptanceResult,
    ProvisioningStation,
    ReaderChoice,
    StationReaders,
    StepCallback,
)
from core.clock import Clock
from core.errors import NotFound
from tui.api_transport import ApiError
from tui.fleet_client import FleetCalls
from tui.fleet_models import TerminalInfo

T = TypeVar("T")

_BOUND_TO = re.compile(r"PSAM (\d{12}) is (?:already )?bound to terminal ([^\s;,]+)")
"""How the API names the terminal holding a PSAM in its 409 answers."""


class OnLoop(Protocol):
    """Runs a coroutine function on the console's event loop and waits for its result, from a
    worker thread (the provisioning screen's: ``asyncio.run_coroutine_threadsafe``)."""

    def __call__(self, call: Callable[[], Awaitable[T]]) -> T: ...


def terminal_of(info: TerminalInfo) -> Terminal:
    """The registry's terminal from the API's answer (what the station checks)."""
    try:
        kind, state = TerminalKind(info.kind), TerminalState(info.state)
    except ValueError as exc:
        raise FleetError(
            f"terminal {info.id}: the API answered what this console does not know "
            f"({exc}); is it a newer version?"
        ) from exc
    return Terminal(
        id=info.id,
        serial=info.serial,
        model=info.model,
        kind=kind,
        site=info.site,
        county=info.county,
        city=info.city,
        state=state,
        psam_terminal_number=info.psam_terminal_number,
        firmware_version=info.firmware_version,
        parameter_version=info.parameter_version,
        has_credential=info.has_credential,
        registered_at=info.registered_at,
        updated_at=info.updated_at,
    )


def translated(error: ApiError) -> Exception:
    """The station's error for an API refusal (the API's own error otherwise)."""
    if error.not_found:
        return NotFound(error.message)
    if error.status == 409:
        bound = _BOUND_TO.search(error.message)
        if bound is not None:
            return PsamAlreadyBound(bound.group(1), bound.group(2))
        return FleetError(error.message)
    return error


def acceptance_summary(
    result: AcceptanceResult, readers: ReaderChoice | None, checked_at: datetime
) -> dict[str, Any]:
    """What the API records of an acceptance test: the card, never its holder."""
    summary: dict[str, Any] = {
        "card_id_region": result.issuing_region,
        "spec_version": result.spec_version,
        "checked_at": checked_at.isoformat(),
        "atr": result.atr,
        "card_expires_on": result.expires_on.isoformat(),
    }
    if readers is not None:
        summary["psam_reader"] = readers.psam_reader
        summary["card_reader"] = readers.card_reader
    return summary


class ApiProvisioningRegistry:
    """:class:`~card_fleet.provisioning.ProvisioningRegistry` over the API, for a worker thread.

    One per provisioning run: it remembers that run's readers and acceptance test."""

    def __init__(self, fleet: FleetCalls, on_loop: OnLoop) -> None:
        self._fleet = fleet
        self._on_loop = on_loop
        self._readers: ReaderChoice | None = None
        self._accepted: AcceptanceResult | None = None
        self.bind_attempted = False
        """The binding was sent: a failure from now on may have bound the terminal."""

    def _call(self, call: Callable[[], Awaitable[T]]) -> T:
        try:
            return self._on_loop(call)
        except ApiError as exc:
            raise translated(exc) from exc

    def get(self, terminal_id: str) -> Terminal:
        """The terminal (``NotFound`` when it does not exist or lies outside the caller's
        regions)."""
        return terminal_of(self._call(lambda: self._fleet.terminal(terminal_id)))

    def find_by_psam(self, psam_terminal_number: str) -> Terminal | None:
        """The terminal bound to that PSAM (``PsamAlreadyBound`` when it lies outside the
        caller's regions: the API names it, and it is bound all the same)."""
        found = self._call(lambda: self._fleet.terminal_by_psam(psam_terminal_number))
        return None if found is None else terminal_of(found)

    def readers_chosen(self, readers: ReaderChoice) -> None:
        self._readers = readers

    def accepted(self, result: AcceptanceResult) -> None:
        """The acceptance test passed with ``result``: what the binding will carry."""
        self._accepted = result

    def bind_and_issue(
        self, terminal_id: str, psam_terminal_number: str, *, by: str, now: datetime
    ) -> str:
        """Bind and issue through ``POST /terminals/{id}/provision``; the credential's plaintext.

        ``by`` is who the station says provisions; the API records who is logged in (the same
        person, on this console)."""
        if self._accepted is None:
            raise FleetError(
                f"terminal {terminal_id}: no acceptance test has passed on this station yet"
            )
        summary = acceptance_summary(self._accepted, self._readers, now)
        self.bind_attempted = True
        answer = self._call(
            lambda: self._fleet.provision_terminal(terminal_id, psam_terminal_number, summary)
        )
        return answer.credential.get_secret_value()


class ConsoleStation(ProvisioningStation):
    """The station with the API as its registry: tells the registry which readers it chose
    and what the acceptance test found, so the binding carries them."""

    def __init__(
        self,
        registry: ApiProvisioningRegistry,
        readers: StationReaders,
        clock: Clock,
        *,
        psam_wait_s: float = 5.0,
        card_wait_s: float = 60.0,
        on_step: StepCallback | None = None,
    ) -> None:
        super().__init__(
            registry,
            readers,
            clock,
            psam_wait_s=psam_wait_s,
            card_wait_s=card_wait_s,
            on_step=on_step,
        )
        self._api_registry = registry

    def choose_readers(
        self, psam_reader: str | None = None, card_reader: str | None = None
    ) -> ReaderChoice:
        choice = super().choose_readers(psam_reader, card_reader)
        self._api_registry.readers_chosen(choice)
        return choice

    def acceptance_test(self, reader: str) -> AcceptanceResult:
        result = super().acceptance_test(reader)
        self._api_registry.accepted(result)
        return result


def pcsc_readers() -> StationReaders:
    """The station's readers through pcscd. pyscard is imported here, on first use, so a console
    that never provisions never loads it."""
    from card_fleet.reader import PcscReaders

    return PcscReaders()
