"""``:audit`` against the real hash-chained trail: newest first, searched, ranged, paged,
verified (intact, then tampered with), exported."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session as DbSession
from textual.pilot import Pilot
from textual.widgets import Input, Static

from core.security.audit_trail import AuditEvent, AuditOutcome
from core.security.permissions import Role
from core.state.tables import AuditRecordRow
from tests.unit.tui.conftest import SIZE
from tests.unit.tui.pilot_support import current, settle, text_of
from tests.unit.tui.security_world import (
    ADMIN,
    OFFICER,
    TECHNICIAN,
    SecurityWorld,
    open_world,
)
from tests.unit.tui.test_app import command
from tests.unit.tui.test_province_screen import record_notifications
from tui.screens.audit import PAGE_SIZE, AuditScreen
from tui.screens.audit_forms import AuditFilter, AuditSearchScreen, VerificationScreen
from tui.security_models import AuditQuery


@pytest.fixture
def world(tmp_path: Path) -> Iterator[SecurityWorld]:
    with open_world(tmp_path) as opened:
        yield opened


async def open_audit(pilot: Pilot[None]) -> AuditScreen:
    await settle(pilot)
    await command(pilot, "audit")
    screen = current(pilot.app)
    assert isinstance(screen, AuditScreen)
    return screen


def files_in(directory: Path) -> list[Path]:
    return sorted(directory.iterdir())


def actions(screen: AuditScreen) -> list[tuple[str, str]]:
    return [(r.actor, r.action) for r in screen.records]


async def test_the_trail_lists_the_login_newest_first(world: SecurityWorld) -> None:
    app = world.console(OFFICER)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_audit(pilot)
        assert actions(screen) == [(OFFICER, "console.open_audit"), (OFFICER, "login")]
        seqs = [r.seq for r in screen.records]
        assert seqs == sorted(seqs, reverse=True)
        login = screen.records[-1]
        assert (login.outcome, login.target, login.client) == ("ok", OFFICER, "127.0.0.1")
        assert screen.table.get_cell(str(login.seq), "outcome").plain == "ok"
        shown = text_of(screen.query_one("#record", Static))
        assert f"{OFFICER} from 127.0.0.1" in shown  # the record under the cursor, in full


async def test_slash_searches_by_user_and_escape_clears_the_search(
    world: SecurityWorld,
) -> None:
    await world.logged_in(TECHNICIAN)
    app = world.console(OFFICER)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_audit(pilot)
        assert (TECHNICIAN, "login") in actions(screen)
        await pilot.press("slash")
        form = current(app)
        assert isinstance(form, AuditSearchScreen)
        form.query_one("#actor", Input).value = TECHNICIAN
        await pilot.press("enter")
        await settle(pilot)
        assert current(app) is screen
        assert actions(screen) == [(TECHNICIAN, "login")]
        assert "user li.tech" in str(screen.query_one("#status").render())
        await pilot.press("escape")  # the search goes first
        await settle(pilot)
        assert current(app) is screen
        assert len(actions(screen)) == 3
        await pilot.press("escape")
        assert current(app) is app.province


async def test_search_by_object_region_and_text(world: SecurityWorld) -> None:
    for target, region in (("device:gz-core1", "440100"), ("device:gz-liwan-acc1", "440103")):
        world.trail.append(
            AuditEvent(
                actor=ADMIN,
                action="backup_now",
                outcome=AuditOutcome.OK,
                target=target,
                region_code=region,
                detail=f"backed up {target}",
            )
        )
    app = world.console(OFFICER)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_audit(pilot)
        screen.apply(AuditFilter(target="liwan"))
        await settle(pilot)
        assert [r.target for r in screen.records] == ["device:gz-liwan-acc1"]
        screen.apply(AuditFilter(region="440103"))
        await settle(pilot)
        assert [r.target for r in screen.records] == ["device:gz-liwan-acc1"]
        screen.apply(AuditFilter(region="440100"))  # the city and its counties
        await settle(pilot)
        assert [r.target for r in screen.records] == ["device:gz-liwan-acc1", "device:gz-core1"]
        screen.apply(AuditFilter(text="backed up"))
        await settle(pilot)
        assert len(screen.records) == 2


async def test_a_region_that_is_not_a_code_is_refused_in_the_form(world: SecurityWorld) -> None:
    app = world.console(OFFICER)
    async with app.run_test(size=SIZE) as pilot:
        await open_audit(pilot)
        await pilot.press("slash")
        form = current(app)
        assert isinstance(form, AuditSearchScreen)
        form.query_one("#region", Input).value = "广州"
        form.query_one("#region", Input).focus()
        await pilot.press("enter")
        assert current(app) is form
        assert "six-digit code" in text_of(form.query_one("#search-error", Static))


async def test_t_steps_through_time_ranges_from_the_servers_now(world: SecurityWorld) -> None:
    world.trail.append(AuditEvent(actor="old.timer", action="login", outcome=AuditOutcome.OK))
    world.clock.advance(timedelta(hours=3).total_seconds())
    app = world.console(OFFICER)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_audit(pilot)
        assert ("old.timer", "login") in actions(screen)
        await pilot.press("t")  # the last hour
        await settle(pilot)
        assert screen.table.border_title == "audit trail · last hour · newest first"
        assert ("old.timer", "login") not in actions(screen)
        assert (OFFICER, "login") in actions(screen)
        await pilot.press("t")  # 24 h
        await settle(pilot)
        assert ("old.timer", "login") in actions(screen)


async def test_n_and_p_page_through_older_and_newer_records(world: SecurityWorld) -> None:
    for number in range(PAGE_SIZE + 5):
        world.trail.append(
            AuditEvent(actor="bulk", action="probe", outcome=AuditOutcome.OK, target=f"#{number}")
        )
    app = world.console(OFFICER)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_audit(pilot)
        first = screen.records
        assert len(first) == PAGE_SIZE
        await pilot.press("n")
        await settle(pilot)
        assert screen.page == 2
        older = screen.records
        assert older[0].seq == first[-1].seq - 1
        assert older[-1].seq == 1
        await pilot.press("p")
        await settle(pilot)
        assert screen.page == 1
        assert [r.seq for r in screen.records] == [r.seq for r in first]


async def test_v_verifies_the_chain_intact(world: SecurityWorld) -> None:
    app = world.console(OFFICER)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_audit(pilot)
        await pilot.press("v")
        await settle(pilot)
        dialog = current(app)
        assert isinstance(dialog, VerificationScreen)
        assert dialog.result.ok
        report = text_of(dialog.query_one("#verification", Static))
        assert "✓ chain intact" in report
        assert f"{dialog.result.checked} records checked" in report
        await pilot.press("escape")
        await settle(pilot)
        assert "chain intact" in str(screen.query_one("#status").render())


async def test_v_names_a_record_edited_behind_the_trails_back(world: SecurityWorld) -> None:
    world.trail.append(AuditEvent(actor="mallory", action="login", outcome=AuditOutcome.FAILED))
    with DbSession(world.engine) as db, db.begin():
        db.execute(
            update(AuditRecordRow).where(AuditRecordRow.actor == "mallory").values(outcome="ok")
        )
    app = world.console(OFFICER)
    async with app.run_test(size=SIZE) as pilot:
        await open_audit(pilot)
        await pilot.press("v")
        await settle(pilot)
        dialog = current(app)
        assert isinstance(dialog, VerificationScreen)
        assert not dialog.result.ok
        assert "#1" in text_of(dialog.query_one("#verification", Static))


async def test_verify_needs_the_whole_province(
    world: SecurityWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.users.grant(TECHNICIAN, Role.SECURITY_OFFICER, "440103", by=ADMIN)
    app = world.console(TECHNICIAN)
    told = record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_audit(pilot)
        assert "v" not in {k for k, a in screen.active_bindings.items() if a.binding.show}
        await pilot.press("v")
        await settle(pilot)
        assert current(app) is screen
        assert told.messages[-1][0] == (
            "you may not verify the chain: it needs the read_audit permission for a whole province"
        )


async def test_e_exports_the_range_and_the_export_is_audited(
    world: SecurityWorld, tmp_path: Path
) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    app = world.console(OFFICER, export_dir=exports)
    async with app.run_test(size=SIZE) as pilot:
        await open_audit(pilot)
        await pilot.press("t", "e")
        await settle(pilot)
    (exported,) = files_in(exports)
    assert exported.name == "audit-202603010700-202603010800.jsonl"  # the last hour
    lines = [json.loads(line) for line in exported.read_text(encoding="utf-8").splitlines()]
    assert (OFFICER, "login") in [(line["actor"], line["action"]) for line in lines]
    reader = await world.logged_in(ADMIN)
    found = await reader.audit(AuditQuery(actor=OFFICER))
    assert [(r.action, r.target) for r in found][:2] == [
        ("console.export_audit", str(exported)),
        ("audit_export", None),
    ]
