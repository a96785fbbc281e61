"""``ssnoc users`` as an administrator uses it: secrets shown once or never, changes audited."""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

import ssnoc.commands.users as users_command
import ssnoc.commands.users_state as users_state
from core.clock import SystemClock
from core.errors import AuthenticationFailed
from core.security.audit_trail import AuditOutcome, AuditRecord, AuditTrail
from core.security.passwords import cheap_hasher
from core.security.users import UserDirectory
from core.settings import AuthSettings
from core.state.db import open_state_engine
from ssnoc.commands.users import users_app

ADMIN_PASSWORD = "Province-Admin-2026"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("SSNOC_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SSNOC_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(users_state, "make_hasher", cheap_hasher)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_state_engine(f"sqlite:///{tmp_path / 'state.db'}")
    yield engine
    engine.dispose()


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(users_app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def audit(engine: Engine, action: str) -> list[AuditRecord]:
    return AuditTrail(engine, SystemClock()).search(action=action)


def directory(engine: Engine) -> UserDirectory:
    return UserDirectory(engine, SystemClock(), AuthSettings(), cheap_hasher(), cache_ttl_s=0)


def with_admin() -> None:
    code, _, err = run("create-admin", "root", "--password-stdin", stdin=ADMIN_PASSWORD + "\n")
    assert code == 0, err


# ------------------------------------------------------------------------------ create-admin


def test_create_admin_reads_one_line_and_never_echoes_it(engine: Engine) -> None:
    code, out, err = run(
        "create-admin", "root", "--password-stdin", stdin=ADMIN_PASSWORD + "\nignored\n"
    )
    assert code == 0, err
    assert out == "created admin root for 440000\n"
    assert ADMIN_PASSWORD not in out + err
    tokens = directory(engine).login("root", ADMIN_PASSWORD, client=None)
    assert not tokens.user.must_change_password
    [record] = audit(engine, "admin_create")
    assert record.actor == f"cli:{getpass.getuser()}"
    assert (record.client, record.outcome, record.target) == ("cli", AuditOutcome.OK, "user:root")
    assert record.region_code == "440000"
    assert record.after is not None
    assert record.after["grants"] == [{"role": "admin", "scope_code": "440000"}]
    assert ADMIN_PASSWORD not in json.dumps(record.as_json())


def test_create_admin_refuses_an_empty_password(engine: Engine) -> None:
    code, out, err = run("create-admin", "root", "--password-stdin", stdin="\n")
    assert code == 2
    assert err == "ssnoc: the password is empty\n"
    assert out == ""
    assert directory(engine).list_users() == []
    [record] = audit(engine, "admin_create")
    assert record.outcome is AuditOutcome.FAILED


def test_create_admin_applies_the_password_policy() -> None:
    code, _, err = run("create-admin", "root", "--password-stdin", stdin="short\n")
    assert code == 2
    assert err.startswith("ssnoc: password too short")
    assert "short\n" not in err.removeprefix("ssnoc: password too short")


def test_create_admin_refuses_a_second_admin_unless_asked() -> None:
    with_admin()
    code, _, err = run("create-admin", "root2", "--password-stdin", stdin=ADMIN_PASSWORD + "\n")
    assert code == 2
    assert "an admin exists already: use --another" in err
    code, _, err = run(
        "create-admin", "root2", "--another", "--password-stdin", stdin=ADMIN_PASSWORD + "\n"
    )
    assert code == 0, err


def test_create_admin_asks_twice_at_a_terminal(
    monkeypatch: pytest.MonkeyPatch, engine: Engine
) -> None:
    answers = iter([ADMIN_PASSWORD, "Typed-Differently-1", ADMIN_PASSWORD, ADMIN_PASSWORD])
    monkeypatch.setattr(users_command, "_stdin_is_tty", lambda: True)
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))
    code, _, err = run("create-admin", "root")
    assert (code, err) == (2, "ssnoc: the two passwords differ\n")
    code, out, err = run("create-admin", "root")
    assert code == 0, err
    assert ADMIN_PASSWORD not in out + err
    directory(engine).login("root", ADMIN_PASSWORD, client=None)


def test_without_a_terminal_the_password_must_be_piped() -> None:
    code, _, err = run("create-admin", "root")
    assert code == 2
    assert "--password-stdin" in err


def test_a_password_is_no_command_line_argument() -> None:
    code, _, _ = run("create-admin", "root", "--password", ADMIN_PASSWORD)
    assert code != 0


# ------------------------------------------------------------------------------------ users


def test_create_prints_a_temporary_password_once_that_must_be_changed(engine: Engine) -> None:
    with_admin()
    code, out, err = run(
        "create", "alice", "--role", "network_engineer", "--scope", "440100",
        "--display-name", "Alice Wang",
    )  # fmt: skip
    assert code == 0, err
    temporary = out.strip()
    assert len(temporary) == 20
    assert "\n" not in temporary
    assert "must change it" in err
    users = directory(engine)
    tokens = users.login("alice", temporary, client=None)
    assert tokens.user.must_change_password
    assert tokens.user.display_name == "Alice Wang"
    assert users.authenticate(tokens.access_token).grants == ()
    [record] = audit(engine, "user_create")
    assert record.region_code == "440100"
    assert temporary not in json.dumps(record.as_json())

    code, out, _ = run("list")
    assert code == 0
    assert "alice" in out
    assert "must-change" in out
    assert "network_engineer@440100" in out
    code, out, _ = run("list", "--json")
    listed = {user["username"]: user for user in json.loads(out)}
    assert set(listed) == {"alice", "root"}
    assert temporary not in out
    assert "argon2" not in out
    assert "hash" not in out


