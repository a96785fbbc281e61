"""What the operator sees, compared with approved screenshots (fixed data, fixed clock, fixed
terminal size). Regenerate with ``pytest --snapshot-update`` and look at the SVGs before
accepting them."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from textual.pilot import Pilot

from tests.unit.api.auth_fakes import ADMIN_HEADERS
from tests.unit.tui.conftest import SIZE, MakeConsole
from tests.unit.tui.pilot_support import settle
from tests.unit.tui.test_app import command
from tui.client import NocApiClient

SnapCompare = Callable[..., bool]


async def city_open(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await pilot.press("tab", "j", "space")  # the tree: down to 广州市 and open it
    await settle(pilot)


async def core_switch(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await pilot.press("j", "enter")  # gz-core1
    await settle(pilot)


async def core_history(pilot: Pilot[None]) -> None:
    await core_switch(pilot)
    await pilot.press("c")
    await settle(pilot)


async def core_accounts(pilot: Pilot[None]) -> None:
    await core_switch(pilot)
    await pilot.press("a")
    await settle(pilot)


async def backups_board(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await command(pilot, "backups")


def test_province_screen(snap_compare: SnapCompare, make_console: MakeConsole) -> None:
    """The tree open at 广州市 (down, one degraded) and its three devices."""
    assert snap_compare(make_console(), terminal_size=SIZE, run_before=city_open)


def test_device_screen(snap_compare: SnapCompare, make_console: MakeConsole) -> None:
    """gz-core1: degraded by its down link to 荔湾区; rates in human units."""
    assert snap_compare(make_console(), terminal_size=SIZE, run_before=core_switch)


def test_api_down(snap_compare: SnapCompare, make_console: MakeConsole) -> None:
    """No API: an error line and one notification, an empty screen, no traceback."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    http = httpx.AsyncClient(
        transport=httpx.MockTransport(refuse), base_url="http://noc:8480", headers=ADMIN_HEADERS
    )
    assert snap_compare(make_console(NocApiClient(http)), terminal_size=SIZE, run_before=settle)


def test_config_history_screen(snap_compare: SnapCompare, make_console: MakeConsole) -> None:
    """gz-core1's three versions; the newest against the one before: the yuexiu trunk drops
    VLAN 1 (red, then green) and NTP arrives (green), hunks in cyan; backed up an hour ago."""
    assert snap_compare(make_console(), terminal_size=SIZE, run_before=core_history)


def test_accounts_screen(snap_compare: SnapCompare, make_console: MakeConsole) -> None:
    """gz-core1's four local users, the two network-admins highlighted, the blocked test user's
    plain ("simple") password in red; SSH facts and the pinned host key above."""
    assert snap_compare(make_console(), terminal_size=SIZE, run_before=core_accounts)


def test_backups_board(snap_compare: SnapCompare, make_console: MakeConsole) -> None:
    """Three devices not backed up in 24 h: never (liwan), failing with its error (dc1), stale
    (yuexiu, 30 hours)."""
    assert snap_compare(make_console(), terminal_size=SIZE, run_before=backups_board)
