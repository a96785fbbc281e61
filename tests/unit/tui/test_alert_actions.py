"""Taking, giving back and silencing alerts from the console, against the real API and alert
pipeline: what the API holds afterwards, how the rows change, who is offered the keys; and the
silences, maintenance and on-call lists."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Static

from tests.unit.topology.networks import DC1, LIWAN_ACC
from tests.unit.tui.alert_world import (
    ADMIN,
    ONCALL,
    TECHNICIAN,
    WATCHER,
    WINDOW,
    AlertWorld,
    open_world,
)
from tests.unit.tui.conftest import SIZE
from tests.unit.tui.pilot_support import current, settle, text_of
from tests.unit.tui.test_alert_screen import fp, open_alerts
from tests.unit.tui.test_app import command
from tests.unit.tui.test_permissions_in_console import footer_keys
from tests.unit.tui.test_province_screen import record_notifications
from tui.alert_models import SilenceState
from tui.screens.alert_detail import AlertDetailScreen
from tui.screens.alert_forms import AckScreen, SilenceScreen, UnackScreen
from tui.screens.alerts import AlertsScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.silences import MaintenanceScreen, OnCallScreen, SilencesScreen
from tui.widgets.alert_history_table import HistoryTable
from tui.widgets.alert_table import AlertTable
from tui.widgets.keyed_table import KeyedTable
from tui.widgets.status_line import StatusLine


@pytest.fixture
def world(tmp_path: Path) -> Iterator[AlertWorld]:
    with open_world(tmp_path) as opened:
        yield opened


def plain(table: KeyedTable, row: str, column: str) -> str:
    value = table.get_cell(row, column)
    return value.plain if isinstance(value, Text) else str(value)


async def fill(pilot: Pilot[None], **values: str) -> None:
    """Type into the dialog's inputs (by id) in one go, then Enter in the last one."""
    screen = current(pilot.app)
    for name, value in values.items():
        field = screen.query_one(f"#{name}", Input)
        field.value = value
    field.focus()
    await pilot.press("enter")
    await settle(pilot)


async def to_row(pilot: Pilot[None], table: KeyedTable, key: str) -> None:
    table.move_cursor(row=table.shown_keys.index(key))
    await settle(pilot)


async def test_a_takes_the_alert_with_a_note_for_a_while(world: AlertWorld) -> None:
    app = world.console()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_alerts(pilot)
        table = screen.query_one(AlertTable)
        liwan = fp(world, "site-isolated", LIWAN_ACC)
        assert table.cursor_key == liwan
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(current(app), AckScreen)
        await fill(pilot, note="on my way: fibre cut near Liwan", hold="30m")
        assert current(app) is screen
        reader = await world.logged_in(ADMIN)
        detail = await reader.alert(liwan)
        assert detail.acknowledgement is not None
        assert detail.acknowledgement.by == ADMIN
        assert detail.acknowledgement.note == "on my way: fibre cut near Liwan"
        assert detail.acknowledgement.expires_at == world.toy.clock.now() + timedelta(minutes=30)
        assert plain(table, liwan, "ack") == "✓ admin: on my way: fibre cut near Liwan until 08:33"
        assert table.shown_keys.index(liwan) == 4  # among the held, worst of them first
        assert table.cursor_key == liwan
        await pilot.press("enter")
        await settle(pilot)
        detail_screen = current(app)
        assert isinstance(detail_screen, AlertDetailScreen)
        history = detail_screen.query_one(HistoryTable)
        last = history.shown_keys[-1]
        assert plain(history, last, "kind") == "acknowledged"
        assert plain(history, last, "by") == ADMIN
        assert "“on my way: fibre cut near Liwan”" in plain(history, last, "why")


async def test_the_note_is_required_and_the_hold_must_read_as_a_duration(
    world: AlertWorld,
) -> None:
    app = world.console()
    async with app.run_test(size=SIZE) as pilot:
        await open_alerts(pilot)
        await pilot.press("a")
        await settle(pilot)
        dialog = current(app)
        assert isinstance(dialog, AckScreen)
        await fill(pilot, note="")
        assert "the note is required" in text_of(dialog.query_one("#form-error", Static))
        await fill(pilot, note="looking", hold="soon")
        assert "'soon' is not a duration" in text_of(dialog.query_one("#form-error", Static))
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(current(app), AlertsScreen)
    reader = await world.logged_in(ADMIN)
    assert (await reader.alert(fp(world, "site-isolated", LIWAN_ACC))).acknowledgement is None


async def test_u_gives_the_alert_back(world: AlertWorld) -> None:
    app = world.console()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_alerts(pilot)
        table = screen.query_one(AlertTable)
        held = fp(world, "backup-failed", DC1)
        await to_row(pilot, table, held)
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(current(app), UnackScreen)
        await fill(pilot, reason="handing over to the night shift")
        reader = await world.logged_in(ADMIN)
        detail = await reader.alert(held)
        assert detail.acknowledgement is None
        assert detail.history[-1].kind == "unacknowledged"
        assert detail.history[-1].reason == "handing over to the night shift"
        assert plain(table, held, "ack") == ""
        assert table.shown_keys.index(held) == 3  # a firing warning again, before the info
        assert str(table.get_cell(held, "severity").style) == "cyan"


