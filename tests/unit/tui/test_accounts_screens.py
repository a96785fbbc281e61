"""Accounts: one device's (under its SSH facts and host key) and the fleet search."""

from __future__ import annotations

from rich.text import Text
from textual.pilot import Pilot

from core.state.host_keys import fingerprint_sha256
from tests.unit.api.ssh_scenario import KEY_CORE, LOGIN_FAILED
from tests.unit.tui.conftest import SIZE, MakeConsole
from tests.unit.tui.pilot_support import settle, showing, text_of
from tests.unit.tui.test_app import command
from tui.screens.accounts import DeviceAccountsScreen
from tui.screens.device import DeviceScreen
from tui.screens.fleet_accounts import FleetAccountsScreen
from tui.widgets.account_table import AccountTable, FleetAccountTable
from tui.widgets.ssh_summary import SshSummary
from tui.widgets.status_line import StatusLine

CORE = "gz-core1\t{}\tlocal-user"


async def open_accounts(pilot: Pilot[None], down: int = 1) -> DeviceAccountsScreen:
    await settle(pilot)
    await pilot.press(*["j"] * down, "enter")  # 1: gz-core1
    await settle(pilot)
    assert isinstance(pilot.app.screen, DeviceScreen)
    await pilot.press("a")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, DeviceAccountsScreen)
    return screen


def cell(table: AccountTable, key: str, column: str) -> Text:
    value = table.get_cell(key, column)
    assert isinstance(value, Text)
    return value


async def test_a_shows_the_device_accounts_privileged_highlighted(
    make_console: MakeConsole,
) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_accounts(pilot)
        table = screen.query_one(AccountTable)
        names = ["admin", "noc-ro", "test", "zhangwei"]
        assert table.shown_keys == [CORE.format(n) for n in names]
        admin = CORE.format("admin")
        assert cell(table, admin, "privilege").plain == "network-admin"
        assert "magenta" in str(cell(table, admin, "name").style)
        assert "magenta" not in str(cell(table, CORE.format("noc-ro"), "name").style)
        assert cell(table, admin, "changed").plain == "200d 0h ago"
        assert cell(table, admin, "services").plain == "ssh,terminal"
        weak = cell(table, CORE.format("test"), "password")
        assert (weak.plain, "red" in str(weak.style)) == ("simple", True)
        assert cell(table, CORE.format("test"), "state").plain == "blocked"
        line = text_of(screen.query_one(StatusLine))
        assert "4 accounts · 2 privileged · collected 1h 0m ago" in line
        ssh = text_of(screen.query_one(SshSummary))
        assert "hostname GZ-CORE1" in ssh
        assert f"host key ssh-ed25519 {fingerprint_sha256(KEY_CORE)}" in ssh
        assert "127.0.0.12:22" in ssh
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DeviceScreen)


async def test_the_device_accounts_filter(make_console: MakeConsole) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_accounts(pilot)
        await pilot.press("slash", *"admin")
        table = screen.query_one(AccountTable)
        # the privilege column matches too: network-admin
        assert table.shown_keys == [CORE.format("admin"), CORE.format("zhangwei")]
        assert "filter 'admin': 2/4" in text_of(screen.query_one(StatusLine))
        await pilot.press("escape")
        assert len(table.shown_keys) == 4
        assert showing(app, screen)


async def test_a_device_whose_ssh_fails_shows_the_error(make_console: MakeConsole) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_accounts(pilot, down=0)  # gd-dc1-core1
        ssh = text_of(screen.query_one(SshSummary))
        assert "no SSH facts collected yet" in ssh
        assert f"last SSH error 30m 30s ago: {LOGIN_FAILED}" in ssh


async def test_a_device_never_collected_has_none(make_console: MakeConsole) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_accounts(pilot, down=2)  # gz-liwan-acc1
        assert screen.query_one(AccountTable).shown_keys == []
        assert "0 accounts · 0 privileged · none collected yet" in text_of(
            screen.query_one(StatusLine)
        )


async def test_accounts_command_searches_the_fleet(make_console: MakeConsole) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await command(pilot, "accounts")
        screen = app.screen
        assert isinstance(screen, FleetAccountsScreen)
        table = screen.query_one(FleetAccountTable)
        assert len(table.shown_keys) == 8
        assert "8 accounts on 3 devices · 4 privileged" in text_of(screen.query_one(StatusLine))
        await pilot.press("p")
        await settle(pilot)
        assert screen.privileged_only
        assert [AccountTable.device_of(k) for k in table.shown_keys] == [
            "gd-dc1-core1",
            "gz-core1",
            "gz-core1",
            "gz-yuexiu-acc1",
        ]
        assert table.border_title == "privileged accounts · every device and host"
        await pilot.press("slash", *"yuexiu", "enter")
        assert table.shown_keys == ["gz-yuexiu-acc1\tadmin\tusername"]
        await pilot.press("enter")  # opens the device
        await settle(pilot)
        assert isinstance(app.screen, DeviceScreen)
        assert app.screen.device_id == "gz-yuexiu-acc1"
        await pilot.press("escape")
        await settle(pilot)
        assert showing(app, screen)
        await pilot.press("p")
        await settle(pilot)
        assert table.border_title == "accounts · every device and host"  # all again
        assert table.shown_keys == [
            "gz-yuexiu-acc1\tadmin\tusername",
            "gz-yuexiu-acc1\tbackup\tusername",
        ]


async def test_accounts_command_twice_does_not_stack(make_console: MakeConsole) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await command(pilot, "acc")
        await command(pilot, "accounts")
        assert isinstance(app.screen, FleetAccountsScreen)
        assert len(app.screen_stack) == 2
