"""``:topology`` against the real API and topology monitor: a city and its counties at a glance,
its single points of failure, what-ifs on ``i``, drilling down, the province's ``t``, regions the
user may not see; and the command's parsing and the help."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.pilot import Pilot
from textual.widgets import Static

from core.security.permissions import Permission
from tests.unit.topology.networks import GZ_CORE, LIWAN_ACC
from tests.unit.tui.conftest import SIZE
from tests.unit.tui.pilot_support import current, settle, showing, text_of
from tests.unit.tui.test_app import command
from tests.unit.tui.test_province_screen import record_notifications
from tests.unit.tui.topology_world import ADMIN, TECHNICIAN, TopologyWorld, open_world
from tui.commands import Command, CommandError, Verb, parse_command
from tui.screens.failover import FailoverScreen
from tui.screens.help import KEYS
from tui.screens.impact import ImpactScreen
from tui.screens.province import ProvinceScreen
from tui.screens.topology import OpenTopology, TopologyScreen, region_for_command
from tui.session import Session
from tui.widgets.status_line import StatusLine
from tui.widgets.topology_detail import TopologyDetail
from tui.widgets.topology_failover_table import FailoverTable
from tui.widgets.topology_spof_table import SpofTable
from tui.widgets.topology_tree import TopologyTree

SnapCompare = Callable[..., bool]
GUANGZHOU = [
    "region:440100:gz-core1",
    "link:gz-dc1:gz-core1",
    "link:gz-dc2:gz-core1",
    "link:fs-chancheng-backup:gz-core1",
    "region:440103:gz-liwan-acc1",
    "link:gz-liwan-primary:gz-liwan-acc1",
    "link:gz-liwan-backup:gz-liwan-acc1",
    "region:440104:gz-yuexiu-acc1",
    "link:gz-yuexiu-primary:gz-yuexiu-acc1",
    "link:gz-yuexiu-backup:gz-yuexiu-acc1",
]
"""The city's uplinks (to the cores, then the neighbouring county it backs up), then each county
with its primary and backup link."""


@pytest.fixture
def world(tmp_path: Path) -> Iterator[TopologyWorld]:
    with open_world(tmp_path) as opened:
        yield opened


async def open_topology(pilot: Pilot[None], line: str = "topology 440100") -> TopologyScreen:
    await settle(pilot)
    await command(pilot, line)
    screen = current(pilot.app)
    assert isinstance(screen, TopologyScreen)
    return screen


async def cursor_to(pilot: Pilot[None], tree: TopologyTree, key: str) -> None:
    assert tree.select_key(key)
    await settle(pilot)


def detail(screen: TopologyScreen) -> str:
    return text_of(screen.query_one(TopologyDetail))


async def test_a_city_its_uplinks_and_its_counties_with_their_links(
    world: TopologyWorld,
) -> None:
    app = world.console()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_topology(pilot)
        tree = screen.topology_tree
        assert tree.keys == GUANGZHOU
        assert tree.label_of(GUANGZHOU[0]) == "● 广州市 440100  gz-core1 up  on primary"
        assert tree.label_of(GUANGZHOU[1]).startswith("primary gz-dc1  → gd-dc1-core1 广东省  up")
        assert tree.label_of(GUANGZHOU[4]) == (
            "● 荔湾区 440103  gz-liwan-acc1 degraded  on backup 12m 5s"
        )
        assert tree.label_of(GUANGZHOU[5]) == "primary gz-liwan-primary  → gz-core1 广州市  down"
        assert tree.label_of(GUANGZHOU[6]).startswith(
            "backup  gz-liwan-backup  → fs-core1 佛山市  up"
        )
        status = text_of(screen.query_one(StatusLine))
        assert "广州市 440100: 2 counties · 1 on backup · 1 link down" in status
        assert "as of 2026-03-02 08:13:05 UTC" in status
        assert "is on its primary path (gz-dc1)" in detail(screen)  # the cursor's: the city


async def test_the_province_shows_each_city_with_the_worst_state_below_it(
    world: TopologyWorld,
) -> None:
    app = world.console()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_topology(pilot, "topo 440000")
        tree = screen.topology_tree
        assert tree.label_of("region:440100:gz-core1").endswith(
            "gz-core1 up  on primary · below: on backup"
        )
        assert tree.label_of("region:440600:fs-core1").endswith(
            "fs-core1 up  on primary · below: isolated"
        )
        assert "link:gz-liwan-primary:gz-liwan-acc1" not in tree.keys  # inside 广州市
        assert "link:gz-liwan-backup:fs-core1" in tree.keys  # 佛山's node backs 荔湾区 up


async def test_the_single_points_of_failure_of_the_city_and_their_explanation(
    world: TopologyWorld,
) -> None:
    app = world.console()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_topology(pilot)
        spof = screen.query_one(SpofTable)
        assert spof.shown_keys == [
            "articulation_point:device:gz-core1",
            "shared_path:device:gz-core1",
        ]
        await pilot.press("tab")  # to the list: the detail follows it
        await settle(pilot)
        assert spof.has_focus
        shown = detail(screen)
        assert "device gz-core1" in shown
        assert "越秀区 440104" in shown
        assert "is a single point of failure" in shown


async def test_the_detail_follows_the_cursor(world: TopologyWorld) -> None:
    app = world.console()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_topology(pilot)
        await cursor_to(pilot, screen.topology_tree, GUANGZHOU[4])
        shown = detail(screen)
        assert "on backup 12m 5s" in shown
        assert "2026-03-02 08:01:00 UTC" in shown
        assert "it reaches the province core over fs-dc2 and gz-liwan-backup" in shown
        await cursor_to(pilot, screen.topology_tree, GUANGZHOU[5])
        shown = detail(screen)
        assert "gz-core1 GigabitEthernet0/0/3" in shown
        assert "city_county · primary" in shown


async def test_i_on_a_link_that_is_down_shows_what_it_costs_now(world: TopologyWorld) -> None:
    app = world.console()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_topology(pilot)
        await cursor_to(pilot, screen.topology_tree, GUANGZHOU[5])
        await pilot.press("i")
        await settle(pilot)
        modal = current(app)
        assert isinstance(modal, ImpactScreen)
        assert modal.report is not None
        assert modal.report.failed_now
        shown = text_of(modal.query_one("#impact-report", Static))
        assert "link gz-liwan-primary is down: what it costs now" in shown
        await pilot.press("i")  # i closes it too
        assert showing(app, screen)


async def test_i_on_a_single_point_of_failure_asks_about_its_element(
    world: TopologyWorld,
) -> None:
    app = world.console()
    async with app.run_test(size=SIZE) as pilot:
        await open_topology(pilot)
        await pilot.press("tab", "i")
        await settle(pilot)
        modal = current(app)
        assert isinstance(modal, ImpactScreen)
        assert modal.report is not None
        assert modal.report.element.id == GZ_CORE
        shown = text_of(modal.query_one("#impact-report", Static))
        assert "what if device gz-core1 failed?" in shown
        assert "越秀区 440104" in shown  # cut off, named
        assert "禅城区 440604" in shown  # left on one path


async def test_enter_on_a_county_opens_its_own_topology_and_escape_comes_back(
    world: TopologyWorld,
) -> None:
    app = world.console()
    async with app.run_test(size=SIZE) as pilot:
        city = await open_topology(pilot)
        await cursor_to(pilot, city.topology_tree, GUANGZHOU[4])
        await pilot.press("enter")
        await settle(pilot)
        county = current(app)
        assert isinstance(county, TopologyScreen)
        assert county.code == "440103"
        assert county.topology_tree.keys == GUANGZHOU[4:7]
        await pilot.press("escape")
        await settle(pilot)
        assert showing(app, city)


async def test_refresh_rewrites_the_labels_and_keeps_the_cursor(world: TopologyWorld) -> None:
    app = world.console()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_topology(pilot)
        tree = screen.topology_tree
        await cursor_to(pilot, tree, GUANGZHOU[5])
        world.observe(after_s=30)  # 荔湾区's primary link is back
        await pilot.press("r")
        await settle(pilot)
        assert tree.label_of(GUANGZHOU[4]).endswith("gz-liwan-acc1 up  on primary")
        assert tree.label_of(GUANGZHOU[5]).startswith(
            "primary gz-liwan-primary  → gz-core1 广州市  up"
        )
        selected = tree.selected
        assert selected is not None
        assert selected.key == GUANGZHOU[5]


async def test_t_on_the_province_screen_opens_the_region_chosen(world: TopologyWorld) -> None:
    app = world.console()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ProvinceScreen)
        await pilot.press("tab", "j", "t")  # the tree: down to 广州市
        await settle(pilot)
        screen = current(app)
        assert isinstance(screen, TopologyScreen)
        assert screen.code == "440100"
        await pilot.press("escape")
        await settle(pilot)
        await command(pilot, "t")  # no code: the region chosen on the province screen
        screen = current(app)
        assert isinstance(screen, TopologyScreen)
        assert screen.code == "440100"


async def test_an_unknown_region_is_told_plainly(
    world: TopologyWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = world.console()
    told = record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_topology(pilot, "topo 449999")
        await settle(pilot)
        assert "no region 449999 in your regions" in detail(screen)
        assert "no region 449999" in text_of(screen.query_one(StatusLine))
        assert ("no region 449999", "error") in told.messages
        await command(pilot, "topology guangzhou")
        assert ("'guangzhou' is not a region code; try :topology 440100", "warning") in (
            told.messages
        )


async def test_a_technician_sees_their_county_not_the_city(world: TopologyWorld) -> None:
    app = world.console(TECHNICIAN)
    async with app.run_test(size=SIZE) as pilot:
        city = await open_topology(pilot)
        await settle(pilot)
        assert city.topology_tree.keys == []
        assert "no region 440100 in your regions" in detail(city)
        county = await open_topology(pilot, "topology 440103")
        assert county.topology_tree.keys == GUANGZHOU[4:7]


async def test_the_client_reads_the_other_topology_routes(world: TopologyWorld) -> None:
    admin, technician = await world.logged_in(ADMIN), await world.logged_in(TECHNICIAN)
    paths = {p.device_id: p for p in await admin.site_paths(region="440100")}
    assert set(paths) == {GZ_CORE, LIWAN_ACC, "gz-yuexiu-acc1"}
    liwan = paths[LIWAN_ACC]
    assert liwan.primary is not None
    assert liwan.primary.link_ids == ("gz-dc1", "gz-liwan-primary")
    assert liwan.backup is not None
    assert liwan.backup.link_ids == ("fs-dc2", "gz-liwan-backup")
    causes = await admin.root_causes()
    assert [c.element.id for c in causes] == ["fs-nanhai-primary", "gz-liwan-primary"]
    assert [c.element.id for c in await technician.root_causes()] == ["gz-liwan-primary"]
    assert [p.device_id for p in await technician.site_paths()] == [LIWAN_ACC]
    discovery = await admin.discovery(region="440100")
    assert (discovery.findings, discovery.matched) == ([], 0)  # no LLDP collected here


def test_topology_snapshot(snap_compare: SnapCompare, world: TopologyWorld) -> None:
    """广州市: its uplinks to both cores and its backup link for 禅城区; 荔湾区 on backup (yellow)
    for 12m 5s with its primary link down (red); 越秀区 on primary; gz-core1 a cut point and a
    shared path on the right; the city's failover explained below."""

    async def city(pilot: Pilot[None]) -> None:
        await open_topology(pilot)

    assert snap_compare(world.console(), terminal_size=SIZE, run_before=city)


