"""``:security`` against the real reports: account findings by region (rolled up the tree), the
access review and what changed since the last sign-off; signing off; exporting."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from core.security.permissions import Role
from tests.unit.tui.conftest import SIZE
from tests.unit.tui.pilot_support import current, settle, text_of
from tests.unit.tui.security_world import ADMIN, OFFICER, TECHNICIAN, SecurityWorld, open_world
from tests.unit.tui.test_app import command
from tests.unit.tui.test_province_screen import record_notifications
from tui.screens.confirm import ConfirmScreen
from tui.screens.security import ALL_REGIONS, SecurityScreen
from tui.security_models import AuditQuery
from tui.widgets.status_line import StatusLine


@pytest.fixture
def world(tmp_path: Path) -> Iterator[SecurityWorld]:
    with open_world(tmp_path) as opened:
        yield opened


async def open_security(pilot: Pilot[None]) -> SecurityScreen:
    await settle(pilot)
    await command(pilot, "sec")
    screen = current(pilot.app)
    assert isinstance(screen, SecurityScreen)
    await settle(pilot)
    return screen


async def choose(pilot: Pilot[None], screen: SecurityScreen, code: str) -> None:
    screen.regions.move_cursor(row=screen.regions.shown_keys.index(code), animate=False)
    await settle(pilot)


async def test_regions_with_findings_rolled_up_and_the_findings_of_the_one_chosen(
    world: SecurityWorld,
) -> None:
    app = world.console(OFFICER)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_security(pilot)
        regions = screen.regions
        assert regions.shown_keys == [ALL_REGIONS, "440000", "440100", "440104"]
        counts = {code: regions.get_cell(code, "count").plain for code in regions.shown_keys}
        assert counts == {ALL_REGIONS: "14", "440000": "14", "440100": "12", "440104": "4"}
        assert regions.get_cell("440104", "region").plain == "    越秀区"
        assert len(screen.findings) == 14
        await choose(pilot, screen, "440104")
        assert {f.device_id for f in screen.findings} == {"gz-yuexiu-acc1"}
        assert len(screen.findings) == 4
        status = screen.query_one(StatusLine)
        assert str(status.render()).startswith("4 findings in 越秀区 440104 · 2 high")
        await choose(pilot, screen, "440100")
        assert len(screen.findings) == 12  # the city and its counties


async def test_the_access_review_summary(world: SecurityWorld) -> None:
    app = world.console(OFFICER)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_security(pilot)
        review = text_of(screen.query_one("#review", Static))
        assert "can approve runbooks    admin (440000)" in review
        assert "can manage users        admin (440000)" in review
        assert "API tokens to question  none" in review
        assert "never signed off: everything counts as new" in review


async def test_s_signs_the_review_off_after_asking(
    world: SecurityWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = world.console(OFFICER)
    told = record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_security(pilot)
        await pilot.press("s")
        await settle(pilot)
        question = current(app)
        assert isinstance(question, ConfirmScreen)
        assert question.question == "Sign the access review off?"
        await pilot.press("y")
        await settle(pilot)
        assert ("review #1 signed off: 3 users, 14 findings", "information") in told.messages
        review = text_of(screen.query_one("#review", Static))
        assert f"signed by {OFFICER} at 2026-03-01 08:00:30 UTC: nothing changed" in review
    reader = await world.logged_in(ADMIN)
    signed = await reader.audit(AuditQuery(action="access_review_sign"))
    assert [(r.actor, r.target) for r in signed] == [(OFFICER, "access_review:1")]


async def test_e_exports_the_findings_shown_and_both_sides_record_it(
    world: SecurityWorld, tmp_path: Path
) -> None:
    app = world.console(OFFICER, export_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_security(pilot)
        await choose(pilot, screen, "440104")
        await pilot.press("e")
        await settle(pilot)
    exported = tmp_path / "account-findings-440104-202603010800.csv"
    lines = exported.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "region_code,device_id,account,kind,severity,privilege,detail"
    assert len(lines) == 5
    reader = await world.logged_in(ADMIN)
    found = await reader.audit(AuditQuery(actor=OFFICER))
    assert [(r.action, r.target) for r in found][:2] == [
        ("console.export_findings", str(exported)),
        ("report_export", "accounts"),
    ]


async def test_a_city_officer_sees_their_city_and_not_the_provinces_review(
    world: SecurityWorld,
) -> None:
    world.users.grant(TECHNICIAN, Role.SECURITY_OFFICER, "440100", by=ADMIN)
    app = world.console(TECHNICIAN)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_security(pilot)
        assert screen.regions.shown_keys == [ALL_REGIONS, "440100", "440104"]
        assert len(screen.findings) == 12
        review = text_of(screen.query_one("#review", Static))
        assert "it needs read_security_reports for the province" in review
        shown = {key for key, a in screen.active_bindings.items() if a.binding.show}
        assert "s" not in shown  # signing covers every user: province only
        assert "e" in shown
