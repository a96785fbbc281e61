"""The fleet screens as people see them, compared with approved screenshots (fixed story, fixed
clock, fixed terminal size). Regenerate with
``pytest tests/unit/tui/test_fleet_snapshot.py --snapshot-update`` and look at the SVGs before
accepting them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Select

from card_fleet.provisioning import CardConnection
from tests.unit.card_fleet.test_provisioning import CARD_READER, PSAM_READER, FakeReaders
from tests.unit.card_fleet.test_psam import FakePsam
from tests.unit.card_fleet.test_sscard import FakeSocialSecurityCard
from tests.unit.tui.conftest import SIZE
from tests.unit.tui.fleet_world import REGISTERED, TECHNICIAN, FleetWorld, open_world
from tests.unit.tui.pilot_support import settle
from tui.app import NocConsole
from tui.screens.provisioning import ProvisioningScreen
from tui.screens.terminal_fleet import TerminalFleetScreen

SnapCompare = Callable[..., bool]
Cards = dict[str, Callable[[], CardConnection] | None]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[FleetWorld]:
    with open_world(tmp_path) as opened:
        yield opened


async def guangzhou(pilot: Pilot[None]) -> None:
    await settle(pilot)
    app = pilot.app
    assert isinstance(app, NocConsole)
    app.push_screen(TerminalFleetScreen(app.client, app.session, 3600.0))
    await settle(pilot)
    await pilot.press("j", "enter")  # 广州市, below 佛山市 (worse)
    await settle(pilot)


def test_fleet_screen(snap_compare: SnapCompare, world: FleetWorld) -> None:
    """广州市's counties, worst first: 越秀区 at 80 % online (yellow) with its silent terminal and
    its missing PSAM, 荔湾区 at 100 % (green) with its outlier and the terminal off the majority
    firmware; the city's figures on top, the silent terminal named under the cursor."""
    assert snap_compare(world.console(), terminal_size=SIZE, run_before=guangzhou)


def card_pulled_out(world: FleetWorld) -> Callable[[Pilot[None]], object]:
    async def run(pilot: Pilot[None]) -> None:
        await settle(pilot)
        app = pilot.app
        assert isinstance(app, NocConsole)
        cards: Cards = {
            PSAM_READER: FakePsam,
            CARD_READER: lambda: FakeSocialSecurityCard(remove_after=3),
        }
        screen = ProvisioningScreen(
            app.client, app.session, 3600.0, readers=FakeReaders(cards), clock=world.toy.clock
        )
        app.push_screen(screen)
        await settle(pilot)
        screen.query_one("#terminal", Select).value = REGISTERED[0]
        await pilot.press("p")
        await settle(pilot)

    return run


def test_provisioning_screen_with_the_card_pulled_out(
    snap_compare: SnapCompare, world: FleetWorld
) -> None:
    """The station after the test card was pulled out mid-read: four steps done, the acceptance
    test failed naming the reader and the record, the binding never run, and what to do."""
    console = world.console(TECHNICIAN)
    assert snap_compare(console, terminal_size=SIZE, run_before=card_pulled_out(world))
