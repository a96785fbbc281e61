"""The fleet screens against the real API and a real fleet (tests/unit/tui/fleet_world.py): the
fleet by city with its figures and health colours, drilling down to a county's terminals and one
terminal and back, a terminal's history, a suspension through the screen in the audit trail,
keys hidden and refused by permission and by state, and rollouts paused and created."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from rich.text import Text
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, Select, Static

from card_fleet.model import TerminalState
from card_fleet.rollouts import RolloutState
from core.security.audit_record import AuditOutcome
from tests.unit.tui.conftest import SIZE
from tests.unit.tui.fleet_world import (
    ADMIN,
    CHANCHENG,
    ENGINEER,
    FOSHAN,
    GUANGZHOU,
    LIWAN,
    LOST,
    OFFICER,
    OUTLIER,
    PSAM_MISSING,
    ROLLOUT,
    TECHNICIAN,
    VIEWER,
    YUEXIU,
    FleetWorld,
    open_world,
    psam_of,
)
from tests.unit.tui.pilot_support import current, settle, text_of
from tests.unit.tui.test_province_screen import record_notifications
from tui.app import NocConsole
from tui.screens.confirm import ConfirmScreen
from tui.screens.county_terminals import CountyTerminalsScreen
from tui.screens.fleet_forms import ReasonScreen, RolloutFormScreen
from tui.screens.rollouts import RolloutsScreen
from tui.screens.terminal_detail import TerminalDetailScreen
from tui.screens.terminal_fleet import TerminalFleetScreen, fleet_screen
from tui.widgets.fleet_area_table import FleetAreaTable
from tui.widgets.keyed_table import KeyedTable
from tui.widgets.rollout_wave_table import RolloutWaveTable
from tui.widgets.status_line import StatusLine
from tui.widgets.terminal_history_table import TerminalHistoryTable
from tui.widgets.terminal_table import TerminalTable

S = TypeVar("S", bound=Screen[None])
GREEN, YELLOW, RED = "green", "bold yellow", "bold red"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[FleetWorld]:
    with open_world(tmp_path) as opened:
        yield opened


async def shown(pilot: Pilot[None], make: Callable[[], S]) -> S:
    """The screen ``make`` makes once the console knows who is logged in, pushed and loaded."""
    await settle(pilot)
    screen = make()
    pilot.app.push_screen(screen)
    await settle(pilot)
    assert current(pilot.app) is screen
    return screen


def fleet_of(app: NocConsole, **options: object) -> TerminalFleetScreen:
    return TerminalFleetScreen(app.client, app.session, 3600.0, **options)  # type: ignore[arg-type]


def detail_of(app: NocConsole, terminal_id: str) -> TerminalDetailScreen:
    return TerminalDetailScreen(app.client, app.session, terminal_id, 3600.0)


def cell(table: KeyedTable, row: str, column: str) -> Text:
    value = table.get_cell(row, column)
    assert isinstance(value, Text)
    return value


async def answer(pilot: Pilot[None], text: str) -> None:
    """Type ``text`` into the open dialog's field and submit it."""
    dialog = current(pilot.app)
    assert isinstance(dialog, ReasonScreen)
    dialog.query_one(Input).value = text
    await pilot.press("enter")
    await settle(pilot)


# --- the fleet by region ---------------------------------------------------------------------


async def test_the_fleet_by_city_shows_its_figures_in_health_colours(world: FleetWorld) -> None:
    app = world.console(ADMIN)
    async with app.run_test(size=SIZE) as pilot:
        screen = await shown(pilot, lambda: fleet_of(app))
        table = screen.query_one(FleetAreaTable)
        assert table.shown_keys == [FOSHAN, GUANGZHOU]  # worst online share first
        assert cell(table, GUANGZHOU, "area").plain == "广州市 440100"
        assert cell(table, GUANGZHOU, "online").plain == "92.3% 12/13"
        assert str(cell(table, GUANGZHOU, "online").style) == YELLOW
        assert cell(table, FOSHAN, "online").plain == "50.0% 2/4"
        assert str(cell(table, FOSHAN, "online").style) == RED
        figures = {c: cell(table, GUANGZHOU, c).plain for c in ("silent", "outliers", "psam")}
        assert figures == {"silent": "1", "outliers": "1", "psam": "1"}
        # 荔湾区: 310 reads and 10 failures; 越秀区: 180 reads.
        assert cell(table, GUANGZHOU, "failures").plain == "2.0%"
        assert cell(table, GUANGZHOU, "firmware").plain == "3.2.1 +1 off"
        assert cell(table, FOSHAN, "silent").plain == "2"
        summary = text_of(screen.query_one("#summary", Static))
        assert "广东省 440000 · 20 terminals (2 registered, 17 active, 1 lost)" in summary
        assert "online 82.4% 14/17 · 3 silent" in summary
        under = text_of(screen.query_one("#under-cursor", Static))
        assert "silent: T440604-0003 (10m 0s ago), T440604-0004 (10m 0s ago)" in under
        status = text_of(screen.query_one(StatusLine))
        assert "2 cities" in status
        assert "computed 2026-03-02 08:10:00 UTC" in status


