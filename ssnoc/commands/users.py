"""``ssnoc users``: NOC users, their roles per region and their personal API tokens.

``create-admin`` makes the first administrator (the password is typed twice at a hidden prompt,
or one line is read from standard input with ``--password-stdin`` — never taken from the command
line, where ``ps`` and the shell history would see it). ``create`` and ``reset-password`` print a
random temporary password once; the user must change it at the first login. ``token create``
prints a new API token once. A secret goes to stdout alone on its line (so a script can capture
it), what it is goes to stderr. ``list`` never shows a secret or a hash.

Every command that changes something writes a record into the audit trail (actor
``cli:<login>``, client ``cli``), also when it fails; no record holds a secret. A mistake is one
line on stderr and exit status 2.
"""

from __future__ import annotations

import getpass
import json
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from core.errors import NocError
from ssnoc.commands.failures import clear_errors
from ssnoc.commands.users_state import open_state

if TYPE_CHECKING:
    from core.security.user_views import ApiTokenView, UserView

users_app = typer.Typer(
    help="NOC users: accounts, roles per region, API tokens.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
token_app = typer.Typer(
    help="Personal API tokens for scripts (shown once, expiring, revocable).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
users_app.add_typer(token_app, name="token")


@users_app.callback()
def _group() -> None:
    """NOC users: accounts, roles per region, API tokens."""


Username = Annotated[str, typer.Argument(metavar="USERNAME", help="The user's login name.")]


# ------------------------------------------------------------------------------------ users


@users_app.command("create-admin")
@clear_errors
def create_admin_command(
    username: Username,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password as one line from stdin.")
    ] = False,
    province: Annotated[
        str, typer.Option(metavar="CODE", help="Region code of the province administered.")
    ] = "440000",
    another: Annotated[
        bool, typer.Option("--another", help="Add an admin although one exists already.")
    ] = False,
) -> None:
    """Create an administrator of the province (the first user of a new NOC)."""
    with open_state() as state, state.audited("admin_create", f"user:{username}", province) as note:
        directory = state.directory()
        if directory.has_admin() and not another:
            raise _refused("an admin exists already: use --another to add one more")
        password = _new_password(password_stdin)
        created = directory.create_admin(username, password, province, created_by=state.actor)
        note.after = created.audit_state()
    typer.echo(f"created admin {username} for {province}")


@users_app.command("create")
@clear_errors
def create_command(
    username: Username,
    role: Annotated[str, typer.Option(metavar="ROLE", help="Role to grant (see `grant`).")],
    scope: Annotated[str, typer.Option(metavar="CODE", help="Region code the role holds for.")],
    display_name: Annotated[str, typer.Option(help="The person's name, as shown.")] = "",
) -> None:
    """Create a user with one role; prints a temporary password they must change."""
    from core.security.passwords import temporary_password
    from core.security.user_views import check_grant

    with open_state() as state, state.audited("user_create", f"user:{username}", scope) as note:
        grant = check_grant(role, scope)
        password = temporary_password(state.settings.auth.password_min_length, username)
        created = state.directory().create_user(
            username,
            password,
            display_name=display_name,
            grants=(grant,),
            created_by=state.actor,
            must_change_password=True,
        )
        note.after = created.audit_state()
    typer.echo(
        f"created user {username} ({grant.role.value} at {grant.scope_code}); temporary "
        "password below, shown once — the user must change it at the first login:",
        err=True,
    )
    typer.echo(password)


@users_app.command("list")
@clear_errors
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print the users as JSON.")] = False,
) -> None:
    """List users, their state and roles (never a password or a token)."""
    with open_state() as state:
        users = state.directory().list_users()
    if as_json:
        typer.echo(json.dumps([u.to_json() for u in users], indent=2, ensure_ascii=False))
        return
    if not users:
        typer.echo("no users: create the first with `ssnoc users create-admin NAME`")
        return
    for user in users:
        grants = ", ".join(f"{g.role.value}@{g.scope_code}" for g in user.grants) or "-"
        typer.echo(
            f"{user.username:<20} {_user_state(user, state.clock.now()):<12} "
            f"last login {_when(user.last_login_at):<20} {grants}"
            + (f"  ({user.display_name})" if user.display_name else "")
        )


@users_app.command("disable")
@clear_errors
def disable_command(username: Username) -> None:
    """Disable a user: logins refused, sessions ended, API tokens stop working."""
    _set_disabled(username, True)
    typer.echo(f"disabled {username}; their sessions are revoked")


@users_app.command("enable")
@clear_errors
def enable_command(username: Username) -> None:
    """Enable a disabled user again."""
    _set_disabled(username, False)
    typer.echo(f"enabled {username}")


def _set_disabled(username: str, disabled: bool) -> None:
    action = "user_disable" if disabled else "user_enable"
    with open_state() as state, state.audited(action, f"user:{username}") as note:
        before, after = state.directory().set_disabled(username, disabled, by=state.actor)
        note.before, note.after = before.audit_state(), after.audit_state()


@users_app.command("reset-password")
@clear_errors
def reset_password_command(username: Username) -> None:
    """Give a user a temporary password (printed once); their sessions end, a lock is lifted."""
    with open_state() as state, state.audited("user_reset_password", f"user:{username}") as note:
        directory = state.directory()
        note.before = directory.get(username).audit_state()
        password = directory.reset_password(username, by=state.actor)
        note.after = directory.get(username).audit_state()
    typer.echo(
        f"temporary password of {username} below, shown once — they must change it at the "
        "next login:",
        err=True,
    )
    typer.echo(password)