async def test_s_silences_with_matchers_drafted_from_the_alert(
    world: AlertWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = world.console()
    told = record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_alerts(pilot)
        table = screen.query_one(AlertTable)
        liwan = fp(world, "site-isolated", LIWAN_ACC)
        await pilot.press("s")
        await settle(pilot)
        dialog = current(app)
        assert isinstance(dialog, SilenceScreen)
        draft = (
            '{alertname="site-isolated", region="440103", device="gz-liwan-acc1", site="gz-liwan"}'
        )
        assert dialog.query_one("#matchers", Input).value == draft
        assert dialog.query_one("#duration", Input).value == "2h"
        await fill(pilot, comment="fibre splice, ticket 4411")
        assert told.messages[-1] == (f"silenced {draft}", "information")
        reader = await world.logged_in(ADMIN)
        (silence,) = await reader.silences()
        assert silence.matchers == draft
        assert silence.state is SilenceState.ACTIVE
        assert silence.created_by == ADMIN
        assert silence.ends_at == world.toy.clock.now() + timedelta(hours=2)
        assert plain(table, liwan, "ack") == "muted"
        assert "1 muted" in text_of(screen.query_one("#counts", Static))

        await command(pilot, "silences")
        silences = current(app)
        assert isinstance(silences, SilencesScreen)
        listed = silences.query_one(KeyedTable)
        assert listed.shown_keys == [silence.id]
        assert plain(listed, silence.id, "state") == "active"
        assert plain(listed, silence.id, "ends") == "in 2h 0m"
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(current(app), ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert plain(listed, silence.id, "state") == "expired"
        assert (await reader.silences())[0].state is SilenceState.EXPIRED
        await pilot.press("escape")
        await settle(pilot)
        assert current(app) is screen
        assert plain(table, liwan, "ack") == ""  # shown again: refreshed on its return


async def test_until_resolved_needs_no_duration(world: AlertWorld) -> None:
    app = world.console(ONCALL)
    async with app.run_test(size=SIZE) as pilot:
        await open_alerts(pilot)
        await pilot.press("s")
        await settle(pilot)
        dialog = current(app)
        assert isinstance(dialog, SilenceScreen)
        dialog.query_one("#until-resolved", Checkbox).value = True
        await fill(pilot, duration="", comment="until the switch is replaced")
        assert isinstance(current(app), AlertsScreen)
    (silence,) = await (await world.logged_in(ADMIN)).silences()
    assert (silence.until_resolved, silence.ends_at, silence.created_by) == (True, None, ONCALL)


async def test_a_field_technician_sees_their_county_and_no_keys_to_take_or_silence(
    world: AlertWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = world.console(TECHNICIAN)
    told = record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_alerts(pilot)
        table = screen.query_one(AlertTable)
        assert table.shown_keys == [fp(world, "site-isolated", LIWAN_ACC)]
        assert {"a", "u", "s"}.isdisjoint(footer_keys(screen))
        assert {"space", "v", "slash"} <= footer_keys(screen)
        for key in ("a", "s"):
            await pilot.press(key)
            await settle(pilot)
            assert current(app) is screen
        assert [m for m, _ in told.messages] == [
            "you may not take alerts: it needs the acknowledge_alerts permission",
            "you may not silence alerts: it needs the manage_silences permission",
        ]
        assert "read only" in text_of(screen.query_one(StatusLine))
        await command(pilot, "sil")
        assert "d" not in footer_keys(current(app))


async def test_a_is_refused_where_the_user_may_not_take_alerts(
    world: AlertWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = world.console(WATCHER)
    told = record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_alerts(pilot)
        table = screen.query_one(AlertTable)
        assert len(table.shown_keys) == 6  # the whole province
        assert {"a", "u"} <= footer_keys(screen)
        await pilot.press("a")  # 荔湾区 cut off: not theirs to take
        await settle(pilot)
        assert current(app) is screen
        assert told.messages[-1] == (
            "you may not take alerts: it needs the acknowledge_alerts permission in 荔湾区 440103",
            "warning",
        )
        yuexiu = world.alert("county-link-down", link="gz-yuexiu-backup").fingerprint
        await to_row(pilot, table, yuexiu)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(current(app), AckScreen)
        await fill(pilot, note="mine: the backup link to 越秀")
    detail = await (await world.logged_in(ADMIN)).alert(yuexiu)
    assert detail.acknowledgement is not None
    assert detail.acknowledgement.by == WATCHER


async def test_read_only_hides_the_keys_even_from_an_administrator(world: AlertWorld) -> None:
    app = world.console(ADMIN, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_alerts(pilot)
        assert {"a", "u", "s"}.isdisjoint(footer_keys(screen))
        await pilot.press("a")
        await settle(pilot)
        assert current(app) is screen


async def test_maintenance_and_on_call(world: AlertWorld) -> None:
    app = world.console(ONCALL)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await command(pilot, "mw")
        windows = current(app)
        assert isinstance(windows, MaintenanceScreen)
        table = windows.query_one(KeyedTable)
        assert table.shown_keys == [WINDOW]
        assert plain(table, WINDOW, "state") == "planned"
        assert plain(table, WINDOW, "covers") == "广州市 440100"
        assert plain(table, WINDOW, "when") == "03-03 08:03 – 10:03 UTC"
        assert plain(table, WINDOW, "next") == "opens in 1d 0h"
        await command(pilot, "oncall")
        oncall = current(app)
        assert isinstance(oncall, OnCallScreen)
        table = oncall.query_one(KeyedTable)
        reader = await world.logged_in(ONCALL)
        schedules = await reader.oncall()
        assert table.shown_keys == [s.name for s in schedules]
        assert set(table.shown_keys) == {"duty-440000", "network-440100"}
        for schedule in schedules:
            assert plain(table, schedule.name, "on_call") == (schedule.on_call or "nobody")
        assert plain(table, "network-440100", "region") == "广州市 440100"
        assert plain(table, "network-440100", "rotation") == "wang → li, weekly"
