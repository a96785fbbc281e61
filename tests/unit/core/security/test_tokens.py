"""Opaque tokens, and personal API tokens in the user directory: shown once, expiring, revocable."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from core.clock import FakeClock
from core.errors import AuthenticationFailed, NotFound
from core.security.passwords import cheap_hasher
from core.security.tokens import (
    TokenKind,
    display_prefix,
    new_token,
    token_digest,
    token_kind,
)
from core.security.user_views import InvalidUserRequest
from core.security.users import UserDirectory
from core.settings import AuthSettings
from core.state.db import migrate_to_head, open_state_engine
from core.state.tables import ApiTokenRow
from tests.unit.core.security.test_users import T0, directory_on, engineer


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


# ----------------------------------------------------------------------------- token strings


@pytest.mark.parametrize("kind", list(TokenKind))
def test_new_tokens_carry_their_kind(kind: TokenKind) -> None:
    token = new_token(kind)
    assert token.startswith(kind.value)
    assert len(token) == len(kind.value) + 43
    assert token_kind(token) is kind
    assert new_token(kind) != token


def test_strings_that_are_not_tokens_have_no_kind() -> None:
    assert token_kind("ssnoc_at_") is None
    assert token_kind("Bearer abc") is None
    assert token_kind("") is None


def test_the_digest_is_sha256_hex() -> None:
    token = new_token(TokenKind.PERSONAL)
    assert token_digest(token) == hashlib.sha256(token.encode()).hexdigest()
    assert len(token_digest(token)) == 64


def test_the_display_prefix_is_the_kind_and_six_characters() -> None:
    token = new_token(TokenKind.PERSONAL)
    assert display_prefix(token) == token[:16]
    assert len(display_prefix(token)) <= 24  # noc_api_tokens.prefix


# ---------------------------------------------------------------------------- API tokens


def test_a_token_is_shown_once_and_stored_as_its_digest(
    users: UserDirectory, engine: Engine
) -> None:
    engineer(users)
    token, view = users.create_api_token("alice", " backup script ", days=None, by="alice")
    assert token.startswith("ssnoc_pat_")
    assert view.name == "backup script"
    assert view.user == "alice"
    assert view.prefix == token[:16]
    assert view.expires_at == T0 + timedelta(days=90)
    assert token not in repr(view)
    with Session(engine) as session:
        row = session.scalars(select(ApiTokenRow)).one()
    assert row.token_hash == token_digest(token)
    principal = users.authenticate(token)
    assert (principal.name, principal.via) == ("alice", "api_token")
    assert principal.grants == users.get("alice").grants


def test_token_life_is_bounded(users: UserDirectory) -> None:
    engineer(users)
    _, longest = users.create_api_token("alice", "a", days=365, by="alice")
    assert longest.expires_at == T0 + timedelta(days=365)
    with pytest.raises(InvalidUserRequest, match="at most 365 days, not 366"):
        users.create_api_token("alice", "b", days=366, by="alice")
    with pytest.raises(InvalidUserRequest, match="at least 1 day"):
        users.create_api_token("alice", "c", days=0, by="alice")
    with pytest.raises(InvalidUserRequest, match="name"):
        users.create_api_token("alice", "  ", days=1, by="alice")
    with pytest.raises(NotFound, match="no user 'bob'"):
        users.create_api_token("bob", "d", days=1, by="alice")


def test_a_token_expires(users: UserDirectory, clock: FakeClock) -> None:
    engineer(users)
    token, _ = users.create_api_token("alice", "short", days=1, by="alice")
    users.authenticate(token)
    clock.advance(86_399)
    users.authenticate(token)  # cached: but a cached entry never outlives the token
    clock.advance(1)
    with pytest.raises(AuthenticationFailed, match="token expired"):
        users.authenticate(token)


def test_a_revoked_token_stops_at_once(users: UserDirectory) -> None:
    engineer(users)
    token, view = users.create_api_token("alice", "x", days=7, by="alice")
    users.authenticate(token)
    revoked = users.revoke_api_token(view.id, by="admin")
    assert revoked.revoked_at == T0
    with pytest.raises(AuthenticationFailed, match="token revoked"):
        users.authenticate(token)
    assert users.revoke_api_token(view.id, by="admin") == revoked
    with pytest.raises(NotFound, match="no API token 999"):
        users.revoke_api_token(999, by="admin")


def test_a_disabled_user_s_tokens_do_not_work(users: UserDirectory) -> None:
    engineer(users)
    token, _ = users.create_api_token("alice", "x", days=7, by="alice")
    users.set_disabled("alice", True, by="admin")
    with pytest.raises(AuthenticationFailed, match="user disabled"):
        users.authenticate(token)
    with pytest.raises(InvalidUserRequest, match="disabled"):
        users.create_api_token("alice", "y", days=7, by="admin")
    users.set_disabled("alice", False, by="admin")
    assert users.authenticate(token).name == "alice"


def test_last_used_is_written_at_most_once_a_minute(engine: Engine, clock: FakeClock) -> None:
    uncached = UserDirectory(engine, clock, AuthSettings(), cheap_hasher(), cache_ttl_s=0)
    engineer(uncached)
    token, _ = uncached.create_api_token("alice", "x", days=7, by="alice")
    assert uncached.list_api_tokens()[0].last_used_at is None
    uncached.authenticate(token)
    assert uncached.list_api_tokens()[0].last_used_at == T0
    clock.advance(59)
    uncached.authenticate(token)
    assert uncached.list_api_tokens()[0].last_used_at == T0
    clock.advance(1)
    uncached.authenticate(token)
    assert uncached.list_api_tokens()[0].last_used_at == T0 + timedelta(seconds=60)


def test_tokens_are_listed_per_user_or_all(users: UserDirectory) -> None:
    engineer(users, "alice")
    engineer(users, "bob")
    users.create_api_token("alice", "one", days=1, by="alice")
    users.create_api_token("bob", "two", days=1, by="bob")
    users.create_api_token("alice", "three", days=1, by="alice")
    assert [t.name for t in users.list_api_tokens("alice")] == ["one", "three"]
    assert [(t.user, t.name) for t in users.list_api_tokens()] == [
        ("alice", "one"),
        ("bob", "two"),
        ("alice", "three"),
    ]
    with pytest.raises(NotFound):
        users.list_api_tokens("carol")


def test_an_api_token_of_a_user_who_must_change_the_password_grants_nothing(
    users: UserDirectory,
) -> None:
    engineer(users)
    token, _ = users.create_api_token("alice", "x", days=7, by="alice")
    users.reset_password("alice", by="admin")
    assert users.authenticate(token).grants == ()