def test_create_checks_role_and_scope() -> None:
    with_admin()
    code, _, err = run("create", "bob", "--role", "god", "--scope", "440100")
    assert code == 2
    assert err.startswith("ssnoc: unknown role 'god' (roles: admin, network_engineer")
    code, _, err = run("create", "bob", "--role", "viewer", "--scope", "gz")
    assert code == 2
    assert "not a six-digit region code" in err


def test_disable_enable_reset_unlock_are_audited(engine: Engine) -> None:
    with_admin()
    _, temporary, _ = run("create", "bob", "--role", "viewer", "--scope", "440000")
    users = directory(engine)
    tokens = users.login("bob", temporary.strip(), client=None)

    code, out, _ = run("disable", "bob")
    assert (code, out) == (0, "disabled bob; their sessions are revoked\n")
    with pytest.raises(AuthenticationFailed, match="token revoked"):
        users.authenticate(tokens.access_token)
    [disabled] = audit(engine, "user_disable")
    assert disabled.before is not None
    assert disabled.after is not None
    assert (disabled.before["disabled"], disabled.after["disabled"]) == (False, True)
    assert run("enable", "bob")[0] == 0
    assert len(audit(engine, "user_enable")) == 1

    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            users.login("bob", "Wrong-Password-1", client=None)
    code, out, _ = run("list")
    assert "locked" in out
    assert run("unlock", "bob")[0] == 0
    [unlocked] = audit(engine, "user_unlock")
    assert unlocked.after is not None
    assert unlocked.after["locked_until"] is None

    code, out, _err = run("reset-password", "bob")
    assert code == 0
    assert users.login("bob", out.strip(), client=None).user.must_change_password
    [reset] = audit(engine, "user_reset_password")
    assert out.strip() not in json.dumps(reset.as_json())
    assert reset.after is not None
    assert reset.after["must_change"] is True


def test_grant_and_revoke(engine: Engine) -> None:
    with_admin()
    run("create", "bob", "--role", "viewer", "--scope", "440000")
    code, out, _ = run("grant", "bob", "oncall", "440103")
    assert (code, out) == (0, "bob now holds oncall at 440103\n")
    code, _, err = run("grant", "bob", "oncall", "440103")
    assert (code, err) == (2, "ssnoc: user 'bob' already holds oncall at 440103\n")
    [refused, granted] = audit(engine, "role_grant")  # newest first
    assert (refused.outcome, granted.outcome) == (AuditOutcome.FAILED, AuditOutcome.OK)
    assert granted.region_code == "440103"
    code, out, _ = run("revoke", "bob", "oncall", "440103")
    assert (code, out) == (0, "bob no longer holds oncall at 440103\n")
    assert directory(engine).get("bob").grants[0].scope_code == "440000"


def test_an_unknown_user_is_one_clear_line() -> None:
    with_admin()
    code, out, err = run("disable", "nobody")
    assert (code, out, err) == (2, "", "ssnoc: no user 'nobody'\n")


# ------------------------------------------------------------------------------- API tokens


def test_tokens_are_printed_once_listed_by_prefix_and_revoked(engine: Engine) -> None:
    with_admin()
    code, out, err = run("token", "create", "root", "nightly export", "--days", "30")
    assert code == 0, err
    token = out.strip()
    assert token.startswith("ssnoc_pat_")
    assert "shown once" in err
    users = directory(engine)
    assert users.authenticate(token).name == "root"

    code, out, _ = run("token", "list")
    assert code == 0
    assert token[:16] in out
    assert token not in out
    assert "valid" in out
    code, out, _ = run("token", "list", "root", "--json")
    [listed] = json.loads(out)
    assert listed["name"] == "nightly export"
    assert token not in out

    code, _, err = run("token", "create", "root", "too long", "--days", "9999")
    assert code == 2
    assert "at most 365 days" in err

    code, out, _ = run("token", "revoke", str(listed["id"]))
    assert code == 0
    assert "revoked API token" in out
    with pytest.raises(AuthenticationFailed, match="token revoked"):
        users.authenticate(token)
    [created, _] = audit(engine, "api_token_create")
    assert token not in json.dumps(created.as_json())
    assert len(audit(engine, "api_token_revoke")) == 1
    code, _, err = run("token", "revoke", "999")
    assert (code, err) == (2, "ssnoc: no API token 999\n")


def test_list_on_an_empty_noc_says_what_to_do() -> None:
    code, out, _ = run("list")
    assert code == 0
    assert "ssnoc users create-admin" in out
