"""What the operator sees, compared with approved screenshots (fixed data, fixed clock, fixed
terminal size). Regenerate with ``pytest --snapshot-update`` and look at the SVGs before
accepting them."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from textual.pilot import Pilot

from tests.unit.tui.conftest import SIZE, MakeConsole
from tests.unit.tui.pilot_support import settle
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

    http = httpx.AsyncClient(transport=httpx.MockTransport(refuse), base_url="http://noc:8480")
    assert snap_compare(make_console(NocApiClient(http)), terminal_size=SIZE, run_before=settle)
