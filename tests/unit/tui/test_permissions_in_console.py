"""What the console offers follows who is logged in: a county's field technician sees their
county and no keys they may not use; what is pressed anyway is refused with the reason; what
people open is written to the audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.binding import Binding
from textual.screen import Screen

from core.security.permissions import Permission
from tests.unit.tui.conftest import SIZE
from tests.unit.tui.pilot_support import current, settle
from tests.unit.tui.security_world import ADMIN, OFFICER, TECHNICIAN, SecurityWorld, open_world
from tests.unit.tui.test_app import command
from tests.unit.tui.test_province_screen import record_notifications
from tui.app import NocConsole
from tui.commands import USAGE, Command, Verb, parse_command
from tui.screens.accounts import DeviceAccountsScreen
from tui.screens.audit import AuditScreen, AuditTable
from tui.screens.audit_forms import AuditSearchScreen, VerificationScreen
from tui.screens.configs import ConfigScreen
from tui.screens.device import DeviceScreen
from tui.screens.help import KEYS
from tui.screens.login import PasswordScreen
from tui.screens.province import ProvinceScreen
from tui.screens.security import SecurityScreen
from tui.screens.user_forms import GrantScreen, NewUserScreen, ShownOnceScreen
from tui.screens.users import GrantTable, UsersScreen, UserTable
from tui.security_models import AuditQuery
from tui.session import Session, fetch_session
from tui.widgets.device_table import DeviceTable
from tui.widgets.region_tree import RegionTree


@pytest.fixture
def world(tmp_path: Path) -> Iterator[SecurityWorld]:
    with open_world(tmp_path) as opened:
        yield opened


def footer_keys(screen: Screen[Any]) -> set[str]:
    """The keys the footer shows on ``screen``."""
    return {key for key, active in screen.active_bindings.items() if active.binding.show}


async def test_a_county_technician_sees_their_county_and_no_keys_beyond_their_role(
    world: SecurityWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = world.console(TECHNICIAN)
    told = record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tree = app.province.query_one(RegionTree)
        assert [node.data.code for node in tree.root.children if node.data] == ["440103"]
        assert tree.selected_code == "440103"
        assert app.province.query_one(DeviceTable).shown_keys == ["gz-liwan-acc1"]
        await pilot.press("enter")
        await settle(pilot)
        device = current(app)
        assert isinstance(device, DeviceScreen)
        assert {"a", "b", "c"}.isdisjoint(footer_keys(device))
        assert {"r", "slash", "escape"} <= footer_keys(device)
        for key in ("c", "a", "b"):
            await pilot.press(key)
            await settle(pilot)
            assert current(app) is device  # nothing opened, nothing asked
        assert [m for m, _ in told.messages] == [
            "you may not read configuration histories: it needs the read_configs permission",
            "you may not see the local accounts of devices: it needs the read_accounts permission",
            "you may not back devices up: it needs the backup_devices permission",
        ]
        told.messages.clear()
        for line in ("users", "usr", "audit", "sec", "backups", "accounts"):
            await command(pilot, line)
            assert current(app) is device
        assert [m for m, _ in told.messages] == [
            "you may not see the NOC's users: it needs the read_users permission",
            "you may not see the NOC's users: it needs the read_users permission",
            "you may not read the audit trail: it needs the read_audit permission",
            "you may not read the security reports: it needs the read_security_reports permission",
            "you may not see the backup board: it needs the read_configs permission",
            "you may not see the accounts of devices and hosts: it needs the read_accounts "
            "permission",
        ]


async def test_a_technician_cannot_reach_a_device_outside_their_county(
    world: SecurityWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = world.console(TECHNICIAN)
    told = record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await command(pilot, "device gz-core1")
        assert isinstance(current(app), ProvinceScreen)
        assert ("no device 'gz-core1'", "error") in told.messages


async def test_an_administrator_is_offered_everything(world: SecurityWorld) -> None:
    app = world.console(ADMIN)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await command(pilot, "device gz-core1")
        device = current(app)
        assert isinstance(device, DeviceScreen)
        assert {"a", "b", "c"} <= footer_keys(device)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(current(app), ConfigScreen)
        assert "b" in footer_keys(current(app))
        await command(pilot, "users")
        users = current(app)
        assert isinstance(users, UsersScreen)
        assert {"n", "d", "u", "p", "g", "x"} <= footer_keys(users)


async def test_a_security_officer_reads_but_does_not_back_up_or_manage(
    world: SecurityWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = world.console(OFFICER)
    told = record_notifications(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await command(pilot, "device gz-core1")
        device = current(app)
        assert isinstance(device, DeviceScreen)
        assert {"a", "c"} <= footer_keys(device)
        assert "b" not in footer_keys(device)
        await command(pilot, "users")
        users = current(app)
        assert isinstance(users, UsersScreen)
        assert {"n", "d", "u", "p", "g", "x"}.isdisjoint(footer_keys(users))
        await pilot.press("n")
        await settle(pilot)
        assert current(app) is users
        assert told.messages[-1] == (
            "you may not create users: it needs the manage_users permission",
            "warning",
        )


async def test_read_only_hides_what_changes_things_even_from_an_administrator(
    world: SecurityWorld,
) -> None:
    app = world.console(ADMIN, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.title == f"ssnoc · {ADMIN} (read-only)"
        await command(pilot, "users")
        users = current(app)
        assert isinstance(users, UsersScreen)
        assert {"n", "d", "u", "p", "g", "x"}.isdisjoint(footer_keys(users))
        await pilot.press("n")
        await settle(pilot)
        assert current(app) is users  # silent: the title says read-only


async def test_what_the_user_opens_is_in_the_audit_trail(world: SecurityWorld) -> None:
    app = world.console(OFFICER)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await command(pilot, "device gz-core1")
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(current(app), ConfigScreen)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(current(app), DeviceAccountsScreen)
        await command(pilot, "audit")
        assert isinstance(current(app), AuditScreen)
        await command(pilot, "security")
        assert isinstance(current(app), SecurityScreen)
        await command(pilot, "accounts")
    reader = await world.logged_in(ADMIN)
    records = await reader.audit(AuditQuery(actor=OFFICER))
    console = [(r.action, r.target) for r in reversed(records) if r.action.startswith("console.")]
    assert console == [
        ("console.open_configs", "gz-core1"),
        ("console.open_accounts", "gz-core1"),
        ("console.open_audit", None),
        ("console.open_security", None),
        ("console.open_accounts", None),
    ]
    assert all(r.outcome == "ok" for r in records if r.action.startswith("console."))


@pytest.mark.parametrize(
    ("line", "verb"),
    [
        ("users", Verb.USERS),
        (":usr", Verb.USERS),
        ("user", Verb.USERS),
        ("audit", Verb.AUDIT),
        ("au", Verb.AUDIT),
        ("security", Verb.SECURITY),
        ("SEC", Verb.SECURITY),
        ("password", Verb.PASSWORD),
        ("pw", Verb.PASSWORD),
        ("logout", Verb.LOGOUT),
    ],
)
def test_the_new_commands_and_their_aliases(line: str, verb: Verb) -> None:
    assert parse_command(line) == Command(verb)


def test_every_command_is_in_the_usage() -> None:
    usages = {usage.split()[0] for usage, _ in USAGE}
    assert {verb.value for verb in Verb} <= usages


def test_help_lists_every_key_of_the_security_screens() -> None:
    listed = {key for _, rows in KEYS for keys, _ in rows for key in keys.split()}
    names = {"question_mark": "?", "colon": ":", "slash": "/"}
    owners: list[Any] = [
        NocConsole,
        UsersScreen,
        UserTable,
        GrantTable,
        AuditScreen,
        AuditTable,
        SecurityScreen,
        PasswordScreen,
        NewUserScreen,
        GrantScreen,
        ShownOnceScreen,
        AuditSearchScreen,
        VerificationScreen,
    ]
    for owner in owners:
        ours = [c for c in owner.__mro__ if c.__module__.startswith("tui.")]  # not Textual's
        for binding in (b for c in ours for b in c.__dict__.get("BINDINGS", [])):
            assert isinstance(binding, Binding)
            for key in binding.key.split(","):
                assert names.get(key, key) in listed, f"{owner.__name__}: '{key}' not in help"


async def test_the_session_knows_what_is_held_where(world: SecurityWorld) -> None:
    technician = await fetch_session(await world.logged_in(TECHNICIAN))
    assert (technician.username, technician.via) == (TECHNICIAN, "session")
    assert technician.can(Permission.READ_INVENTORY)
    assert technician.can(Permission.READ_INVENTORY, "440103")
    assert not technician.can(Permission.READ_INVENTORY, "440104")
    assert not technician.can(Permission.READ_INVENTORY, "440100")  # the city is above them
    assert not technician.can_province_wide(Permission.READ_INVENTORY)
    assert not technician.can(Permission.BACKUP_DEVICES)
    officer = await fetch_session(await world.logged_in(OFFICER))
    assert officer.can(Permission.READ_AUDIT, "440104")
    assert officer.can_province_wide(Permission.READ_AUDIT)
    assert not officer.can(Permission.MANAGE_USERS)
    assert not Session.pending().can(Permission.READ_INVENTORY)
    assert Session.everything().can(Permission.MANAGE_USERS, "440103")