async def test_enter_drills_into_a_city_a_county_and_a_terminal_and_escape_goes_back(
    world: FleetWorld,
) -> None:
    app = world.console(ADMIN)
    async with app.run_test(size=SIZE) as pilot:
        top = await shown(pilot, lambda: fleet_of(app))
        await pilot.press("j", "enter")
        await settle(pilot)
        city = current(app)
        assert isinstance(city, TerminalFleetScreen)
        assert city.area == GUANGZHOU
        counties = city.query_one(FleetAreaTable)
        assert counties.shown_keys == [YUEXIU, LIWAN]
        assert str(cell(counties, YUEXIU, "online").style) == YELLOW
        assert cell(counties, LIWAN, "online").plain == "100.0% 8/8"
        assert str(cell(counties, LIWAN, "online").style) == GREEN
        under = text_of(city.query_one("#under-cursor", Static))
        assert "silent: T440104-0005 (10m 0s ago)" in under
        await pilot.press("enter")
        await settle(pilot)
        county = current(app)
        assert isinstance(county, CountyTerminalsScreen)
        terminals = county.query_one(TerminalTable)
        assert terminals.shown_keys == [f"T{YUEXIU}-{n:04d}" for n in range(1, 6)]
        silent = f"T{YUEXIU}-0005"
        assert cell(terminals, silent, "online").plain == "○ silent"
        assert cell(terminals, silent, "last_seen").plain == "10m 0s ago"
        assert cell(terminals, PSAM_MISSING, "psam").plain == "missing"
        assert str(cell(terminals, PSAM_MISSING, "psam").style) == RED
        assert cell(terminals, f"T{YUEXIU}-0001", "online").plain == "● online"
        await pilot.press("enter")
        await settle(pilot)
        detail = current(app)
        assert isinstance(detail, TerminalDetailScreen)
        assert detail.terminal_id == f"T{YUEXIU}-0001"
        for screen in (county, city, top):
            await pilot.press("escape")
            await settle(pilot)
            assert current(app) is screen


async def test_a_county_technician_sees_their_county_at_the_top(world: FleetWorld) -> None:
    app = world.console(TECHNICIAN)
    async with app.run_test(size=SIZE) as pilot:
        screen = await shown(pilot, lambda: fleet_of(app))
        assert screen.query_one(FleetAreaTable).shown_keys == [LIWAN]
        assert "1 county " in text_of(screen.query_one(StatusLine))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(current(app), CountyTerminalsScreen)


def test_the_command_opens_the_screen_of_the_region_it_names(world: FleetWorld) -> None:
    app = world.console(ADMIN)
    assert isinstance(fleet_screen(app.client, app.session, 60.0), TerminalFleetScreen)
    city = fleet_screen(app.client, app.session, 60.0, region=GUANGZHOU)
    assert isinstance(city, TerminalFleetScreen)
    assert city.area == GUANGZHOU
    county = fleet_screen(app.client, app.session, 60.0, region=CHANCHENG)
    assert isinstance(county, CountyTerminalsScreen)
    with pytest.raises(ValueError, match="six-digit"):
        fleet_screen(app.client, app.session, 60.0, region="gz")


# --- one terminal ----------------------------------------------------------------------------


