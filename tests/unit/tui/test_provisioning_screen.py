"""The provisioning station's screen against the real API and fleet, with the station's real
workflow over fake readers and cards (tests/unit/card_fleet's fakes: no PC/SC here — the real
pcscd test lives in tests/integration/card_fleet): each step shown as it goes, the test card's
holder masked, the credential shown once and working, and every way a run stops — card removed,
no card, wrong card, PSAM bound elsewhere, reader unplugged — said plainly with nothing written."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Select, Static

from card_fleet.model import TerminalState
from card_fleet.provisioning import CardConnection, ProvisioningStep
from core.security.audit_record import AuditOutcome
from tests.unit.card_fleet.test_provisioning import CARD_READER, PSAM_READER, FakeReaders
from tests.unit.card_fleet.test_psam import TERMINAL_NUMBER, FakePsam
from tests.unit.card_fleet.test_sscard import FakeSocialSecurityCard
from tests.unit.tui.conftest import SIZE
from tests.unit.tui.fleet_world import (
    LIWAN,
    REGISTERED,
    TECHNICIAN,
    YUEXIU,
    FleetWorld,
    beat,
    open_world,
    psam_of,
)
from tests.unit.tui.pilot_support import current, settle, text_of
from tui.screens.credential_once import CredentialOnceScreen
from tui.screens.provisioning import ProvisioningScreen
from tui.widgets.provisioning_steps import ProvisioningSteps, StepState

Cards = dict[str, Callable[[], CardConnection] | None]
TERMINAL = REGISTERED[0]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[FleetWorld]:
    with open_world(tmp_path) as opened:
        yield opened


def good_cards() -> Cards:
    return {PSAM_READER: FakePsam, CARD_READER: FakeSocialSecurityCard}


async def station(
    pilot: Pilot[None], world: FleetWorld, readers: FakeReaders
) -> ProvisioningScreen:
    """The station's screen, loaded, with ``TERMINAL`` chosen."""
    await settle(pilot)
    app = pilot.app
    screen = ProvisioningScreen(
        app.client,  # type: ignore[attr-defined]
        app.session,  # type: ignore[attr-defined]
        3600.0,
        readers=readers,
        clock=world.toy.clock,
    )
    app.push_screen(screen)
    await settle(pilot)
    screen.query_one("#terminal", Select).value = TERMINAL
    return screen


def steps(screen: ProvisioningScreen) -> dict[str, StepState]:
    widget = screen.query_one(ProvisioningSteps)
    return {step.value: widget.state_of(step) for step in ProvisioningStep}


async def test_a_terminal_is_provisioned_step_by_step_and_its_credential_shown_once(
    world: FleetWorld,
) -> None:
    app = world.console(TECHNICIAN)
    async with app.run_test(size=SIZE) as pilot:
        screen = await station(pilot, world, FakeReaders(good_cards()))
        assert sorted(screen.terminals) == list(REGISTERED)
        assert screen.query_one("#psam-reader", Select).value == PSAM_READER
        assert screen.query_one("#card-reader", Select).value == CARD_READER
        await pilot.press("p")
        await settle(pilot)
        dialog = current(app)
        assert isinstance(dialog, CredentialOnceScreen)
        credential = text_of(dialog.query_one("#credential", Static)).strip()
        assert credential.startswith("sst_")
        assert "will not be shown again" in text_of(dialog.query_one("#warning", Static))
        assert set(steps(screen).values()) == {StepState.DONE}
        found = screen.query_one(ProvisioningSteps)
        assert TERMINAL_NUMBER in found.detail_of(ProvisioningStep.PSAM)
        acceptance = text_of(screen.query_one("#acceptance", Static))
        assert "440106********1235 张*" in acceptance
        assert "1990" not in acceptance  # the holder's birth date, inside the citizen id
        await pilot.press("enter")  # "I have entered it"
        await settle(pilot)
        assert current(app) is screen
        assert TERMINAL not in screen.terminals  # provisioned: no longer offered
        assert credential not in text_of(screen.query_one("#outcome", Static))

    terminal = world.fleet.registry.get(TERMINAL)
    assert terminal.state is TerminalState.PROVISIONED
    assert terminal.psam_terminal_number == TERMINAL_NUMBER
    reply = world.fleet.heartbeat(credential, beat(TERMINAL))  # the credential works
    assert reply.next_heartbeat_s == 60
    (record,) = world.trail.search(action="terminal_provision")
    assert (record.actor, record.target, record.outcome) == (TECHNICIAN, TERMINAL, AuditOutcome.OK)
    detail = record.detail or ""
    assert "card_id_region" in detail  # the acceptance test's summary travelled with the binding
    assert "Virtual PCD 00 01" in detail
    assert all(credential not in str(r.as_json()) for r in world.trail.search(limit=1000))


