"""``:alerts`` against the real API and alert pipeline (tests/unit/tui/alert_world.py): worst
first with severity colours, root causes folding their consequences, the filter looking into
folded ones, new alerts arriving on the next poll with the cursor kept and a new critical one
rung, the detail with its history, and ``!`` from the province."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Static

from tests.unit.topology.networks import CHANCHENG_ACC, DC1, FS_CORE, GZ_CORE, LIWAN_ACC, YUEXIU_ACC
from tests.unit.tui.alert_world import AlertWorld, open_world
from tests.unit.tui.conftest import SIZE
from tests.unit.tui.pilot_support import current, settle, text_of
from tests.unit.tui.test_app import command
from tests.unit.tui.test_province_screen import record_notifications
from tui.screens.alert_detail import AlertDetailScreen
from tui.screens.alerts import AlertsScreen
from tui.widgets.alert_history_table import HistoryTable
from tui.widgets.alert_table import AlertTable
from tui.widgets.status_line import StatusLine


@pytest.fixture
def world(tmp_path: Path) -> Iterator[AlertWorld]:
    with open_world(tmp_path) as opened:
        yield opened


async def open_alerts(pilot: Pilot[None], line: str = "alerts") -> AlertsScreen:
    await settle(pilot)
    await command(pilot, line)
    screen = current(pilot.app)
    assert isinstance(screen, AlertsScreen)
    return screen


def cell(table: AlertTable, row: str, column: str) -> Text:
    value = table.get_cell(row, column)
    assert isinstance(value, Text)
    return value


def fp(world: AlertWorld, rule: str, device: str) -> str:
    return world.alert(rule, device=device).fingerprint


def link_fp(world: AlertWorld, link: str) -> str:
    return world.alert("county-link-down", link=link).fingerprint


async def test_firing_first_by_severity_then_pending_then_held_dimmed(
    world: AlertWorld,
) -> None:
    app = world.console()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_alerts(pilot)
        table = screen.query_one(AlertTable)
        liwan = fp(world, "site-isolated", LIWAN_ACC)
        chancheng = link_fp(world, "fs-chancheng-primary")
        auth = fp(world, "snmp-authentication-failure", FS_CORE)
        changed = fp(world, "config-changed", GZ_CORE)
        pending = link_fp(world, "gz-yuexiu-backup")
        held = fp(world, "backup-failed", DC1)
        assert table.shown_keys == [liwan, chancheng, auth, changed, pending, held]
        styles = {key: str(cell(table, key, "severity").style) for key in table.shown_keys}
        assert styles == {
            liwan: "bold red",
            chancheng: "bold dark_orange",
            auth: "yellow",
            changed: "bright_black",
            pending: "bold dark_orange",
            held: "dim cyan",
        }
        assert cell(table, liwan, "severity").plain == "● critical"
        assert cell(table, pending, "severity").plain == "◌ major"
        assert cell(table, liwan, "region").plain == "荔湾区 440103"
        assert cell(table, liwan, "device").plain == LIWAN_ACC
        assert cell(table, liwan, "since").plain == "3m 0s"
        assert cell(table, pending, "since").plain == "pending 0s"
        assert cell(table, pending, "region").plain == "越秀区 440104"
        assert cell(table, held, "ack").plain == "✓ admin: ssh key rotation tonight"
        assert [str(span.style) for span in cell(table, held, "alert").spans] == ["dim"]
        counts = text_of(screen.query_one("#counts", Static)).strip()
        assert counts == (
            "firing: 2 critical · 4 major · 1 minor · 0 warning · 1 info"
            "   1 pending   1 held   0 muted"
        )
        status = text_of(screen.query_one(StatusLine))
        assert "10 alerts" in status
        assert "as of 2026-03-02 08:03:10 UTC · every 3600 s" in status
        assert YUEXIU_ACC in cell(table, pending, "device").plain


async def test_a_root_cause_folds_its_consequences_and_space_unfolds_them(
    world: AlertWorld,
) -> None:
    app = world.console()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_alerts(pilot)
        table = screen.query_one(AlertTable)
        liwan = fp(world, "site-isolated", LIWAN_ACC)
        unreachable = fp(world, "device-unreachable", LIWAN_ACC)
        chancheng = link_fp(world, "fs-chancheng-primary")
        summary = cell(table, liwan, "summary").plain
        assert summary.endswith(" +3 consequences")
        assert cell(table, liwan, "alert").plain == "▸ site-isolated"
        assert cell(table, chancheng, "summary").plain.endswith(" +1 consequence")
        assert unreachable not in table.shown_keys
        assert table.cursor_key == liwan
        await pilot.press("space")
        await settle(pilot)
        under = table.shown_keys[1:4]
        assert set(under) == {
            unreachable,
            link_fp(world, "gz-liwan-primary"),
            link_fp(world, "gz-liwan-backup"),
        }
        assert under[0] == unreachable  # critical before major
        assert cell(table, liwan, "alert").plain == "▾ site-isolated"
        assert cell(table, unreachable, "alert").plain == "  └ device-unreachable"
        assert not cell(table, liwan, "summary").plain.endswith("consequences")
        assert table.cursor_key == liwan
        await pilot.press("j", "j", "space")  # on a consequence: folds its cause
        await settle(pilot)
        assert unreachable not in table.shown_keys
        assert table.cursor_key == liwan


async def test_the_filter_looks_into_folded_consequences(world: AlertWorld) -> None:
    app = world.console()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_alerts(pilot)
        table = screen.query_one(AlertTable)
        await pilot.press("slash", *"unreachable")
        await settle(pilot)
        assert table.shown_keys == [fp(world, "device-unreachable", LIWAN_ACC)]
        assert "filter 'unreachable': 1/" in text_of(screen.query_one(StatusLine))
        await pilot.press("escape")
        await settle(pilot)
        assert len(table.shown_keys) == 6


async def test_a_new_alert_arrives_on_the_next_poll_keeps_the_cursor_and_rings(
    world: AlertWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = world.console()
    told = record_notifications(app, monkeypatch)
    rung: list[bool] = []
    monkeypatch.setattr(app, "bell", lambda: rung.append(True))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_alerts(pilot)
        table = screen.query_one(AlertTable)
        await pilot.press("j", "j")
        chosen = table.cursor_key
        assert chosen == fp(world, "snmp-authentication-failure", FS_CORE)
        assert rung == []
        nanhai = world.cut_off_nanhai()
        screen.poll()  # what the screen's timer calls every couple of seconds
        await settle(pilot)
        assert table.shown_keys[0] == nanhai.fingerprint  # newest critical first
        assert table.cursor_key == chosen
        assert cell(table, nanhai.fingerprint, "region").plain == "南海区 440605"
        assert cell(table, nanhai.fingerprint, "since").plain == "0s"
        assert rung == [True]
        assert ("fs-nanhai is cut off from the province core", "error") in told.messages
        told.messages.clear()
        world.cycle()
        screen.poll()
        await settle(pilot)
        assert rung == [True]  # still the same critical alert: not rung again
        assert told.messages == []
        assert cell(table, nanhai.fingerprint, "since").plain == "10s"


async def test_enter_shows_the_alert_whole_with_its_history(world: AlertWorld) -> None:
    app = world.console()
    async with app.run_test(size=SIZE) as pilot:
        await open_alerts(pilot)
        await pilot.press("enter")
        await settle(pilot)
        detail = current(app)
        assert isinstance(detail, AlertDetailScreen)
        facts = text_of(detail.query_one("#facts", Static))
        assert "site-isolated" in facts
        assert "runbooks/site-isolated" in facts
        assert "荔湾区 440103" in facts
        assert "device-unreachable: gz-liwan-acc1 does not answer (region 440103)" in facts
        assert "nobody" in facts  # nobody holds it
        history = detail.query_one(HistoryTable)
        kinds = [history.get_cell(k, "kind").plain for k in history.shown_keys]
        assert kinds[0] == "fired"
        assert "consequence attached" in kinds
        by = {history.get_cell(k, "by").plain for k in history.shown_keys}
        assert by == {"system"}
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(current(app), AlertsScreen)


async def test_bang_on_the_province_opens_the_alerts_and_the_aliases_do_too(
    world: AlertWorld,
) -> None:
    app = world.console()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("exclamation_mark")
        await settle(pilot)
        screen = current(app)
        assert isinstance(screen, AlertsScreen)
        assert CHANCHENG_ACC in {a.device for a in screen.alerts.values()}
        await command(pilot, "al")  # shown already: refreshed, not stacked
        assert current(app) is screen
        assert len(app.screen_stack) == 2


async def test_resolved_alerts_leave_the_list_until_v_shows_them(world: AlertWorld) -> None:
    app = world.console()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_alerts(pilot)
        table = screen.query_one(AlertTable)
        chancheng = link_fp(world, "fs-chancheng-primary")
        world.repair_link("fs-chancheng-primary")
        world.cycle()
        screen.poll()
        await settle(pilot)
        assert chancheng not in table.shown_keys
        assert "10 alerts (2 resolved hidden: v)" in text_of(screen.query_one(StatusLine))
        await pilot.press("v")
        await settle(pilot)
        on_backup = fp(world, "site-on-backup", CHANCHENG_ACC)
        assert set(table.shown_keys[-2:]) == {chancheng, on_backup}  # the resolved last
        assert cell(table, chancheng, "severity").plain == "○ major"
        assert str(cell(table, chancheng, "severity").style) == "bright_black"
        assert cell(table, chancheng, "since").plain == "resolved 0s"
        await pilot.press("v")
        await settle(pilot)
        assert chancheng not in table.shown_keys
