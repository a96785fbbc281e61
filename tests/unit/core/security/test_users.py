"""NOC users on SQLite: creation rules, lockout, sessions, refresh rotation, must-change, grants.

``run_user_scenario`` is written once and also run against PostgreSQL
(tests/integration/core/test_users_postgres.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from core.clock import FakeClock
from core.errors import AccountLocked, AuthenticationFailed, NocError, NotFound
from core.security.passwords import PasswordRejected, cheap_hasher, verify_password
from core.security.permissions import Permission, Role
from core.security.principal import Grant
from core.security.user_views import InvalidUserRequest, UserExists
from core.security.users import UserDirectory
from core.settings import AuthSettings
from core.state.db import migrate_to_head, open_state_engine
from core.state.tables import NocUserRow

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
GOOD = "Correct-Horse-9"
OTHER = "Battery-Staple-7"
WRONG = "wrong user name or password"


def directory_on(engine: Engine, clock: FakeClock, **auth: Any) -> UserDirectory:
    """A directory with a cheap hasher (tests create many users) and ``auth`` settings."""
    settings = AuthSettings(**{"lockout_after": 3, "lockout_s": 600.0, **auth})
    return UserDirectory(engine, clock, settings, hasher=cheap_hasher())


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_state_engine(f"sqlite:///{tmp_path / 'state.db'}")
    migrate_to_head(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def users(engine: Engine, clock: FakeClock) -> UserDirectory:
    return directory_on(engine, clock)


def engineer(users: UserDirectory, name: str = "alice", **kwargs: Any) -> None:
    users.create_user(
        name,
        GOOD,
        grants=(Grant(Role.NETWORK_ENGINEER, "440100"),),
        created_by="admin",
        **kwargs,
    )


# ------------------------------------------------------------------------------ the scenario


def run_user_scenario(engine: Engine) -> None:
    """Create users, log in, authenticate, refresh, tokens, lockout: on any state DB."""
    clock = FakeClock(T0)
    users = directory_on(engine, clock)
    assert not users.has_admin()
    admin = users.create_admin("root.admin", "Root-Password-1", created_by="cli:ops")
    assert admin.grants == (Grant(Role.ADMIN, "440000"),)
    assert users.has_admin()
    engineer(users)
    with pytest.raises(UserExists, match="user 'alice' exists"):
        engineer(users)

    tokens = users.login("alice", GOOD, client="10.0.0.8")
    principal = users.authenticate(tokens.access_token)
    assert (principal.name, principal.via) == ("alice", "session")
    assert principal.can_in(Permission.BACKUP_DEVICES, "440103")
    assert not principal.can_in(Permission.BACKUP_DEVICES, "440300")

    clock.advance(60)
    rotated = users.refresh(tokens.refresh_token, client="10.0.0.8")
    assert users.authenticate(rotated.access_token).user_id == principal.user_id
    with pytest.raises(AuthenticationFailed, match="token revoked"):
        users.authenticate(tokens.access_token)

    token, view = users.create_api_token("alice", "nightly export", days=30, by="alice")
    assert users.authenticate(token).via == "api_token"
    assert [t.id for t in users.list_api_tokens("alice")] == [view.id]
    users.revoke_api_token(view.id, by="root.admin")
    with pytest.raises(AuthenticationFailed, match="token revoked"):
        users.authenticate(token)

    for _ in range(2):
        with pytest.raises(AuthenticationFailed, match=WRONG):
            users.login("alice", "Not-The-Password-1", client=None)
    with pytest.raises(AccountLocked):
        users.login("alice", "Not-The-Password-1", client=None)
    with pytest.raises(AccountLocked):
        users.login("alice", GOOD, client=None)
    users.unlock("alice", by="root.admin")
    assert users.login("alice", GOOD, client=None).user.failed_logins == 0

    before, after = users.set_disabled("alice", True, by="root.admin")
    assert (before.disabled, after.disabled) == (False, True)
    with pytest.raises(AuthenticationFailed, match="token revoked"):
        users.authenticate(rotated.access_token)
    assert [u.username for u in users.list_users()] == ["alice", "root.admin"]


def test_the_scenario_on_sqlite(engine: Engine) -> None:
    run_user_scenario(engine)


# --------------------------------------------------------------------------------- creation


def test_a_new_user_is_seen_without_secrets(users: UserDirectory, clock: FakeClock) -> None:
    created = users.create_user(
        "bob",
        GOOD,
        display_name="  Bob Chen ",
        grants=(Grant(Role.VIEWER, "440000"),),
        created_by="a",
    )
    assert created == users.get("bob")
    assert created.display_name == "Bob Chen"
    assert created.created_at == clock.now() == created.password_changed_at
    assert not hasattr(created, "password_hash")
    assert GOOD not in repr(created)
    with pytest.raises(NotFound, match="no user 'carol'"):
        users.get("carol")


@pytest.mark.parametrize("name", ["", "Bob", "bob smith", "bob@x", "x" * 65, "張三"])
def test_user_names_are_lower_case_letters_digits_and_dot_dash_underscore(
    users: UserDirectory, name: str
) -> None:
    with pytest.raises(InvalidUserRequest, match="use 1 to 64 characters of a-z, 0-9"):
        users.create_user(name, GOOD, created_by=None)


def test_every_allowed_character_in_a_user_name(users: UserDirectory) -> None:
    assert users.create_user("a.b_c-9", GOOD, created_by=None).username == "a.b_c-9"


def test_the_password_policy_applies(users: UserDirectory) -> None:
    with pytest.raises(PasswordRejected, match="too short"):
        users.create_user("bob", "Ab1-", created_by=None)
    with pytest.raises(PasswordRejected, match="user name"):
        users.create_user("bobby", "Bobby-Secret-1", created_by=None)
    with pytest.raises(PasswordRejected, match="too simple"):
        users.create_user("bob", "alllowercaseletters", created_by=None)
    assert users.list_users() == []


def test_grants_are_checked(users: UserDirectory) -> None:
    with pytest.raises(InvalidUserRequest, match="unknown role 'god'"):
        users.create_user("bob", GOOD, grants=(Grant("god", "440000"),), created_by=None)  # type: ignore[arg-type]
    with pytest.raises(InvalidUserRequest, match="'4401' is not a six-digit region code"):
        users.create_user("bob", GOOD, grants=(Grant(Role.VIEWER, "4401"),), created_by=None)
    engineer(users, "bob")
    with pytest.raises(InvalidUserRequest, match="unknown role"):
        users.grant("bob", "superuser", "440000", by="a")
    with pytest.raises(InvalidUserRequest, match="region code"):
        users.grant("bob", Role.ONCALL, "gz", by="a")


def test_grant_and_revoke_return_before_and_after(users: UserDirectory) -> None:
    engineer(users, "bob")
    before, after = users.grant("bob", "oncall", "440300", by="admin")
    assert Grant(Role.ONCALL, "440300") not in before.grants
    assert Grant(Role.ONCALL, "440300") in after.grants
    with pytest.raises(InvalidUserRequest, match="already holds oncall at 440300"):
        users.grant("bob", Role.ONCALL, "440300", by="admin")
    before, after = users.revoke("bob", Role.ONCALL, "440300", by="admin")
    assert after.grants == (Grant(Role.NETWORK_ENGINEER, "440100"),)
    with pytest.raises(NotFound, match="does not hold oncall at 440300"):
        users.revoke("bob", Role.ONCALL, "440300", by="admin")


def test_grant_changes_reach_a_live_session_at_once(users: UserDirectory) -> None:
    engineer(users)
    access = users.login("alice", GOOD, client=None).access_token
    assert not users.authenticate(access).can(Permission.MANAGE_USERS)  # now cached
    users.grant("alice", Role.ADMIN, "440000", by="root")
    assert users.authenticate(access).can(Permission.MANAGE_USERS)
    users.revoke("alice", Role.ADMIN, "440000", by="root")
    assert not users.authenticate(access).can(Permission.MANAGE_USERS)


def test_an_admin_is_for_a_province(users: UserDirectory) -> None:
    with pytest.raises(InvalidUserRequest, match="province code"):
        users.create_admin("root", GOOD, "440100")
    users.create_admin("root", GOOD, "440000")
    assert users.has_admin()
    users.set_disabled("root", True, by="x")
    assert not users.has_admin()


def test_a_city_admin_does_not_count_as_the_admin(users: UserDirectory) -> None:
    users.create_user("city", GOOD, grants=(Grant(Role.ADMIN, "440100"),), created_by=None)
    assert not users.has_admin()


def test_errors_are_noc_errors_and_value_errors() -> None:
    assert issubclass(InvalidUserRequest, NocError)
    assert issubclass(InvalidUserRequest, ValueError)
    assert issubclass(PasswordRejected, NocError)


# ------------------------------------------------------------------------- logins and lockout


def test_unknown_user_and_wrong_password_read_the_same(users: UserDirectory) -> None:
    engineer(users)
    messages = []
    for name, password in (("alice", OTHER), ("nobody", GOOD), ("Not A Name", GOOD)):
        with pytest.raises(AuthenticationFailed) as failure:
            users.login(name, password, client=None)
        assert type(failure.value) is AuthenticationFailed
        messages.append(str(failure.value))
    assert messages == [WRONG] * 3


def test_an_unknown_user_still_costs_a_password_check(
    users: UserDirectory, monkeypatch: pytest.MonkeyPatch
) -> None:
    import core.security.sessions as sessions

    checked: list[str] = []

    def spy(password_hash: str, plain: str, hasher: Any = None) -> bool:
        checked.append(plain)
        return verify_password(password_hash, plain, hasher)

    monkeypatch.setattr(sessions, "verify_password", spy)
    with pytest.raises(AuthenticationFailed):
        users.login("nobody", "Guess-Number-1", client=None)
    assert checked == ["Guess-Number-1"]


def test_a_disabled_user_cannot_log_in_and_is_told_nothing_more(users: UserDirectory) -> None:
    engineer(users)
    users.set_disabled("alice", True, by="admin")
    with pytest.raises(AuthenticationFailed, match=f"^{WRONG}$"):
        users.login("alice", GOOD, client=None)
    users.set_disabled("alice", False, by="admin")
    users.login("alice", GOOD, client=None)


def test_lockout_after_n_failures_then_unlocked_by_time(
    users: UserDirectory, clock: FakeClock
) -> None:
    engineer(users)
    for attempt in range(2):
        with pytest.raises(AuthenticationFailed, match=WRONG):
            users.login("alice", OTHER, client=None)
        assert users.get("alice").failed_logins == attempt + 1
    with pytest.raises(AccountLocked) as locked:
        users.login("alice", OTHER, client=None)
    until = T0 + timedelta(seconds=600)
    assert locked.value.until_iso == until.isoformat()
    assert users.get("alice").locked_until == until

    clock.advance(599)
    with pytest.raises(AccountLocked):
        users.login("alice", GOOD, client=None)  # the right password does not help while locked
    clock.advance(1)
    tokens = users.login("alice", GOOD, client=None)
    assert tokens.user.failed_logins == 0
    assert tokens.user.locked_until is None
    assert tokens.user.last_login_at == clock.now()


def test_failures_start_counting_afresh_once_a_lock_ran_out(
    users: UserDirectory, clock: FakeClock
) -> None:
    engineer(users)
    for _ in range(2):
        with pytest.raises(AuthenticationFailed):
            users.login("alice", OTHER, client=None)
    with pytest.raises(AccountLocked):
        users.login("alice", OTHER, client=None)
    clock.advance(601)
    with pytest.raises(AuthenticationFailed) as failure:
        users.login("alice", OTHER, client=None)
    assert type(failure.value) is AuthenticationFailed
    assert users.get("alice").failed_logins == 1


def test_a_good_login_resets_the_count(users: UserDirectory) -> None:
    engineer(users)
    for _ in range(2):
        with pytest.raises(AuthenticationFailed):
            users.login("alice", OTHER, client=None)
    users.login("alice", GOOD, client=None)
    for _ in range(2):
        with pytest.raises(AuthenticationFailed):
            users.login("alice", OTHER, client=None)
    assert users.get("alice").locked_until is None


def test_unlock_lifts_a_lock(users: UserDirectory) -> None:
    engineer(users)
    for _ in range(3):
        with pytest.raises(AuthenticationFailed):
            users.login("alice", OTHER, client=None)
    unlocked = users.unlock("alice", by="admin")
    assert (unlocked.locked_until, unlocked.failed_logins) == (None, 0)
    users.login("alice", GOOD, client=None)


def test_an_old_hash_is_upgraded_on_login(engine: Engine, clock: FakeClock) -> None:
    users = directory_on(engine, clock)
    engineer(users)
    stronger = UserDirectory(
        engine,
        clock,
        AuthSettings(),
        hasher=PasswordHasher(time_cost=2, memory_cost=8, parallelism=1),
    )
    stronger.login("alice", GOOD, client=None)
    with Session(engine) as session:
        stored = session.scalars(select(NocUserRow.password_hash)).one()
    assert "t=2" in stored


# ------------------------------------------------------------------------- must change password


def test_a_reset_password_works_only_for_changing_it(users: UserDirectory) -> None:
    engineer(users)
    old_session = users.login("alice", GOOD, client=None)
    temporary = users.reset_password("alice", by="admin")
    assert len(temporary) >= 20
    with pytest.raises(AuthenticationFailed, match="token revoked"):
        users.authenticate(old_session.access_token)
    with pytest.raises(AuthenticationFailed):
        users.login("alice", GOOD, client=None)

    tokens = users.login("alice", temporary, client=None)
    assert tokens.user.must_change_password
    restricted = users.authenticate(tokens.access_token)
    assert restricted.grants == ()
    assert not any(restricted.can(permission) for permission in Permission)

    with pytest.raises(PasswordRejected, match="differ"):
        users.change_password("alice", temporary, temporary)
    with pytest.raises(AuthenticationFailed, match=WRONG):
        users.change_password("alice", "Not-The-Temporary-1", OTHER)
    changed = users.change_password("alice", temporary, OTHER)
    assert not changed.must_change_password
    assert users.authenticate(tokens.access_token).can(Permission.BACKUP_DEVICES)
    users.login("alice", OTHER, client=None)


def test_a_reset_lifts_a_lock(users: UserDirectory) -> None:
    engineer(users)
    for _ in range(3):
        with pytest.raises(AuthenticationFailed):
            users.login("alice", OTHER, client=None)
    temporary = users.reset_password("alice", by="admin")
    assert users.login("alice", temporary, client=None).user.must_change_password


def test_a_new_user_with_a_chosen_password_must_change_it(users: UserDirectory) -> None:
    engineer(users, must_change_password=True)
    tokens = users.login("alice", GOOD, client=None)
    assert users.authenticate(tokens.access_token).grants == ()


def test_changing_the_password_checks_the_policy(users: UserDirectory) -> None:
    engineer(users)
    with pytest.raises(PasswordRejected, match="too short"):
        users.change_password("alice", GOOD, "Short-1")
    users.login("alice", GOOD, client=None)
