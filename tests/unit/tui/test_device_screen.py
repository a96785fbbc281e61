"""The device screen: opened from the table, identity above interfaces with live rates."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.polling import DevicePollRecord
from core.state.repository import StateRepository
from tests.unit.api.scenario import POLLS, T0, port
from tests.unit.tui.conftest import SIZE, FakeCollector, MakeConsole
from tests.unit.tui.pilot_support import current, settle, showing, text_of
from tests.unit.tui.test_province_screen import record_notifications
from tui.screens.confirm import ConfirmScreen
from tui.screens.device import DeviceScreen
from tui.screens.province import ProvinceScreen
from tui.widgets.device_header import DeviceHeader
from tui.widgets.filter_bar import FilterBar
from tui.widgets.interface_table import InterfaceTable
from tui.widgets.status_line import StatusLine


def cell(screen: DeviceScreen, row: str, column: str) -> str:
    value = screen.query_one(InterfaceTable).get_cell(row, column)
    return value if isinstance(value, str) else value.plain


async def test_enter_opens_the_device_with_interfaces_and_rates(make_console: MakeConsole) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "enter")  # the second device: gz-core1
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DeviceScreen)
        assert screen.device_id == "gz-core1"
        interfaces = screen.query_one(InterfaceTable)
        assert interfaces.shown_keys == ["1", "2", "3"]
        assert cell(screen, "1", "name") == "Ten-GigabitEthernet1/0/1"
        assert (cell(screen, "1", "in"), cell(screen, "1", "out")) == ("2.40 Gb/s", "1.10 Gb/s")
        assert cell(screen, "1", "speed") == "10G"
        assert cell(screen, "1", "util") == "24.0%"
        assert cell(screen, "1", "link") == "dc1-gz"
        assert (cell(screen, "2", "oper"), cell(screen, "2", "in")) == ("down", "—")
        assert cell(screen, "3", "in") == "45.2 Mb/s"
        header = text_of(screen.query_one(DeviceHeader))
        assert "H3C" in header
        assert "S12508" in header
        assert "linked and down GigabitEthernet1/0/2 (gz-liwan-primary)" in header
        assert "in 2.45 Gb/s · out 1.11 Gb/s" in text_of(screen.query_one(StatusLine))

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ProvinceScreen)


async def test_an_unreachable_device_shows_why(make_console: MakeConsole) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "j", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DeviceScreen)
        header = text_of(screen.query_one(DeviceHeader))
        assert "last error no answer after 2 retries" in header
        assert "failures 1" in header
        assert screen.query_one(InterfaceTable).shown_keys == []


async def test_refresh_updates_rates_in_place(
    make_console: MakeConsole, state: StateRepository
) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # gd-dc1-core1
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DeviceScreen)
        assert cell(screen, "1", "in") == "512 Mb/s"
        rows_before = list(screen.query_one(InterfaceTable).rows)
        (first,) = [p for p in POLLS if p.device_id == "gd-dc1-core1"]
        assert first.interfaces is not None
        faster = port(1, "GigabitEthernet0/0/1", in_bps=955e6, out_bps=20e6, alias="to GZ-CORE1")
        state.record_polls(
            [
                DevicePollRecord(
                    device_id="gd-dc1-core1",
                    at=T0 + timedelta(seconds=15),
                    reachable=True,
                    interfaces=(faster, *first.interfaces[1:]),
                )
            ]
        )
        await pilot.press("r")
        await settle(pilot)
        assert cell(screen, "1", "in") == "955 Mb/s"
        assert cell(screen, "1", "util") == "95.5%"
        rows_after = list(screen.query_one(InterfaceTable).rows)
        assert all(a is b for a, b in zip(rows_after, rows_before, strict=True))


async def test_filter_interfaces_then_escape_twice_goes_back(make_console: MakeConsole) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DeviceScreen)
        await pilot.press("slash", *"yuexiu")
        assert screen.query_one(InterfaceTable).shown_keys == ["3"]
        status = text_of(screen.query_one(StatusLine))
        assert "filter 'yuexiu': 1/3" in status
        assert "in 45.2 Mb/s" in status
        await pilot.press("escape")  # clears the filter
        assert not screen.query_one(FilterBar).is_open
        assert screen.query_one(InterfaceTable).shown_keys == ["1", "2", "3"]
        assert app.screen is screen
        await pilot.press("escape")  # then back
        await settle(pilot)
        assert isinstance(app.screen, ProvinceScreen)


async def test_b_on_the_device_asks_and_tells_the_outcome(
    make_console: MakeConsole, collector: FakeCollector, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_console()
    told = record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "j", "j", "enter")  # gz-yuexiu-acc1
        await settle(pilot)
        screen = current(app)
        assert isinstance(screen, DeviceScreen)
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(current(app), ConfirmScreen)
        await pilot.press("escape")  # Esc is "no"
        await settle(pilot)
        assert collector.asked == []
        await pilot.press("b", "y")
        await settle(pilot)
        assert showing(app, screen)
        assert collector.asked == ["gz-yuexiu-acc1"]
        assert ("gz-yuexiu-acc1: unchanged since version #5", "information") in told.messages
