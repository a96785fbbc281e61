"""The province screen driven like an operator would: tree, table, filter, refresh, failures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from textual.pilot import Pilot

from core.polling import DevicePollRecord
from core.state.repository import StateRepository
from core.state.views import RegionNode
from tests.unit.api.auth_fakes import ADMIN_HEADERS
from tests.unit.api.scenario import T0
from tests.unit.tui.conftest import SIZE, MakeConsole, client_for
from tests.unit.tui.pilot_support import settle, text_of
from tui.app import NocConsole
from tui.client import NocApiClient
from tui.screens.province import ProvinceScreen
from tui.widgets.device_table import DeviceTable
from tui.widgets.filter_bar import FilterBar
from tui.widgets.region_tree import RegionTree
from tui.widgets.status_line import StatusLine

ALL = ["gd-dc1-core1", "gz-core1", "gz-liwan-acc1", "gz-yuexiu-acc1"]


class NotificationRecorder:
    """Wraps ``App.notify`` so a test can see what the operator was told."""

    def __init__(self, app: NocConsole) -> None:
        self.messages: list[tuple[str, str]] = []
        self._notify = app.notify

    def __call__(self, message: str, **options: Any) -> None:
        self.messages.append((message, str(options.get("severity", "information"))))
        self._notify(message, **options)


def record_notifications(app: NocConsole, monkeypatch: pytest.MonkeyPatch) -> NotificationRecorder:
    recorder = NotificationRecorder(app)
    monkeypatch.setattr(app, "notify", recorder)
    return recorder


def table(app: NocConsole) -> DeviceTable:
    return app.province.query_one(DeviceTable)


def tree(app: NocConsole) -> RegionTree:
    return app.province.query_one(RegionTree)


async def focus_tree(pilot: Pilot[None]) -> None:
    await pilot.press("tab")
    assert isinstance(pilot.app.focused, RegionTree)


async def test_tree_loads_the_province_with_its_cities_open(make_console: MakeConsole) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ProvinceScreen)
        regions = tree(app)
        province = regions.node_for("440000")
        city = regions.node_for("440100")
        assert province is not None
        assert city is not None
        assert province.is_expanded
        assert city.parent is province
        assert not city.is_expanded  # counties stay folded until asked for
        assert str(city.label).startswith("● 广州市 440100  3 · 1 down · 1 deg")
        assert regions.selected_code == "440000"
        assert table(app).shown_keys == ALL


async def test_selecting_a_city_shows_its_devices_and_its_counties(
    make_console: MakeConsole,
) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await focus_tree(pilot)
        await pilot.press("j")  # province → 广州市
        await settle(pilot)
        assert tree(app).selected_code == "440100"
        assert table(app).shown_keys == ["gz-core1", "gz-liwan-acc1", "gz-yuexiu-acc1"]
        assert table(app).border_title == "devices · 广州市 440100"
        await pilot.press("space", "j", "j")  # open the city, down to 越秀区
        await settle(pilot)
        assert tree(app).selected_code == "440104"
        assert table(app).shown_keys == ["gz-yuexiu-acc1"]
        await pilot.press("k", "k")
        await settle(pilot)
        assert tree(app).selected_code == "440100"


async def test_slash_filters_as_you_type_and_escape_clears(make_console: MakeConsole) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        bar = app.province.query_one(FilterBar)
        assert bar.is_open
        assert app.focused is bar
        await pilot.press(*"gz-")
        assert table(app).shown_keys == ["gz-core1", "gz-liwan-acc1", "gz-yuexiu-acc1"]
        await pilot.press(*"y")
        assert table(app).shown_keys == ["gz-yuexiu-acc1"]
        assert "filter 'gz-y': 1/4" in text_of(app.province.query_one(StatusLine))
        await pilot.press("escape")
        assert table(app).shown_keys == ALL
        assert not app.province.query_one(FilterBar).is_open
        assert table(app).has_focus
        assert isinstance(app.screen, ProvinceScreen)  # escape cleared, did not go anywhere


async def test_filter_matches_any_column_and_enter_keeps_it(make_console: MakeConsole) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"DOWN", "enter")
        assert table(app).shown_keys == ["gz-liwan-acc1"]  # the status column matched
        assert app.focused is table(app)
        await pilot.press("escape")  # on the table: drops the kept filter
        assert table(app).shown_keys == ALL


async def test_j_and_k_move_the_table_cursor(make_console: MakeConsole) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "j")
        assert table(app).cursor_key == "gz-liwan-acc1"
        await pilot.press("k")
        assert table(app).cursor_key == "gz-core1"


async def test_refresh_updates_rows_in_place(
    make_console: MakeConsole, state: StateRepository
) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j")
        devices = table(app)
        row_keys_before = list(devices.rows)
        state.record_polls(
            [
                DevicePollRecord(
                    device_id="gz-core1",
                    at=T0 + timedelta(seconds=20),
                    reachable=True,
                    cpu_percent=95.0,
                )
            ]
        )
        await pilot.press("r")
        await settle(pilot)
        assert devices.get_cell("gz-core1", "cpu").plain == "95.0"
        assert devices.get_cell("gz-core1", "last_poll").plain == "10s ago"
        # Same row objects (not rebuilt: no flicker), cursor where it was.
        assert all(a is b for a, b in zip(list(devices.rows), row_keys_before, strict=True))
        assert devices.cursor_key == "gz-core1"


async def test_api_down_is_reported_once_and_the_console_keeps_running(
    make_console: MakeConsole, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    http = httpx.AsyncClient(
        transport=httpx.MockTransport(refuse), base_url="http://noc:8480", headers=ADMIN_HEADERS
    )
    app = make_console(NocApiClient(http))
    told = record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        status = app.province.query_one(StatusLine)
        assert status.error is not None
        assert status.error.startswith("cannot reach the API at http://noc:8480")
        assert len(told.messages) == 1  # the same trouble twice is one notification
        assert told.messages[0][1] == "error"
        assert table(app).shown_keys == []
        assert app.is_running


class FlakyTransport(httpx.AsyncBaseTransport):
    """Refuses connections until ``up`` is set, then passes requests to the real API."""

    def __init__(self, api: FastAPI) -> None:
        self.up = False
        self._api = httpx.ASGITransport(app=api)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self.up:
            raise httpx.ConnectError("Connection refused", request=request)
        return await self._api.handle_async_request(request)


async def test_the_console_recovers_when_the_api_comes_back(
    make_console: MakeConsole, api: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport = FlakyTransport(api)
    http = httpx.AsyncClient(transport=transport, base_url="http://noc:8480", headers=ADMIN_HEADERS)
    app = make_console(NocApiClient(http))
    told = record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.province.query_one(StatusLine).error is not None
        transport.up = True
        await pilot.press("r")
        await settle(pilot)
        assert app.province.query_one(StatusLine).error is None
        assert table(app).shown_keys == ALL
        assert [m for m, _ in told.messages][-1] == "the API answers again"


async def test_read_only_is_shown_in_the_title(api: FastAPI) -> None:
    app = NocConsole(client_for(api), refresh_interval_s=60.0, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.read_only
        assert "read-only" in app.title


def test_refresh_interval_must_be_positive(api: FastAPI) -> None:
    with pytest.raises(ValueError, match="refresh_interval_s"):
        NocConsole(client_for(api), refresh_interval_s=0)


class BuggyClient(NocApiClient):
    """A client with a bug: the region tree raises something that is not an ApiError."""

    async def region_tree(self) -> list[RegionNode]:
        raise KeyError("children")


async def test_a_bug_in_a_load_is_reported_and_the_console_keeps_running(
    make_console: MakeConsole, api: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api), base_url="http://ssnoc.test", headers=ADMIN_HEADERS
    )
    app = make_console(BuggyClient(http))
    told = record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.is_running
        assert ("KeyError: 'children'", "error") in told.messages
        assert app.province.query_one(StatusLine).error == "KeyError: 'children'"


async def test_coming_back_from_a_device_shows_fresh_data(
    make_console: MakeConsole, state: StateRepository
) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "enter")
        await settle(pilot)
        state.record_polls(
            [DevicePollRecord(device_id="gz-core1", at=T0, reachable=True, cpu_percent=88.0)]
        )
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ProvinceScreen)
        assert table(app).get_cell("gz-core1", "cpu").plain == "88.0"
