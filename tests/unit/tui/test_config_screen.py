"""The configuration history: versions, coloured diffs, marks, search, and a backup on demand
with its confirmation — driven by keys against the real API."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.text import Text
from textual.pilot import Pilot

from tests.unit.api.ssh_scenario import CORE_V3, LOGIN_FAILED
from tests.unit.tui.conftest import SIZE, FakeCollector, MakeConsole
from tests.unit.tui.pilot_support import current, settle, showing, text_of
from tests.unit.tui.test_province_screen import record_notifications
from tui.app import NocConsole
from tui.screens.configs import ConfigScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.device import DeviceScreen
from tui.widgets.backup_summary import BackupSummary
from tui.widgets.diff_view import DiffView
from tui.widgets.status_line import StatusLine
from tui.widgets.version_table import MARK, VersionTable

# Device table order: gd-dc1-core1, gz-core1, gz-liwan-acc1, gz-yuexiu-acc1.
DOWN_TO = {"gd-dc1-core1": 0, "gz-core1": 1, "gz-liwan-acc1": 2, "gz-yuexiu-acc1": 3}


async def open_history(pilot: Pilot[None], device: str = "gz-core1") -> ConfigScreen:
    await settle(pilot)
    await pilot.press(*["j"] * DOWN_TO[device], "enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, DeviceScreen)
    await pilot.press("c")
    await settle(pilot)
    screen = current(pilot.app)
    assert isinstance(screen, ConfigScreen)
    return screen


def colour_of(text: Text, line: str) -> str | None:
    """The foreground colour the diff draws ``line`` in (the whole line, prefix included)."""
    offset = text.plain.split("\n").index(line)
    start = sum(len(x) + 1 for x in text.plain.split("\n")[:offset])
    style = text.get_style_at_offset(Console(file=io.StringIO()), start)
    return style.color.name if style.color else None


def shown(screen: ConfigScreen) -> tuple[int | None, int] | None:
    return screen.shown


def status(screen: ConfigScreen) -> str:
    return text_of(screen.query_one(StatusLine))


async def test_c_opens_the_history_newest_first_with_the_newest_change(
    make_console: MakeConsole,
) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        assert screen.device_id == "gz-core1"
        table = screen.query_one(VersionTable)
        assert table.shown_keys == ["3", "2", "1"]
        assert table.get_cell("3", "changed_by") == "liming"
        assert table.get_cell("3", "added").plain == "+4"
        assert table.get_cell("3", "removed").plain == "−1"
        assert shown(screen) == (2, 3)
        diff = screen.query_one(DiffView)
        assert diff.border_title == "diff #2 → #3 · +4 −1"
        assert ("removed", "- port trunk permit vlan 1 100 200") in diff.lines
        assert ("added", "+ ntp-service unicast-server 10.44.0.1") in diff.lines
        assert "3 versions" in status(screen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DeviceScreen)


async def test_the_diff_is_coloured(make_console: MakeConsole) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        text = screen.query_one(DiffView).text
        assert colour_of(text, "+ port trunk permit vlan 100 200") == "green"
        assert colour_of(text, "- port trunk permit vlan 1 100 200") == "red"
        hunk = next(line for kind, line in screen.query_one(DiffView).lines if kind == "hunk")
        assert hunk.startswith("@@ -")
        assert colour_of(text, hunk) == "cyan"
        assert colour_of(text, "  description to YUEXIU") is None  # context: as the terminal


async def test_moving_down_diffs_each_version_with_the_one_before(
    make_console: MakeConsole,
) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        await pilot.press("j")
        await settle(pilot)
        assert shown(screen) == (1, 2)
        assert ("added", "+vlan 200") in screen.query_one(DiffView).lines
        await pilot.press("j")  # the oldest: nothing before it, so its whole text
        await settle(pilot)
        assert shown(screen) == (None, 1)
        diff = screen.query_one(DiffView)
        assert "the oldest version kept" in str(diff.border_title)
        assert ("text", " sysname GZ-CORE1") in diff.lines


async def test_space_marks_two_versions_and_the_diff_compares_them(
    make_console: MakeConsole,
) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        table = screen.query_one(VersionTable)
        await pilot.press("space")  # #3
        await settle(pilot)
        assert screen.marks == [3]
        assert table.get_cell("3", "mark").plain == MARK
        assert "marked #3: mark one more" in status(screen)
        await pilot.press("j", "j", "space")  # #1
        await settle(pilot)
        assert screen.marks == [3, 1]
        assert shown(screen) == (1, 3)
        diff = screen.query_one(DiffView)
        assert diff.border_title == "diff #1 → #3 · +8 −2"
        assert ("added", "+vlan 200") in diff.lines
        assert ("added", "+ ntp-service enable") in diff.lines
        assert "comparing marked #1 and #3" in status(screen)
        await pilot.press("k", "space")  # a third mark: the earliest (#3) gives way
        await settle(pilot)
        assert screen.marks == [1, 2]
        assert shown(screen) == (1, 2)
        assert table.get_cell("3", "mark").plain == ""
        await pilot.press("escape")  # clears the marks, stays
        await settle(pilot)
        assert screen.marks == []
        assert showing(app, screen)
        assert shown(screen) == (1, 2)  # the cursor's version against the one before it


async def test_slash_searches_the_diff_and_n_steps_through_matches(
    make_console: MakeConsole,
) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot)
        diff = screen.query_one(DiffView)
        await pilot.press("slash", *"VLAN", "enter")
        await settle(pilot)
        assert diff.search_text == "vlan"
        total = diff.match_count
        assert total == 2
        assert diff.current_match == 0
        assert f"search 'vlan': 1/{total}" in status(screen)
        assert app.focused is diff
        await pilot.press("n")
        assert diff.current_match == 1
        await pilot.press("n")  # round the end
        assert diff.current_match == 0
        await pilot.press("N")
        assert diff.current_match == 1
        assert f"search 'vlan': 2/{total}" in status(screen)
        await pilot.press("escape")  # clears the search, stays
        assert diff.search_text == ""
        assert showing(app, screen)


async def test_a_device_never_backed_up_says_so(make_console: MakeConsole) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot, "gz-liwan-acc1")
        assert screen.query_one(VersionTable).shown_keys == []
        assert shown(screen) is None
        assert screen.query_one(DiffView).lines == [
            ("note", "no configuration stored yet: press b to back the device up now")
        ]
        summary = text_of(screen.query_one(BackupSummary))
        assert "never backed up" in summary
        assert "no attempt on record" in summary


async def test_a_failing_backup_shows_its_error(make_console: MakeConsole) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot, "gd-dc1-core1")
        summary = text_of(screen.query_one(BackupSummary))
        assert "backup failing" in summary
        assert "last success 3d 0h ago" in summary
        assert f"last attempt failed 30m 30s ago: {LOGIN_FAILED}" in summary
        assert shown(screen) == (None, 4)


async def backup_from_history(pilot: Pilot[None], app: NocConsole, answer: str) -> ConfigScreen:
    screen = await open_history(pilot)
    assert "b" in screen.active_bindings  # shown in the footer (hidden when read-only)
    await pilot.press("b")
    await settle(pilot)
    assert isinstance(app.screen, ConfirmScreen)
    assert app.screen.question == "Back up gz-core1 now?"
    await pilot.press(answer)
    await settle(pilot)
    assert showing(app, screen)
    return screen


async def test_b_asks_then_backs_up_and_shows_the_new_version(
    make_console: MakeConsole, collector: FakeCollector, monkeypatch: pytest.MonkeyPatch
) -> None:
    collector.texts["gz-core1"] = CORE_V3.replace("vlan 200\n", "vlan 200\n name shebao\n")
    app = make_console()
    told = record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        screen = await backup_from_history(pilot, app, "y")
        assert collector.asked == ["gz-core1"]
        assert ("gz-core1: new version #6 (+1 −0)", "information") in told.messages
        assert screen.query_one(VersionTable).shown_keys == ["6", "3", "2", "1"]
        assert "newest version #6" in text_of(screen.query_one(BackupSummary))


async def test_backup_unchanged_says_so(
    make_console: MakeConsole, collector: FakeCollector, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_console()
    told = record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await backup_from_history(pilot, app, "y")
        assert ("gz-core1: unchanged since version #3", "information") in told.messages


async def test_n_cancels_the_backup(make_console: MakeConsole, collector: FakeCollector) -> None:
    app = make_console()
    async with app.run_test(size=SIZE) as pilot:
        await backup_from_history(pilot, app, "n")
        assert collector.asked == []


async def test_a_failed_backup_is_an_error_and_the_record_shows_it(
    make_console: MakeConsole, collector: FakeCollector, monkeypatch: pytest.MonkeyPatch
) -> None:
    collector.error = "connection refused: 127.0.0.12:22"
    app = make_console()
    told = record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        screen = await backup_from_history(pilot, app, "y")
        assert ("gz-core1: connection refused: 127.0.0.12:22", "error") in told.messages
        assert "backup failing" in text_of(screen.query_one(BackupSummary))