@users_app.command("unlock")
@clear_errors
def unlock_command(username: Username) -> None:
    """Lift a lockout after failed logins."""
    with open_state() as state, state.audited("user_unlock", f"user:{username}") as note:
        directory = state.directory()
        note.before = directory.get(username).audit_state()
        note.after = directory.unlock(username, by=state.actor).audit_state()
    typer.echo(f"unlocked {username}")


RoleArgument = Annotated[
    str,
    typer.Argument(
        metavar="ROLE",
        help="admin, network_engineer, oncall, security_officer, field_technician or viewer.",
    ),
]
ScopeArgument = Annotated[str, typer.Argument(metavar="SCOPE", help="Region code: 440000, 440100…")]


@users_app.command("grant")
@clear_errors
def grant_command(username: Username, role: RoleArgument, scope: ScopeArgument) -> None:
    """Give a user a role for a region (and everything below it)."""
    with open_state() as state, state.audited("role_grant", f"user:{username}", scope) as note:
        note.detail = f"{role} at {scope}"
        before, after = state.directory().grant(username, role, scope, by=state.actor)
        note.before, note.after = before.audit_state(), after.audit_state()
    typer.echo(f"{username} now holds {role} at {scope}")


@users_app.command("revoke")
@clear_errors
def revoke_command(username: Username, role: RoleArgument, scope: ScopeArgument) -> None:
    """Take a role for a region away from a user."""
    with open_state() as state, state.audited("role_revoke", f"user:{username}", scope) as note:
        note.detail = f"{role} at {scope}"
        before, after = state.directory().revoke(username, role, scope, by=state.actor)
        note.before, note.after = before.audit_state(), after.audit_state()
    typer.echo(f"{username} no longer holds {role} at {scope}")


# ------------------------------------------------------------------------------- API tokens


@token_app.callback()
def _token_group() -> None:
    """Personal API tokens for scripts (shown once, expiring, revocable)."""


@token_app.command("create")
@clear_errors
def token_create_command(
    username: Username,
    name: Annotated[str, typer.Argument(metavar="NAME", help="What the token is for.")],
    days: Annotated[
        int | None, typer.Option(metavar="N", help="Days it stays valid (default from settings).")
    ] = None,
) -> None:
    """Create an API token for a user; prints it once."""
    with open_state() as state, state.audited("api_token_create", f"user:{username}") as note:
        token, view = state.directory().create_api_token(username, name, days=days, by=state.actor)
        note.detail = f"token {view.id} ({view.name})"
        note.after = view.to_json()
    typer.echo(
        f"API token {view.id} '{view.name}' of {username}, valid until "
        f"{_when(view.expires_at)}; shown once, keep it secret:",
        err=True,
    )
    typer.echo(token)


@token_app.command("list")
@clear_errors
def token_list_command(
    username: Annotated[
        str | None, typer.Argument(metavar="[USERNAME]", help="Only this user's tokens.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the tokens as JSON.")] = False,
) -> None:
    """List API tokens (their prefixes, never the tokens)."""
    with open_state() as state:
        tokens = state.directory().list_api_tokens(username)
        now = state.clock.now()
    if as_json:
        typer.echo(json.dumps([t.to_json() for t in tokens], indent=2, ensure_ascii=False))
        return
    if not tokens:
        typer.echo("no API tokens")
    for token in tokens:
        typer.echo(
            f"{token.id:>5} {token.user:<20} {token.prefix}…  {_token_state(token, now):<8} "
            f"expires {_when(token.expires_at)}  last used {_when(token.last_used_at)}  "
            f"{token.name}"
        )


@token_app.command("revoke")
@clear_errors
def token_revoke_command(
    token_id: Annotated[int, typer.Argument(metavar="ID", help="The token's id (see `list`).")],
) -> None:
    """Revoke an API token: it stops working at once."""
    with open_state() as state, state.audited("api_token_revoke", f"api_token:{token_id}") as note:
        view = state.directory().revoke_api_token(token_id, by=state.actor)
        note.detail = f"token {view.id} ({view.name}) of {view.user}"
        note.after = view.to_json()
    typer.echo(f"revoked API token {view.id} '{view.name}' of {view.user}")


# ---------------------------------------------------------------------------------- plumbing


def _new_password(from_stdin: bool) -> str:
    """The new admin's password: one line of stdin, or typed twice at a hidden prompt."""
    from core.security.user_views import InvalidUserRequest

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif _stdin_is_tty():
        password = getpass.getpass("Password: ")
        if password and getpass.getpass("Password again: ") != password:
            raise InvalidUserRequest("the two passwords differ")
    else:
        raise InvalidUserRequest(
            "no terminal to ask for the password on: pipe it in with --password-stdin"
        )
    if not password:
        raise InvalidUserRequest("the password is empty")
    return password


def _stdin_is_tty() -> bool:
    return sys.stdin.isatty()


def _refused(message: str) -> NocError:
    from core.security.user_views import InvalidUserRequest

    return InvalidUserRequest(message)


def _when(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC") if when is not None else "never"


def _user_state(user: UserView, now: datetime) -> str:
    if user.disabled:
        return "disabled"
    if user.locked_until is not None and user.locked_until > now:
        return "locked"
    if user.must_change_password:
        return "must-change"
    return "active"


def _token_state(token: ApiTokenView, now: datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    return "expired" if token.expires_at <= now else "valid"


if __name__ == "__main__":
    users_app(prog_name="ssnoc users")
