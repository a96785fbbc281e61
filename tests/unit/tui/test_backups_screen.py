"""``:backups``: the devices not backed up in 24 h, worst first; open one, back one up; and
read-only mode hides every backup key."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.screen import Screen

from api.app import create_app
from core.metrics.sqlite_store import SqliteMetricStore
from core.state.repository import StateRepository
from tests.unit.api.scenario import SshStores, services
from tests.unit.api.ssh_scenario import LOGIN_FAILED
from tests.unit.tui.conftest import SIZE, FakeCollector, MakeConsole, client_for
from tests.unit.tui.pilot_support import current, settle, showing, text_of
from tests.unit.tui.test_app import command
from tests.unit.tui.test_province_screen import record_notifications
from tui.app import NocConsole
from tui.screens.backups import BackupsScreen
from tui.screens.configs import ConfigScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.device import DeviceScreen
from tui.widgets.backup_table import BackupTable
from tui.widgets.diff_view import DiffView
from tui.widgets.status_line import StatusLine

STALE = ["gz-liwan-acc1", "gd-dc1-core1", "gz-yuexiu-acc1"]


async def open_board(pilot: Pilot[None]) -> BackupsScreen:
    await settle(pilot)
    await command(pilot, "backups")
    screen = pilot.app.screen
    assert isinstance(screen, BackupsScreen)
    return screen


def plain(table: BackupTable, row: str, column: str) -> str:
    value = table.get_cell(row, column)
    return value if isinstance(value, str) else value.plain


async def test_backups_lists_the_stale_worst_first(make_console: MakeConsole) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_board(pilot)
        table = screen.query_one(BackupTable)
        assert table.shown_keys == STALE
        assert plain(table, "gz-liwan-acc1", "state") == "never"
        assert plain(table, "gz-liwan-acc1", "last_success") == "—"
        assert plain(table, "gd-dc1-core1", "state") == "failing"
        assert plain(table, "gd-dc1-core1", "error") == LOGIN_FAILED
        assert plain(table, "gd-dc1-core1", "last_success") == "3d 0h ago"
        assert plain(table, "gz-yuexiu-acc1", "state") == "stale"
        assert plain(table, "gz-yuexiu-acc1", "version") == "#5"
        line = text_of(screen.query_one(StatusLine))
        assert "3 devices not backed up in 24 h · 1 never · 1 failing · 1 stale" in line


async def test_enter_opens_the_device_and_escape_comes_back(make_console: MakeConsole) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_board(pilot)
        await pilot.press("j", "enter")
        await settle(pilot)
        assert isinstance(app.screen, DeviceScreen)
        assert app.screen.device_id == "gd-dc1-core1"
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(current(app), ConfigScreen)
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert showing(app, screen)


async def test_b_backs_the_selected_device_up_and_it_leaves_the_board(
    make_console: MakeConsole, collector: FakeCollector, monkeypatch: pytest.MonkeyPatch
) -> None:
    collector.texts["gz-liwan-acc1"] = "hostname GZ-LIWAN-ACC1\n!\nend\n"
    app = make_console()
    told = record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_board(pilot)
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question == "Back up gz-liwan-acc1 now?"
        await pilot.press("y")
        await settle(pilot)
        assert collector.asked == ["gz-liwan-acc1"]
        assert ("gz-liwan-acc1: first version #6 stored", "information") in told.messages
        assert screen.query_one(BackupTable).shown_keys == STALE[1:]


async def test_backup_without_a_collector_says_why(
    state: StateRepository,
    metrics: SqliteMetricStore,
    stores: SshStores,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = NocConsole(client_for(create_app(services(state, metrics, stores))))
    told = record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_board(pilot)
        await pilot.press("b", "y")
        await settle(pilot)
        ((message, severity),) = [m for m in told.messages if "SSH collector" in m[0]]
        assert message.startswith("on-demand backup is not available on this server")
        assert severity == "error"
        assert showing(app, screen)
        assert app.is_running


async def test_every_backup_key_is_hidden_and_inert_in_read_only_mode(
    make_console: MakeConsole, collector: FakeCollector
) -> None:
    app = make_console(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        board = await open_board(pilot)
        await assert_no_backup_key(pilot, app, board)
        await pilot.press("enter")  # gz-liwan-acc1
        await settle(pilot)
        device = current(app)
        assert isinstance(device, DeviceScreen)
        await assert_no_backup_key(pilot, app, device)
        await pilot.press("c")
        await settle(pilot)
        history = current(app)
        assert isinstance(history, ConfigScreen)
        await assert_no_backup_key(pilot, app, history)
        assert history.query_one(DiffView).lines == [("note", "no configuration stored yet")]
    assert collector.asked == []


async def assert_no_backup_key(pilot: Pilot[None], app: NocConsole, screen: Screen[None]) -> None:
    assert "b" not in screen.active_bindings  # not in the footer either: it shows these
    assert "r" in screen.active_bindings  # the others are all there
    await pilot.press("b")
    await settle(pilot)
    assert showing(app, screen)  # no confirmation asked
