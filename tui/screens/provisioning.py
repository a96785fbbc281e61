"""``:provision``: the field technician's provisioning station, on their own machine with a PSAM
reader and a card reader plugged in.

Pick a registered terminal of your county, the reader holding its PSAM and the one for the test
card, and press ``p``: the station reads the PSAM's terminal number, checks it is bound nowhere
else, reads the test social-security card (its holder shown masked), and only then has the API
bind terminal ↔ PSAM and issue the terminal's credential — shown once, in a dialog of its own.
Each step shows as it happens. A card pulled out mid-read, a wrong card, no card, a reader
unplugged, a PSAM already bound: each is said plainly, and nothing has been written.

The card work blocks, so the station runs in a worker thread; its registry calls reach the API
on the console's event loop (:mod:`tui.fleet_registry`). Readers are listed on this machine,
through pcscd (or the readers the screen is given, in tests).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import ClassVar, TypeVar

from pydantic import SecretStr
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Footer, Header, Select, Static

from card_fleet.errors import CardError, FleetError, PsamAlreadyBound
from card_fleet.provisioning import ProvisioningResult, StationReaders
from core.clock import Clock, SystemClock
from core.errors import NocError
from core.security.permissions import Permission
from tui.client import ApiError, ApiUnavailable, NocApiClient
from tui.fleet_client import FleetCalls
from tui.fleet_models import TerminalInfo
from tui.fleet_registry import ApiProvisioningRegistry, ConsoleStation, pcsc_readers
from tui.provisioning_advice import advice_for
from tui.screens.credential_once import CredentialOnceScreen
from tui.screens.refreshing import RefreshingScreen
from tui.session import Gate, Guarded, Session
from tui.widgets.fleet_palette import counted
from tui.widgets.provisioning_steps import ProvisioningSteps
from tui.widgets.status_line import StatusLine

T = TypeVar("T")

CARD_WAIT_S = 60.0
"""How long the technician has to insert the test card once asked."""
API_WAIT_S = 120.0
"""How long the station's thread waits for one API call (the client's own timeouts come first;
this only keeps the thread from waiting for ever on a console that is closing)."""
PROVISION_KEYS = Gate(
    {
        "provision": Guarded(
            "p", "Provision", Permission.PROVISION_TERMINALS, "provision terminals", changes=True
        )
    }
)


def acceptance_table(result: ProvisioningResult) -> Table:
    """The test card as the technician may see it: the holder masked."""
    card = result.acceptance
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bright_black", no_wrap=True)
    grid.add_column()
    grid.add_row("card", f"{card.card_number} · specification {card.spec_version}")
    grid.add_row("issued by", card.issuing_region)
    grid.add_row("valid", f"{card.issued_on} to {card.expires_on}")
    grid.add_row("holder", f"{card.citizen_id_masked} {card.name_masked}")
    grid.add_row("PSAM", f"{result.psam.terminal_number} · serial {result.psam.serial}")
    return grid


class ProvisioningScreen(RefreshingScreen):
    CSS_PATH = "provisioning.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("r", "refresh", "Refresh"),
        *PROVISION_KEYS.bindings(),
    ]

    def __init__(
        self,
        client: NocApiClient,
        session: Session,
        refresh_interval_s: float,
        read_only: bool = False,
        *,
        readers: StationReaders | None = None,
        clock: Clock | None = None,
        card_wait_s: float = CARD_WAIT_S,
    ) -> None:
        """``readers``: the station's PC/SC readers (default: pcscd's, loaded on first use);
        ``clock``: what the test card's validity is checked against."""
        super().__init__(client, refresh_interval_s)
        self.session = session
        self.read_only = read_only
        self._fleet = FleetCalls(client)
        self._readers = readers
        self._clock = clock or SystemClock()
        self._card_wait_s = card_wait_s
        self._terminals: dict[str, TerminalInfo] = {}
        self.running = False
        self.last_result: ProvisioningResult | None = None
        """The last run that passed (its credential is not kept here)."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._readers_said = False
        """The outcome line says what is wrong with the readers (until they are back)."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="choices"):
            yield Select[str]([], prompt="registered terminal to provision", id="terminal")
            with Horizontal(id="readers"):
                yield Select[str]([], prompt="reader holding the PSAM", id="psam-reader")
                yield Select[str]([], prompt="reader for the test card", id="card-reader")
            yield Button("Provision (p)", id="provision", variant="primary")
        yield ProvisioningSteps(id="steps")
        yield Static("", id="acceptance")
        yield Static("", id="outcome")
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.sub_title = "provisioning station"
        self.query_one("#choices").border_title = "terminal and readers"
        self.query_one(ProvisioningSteps).border_title = "steps"
        self.query_one("#acceptance").border_title = "acceptance test"
        self.query_one("#terminal", Select).focus()
        self.action_refresh()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return PROVISION_KEYS.check(self.session, action, parameters, self.read_only)

    def action_refuse(self, action: str) -> None:
        self.notify(PROVISION_KEYS.refusal(action), title="Not allowed", severity="warning")

    def action_back(self) -> None:
        if self.running:
            self.notify("the station is still working: wait for it", title="Provisioning")
            return
        self.dismiss()

    @property
    def terminals(self) -> dict[str, TerminalInfo]:
        """The registered terminals offered, by id."""
        return self._terminals

    @property
    def station_readers(self) -> StationReaders:
        if self._readers is None:
            self._readers = pcsc_readers()
        return self._readers

    # ------------------------------------------------------------------ loading

    def action_refresh(self) -> None:
        if self.running:
            return
        self._load_terminals()
        self._load_readers()

    @work(exclusive=True, group="provisioning-terminals", exit_on_error=False)
    async def _load_terminals(self) -> None:
        try:
            terminals = await self._fleet.terminals(state="registered")
        except ApiError as exc:
            self._problems.failed(exc)
            return
        self._terminals = {t.id: t for t in terminals}
        options = [(f"{t.id} · {t.site} · {t.kind} · {t.county}", t.id) for t in terminals]
        _set_options(self.query_one("#terminal", Select), options)
        self._problems.recovered()
        offered = counted(len(terminals), "registered terminal")
        self.query_one(StatusLine).ok(f"{offered} to provision")

    @work(thread=True, exclusive=True, group="provisioning-readers", exit_on_error=False)
    def _load_readers(self) -> None:
        try:
            names = self.station_readers.list_readers()
        except NocError as exc:
            title, advice = advice_for(exc)
            self.app.call_from_thread(self._readers_problem, title, advice)
            return
        self.app.call_from_thread(self._show_readers, names)

    def _show_readers(self, names: list[str]) -> None:
        options = [(name, name) for name in names]
        for index, selector in enumerate(("#psam-reader", "#card-reader")):
            select = self.query_one(selector, Select)
            _set_options(select, options)
            if select.value == Select.NULL and len(names) > index:
                select.value = names[index]
        if len(names) < 2:
            advice = (
                f"the station needs two readers (the PSAM's and the test card's); "
                f"{len(names)} found: plug them in and press r"
            )
            self._readers_problem("Readers", advice)
        elif self._readers_said:
            self._readers_said = False  # the readers are back: what was said of them is over
            self._show_outcome("", "", None)

    def _readers_problem(self, title: str, advice: str) -> None:
        self._readers_said = True
        self._show_outcome(title, advice, False)

    # ------------------------------------------------------------------ provisioning

    @on(Button.Pressed, "#provision")
    def _pressed(self) -> None:
        if PROVISION_KEYS.allows(self.session, "provision", self.read_only):
            self.action_provision()
        else:
            self.action_refuse("provision")

    def _chosen(self, selector: str) -> str | None:
        value = self.query_one(selector, Select).value
        return None if value == Select.NULL else str(value)

    def action_provision(self) -> None:
        if self.running:
            self.notify("the station is already working", title="Provisioning")
            return
        terminal_id = self._chosen("#terminal")
        psam_reader, card_reader = self._chosen("#psam-reader"), self._chosen("#card-reader")
        if terminal_id is None:
            self.notify("choose the terminal first", title="Provisioning", severity="warning")
            return
        if psam_reader is None or card_reader is None or psam_reader == card_reader:
            message = "choose two readers: the one holding the PSAM, the one for the test card"
            self.notify(message, title="Provisioning", severity="warning")
            return
        self.running = True
        self.query_one("#provision", Button).disabled = True
        self.query_one(ProvisioningSteps).reset()
        self._show_acceptance(None)
        self._readers_said = False
        self._show_outcome("", "", None)
        self._provision(terminal_id, psam_reader, card_reader)

    @work(thread=True, exclusive=True, group="provisioning", exit_on_error=False)
    def _provision(self, terminal_id: str, psam_reader: str, card_reader: str) -> None:
        registry = ApiProvisioningRegistry(self._fleet, self._on_loop)
        station = ConsoleStation(
            registry,
            self.station_readers,
            self._clock,
            card_wait_s=self._card_wait_s,
            on_step=self._step_from_thread,
        )
        technician = self.session.username or "console"
        try:
            result = station.provision(
                terminal_id,
                technician=technician,
                psam_reader=psam_reader,
                card_reader=card_reader,
            )
        except NocError as exc:
            bound = isinstance(exc, ApiUnavailable) and registry.bind_attempted
            self.app.call_from_thread(self._failed, exc, bound)
            return
        finally:
            self.app.call_from_thread(self._stopped)
        # From here on the plaintext lives only in the SecretStr, until the dialog closes.
        credential = SecretStr(result.credential)
        self.app.call_from_thread(self._succeeded, replace(result, credential=""), credential)

    def _on_loop(self, call: Callable[[], Awaitable[T]]) -> T:
        """Run an API call on the console's loop from the station's thread, and wait for it."""
        loop = self._loop
        if loop is None:
            raise ApiUnavailable("the console is not running")

        async def run() -> T:
            return await call()

        try:
            return asyncio.run_coroutine_threadsafe(run(), loop).result(API_WAIT_S)
        except concurrent.futures.TimeoutError as exc:
            raise ApiUnavailable(f"the API did not answer within {API_WAIT_S:g} s") from exc

    def _step_from_thread(self, step: str, detail: str) -> None:
        self.app.call_from_thread(self._step_reported, step, detail)

    def _step_reported(self, step: str, detail: str) -> None:
        self.query_one(ProvisioningSteps).reported(step, detail)

    def _stopped(self) -> None:
        self.running = False
        self.query_one("#provision", Button).disabled = False

    def _failed(self, error: NocError, bound: bool) -> None:
        self.query_one(ProvisioningSteps).failed(str(error))
        title, advice = advice_for(error, bound=bound)
        self._show_outcome(title, advice, False)
        expected = isinstance(error, CardError | PsamAlreadyBound)
        self.notify(advice, title=title, severity="warning" if expected else "error", timeout=10)
        if isinstance(error, FleetError | ApiError):
            self._load_terminals()

    def _succeeded(self, result: ProvisioningResult, credential: SecretStr) -> None:
        self.last_result = result
        self._show_acceptance(result)
        done = f"terminal {result.terminal_id} is provisioned: enter its credential into it now"
        self._show_outcome("Provisioned", done, True)
        self.app.push_screen(CredentialOnceScreen(result.terminal_id, credential))

    def _show_acceptance(self, result: ProvisioningResult | None) -> None:
        shown = self.query_one("#acceptance", Static)
        shown.update(acceptance_table(result) if result is not None else "")
        shown.set_class(result is not None, "-shown")

    def _show_outcome(self, title: str, advice: str, ok: bool | None) -> None:
        outcome = self.query_one("#outcome", Static)
        outcome.set_class(ok is False, "-failed")
        outcome.set_class(ok is True, "-passed")
        outcome.update(Text.assemble((f"{title}: " if title else "", "bold"), advice))


def _set_options(select: Select[str], options: list[tuple[str, str]]) -> None:
    """New options, keeping the choice when it is still one of them."""
    kept = select.value
    select.set_options(options)
    if kept != Select.NULL and any(value == kept for _, value in options):
        select.value = kept