# ---------------------------------------------------------------------------- command and help


@pytest.mark.parametrize(
    ("line", "parsed"),
    [
        ("topology 440100", Command(Verb.TOPOLOGY, "440100")),
        (":topo", Command(Verb.TOPOLOGY)),
        ("t 440103", Command(Verb.TOPOLOGY, "440103")),
        ("failover", Command(Verb.FAILOVER)),
        (":fo", Command(Verb.FAILOVER)),
    ],
)
def test_the_commands_parse(line: str, parsed: Command) -> None:
    assert parse_command(line) == parsed


@pytest.mark.parametrize(
    ("line", "message"),
    [("topology 440100 440103", "at most a region code"), ("fo all", "takes no argument")],
)
def test_bad_commands_say_what_would_do(line: str, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        parse_command(line)


TECHNICIAN_SESSION = Session(
    username=TECHNICIAN, scopes={Permission.READ_INVENTORY: frozenset({"440103"})}
)


def test_the_region_of_a_bare_topology_command() -> None:
    assert region_for_command("440300", "440100", TECHNICIAN_SESSION) == "440300"
    assert region_for_command(None, "440100", TECHNICIAN_SESSION) == "440100"
    assert region_for_command(None, None, TECHNICIAN_SESSION) == "440103"
    with pytest.raises(CommandError, match="which region"):
        region_for_command(None, None, Session.everything())


def test_a_city_not_the_users_opens_on_their_county() -> None:
    assert OpenTopology("440100", select="440103").region_for(TECHNICIAN_SESSION) == "440103"
    assert OpenTopology("440100").region_for(TECHNICIAN_SESSION) == "440100"
    assert OpenTopology("440100", select="440103").region_for(Session.everything()) == "440100"


def test_help_lists_every_key_of_the_topology_screens() -> None:
    listed = {key for _, rows in KEYS for keys, _ in rows for key in keys.split()}
    for owner in (FailoverScreen, TopologyScreen, ImpactScreen, FailoverTable, TopologyTree):
        for binding in owner.BINDINGS:
            assert isinstance(binding, Binding)
            assert binding.key in listed, f"{owner.__name__}: '{binding.key}' not in help"
    assert "t" in {b.key for b in ProvinceScreen.BINDINGS if isinstance(b, Binding)}
