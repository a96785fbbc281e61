"""``:failover`` against the real API and topology monitor: the sites off their primary path,
worst first, for how long, with the counts; every site on ``a``; the city's topology on Enter; the
what-if on ``i``; a technician sees their county only; and a server without a topology says so."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from tests.unit.topology.networks import GZ_CORE, LIWAN_ACC, NANHAI_ACC
from tests.unit.tui.conftest import SIZE, MakeConsole
from tests.unit.tui.pilot_support import current, settle, showing, text_of
from tests.unit.tui.test_app import command
from tests.unit.tui.test_province_screen import record_notifications
from tests.unit.tui.topology_world import TECHNICIAN, TopologyWorld, open_world
from tui.screens.failover import FailoverScreen, city_of
from tui.screens.impact import ImpactScreen
from tui.screens.topology import TopologyScreen
from tui.widgets.status_line import StatusLine
from tui.widgets.topology_failover_table import FailoverTable
from tui.widgets.topology_tree import ItemKind

SnapCompare = Callable[..., bool]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[TopologyWorld]:
    with open_world(tmp_path) as opened:
        yield opened


async def open_board(pilot: Pilot[None], line: str = "failover") -> FailoverScreen:
    await settle(pilot)
    await command(pilot, line)
    screen = current(pilot.app)
    assert isinstance(screen, FailoverScreen)
    return screen


def cell(table: FailoverTable, row: str, column: str) -> str:
    value = table.get_cell(row, column)
    return value if isinstance(value, str) else value.plain


def counts(screen: FailoverScreen) -> str:
    return text_of(screen.query_one("#counts", Static)).strip()


async def test_isolated_first_then_on_backup_with_how_long_and_the_counts(
    world: TopologyWorld,
) -> None:
    app = world.console()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_board(pilot)
        table = screen.query_one(FailoverTable)
        assert table.shown_keys == [NANHAI_ACC, LIWAN_ACC]
        assert cell(table, NANHAI_ACC, "state") == "isolated"
        assert str(table.get_cell(NANHAI_ACC, "state").style) == "bold red"
        assert cell(table, NANHAI_ACC, "for") == "8m 5s"
        assert cell(table, NANHAI_ACC, "region") == "南海区"
        assert cell(table, NANHAI_ACC, "code") == "440605"
        assert cell(table, NANHAI_ACC, "failed") == "fs-nanhai-primary"
        assert cell(table, NANHAI_ACC, "via") == "—"
        assert cell(table, LIWAN_ACC, "state") == "on backup"
        assert str(table.get_cell(LIWAN_ACC, "state").style) == "bold yellow"
        assert cell(table, LIWAN_ACC, "for") == "12m 5s"
        assert cell(table, LIWAN_ACC, "failed") == "gz-liwan-primary"
        assert cell(table, LIWAN_ACC, "via") == "fs-dc2, gz-liwan-backup"
        assert counts(screen) == "4 on primary · 1 on backup · 1 isolated"
        status = text_of(screen.query_one(StatusLine))
        assert "2 sites off their primary path   as of 2026-03-02 08:13:05 UTC" in status


async def test_a_shows_every_site_and_a_again_only_the_troubled(world: TopologyWorld) -> None:
    app = world.console()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_board(pilot, "fo")
        await pilot.press("a")
        await settle(pilot)
        table = screen.query_one(FailoverTable)
        assert table.shown_keys[:2] == [NANHAI_ACC, LIWAN_ACC]
        assert len(table.shown_keys) == 6
        assert cell(table, GZ_CORE, "state") == "on primary"
        assert cell(table, GZ_CORE, "for") == "—"
        assert table.border_title == "every site · worst first"
        await pilot.press("a")
        await settle(pilot)
        assert table.shown_keys == [NANHAI_ACC, LIWAN_ACC]


async def test_refresh_follows_the_network_back_to_its_primary_paths(
    world: TopologyWorld,
) -> None:
    app = world.console()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_board(pilot)
        world.observe(after_s=30)  # every link up again
        await command(pilot, "failover")  # asked for while shown: refreshed, not stacked
        assert showing(app, screen)
        assert screen.query_one(FailoverTable).shown_keys == []
        assert counts(screen) == "6 on primary · 0 on backup · 0 isolated" + (
            "   every site on its primary path"
        )


async def test_enter_opens_the_citys_topology_with_the_county_under_the_cursor(
    world: TopologyWorld,
) -> None:
    app = world.console()
    async with app.run_test(size=SIZE) as pilot:
        board = await open_board(pilot)
        await pilot.press("j", "enter")  # 荔湾区
        await settle(pilot)
        screen = current(app)
        assert isinstance(screen, TopologyScreen)
        assert screen.code == "440100"
        selected = screen.topology_tree.selected
        assert selected is not None
        assert (selected.kind, selected.id) == (ItemKind.REGION, "440103")
        await pilot.press("escape")
        await settle(pilot)
        assert showing(app, board)


async def test_i_shows_what_the_failure_of_the_sites_node_would_cost(
    world: TopologyWorld,
) -> None:
    app = world.console()
    async with app.run_test(size=SIZE) as pilot:
        board = await open_board(pilot)
        await pilot.press("j", "i")
        await settle(pilot)
        modal = current(app)
        assert isinstance(modal, ImpactScreen)
        assert modal.report is not None
        assert modal.report.element.id == LIWAN_ACC
        shown = text_of(modal.query_one("#impact-report", Static))
        assert "what if device gz-liwan-acc1 failed?" in shown
        assert "荔湾区 440103" in shown
        assert "12  (荔湾区 12)" in shown  # its card terminals, by county
        await pilot.press("escape")
        assert showing(app, board)


async def test_a_technician_sees_their_county_only_and_enter_shows_it(
    world: TopologyWorld,
) -> None:
    app = world.console(TECHNICIAN)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_board(pilot)
        assert screen.query_one(FailoverTable).shown_keys == [LIWAN_ACC]
        assert counts(screen) == "0 on primary · 1 on backup · 0 isolated"
        await pilot.press("enter")
        await settle(pilot)
        topology = current(app)
        assert isinstance(topology, TopologyScreen)
        assert topology.code == "440103"  # the city is not theirs to see: their county is


async def test_a_server_without_a_topology_says_so(
    make_console: MakeConsole, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_console()
    told = record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_board(pilot)
        assert "does not follow the topology" in text_of(screen.query_one(StatusLine))
        assert any("does not follow the topology" in m for m, _ in told.messages)
        assert app.is_running


@pytest.mark.parametrize(("region", "city"), [("440103", "440100"), ("440100", "440100")])
def test_city_of(region: str, city: str) -> None:
    assert city_of(region) == city


def test_failover_board_snapshot(snap_compare: SnapCompare, world: TopologyWorld) -> None:
    """南海区 isolated (red) for 8m 5s above 荔湾区 on backup (yellow) for 12m 5s, with the
    links that failed and the backup links in use; the counts on top."""

    async def board(pilot: Pilot[None]) -> None:
        await open_board(pilot)

    assert snap_compare(world.console(), terminal_size=SIZE, run_before=board)
