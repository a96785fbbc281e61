"""Sessions on SQLite: access expiry, refresh rotation and replay, logout, disable, the cache."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from core.clock import FakeClock
from core.errors import AuthenticationFailed
from core.security.users import UserDirectory
from core.state.db import migrate_to_head, open_state_engine
from core.state.tables import SessionRow
from tests.unit.core.security.test_users import GOOD, T0, directory_on, engineer


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


def test_access_token_expiry_and_refresh(users: UserDirectory, clock: FakeClock) -> None:
    engineer(users)
    tokens = users.login("alice", GOOD, client="console")
    assert tokens.access_expires_at == T0 + timedelta(seconds=900)
    assert tokens.refresh_expires_at == T0 + timedelta(hours=12)
    assert tokens.access_token.startswith("ssnoc_at_")
    assert tokens.refresh_token.startswith("ssnoc_rt_")
    assert "ssnoc_at_" not in repr(tokens)
    users.authenticate(tokens.access_token)

    clock.advance(900)
    with pytest.raises(AuthenticationFailed, match="token expired"):
        users.authenticate(tokens.access_token)
    fresh = users.refresh(tokens.refresh_token, client="console")
    assert fresh.access_expires_at == clock.now() + timedelta(seconds=900)
    assert fresh.refresh_expires_at == tokens.refresh_expires_at  # a refresh does not extend it
    assert users.authenticate(fresh.access_token).name == "alice"


def test_a_login_lasts_at_most_the_refresh_ttl(users: UserDirectory, clock: FakeClock) -> None:
    engineer(users)
    tokens = users.login("alice", GOOD, client=None)
    for _ in range(47):  # every 15 minutes for 11 h 45 min
        clock.advance(900)
        tokens = users.refresh(tokens.refresh_token, client=None)
    assert tokens.access_expires_at == tokens.refresh_expires_at == T0 + timedelta(hours=12)
    clock.advance(900)
    with pytest.raises(AuthenticationFailed, match="token expired"):
        users.refresh(tokens.refresh_token, client=None)


def test_refresh_rotates_and_a_replay_revokes_the_session(
    users: UserDirectory, clock: FakeClock
) -> None:
    engineer(users)
    first = users.login("alice", GOOD, client=None)
    clock.advance(1)
    other_login = users.login("alice", GOOD, client="laptop")
    clock.advance(1)
    second = users.refresh(first.refresh_token, client=None)
    assert second.refresh_token != first.refresh_token
    with pytest.raises(AuthenticationFailed, match="token revoked"):
        users.refresh(first.refresh_token, client=None)  # the thief, or the owner: either way
    for dead in (second.access_token, first.access_token):
        with pytest.raises(AuthenticationFailed, match="token revoked"):
            users.authenticate(dead)
    with pytest.raises(AuthenticationFailed, match="token revoked"):
        users.refresh(second.refresh_token, client=None)
    assert users.authenticate(other_login.access_token).name == "alice"  # another login lives


def test_tokens_of_the_wrong_kind_or_unknown(users: UserDirectory) -> None:
    engineer(users)
    tokens = users.login("alice", GOOD, client=None)
    for bad in (tokens.refresh_token, "ssnoc_at_nothing", "Bearer x", ""):
        with pytest.raises(AuthenticationFailed, match="unknown token"):
            users.authenticate(bad)
    with pytest.raises(AuthenticationFailed, match="unknown token"):
        users.refresh(tokens.access_token, client=None)


def test_logout_revokes_the_session(users: UserDirectory) -> None:
    engineer(users)
    tokens = users.login("alice", GOOD, client=None)
    users.authenticate(tokens.access_token)
    users.logout(tokens.access_token)
    with pytest.raises(AuthenticationFailed, match="token revoked"):
        users.authenticate(tokens.access_token)
    with pytest.raises(AuthenticationFailed, match="token revoked"):
        users.refresh(tokens.refresh_token, client=None)
    users.logout(tokens.access_token)  # twice is fine


def test_disabling_kills_sessions_at_once(users: UserDirectory) -> None:
    engineer(users)
    tokens = users.login("alice", GOOD, client=None)
    users.authenticate(tokens.access_token)  # cached now: disabling must still take effect
    users.set_disabled("alice", True, by="admin")
    with pytest.raises(AuthenticationFailed, match="token revoked"):
        users.authenticate(tokens.access_token)
    with pytest.raises(AuthenticationFailed, match="token revoked"):
        users.refresh(tokens.refresh_token, client=None)
    users.set_disabled("alice", False, by="admin")
    with pytest.raises(AuthenticationFailed, match="token revoked"):
        users.authenticate(tokens.access_token)  # enabling does not bring sessions back


def test_authenticate_is_one_select_then_cached(
    engine: Engine, users: UserDirectory, clock: FakeClock
) -> None:
    engineer(users)
    access = users.login("alice", GOOD, client=None).access_token
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        users.authenticate(access)
        assert len(statements) == 1
        assert statements[0].lstrip().upper().startswith("SELECT")
        users.authenticate(access)
        assert len(statements) == 1
        clock.advance(5)
        users.authenticate(access)
        assert len(statements) == 2
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_prune_removes_sessions_past_their_refresh_expiry(
    users: UserDirectory, engine: Engine, clock: FakeClock
) -> None:
    engineer(users)
    users.login("alice", GOOD, client=None)
    clock.advance(3600)
    users.login("alice", GOOD, client=None)
    clock.advance(11 * 3600)
    assert users.prune_expired_sessions() == 1
    with Session(engine) as session:
        assert len(session.scalars(select(SessionRow)).all()) == 1