async def test_a_terminal_shows_its_fields_latest_heartbeat_and_history(world: FleetWorld) -> None:
    app = world.console(ADMIN)
    async with app.run_test(size=SIZE) as pilot:
        screen = await shown(pilot, lambda: detail_of(app, OUTLIER))
        facts = text_of(screen.query_one("#facts", Static))
        assert "荔湾区 440103" in facts
        assert psam_of(OUTLIER) in facts
        assert "issued" in facts  # the credential exists; never shown here
        latest = text_of(screen.query_one("#latest", Static))
        assert "30 read, 10 failed · 25.0%" in latest
        assert "● online" in latest
        history = screen.query_one(TerminalHistoryTable)
        kinds = [cell(history, key, "kind").plain for key in history.shown_keys]
        assert kinds == ["registered", "provisioned", "activated"]

        lost = await shown(pilot, lambda: detail_of(app, LOST))
        history = lost.query_one(TerminalHistoryTable)
        last = history.shown_keys[-1]
        assert cell(history, last, "change").plain == "provisioned → lost"
        assert cell(history, last, "by").plain == ADMIN
        assert "stolen from the lobby" in cell(history, last, "why").plain
        assert "never heard from" in text_of(lost.query_one("#latest", Static))


async def test_a_suspension_through_the_screen_is_audited(world: FleetWorld) -> None:
    app = world.console(TECHNICIAN)
    terminal_id = f"T{LIWAN}-0002"
    async with app.run_test(size=SIZE) as pilot:
        screen = await shown(pilot, lambda: detail_of(app, terminal_id))
        await pilot.press("s")
        await settle(pilot)
        await answer(pilot, "kiosk moved to floor 2")
        assert world.state_of(terminal_id) is TerminalState.SUSPENDED
        history = screen.query_one(TerminalHistoryTable)
        last = history.shown_keys[-1]
        assert cell(history, last, "change").plain == "active → suspended"
        assert cell(history, last, "by").plain == TECHNICIAN
    (record,) = world.trail.search(action="terminal_suspend")
    assert (record.actor, record.target, record.outcome) == (
        TECHNICIAN,
        terminal_id,
        AuditOutcome.OK,
    )
    assert record.detail == "kiosk moved to floor 2"


