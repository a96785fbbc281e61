"""Logging in and out of the console against the real user directory: errors said in place, a
temporary password changed before going on, sessions renewed behind the operator's back."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from textual.pilot import Pilot
from textual.widgets import Input

from core.settings import AuthSettings
from tests.unit.tui.conftest import SIZE
from tests.unit.tui.pilot_support import current, settle
from tests.unit.tui.security_world import (
    ADMIN,
    OFFICER,
    PASSWORDS,
    TECHNICIAN,
    SecurityWorld,
    open_world,
)
from tests.unit.tui.test_app import command
from tui.app import NocConsole
from tui.client import ApiError, NocApiClient
from tui.screens.login import LoginScreen, PasswordForm, PasswordScreen
from tui.screens.province import ProvinceScreen
from tui.widgets.status_line import StatusLine

SETTINGS = AuthSettings()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[SecurityWorld]:
    with open_world(tmp_path) as opened:
        yield opened


async def type_into(pilot: Pilot[None], selector: str, text: str) -> None:
    """Focus the field and fill it in one go (key-by-key typing is proven once, below: it is
    slow)."""
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.value = text
    await pilot.pause()


async def log_in(pilot: Pilot[None], username: str, password: str) -> None:
    await settle(pilot)
    screen = current(pilot.app)
    assert isinstance(screen, LoginScreen)
    await type_into(pilot, "#username", username)
    await pilot.press("enter")  # on to the password
    assert pilot.app.focused is screen.query_one("#password", Input)
    await type_into(pilot, "#password", password)
    await pilot.press("enter")
    await settle(pilot)


async def test_without_a_token_the_login_screen_comes_first(world: SecurityWorld) -> None:
    app = world.console()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = current(app)
        assert isinstance(screen, LoginScreen)
        assert screen.query_one("#password", Input).password  # masked
        assert app.check_action("command", ()) is False  # no command mode before logging in
        assert app.title == "ssnoc"


async def test_a_wrong_password_is_said_in_place_and_the_screen_stays(
    world: SecurityWorld,
) -> None:
    app = world.console()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*ADMIN, "enter", *"Not-the-password-1", "enter")  # typed, key by key
        await settle(pilot)
        screen = current(app)
        assert isinstance(screen, LoginScreen)
        assert screen.error == "wrong user name or password"
        assert screen.query_one("#password", Input).value == ""  # cleared for another try
        assert screen.query_one("#username", Input).value == ADMIN
        assert not app.client.has_session
        await log_in(pilot, ADMIN, PASSWORDS[ADMIN])
        assert isinstance(current(app), ProvinceScreen)


async def test_the_right_password_opens_the_province_with_the_user_in_the_title(
    world: SecurityWorld,
) -> None:
    app = world.console()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, OFFICER, PASSWORDS[OFFICER])
        assert current(app) is app.province
        assert app.title == f"ssnoc · {OFFICER}"
        assert app.session.username == OFFICER
        assert app.session.logged_in_with_password
        assert app.province.query_one(StatusLine).error is None


async def test_a_locked_account_says_until_when(world: SecurityWorld) -> None:
    app = world.console()
    async with app.run_test(size=SIZE) as pilot:
        for attempt in range(SETTINGS.lockout_after):
            await log_in(pilot, TECHNICIAN, f"Wrong-guess-{attempt}0")
        screen = current(app)
        assert isinstance(screen, LoginScreen)
        assert screen.error == (
            "account locked until 2026-03-01 08:15:30 UTC after repeated wrong passwords; "
            "an administrator can unlock it sooner"
        )
        await log_in(pilot, TECHNICIAN, PASSWORDS[TECHNICIAN])  # the right one is refused too
        assert isinstance(current(app), LoginScreen)
        assert "account locked until" in screen.error


async def test_too_many_logins_from_one_place_are_refused(tmp_path: Path) -> None:
    with open_world(tmp_path, logins_per_minute=2) as world:
        app = world.console()
        async with app.run_test(size=SIZE) as pilot:
            await log_in(pilot, ADMIN, "Wrong-guess-10")
            await log_in(pilot, ADMIN, "Wrong-guess-20")
            await log_in(pilot, ADMIN, PASSWORDS[ADMIN])
            screen = current(app)
            assert isinstance(screen, LoginScreen)
            assert screen.error == (
                "too many attempts: retry in 60 s (too many logins from this place)"
            )


async def test_a_temporary_password_must_be_changed_before_going_on(
    world: SecurityWorld,
) -> None:
    temporary = world.users.reset_password(TECHNICIAN, by=ADMIN)
    app = world.console()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, TECHNICIAN, temporary)
        screen = current(app)
        assert isinstance(screen, LoginScreen)
        form = screen.query_one(PasswordForm)
        assert form.display
        assert not screen.query_one("#credentials").display
        await type_into(pilot, "#new-password", "Brand-New-Secret-7")
        await type_into(pilot, "#repeat-password", "Brand-New-Secret-8")
        await pilot.press("enter")
        assert screen.error == "the two new passwords differ"
        await type_into(pilot, "#new-password", "short")
        await type_into(pilot, "#repeat-password", "short")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.error.startswith("password too short")
        await type_into(pilot, "#new-password", "Brand-New-Secret-7")
        await type_into(pilot, "#repeat-password", "Brand-New-Secret-7")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(current(app), ProvinceScreen)
        assert app.session.username == TECHNICIAN
    again = world.client()
    await again.login(TECHNICIAN, SecretStr("Brand-New-Secret-7"))
    assert (await again.me()).user.must_change_password is False


async def test_a_user_name_given_is_filled_in(world: SecurityWorld) -> None:
    app = NocConsole(world.client(), username=OFFICER)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = current(app)
        assert isinstance(screen, LoginScreen)
        assert screen.query_one("#username", Input).value == OFFICER
        assert app.focused is screen.query_one("#password", Input)
        await pilot.press(*PASSWORDS[OFFICER], "enter")
        await settle(pilot)
        assert isinstance(current(app), ProvinceScreen)


async def test_a_user_name_and_password_log_in_without_the_form(world: SecurityWorld) -> None:
    app = world.console(ADMIN)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(current(app), ProvinceScreen)
        assert app.title == f"ssnoc · {ADMIN}"


async def test_a_wrong_password_given_shows_the_form_with_the_error(
    world: SecurityWorld,
) -> None:
    app = NocConsole(world.client(), username=ADMIN, password="Not-it-at-all-1")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = current(app)
        assert isinstance(screen, LoginScreen)
        assert screen.query_one("#credentials").display
        assert screen.error == "wrong user name or password"


async def test_a_token_of_its_own_skips_the_login_and_asks_who_it_is(
    world: SecurityWorld,
) -> None:
    token, _ = world.users.create_api_token(OFFICER, "console", days=30, by=OFFICER)
    http = world.http({"Authorization": f"Bearer {token}"})
    app = NocConsole(NocApiClient(http), refresh_interval_s=3600.0)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert current(app) is app.province
        assert app.session.username == OFFICER
        assert app.session.via == "api_token"
        assert app.title == f"ssnoc · {OFFICER}"


async def test_a_revoked_token_goes_to_the_login_screen_saying_why(
    world: SecurityWorld,
) -> None:
    token, view = world.users.create_api_token(OFFICER, "console", days=30, by=OFFICER)
    world.users.revoke_api_token(view.id, by=ADMIN)
    app = NocConsole(NocApiClient(world.http({"Authorization": f"Bearer {token}"})))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = current(app)
        assert isinstance(screen, LoginScreen)
        assert "token revoked: log in again" in str(screen.query_one("#note").render())


async def test_an_expired_access_token_is_renewed_once_and_the_request_retried(
    world: SecurityWorld,
) -> None:
    client = await world.logged_in(ADMIN)
    world.clock.advance(SETTINGS.access_ttl_s + 1)
    # Two requests meet the expired token at once: one refresh serves both (a second would be
    # taken for a replayed refresh token and end the session).
    first, second = await asyncio.gather(client.me(), client.region_tree())
    assert first.user.username == ADMIN
    assert second[0].code == "440000"
    assert (await client.me()).via == "session"


async def test_the_console_stays_logged_in_past_the_access_tokens_life(
    world: SecurityWorld,
) -> None:
    app = world.console(ADMIN)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        world.clock.advance(SETTINGS.access_ttl_s + 1)
        await pilot.press("r")
        await settle(pilot)
        assert current(app) is app.province
        assert app.province.query_one(StatusLine).error is None


async def test_a_session_past_its_refresh_goes_back_to_login_with_the_user_filled_in(
    world: SecurityWorld,
) -> None:
    app = world.console(ADMIN)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        world.clock.advance(SETTINGS.refresh_ttl_s + 1)
        await pilot.press("r")
        await settle(pilot)
        screen = current(app)
        assert isinstance(screen, LoginScreen)
        assert screen.query_one("#username", Input).value == ADMIN
        assert "log in again" in str(screen.query_one("#note").render())
        assert app.title == "ssnoc"
        await log_in(pilot, ADMIN, PASSWORDS[ADMIN])
        assert current(app) is app.province


async def test_logout_ends_the_session_and_shows_the_login_screen(world: SecurityWorld) -> None:
    app = world.console(ADMIN)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        old_province = app.province
        await command(pilot, "logout")
        screen = current(app)
        assert isinstance(screen, LoginScreen)
        assert "logged out" in str(screen.query_one("#note").render())
        assert not app.client.has_session
        await log_in(pilot, OFFICER, PASSWORDS[OFFICER])
        assert current(app) is app.province
        assert app.province is not old_province  # the next user starts afresh
        assert app.title == f"ssnoc · {OFFICER}"


async def test_colon_password_changes_it_and_a_wrong_current_one_is_said(
    world: SecurityWorld,
) -> None:
    app = world.console(OFFICER)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await command(pilot, "password")
        dialog = current(app)
        assert isinstance(dialog, PasswordScreen)
        form = dialog.query_one(PasswordForm)
        for selector, text in (
            ("#old-password", "Not-my-password-1"),
            ("#new-password", "Another-Ledger-2027"),
            ("#repeat-password", "Another-Ledger-2027"),
        ):
            await type_into(pilot, selector, text)
        await pilot.press("enter")
        await settle(pilot)
        assert str(form.query_one("#password-error").render()) == "the current password is wrong"
        assert isinstance(current(app), PasswordScreen)  # a wrong old password is not a logout
        for selector, text in (
            ("#old-password", PASSWORDS[OFFICER]),
            ("#new-password", "Another-Ledger-2027"),
            ("#repeat-password", "Another-Ledger-2027"),
        ):
            await type_into(pilot, selector, text)
        await pilot.press("enter")
        await settle(pilot)
        assert current(app) is app.province
    client = world.client()
    await client.login(OFFICER, SecretStr("Another-Ledger-2027"))
    with pytest.raises(ApiError, match="wrong user name or password"):
        await world.client().login(OFFICER, SecretStr(PASSWORDS[OFFICER]))


async def test_no_password_or_token_reaches_a_log(
    world: SecurityWorld, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = await world.logged_in(ADMIN)
    await client.me()
    session = client._session
    assert session is not None
    secrets = (
        PASSWORDS[ADMIN],
        session.access_token.get_secret_value(),
        session.refresh_token.get_secret_value(),
    )
    logged = "\n".join(record.getMessage() for record in caplog.records) + repr(session)
    assert not any(secret in logged for secret in secrets)
