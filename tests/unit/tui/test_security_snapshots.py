"""The login, users and audit screens as the operator sees them, compared with approved
screenshots (fixed users, fixed clock, fixed terminal size). Regenerate with
``pytest tests/unit/tui/test_security_snapshots.py --snapshot-update`` and look at the SVGs
before accepting them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.unit.tui.conftest import SIZE
from tests.unit.tui.pilot_support import settle
from tests.unit.tui.security_world import ADMIN, OFFICER, TECHNICIAN, SecurityWorld, open_world
from tests.unit.tui.test_app import command

SnapCompare = Callable[..., bool]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[SecurityWorld]:
    with open_world(tmp_path) as opened:
        yield opened


async def wrong_password(pilot: Pilot[None]) -> None:
    await settle(pilot)
    screen = pilot.app.screen
    screen.query_one("#username", Input).value = ADMIN
    screen.query_one("#password", Input).value = "Not-the-password-1"
    screen.query_one("#password", Input).focus()
    await pilot.press("enter")
    await settle(pilot)


async def users_of_an_administrator(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await command(pilot, "users")
    await pilot.press("j")  # li.tech: their grant below
    await settle(pilot)


def audit_trail(world: SecurityWorld) -> Callable[[Pilot[None]], Awaitable[None]]:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)  # the console's own login first, so the trail's order is fixed
        admin = await world.logged_in(ADMIN)
        await admin.set_user_disabled(TECHNICIAN, True)
        await command(pilot, "audit")
        await pilot.press("j")  # the disable: its before and after below
        await settle(pilot)

    return run_before


def test_login_screen_with_a_wrong_password(
    snap_compare: SnapCompare, world: SecurityWorld
) -> None:
    """The form (password masked and cleared) with the error in red under it."""
    assert snap_compare(world.console(), terminal_size=SIZE, run_before=wrong_password)


def test_users_screen(snap_compare: SnapCompare, world: SecurityWorld) -> None:
    """Three users with roles@scopes, one disabled; li.tech's grant below; every managing key
    in the footer."""
    world.users.set_disabled(TECHNICIAN, True, by=ADMIN)
    assert snap_compare(
        world.console(ADMIN), terminal_size=SIZE, run_before=users_of_an_administrator
    )


def test_audit_screen(snap_compare: SnapCompare, world: SecurityWorld) -> None:
    """Newest first: opening the audit screen, the administrator's disable of li.tech, both
    logins; the disable under the cursor in full below, with its before and after."""
    console = world.console(OFFICER)
    assert snap_compare(console, terminal_size=SIZE, run_before=audit_trail(world))
