"""``:users`` driven by an administrator against the real user directory: create (the temporary
password shown once), disable and enable, unlock, reset, grant and revoke."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from textual.pilot import Pilot
from textual.widgets import Button, Input, Select, Static

from core.errors import AuthenticationFailed
from core.settings import AuthSettings
from tests.unit.tui.conftest import SIZE
from tests.unit.tui.pilot_support import current, settle, text_of
from tests.unit.tui.security_world import ADMIN, OFFICER, TECHNICIAN, SecurityWorld, open_world
from tests.unit.tui.test_app import command
from tests.unit.tui.test_province_screen import record_notifications
from tui.app import NocConsole
from tui.screens.confirm import ConfirmScreen
from tui.screens.user_forms import GrantScreen, NewUserScreen, ShownOnceScreen
from tui.screens.users import UsersScreen
from tui.security_models import AuditQuery


@pytest.fixture
def world(tmp_path: Path) -> Iterator[SecurityWorld]:
    with open_world(tmp_path) as opened:
        yield opened


async def open_users(pilot: Pilot[None]) -> UsersScreen:
    await settle(pilot)
    await command(pilot, "users")
    screen = current(pilot.app)
    assert isinstance(screen, UsersScreen)
    return screen


async def select_user(pilot: Pilot[None], screen: UsersScreen, username: str) -> None:
    screen.table.move_cursor(row=screen.table.shown_keys.index(username), animate=False)
    await pilot.pause()
    assert screen.selected is not None
    assert screen.selected.username == username


async def confirm(pilot: Pilot[None], question: str) -> None:
    await settle(pilot)
    dialog = current(pilot.app)
    assert isinstance(dialog, ConfirmScreen)
    assert dialog.question == question
    await pilot.press("y")
    await settle(pilot)


def everything_shown(app: NocConsole) -> str:
    """The text of every Static on the screen stack, to look for a secret."""
    return "\n".join(text_of(s) for screen in app.screen_stack for s in screen.query(Static))


async def test_the_table_lists_users_with_roles_scopes_state_and_last_login(
    world: SecurityWorld,
) -> None:
    world.users.set_disabled(TECHNICIAN, True, by=ADMIN)
    app = world.console(ADMIN)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_users(pilot)
        table = screen.table
        assert table.shown_keys == [ADMIN, TECHNICIAN, OFFICER]
        assert table.get_cell(ADMIN, "grants").plain == "admin@440000"
        assert table.get_cell(ADMIN, "last_login").plain == "0s ago"  # this login
        assert table.get_cell(TECHNICIAN, "grants").plain == "field_technician@440103"
        assert table.get_cell(TECHNICIAN, "state").plain == "disabled"
        assert table.get_cell(OFFICER, "last_login").plain == "never"
        await select_user(pilot, screen, TECHNICIAN)
        assert screen.grants.shown_keys == ["field_technician@440103"]
        assert screen.grants.get_cell("field_technician@440103", "region").plain == "荔湾区"
        await pilot.press("slash", *"sec")
        assert table.shown_keys == [OFFICER]


async def test_n_creates_a_user_and_shows_the_temporary_password_once(
    world: SecurityWorld,
) -> None:
    app = world.console(ADMIN)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_users(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = current(app)
        assert isinstance(form, NewUserScreen)
        form.query_one("#username", Input).value = "Bad Name"
        await pilot.press("enter")
        assert "the user name takes a-z" in text_of(form.query_one("#form-error", Static))
        form.query_one("#username", Input).value = "zhao.eng"
        form.query_one("#display-name", Input).value = "赵工程师"
        form.query_one("#role", Select).value = "network_engineer"
        form.query_one("#scope", Select).value = "440100"
        form.query_one("#username", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        shown = current(app)
        assert isinstance(shown, ShownOnceScreen)
        temporary = text_of(shown.query_one("#secret", Static)).strip()
        assert len(temporary) >= AuthSettings().password_min_length
        assert temporary in everything_shown(app)
        await pilot.press("escape")
        await settle(pilot)
        assert current(app) is screen
        assert temporary not in everything_shown(app)  # once: gone with the dialog
        assert screen.table.get_cell("zhao.eng", "grants").plain == "network_engineer@440100"
        assert screen.table.get_cell("zhao.eng", "state").plain == "must change password"
        assert screen.table.get_cell("zhao.eng", "created_by").plain == ADMIN
    newcomer = world.client()
    user = await newcomer.login("zhao.eng", SecretStr(temporary))
    assert user.must_change_password


async def test_d_disables_after_asking_and_d_again_enables(world: SecurityWorld) -> None:
    app = world.console(ADMIN)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_users(pilot)
        await select_user(pilot, screen, TECHNICIAN)
        await pilot.press("d")
        await confirm(pilot, f"Disable {TECHNICIAN}?")
        assert screen.table.get_cell(TECHNICIAN, "state").plain == "disabled"
        with pytest.raises(AuthenticationFailed):
            world.users.login(TECHNICIAN, "Liwan-Terminals-42", client="test")
        await pilot.press("d")
        await confirm(pilot, f"Enable {TECHNICIAN}?")
        assert screen.table.get_cell(TECHNICIAN, "state").plain == "active"
        await pilot.press("d", "n")  # asked, and declined
        await settle(pilot)
        assert screen.table.get_cell(TECHNICIAN, "state").plain == "active"


async def test_the_apis_refusal_is_shown(
    world: SecurityWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = world.console(ADMIN)
    told = record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_users(pilot)
        await select_user(pilot, screen, ADMIN)
        await pilot.press("d")
        await confirm(pilot, f"Disable {ADMIN}?")
        assert ("an administrator may not disable themselves", "error") in told.messages
        assert screen.table.get_cell(ADMIN, "state").plain == "active"


async def test_u_unlocks_a_locked_user(world: SecurityWorld) -> None:
    for attempt in range(AuthSettings().lockout_after):
        with pytest.raises(AuthenticationFailed):
            world.users.login(TECHNICIAN, f"Wrong-guess-{attempt}0", client="test")
    app = world.console(ADMIN)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_users(pilot)
        assert screen.table.get_cell(TECHNICIAN, "state").plain.startswith("locked until")
        await select_user(pilot, screen, TECHNICIAN)
        await pilot.press("u")
        await settle(pilot)
        assert screen.table.get_cell(TECHNICIAN, "state").plain == "active"
    world.users.login(TECHNICIAN, "Liwan-Terminals-42", client="test")


async def test_p_resets_the_password_after_asking_and_shows_it_once(
    world: SecurityWorld,
) -> None:
    app = world.console(ADMIN)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_users(pilot)
        await select_user(pilot, screen, OFFICER)
        await pilot.press("p")
        await confirm(pilot, f"Reset the password of {OFFICER}?")
        shown = current(app)
        assert isinstance(shown, ShownOnceScreen)
        temporary = text_of(shown.query_one("#secret", Static)).strip()
        await pilot.press("escape")
        await settle(pilot)
        assert screen.table.get_cell(OFFICER, "state").plain == "must change password"
    assert (await world.client().login(OFFICER, SecretStr(temporary))).must_change_password


async def test_g_grants_and_x_revokes_the_grant_chosen_below(world: SecurityWorld) -> None:
    app = world.console(ADMIN)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_users(pilot)
        await select_user(pilot, screen, TECHNICIAN)
        await pilot.press("g")
        await settle(pilot)
        form = current(app)
        assert isinstance(form, GrantScreen)
        form.query_one("#role", Select).value = "viewer"
        form.query_one("#scope", Select).value = "440104"
        form.query_one("#ok", Button).press()
        await settle(pilot)
        assert current(app) is screen
        grants = "field_technician@440103, viewer@440104"
        assert screen.table.get_cell(TECHNICIAN, "grants").plain == grants
        assert screen.grants.shown_keys == ["field_technician@440103", "viewer@440104"]
        await pilot.press("tab")  # to the grants below
        assert app.focused is screen.grants
        await pilot.press("j", "x")
        await confirm(pilot, f"Revoke viewer@440104 from {TECHNICIAN}?")
        assert screen.table.get_cell(TECHNICIAN, "grants").plain == "field_technician@440103"
    reader = await world.logged_in(ADMIN)
    actions = [r.action for r in await reader.audit(AuditQuery(target=TECHNICIAN))]
    assert actions[:2] == ["role_revoke", "role_grant"]


async def test_the_client_reads_a_user_and_revokes_their_api_token(world: SecurityWorld) -> None:
    _, token = world.users.create_api_token(OFFICER, "nightly", days=30, by=OFFICER)
    admin = await world.logged_in(ADMIN)
    assert (await admin.user(OFFICER)).display_name == "王安全"
    (listed,) = await admin.user_tokens(OFFICER)
    assert (listed.id, listed.name, listed.revoked_at) == (token.id, "nightly", None)
    revoked = await admin.revoke_user_token(OFFICER, token.id)
    assert revoked.revoked_at is not None
