"""The provisioning station: what a field technician does to put a card terminal into service.

The steps, each reported through ``on_step(step, detail)`` as it happens:

1. ``terminal``   — the terminal exists and is ``registered`` (nothing else may be provisioned);
2. ``readers``    — a PSAM reader and a card reader (the caller's choice, else the first two);
3. ``psam``       — the PSAM's terminal number (EF16) and serial (EF15);
4. ``psam-binding`` — that terminal number is not bound to another terminal;
5. ``acceptance`` — the test social-security card: EF05 and EF06 read with every status word and
   format checked, not expired; the holder's data is shown masked, never in full;
6. ``bind``       — only now, one registry transaction binds terminal ↔ PSAM and issues the
   terminal's credential, returned once in :class:`ProvisioningResult`.

Any failure before step 6 raises (a ``CardError`` subclass, ``PsamAlreadyBound``,
``TransitionRefused``, ``NotFound``) and nothing has been written. The station is synchronous:
card I/O blocks, so the API and the console run :meth:`ProvisioningStation.provision` in a worker
thread. It keeps no PC/SC state between calls — every card step opens and closes a session of its
own — so one station may serve several threads; ``on_step`` is called from the calling thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Protocol

from card_fleet import psam, sscard
from card_fleet.apdu import Transmit
from card_fleet.errors import (
    CardError,
    CardRefused,
    PsamAlreadyBound,
    ReaderUnavailable,
    TransitionRefused,
)
from card_fleet.model import Terminal, TerminalState
from core.clock import Clock

log = logging.getLogger(__name__)

CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")
"""Card dates are local calendar dates: a card expiring on 1 January is valid all that day."""


class ProvisioningRegistry(Protocol):
    """What the station needs of the terminal registry (``card_fleet.registry`` implements it)."""

    def get(self, terminal_id: str) -> Terminal:
        """The terminal; raises ``core.errors.NotFound``."""
        ...

    def find_by_psam(self, psam_terminal_number: str) -> Terminal | None:
        """The terminal bound to that PSAM terminal number, if any."""
        ...

    def bind_and_issue(
        self, terminal_id: str, psam_terminal_number: str, *, by: str, now: datetime
    ) -> str:
        """In one transaction: bind the PSAM, move registered → provisioned, issue a credential.

        Returns the credential's plaintext (stored hashed); raises PsamAlreadyBound or
        TransitionRefused.
        """
        ...


class CardConnection(Transmit, Protocol):
    """A connected card: a ``reader.CardSession`` or a test fake."""

    @property
    def atr(self) -> bytes:
        """The card's answer to reset."""
        ...


class StationReaders(Protocol):
    """The station's PC/SC readers (``reader.PcscReaders``, or a fake in unit tests)."""

    def list_readers(self) -> list[str]:
        """Reader names, in pcscd's order."""
        ...

    def wait_for_card(
        self, reader: str, timeout_s: float
    ) -> AbstractContextManager[CardConnection]:
        """A session with the card in ``reader``, waiting up to ``timeout_s`` for one."""
        ...


class ProvisioningStep(StrEnum):
    """The steps reported to ``on_step``, in order."""

    TERMINAL = "terminal"
    READERS = "readers"
    PSAM = "psam"
    PSAM_BINDING = "psam-binding"
    ACCEPTANCE = "acceptance"
    BIND = "bind"


StepCallback = Callable[[str, str], None]
"""``on_step(step, detail)``: progress for the technician; ``detail`` never holds secrets."""


@dataclass(frozen=True, slots=True)
class ReaderChoice:
    """Which reader holds the PSAM and which takes the test card."""

    psam_reader: str
    card_reader: str


@dataclass(frozen=True, slots=True)
class AcceptanceResult:
    """The test card as a technician may see it: the holder's data masked."""

    atr: str
    """The card's ATR in hex."""
    card_number: str
    spec_version: str
    issuing_region: str
    issued_on: date
    expires_on: date
    citizen_id_masked: str
    """e.g. ``440106********1235``."""
    name_masked: str
    """e.g. ``张*``."""


@dataclass(frozen=True, slots=True)
class ProvisioningResult:
    """A terminal provisioned: what to show the technician, once."""

    terminal_id: str
    readers: ReaderChoice
    psam: psam.PsamIdentity
    acceptance: AcceptanceResult
    provisioned_by: str
    provisioned_at: datetime
    credential: str = field(repr=False)
    """The terminal's credential in plaintext: shown once, to be entered into the terminal."""


