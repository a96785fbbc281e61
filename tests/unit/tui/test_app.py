"""The app's routes: help, command mode, quitting; and the help page lists every key."""

from __future__ import annotations

from typing import Any

import pytest
from textual.binding import Binding
from textual.pilot import Pilot
from textual.widgets import Input

from tests.unit.tui.conftest import SIZE, MakeConsole
from tests.unit.tui.pilot_support import settle
from tests.unit.tui.test_province_screen import record_notifications
from tui.app import NocConsole
from tui.screens.accounts import DeviceAccountsScreen
from tui.screens.backups import BackupsScreen
from tui.screens.command import CommandScreen
from tui.screens.configs import ConfigScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.device import DeviceScreen
from tui.screens.fleet_accounts import FleetAccountsScreen
from tui.screens.help import KEYS, HelpScreen
from tui.screens.province import ProvinceScreen
from tui.screens.table_screen import TableScreen
from tui.widgets.account_table import AccountTable, FleetAccountTable
from tui.widgets.backup_table import BackupTable
from tui.widgets.device_table import DeviceTable
from tui.widgets.diff_view import DiffView
from tui.widgets.filter_bar import FilterBar
from tui.widgets.keyed_table import KeyedTable
from tui.widgets.region_tree import RegionTree
from tui.widgets.version_table import VersionTable


async def command(pilot: Pilot[None], line: str) -> None:
    await pilot.press("colon")
    assert isinstance(pilot.app.screen, CommandScreen)
    # Typed in one go: key-by-key typing is what the filter tests prove, and it is slow.
    pilot.app.screen.query_one(Input).value = line
    await pilot.press("enter")
    await settle(pilot)


async def test_question_mark_shows_help_and_escape_closes_it(make_console: MakeConsole) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, ProvinceScreen)


def test_help_lists_every_key_bound_anywhere() -> None:
    listed = {key for _, rows in KEYS for keys, _ in rows for key in keys.split()}
    names = {"question_mark": "?", "colon": ":", "slash": "/"}
    owners: list[Any] = [
        NocConsole,
        ProvinceScreen,
        DeviceScreen,
        ConfigScreen,
        DeviceAccountsScreen,
        FleetAccountsScreen,
        BackupsScreen,
        TableScreen,
        ConfirmScreen,
        KeyedTable,
        DeviceTable,
        VersionTable,
        AccountTable,
        FleetAccountTable,
        BackupTable,
        DiffView,
        RegionTree,
        FilterBar,
    ]
    for owner in owners:
        for binding in owner.BINDINGS:
            assert isinstance(binding, Binding)
            for key in binding.key.split(","):
                assert names.get(key, key) in listed, f"{owner.__name__}: '{key}' not in help"


async def test_command_device_opens_it(make_console: MakeConsole) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await command(pilot, "device gz-yuexiu-acc1")
        assert isinstance(app.screen, DeviceScreen)
        assert app.screen.device_id == "gz-yuexiu-acc1"
        await command(pilot, "home")
        assert isinstance(app.screen, ProvinceScreen)


async def test_command_for_an_unknown_device_says_so_and_stays(
    make_console: MakeConsole, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_console()
    told = record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await command(pilot, "d gz-core9")
        assert isinstance(app.screen, ProvinceScreen)
        assert ("no device 'gz-core9'", "error") in told.messages


async def test_command_region_from_the_device_screen(make_console: MakeConsole) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DeviceScreen)
        await command(pilot, "region 440104")
        assert isinstance(app.screen, ProvinceScreen)
        assert app.province.query_one(RegionTree).selected_code == "440104"
        assert app.province.query_one(DeviceTable).shown_keys == ["gz-yuexiu-acc1"]


@pytest.mark.parametrize(
    ("line", "told"),
    [("reboot all", "unknown command 'reboot'"), ("region 449999", "no region 449999")],
)
async def test_bad_commands_are_told_not_crashed(
    make_console: MakeConsole, monkeypatch: pytest.MonkeyPatch, line: str, told: str
) -> None:
    app = make_console()
    recorder = record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await command(pilot, line)
        assert any(told in message for message, _ in recorder.messages)
        assert isinstance(app.screen, ProvinceScreen)


async def test_escape_cancels_command_mode(make_console: MakeConsole) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"dev", "escape")
        assert isinstance(app.screen, ProvinceScreen)


async def test_command_mode_suggests_commands(make_console: MakeConsole) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"reg", "right")  # right accepts the suggestion
        assert app.screen.query_one(Input).value == "region"


@pytest.mark.parametrize("keys", [["q"], ["ctrl+c"], ["colon", "q", "enter"]])
async def test_quitting(make_console: MakeConsole, keys: list[str]) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*keys)
        await pilot.pause()
    assert app.return_code == 0
    assert not app.is_running


async def test_q_in_the_filter_is_text_not_quit(make_console: MakeConsole) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", "q")
        assert app.is_running
        assert app.province.query_one(FilterBar).value == "q"