def _unplug_card_reader(readers: FakeReaders) -> None:
    del readers.cards[CARD_READER]


@pytest.mark.parametrize(
    ("cards", "after_listing", "title", "failed_step", "said"),
    [
        pytest.param(
            {CARD_READER: lambda: FakeSocialSecurityCard(remove_after=3)},
            None,
            "Card removed",
            ProvisioningStep.ACCEPTANCE,
            "the card was removed",
            id="card-removed-mid-read",
        ),
        pytest.param(
            {CARD_READER: None},
            None,
            "No card",
            ProvisioningStep.ACCEPTANCE,
            "no card within",
            id="no-card",
        ),
        pytest.param(
            {PSAM_READER: FakeSocialSecurityCard},
            None,
            "Wrong card",
            ProvisioningStep.PSAM,
            PSAM_READER,
            id="wrong-card-in-the-psam-reader",
        ),
        pytest.param(
            {
                PSAM_READER: lambda: FakePsam(
                    terminal_number=bytes.fromhex(psam_of(f"T{LIWAN}-0001"))
                )
            },
            None,
            "PSAM already bound",
            ProvisioningStep.PSAM_BINDING,
            f"T{LIWAN}-0001",
            id="psam-bound-in-the-county",
        ),
        pytest.param(
            {
                PSAM_READER: lambda: FakePsam(
                    terminal_number=bytes.fromhex(psam_of(f"T{YUEXIU}-0001"))
                )
            },
            None,
            "PSAM already bound",
            ProvisioningStep.PSAM_BINDING,
            f"T{YUEXIU}-0001",
            id="psam-bound-outside-the-technicians-regions",
        ),
        pytest.param(
            {},
            _unplug_card_reader,
            "Reader unavailable",
            ProvisioningStep.READERS,
            "no such reader",
            id="reader-unplugged",
        ),
    ],
)
async def test_a_run_that_stops_says_why_and_writes_nothing(
    world: FleetWorld,
    cards: Cards,
    after_listing: Callable[[FakeReaders], None] | None,
    title: str,
    failed_step: ProvisioningStep,
    said: str,
) -> None:
    readers = FakeReaders({**good_cards(), **cards})
    app = world.console(TECHNICIAN)
    async with app.run_test(size=SIZE) as pilot:
        screen = await station(pilot, world, readers)
        if after_listing is not None:
            after_listing(readers)
        await pilot.press("p")
        await settle(pilot)
        assert current(app) is screen  # no credential
        states = steps(screen)
        assert states[failed_step] is StepState.FAILED
        order = list(states)
        assert all(states[s] is StepState.DONE for s in order[: order.index(failed_step)])
        assert said in screen.query_one(ProvisioningSteps).detail_of(failed_step)
        outcome = text_of(screen.query_one("#outcome", Static))
        assert outcome.startswith(f"{title}: ")
        assert "Nothing was written." in outcome
        assert not screen.running
        assert readers.open_sessions == 0
    terminal = world.fleet.registry.get(TERMINAL)
    assert (terminal.state, terminal.psam_terminal_number) == (TerminalState.REGISTERED, None)
    assert world.trail.search(action="terminal_provision") == []