class ProvisioningStation:
    """Provision terminals through a PSAM reader and a card reader (see the module docstring).

    ``psam_wait_s``: how long the PSAM, which should already sit in its reader, may take to be
    seen; ``card_wait_s``: how long the technician has to insert the test card; ``on_step``:
    progress, called in the thread that runs the step.
    """

    def __init__(
        self,
        registry: ProvisioningRegistry,
        readers: StationReaders,
        clock: Clock,
        *,
        psam_wait_s: float = 5.0,
        card_wait_s: float = 60.0,
        on_step: StepCallback | None = None,
    ) -> None:
        self._registry = registry
        self._readers = readers
        self._clock = clock
        self._psam_wait_s = psam_wait_s
        self._card_wait_s = card_wait_s
        self._on_step = on_step

    def provision(
        self,
        terminal_id: str,
        *,
        technician: str,
        psam_reader: str | None = None,
        card_reader: str | None = None,
    ) -> ProvisioningResult:
        """Run every step for ``terminal_id``; writes to the registry only at the very end."""
        self.check_terminal(terminal_id)
        choice = self.choose_readers(psam_reader, card_reader)
        identity = self.read_psam(choice.psam_reader)
        self.check_psam_free(terminal_id, identity.terminal_number)
        acceptance = self.acceptance_test(choice.card_reader)
        now = self._clock.now()
        credential = self._registry.bind_and_issue(
            terminal_id, identity.terminal_number, by=technician, now=now
        )
        self._report(
            ProvisioningStep.BIND,
            f"terminal {terminal_id} bound to PSAM {identity.terminal_number} by {technician}; "
            "credential issued",
        )
        return ProvisioningResult(
            terminal_id=terminal_id,
            readers=choice,
            psam=identity,
            acceptance=acceptance,
            provisioned_by=technician,
            provisioned_at=now,
            credential=credential,
        )

    def check_terminal(self, terminal_id: str) -> Terminal:
        """The terminal, if it may be provisioned (state ``registered``)."""
        terminal = self._registry.get(terminal_id)
        if terminal.state is not TerminalState.REGISTERED:
            raise TransitionRefused(
                f"terminal {terminal_id} is {terminal.state}: only a registered terminal "
                "can be provisioned"
            )
        self._report(ProvisioningStep.TERMINAL, f"terminal {terminal_id} ({terminal.site})")
        return terminal

    def choose_readers(
        self, psam_reader: str | None = None, card_reader: str | None = None
    ) -> ReaderChoice:
        """The readers asked for, each checked present; by default the first two pcscd lists."""
        present = self._readers.list_readers()
        for asked in (psam_reader, card_reader):
            if asked is not None and asked not in present:
                listed = ", ".join(repr(name) for name in present) or "none"
                raise ReaderUnavailable(asked, f"choosing readers: no such reader ({listed})")
        spare = [name for name in present if name not in (psam_reader, card_reader)]
        psam_reader = psam_reader or (spare.pop(0) if spare else None)
        card_reader = card_reader or (spare.pop(0) if spare else None)
        if psam_reader is None or card_reader is None:
            raise ReaderUnavailable(
                "",
                f"choosing readers: the station needs a PSAM reader and a card reader, "
                f"pcscd has {len(present)}",
            )
        if psam_reader == card_reader:
            raise CardError(
                psam_reader, "choosing readers: the PSAM and the test card need two readers"
            )
        choice = ReaderChoice(psam_reader=psam_reader, card_reader=card_reader)
        self._report(
            ProvisioningStep.READERS, f"PSAM in {psam_reader!r}, test card in {card_reader!r}"
        )
        return choice

    def read_psam(self, reader: str) -> psam.PsamIdentity:
        """The PSAM's terminal number and serial, from the PSAM in ``reader``."""
        with self._readers.wait_for_card(reader, self._psam_wait_s) as card:
            identity = psam.read_psam(card)
        self._report(
            ProvisioningStep.PSAM,
            f"PSAM terminal number {identity.terminal_number}, serial {identity.serial}",
        )
        return identity

    def check_psam_free(self, terminal_id: str, psam_terminal_number: str) -> None:
        """Refuse a PSAM already bound to another terminal."""
        bound = self._registry.find_by_psam(psam_terminal_number)
        if bound is not None and bound.id != terminal_id:
            raise PsamAlreadyBound(psam_terminal_number, bound.id)
        self._report(ProvisioningStep.PSAM_BINDING, f"PSAM {psam_terminal_number} is free")

    def acceptance_test(self, reader: str) -> AcceptanceResult:
        """Read and check the test social-security card in ``reader``."""
        self._report(ProvisioningStep.ACCEPTANCE, f"insert the test card in {reader!r}")
        with self._readers.wait_for_card(reader, self._card_wait_s) as card:
            atr = card.atr
            read = sscard.read_card(card)
        today = self._clock.now().astimezone(CHINA_STANDARD_TIME).date()
        issuer = read.issuer
        if issuer.expires_on < today:
            raise CardRefused(reader, f"acceptance test: the card expired on {issuer.expires_on}")
        if issuer.issued_on > today:
            raise CardRefused(reader, f"acceptance test: the card is issued {issuer.issued_on}")
        result = AcceptanceResult(
            atr=atr.hex().upper(),
            card_number=issuer.card_number,
            spec_version=issuer.spec_version,
            issuing_region=issuer.issuing_region,
            issued_on=issuer.issued_on,
            expires_on=issuer.expires_on,
            citizen_id_masked=sscard.mask_citizen_id(read.holder.citizen_id),
            name_masked=sscard.mask_name(read.holder.name),
        )
        self._report(
            ProvisioningStep.ACCEPTANCE,
            f"card {result.card_number} (spec {result.spec_version}, valid until "
            f"{result.expires_on}), holder {result.citizen_id_masked} {result.name_masked}: passed",
        )
        return result

    def _report(self, step: ProvisioningStep, detail: str) -> None:
        log.info("provisioning %s: %s", step, detail)
        if self._on_step is not None:
            self._on_step(step, detail)