async def test_lost_asks_why_then_asks_again_before_it_acts(world: FleetWorld) -> None:
    app = world.console(TECHNICIAN)
    terminal_id = f"T{LIWAN}-0003"
    async with app.run_test(size=SIZE) as pilot:
        await shown(pilot, lambda: detail_of(app, terminal_id))
        await pilot.press("l")
        await settle(pilot)
        await answer(pilot, "")
        dialog = current(app)
        assert isinstance(dialog, ReasonScreen)  # a reason is required
        assert "the reason is required" in text_of(dialog.query_one("#form-error", Static))
        await answer(pilot, "stolen overnight")
        assert isinstance(current(app), ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert world.state_of(terminal_id) is TerminalState.ACTIVE
        await pilot.press("l")
        await settle(pilot)
        await answer(pilot, "stolen overnight")
        await pilot.press("y")
        await settle(pilot)
        assert world.state_of(terminal_id) is TerminalState.LOST
        assert not world.fleet.registry.get(terminal_id).has_credential


async def test_keys_are_hidden_and_refused_without_the_permission_or_the_state(
    world: FleetWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = world.console(VIEWER)
    told = record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        screen = await shown(pilot, lambda: detail_of(app, f"T{LIWAN}-0001"))
        assert not any(screen.check_action(a, ()) for a in ("suspend", "lost", "release_psam"))
        await pilot.press("s")
        await settle(pilot)
        assert not isinstance(current(app), ReasonScreen)
        refusal = "you may not suspend terminals: it needs the provision_terminals permission"
        assert (refusal, "warning") in told.messages

    app = world.console(TECHNICIAN)
    told = record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        screen = await shown(pilot, lambda: detail_of(app, f"T{LIWAN}-0001"))
        assert screen.check_action("suspend", ())
        assert not screen.check_action("release_psam", ())
        await pilot.press("u")  # resume an active terminal
        await settle(pilot)
        assert not isinstance(current(app), ReasonScreen)
        assert any("is active: it cannot become active" in m for m, _ in told.messages)


async def test_a_security_officer_releases_a_lost_terminals_psam(world: FleetWorld) -> None:
    app = world.console(OFFICER)
    async with app.run_test(size=SIZE) as pilot:
        screen = await shown(pilot, lambda: detail_of(app, LOST))
        assert not screen.check_action("suspend", ())  # officers change no terminal's state
        await pilot.press("p")
        await settle(pilot)
        await answer(pilot, "PSAM recovered with the kiosk, ticket 7731")
        assert world.fleet.registry.get(LOST).psam_terminal_number is None
        history = screen.query_one(TerminalHistoryTable)
        assert cell(history, history.shown_keys[-1], "kind").plain == "psam released"
    (record,) = world.trail.search(action="terminal_psam_release")
    assert record.actor == OFFICER


# --- rollouts --------------------------------------------------------------------------------


async def test_a_rollout_shows_its_waves_and_is_paused_through_the_screen(
    world: FleetWorld,
) -> None:
    app = world.console(ENGINEER)
    async with app.run_test(size=SIZE) as pilot:
        screen = await shown(pilot, lambda: RolloutsScreen(app.client, app.session, 3600.0))
        table = screen.table
        assert table.shown_keys == [ROLLOUT]
        assert cell(table, ROLLOUT, "state").plain == "running"
        assert cell(table, ROLLOUT, "progress").plain == "1/3 · pilot"
        assert cell(table, ROLLOUT, "scope").plain == "广州市"
        waves = screen.query_one(RolloutWaveTable)
        assert waves.shown_keys == ["0", "1", "2"]
        assert cell(waves, "0", "members").plain == "2"
        assert cell(waves, "0", "gate").plain == "soaking"
        assert cell(waves, "1", "opened").plain == "not yet"
        plan = text_of(screen.query_one("#plan", Static))
        assert "pilot: 2 terminals" in plan
        assert "≥ 95 % back on 3.3.0" in plan
        await pilot.press("p")
        await settle(pilot)
        await answer(pilot, "gate figures look odd in 越秀区")
        assert cell(table, ROLLOUT, "state").plain == "paused"
        assert "gate figures look odd" in text_of(screen.query_one("#plan", Static))
    assert world.fleet.rollouts.get(ROLLOUT).state is RolloutState.PAUSED
    (record,) = world.trail.search(action="rollout_pause")
    assert (record.actor, record.outcome) == (ENGINEER, AuditOutcome.OK)


async def test_n_creates_a_rollout_as_a_draft_and_s_starts_it(world: FleetWorld) -> None:
    app = world.console(ADMIN)
    async with app.run_test(size=SIZE) as pilot:
        screen = await shown(pilot, lambda: RolloutsScreen(app.client, app.session, 3600.0))
        await pilot.press("n")
        await settle(pilot)
        form = current(app)
        assert isinstance(form, RolloutFormScreen)
        form.query_one("#component", Select).value = "parameter"
        values = {"#target": "P2026.04", "#regions": FOSHAN, "#pilot": "1", "#waves": "50,10"}
        for selector, value in values.items():
            form.query_one(selector, Input).value = value
        form.query_one("#waves", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert "each must be larger" in text_of(form.query_one("#form-error", Static))
        form.query_one("#waves", Input).value = "25, 100"
        await pilot.press("enter")
        await settle(pilot)
        assert current(app) is screen
        assert screen.table.cursor_key == "RO-0002"
        created = world.fleet.rollouts.get("RO-0002")
        assert created.state is RolloutState.DRAFT
        assert (created.plan.target_version, sorted(created.plan.regions)) == ("P2026.04", [FOSHAN])
        assert [w.percent for w in created.plan.waves] == [25.0, 100.0]
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert cell(screen.table, "RO-0002", "state").plain == "running"


async def test_rollout_keys_are_hidden_from_those_who_may_not_manage_rollouts(
    world: FleetWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = world.console(TECHNICIAN)
    told = record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        screen = await shown(pilot, lambda: RolloutsScreen(app.client, app.session, 3600.0))
        assert not screen.check_action("pause", ())
        await pilot.press("p")
        await settle(pilot)
        refusal = "you may not pause rollouts: it needs the manage_rollouts permission"
        assert (refusal, "warning") in told.messages
        assert "read only" in text_of(screen.query_one(StatusLine))
    assert world.fleet.rollouts.get(ROLLOUT).state is RolloutState.RUNNING
