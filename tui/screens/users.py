"""``:users``: the NOC's users with their roles and scopes, and — for administrators — managing
them: ``n`` a new user, ``d`` disable or enable, ``u`` unlock, ``p`` reset the password, ``g``
grant a role, ``x`` revoke the grant chosen below the table. Temporary passwords are shown once.

Security officers (``read_users``) see the same table without those keys. The API decides what
an administrator may change (their scope must cover the user's grants); its refusals are shown.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from pydantic import SecretStr
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import DataTable, Footer, Header

from core.security.permissions import Permission
from tui.client import ApiError, NocApiClient
from tui.screens.confirm import ConfirmScreen
from tui.screens.table_screen import TableScreen
from tui.screens.user_forms import (
    GrantScreen,
    NewUserRequest,
    NewUserScreen,
    ShownOnceScreen,
    region_choices,
    region_names,
)
from tui.security_models import GrantInfo, UserInfo
from tui.session import Gate, Guarded, Session
from tui.units import MISSING, format_age, format_time
from tui.widgets.filter_bar import FilterBar
from tui.widgets.keyed_table import Column, KeyedTable, Row
from tui.widgets.status_line import StatusLine

_MANAGE = Permission.MANAGE_USERS
MANAGING = Gate(
    {
        "new_user": Guarded("n", "New user", _MANAGE, "create users", changes=True),
        "toggle_disabled": Guarded(
            "d", "Disable/enable", _MANAGE, "disable or enable users", changes=True
        ),
        "unlock": Guarded("u", "Unlock", _MANAGE, "unlock users", changes=True),
        "reset_password": Guarded("p", "Reset password", _MANAGE, "reset passwords", changes=True),
        "grant": Guarded("g", "Grant role", _MANAGE, "grant roles", changes=True),
        "revoke": Guarded("x", "Revoke grant", _MANAGE, "revoke roles", changes=True),
    }
)
_DIM = "bright_black"


@dataclass(frozen=True)
class _Temporary:
    """A temporary password the API gave for a user: shown once, then gone."""

    username: str
    secret: SecretStr
    why: str


def user_state(user: UserInfo) -> Text:
    if user.disabled:
        return Text("disabled", "bold red")
    if user.locked_until is not None:
        return Text(f"locked until {format_time(user.locked_until)}", "yellow")
    if user.must_change_password:
        return Text("must change password", "cyan")
    return Text("active", "green")


class UserTable(KeyedTable):
    # Fixed widths, so the table does not shift as users come and go.
    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("user", "USER", 16),
        Column("name", "NAME", 20),
        Column("grants", "ROLES@SCOPES", 48),
        Column("state", "STATE", 34),
        Column("last_login", "LAST LOGIN", 12),
        Column("created_by", "CREATED BY", 14),
    )

    def show(self, users: Sequence[UserInfo], now: datetime | None) -> None:
        self.set_rows([Row(u.username, _user_cells(u, now)) for u in users])


def _user_cells(user: UserInfo, now: datetime | None) -> tuple[Text, ...]:
    grants = ", ".join(g.label for g in user.grants)
    return (
        Text(user.username, "bold" if not user.disabled else _DIM),
        Text(user.display_name or MISSING, "" if user.display_name else _DIM),
        Text(grants or "no role", "" if grants else _DIM),
        user_state(user),
        Text(format_age(user.last_login_at, now) if user.last_login_at else "never", ""),
        Text(user.created_by or MISSING, _DIM),
    )


class GrantTable(KeyedTable):
    """The grants of the user under the cursor: ``x`` revokes the one chosen here."""

    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("role", "ROLE", 18),
        Column("scope", "SCOPE", 6),
        Column("region", "REGION", 24),
    )

    def show(self, grants: Sequence[GrantInfo], names: dict[str, str]) -> None:
        self.set_rows(
            [
                Row(g.label, (Text(g.role), Text(g.scope), Text(names.get(g.scope, MISSING))))
                for g in grants
            ]
        )


class UsersScreen(TableScreen):
    CSS_PATH = "users.tcss"

    BINDINGS: ClassVar[list[BindingType]] = MANAGING.bindings()

    def __init__(
        self,
        client: NocApiClient,
        session: Session,
        refresh_interval_s: float,
        read_only: bool = False,
    ) -> None:
        super().__init__(client, refresh_interval_s)
        self.session = session
        self.read_only = read_only
        self._users: dict[str, UserInfo] = {}
        self._regions: list[tuple[str, str]] = []
        self._names: dict[str, str] = {}
        self._now: datetime | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield UserTable(id="users")
        yield GrantTable(id="grants")
        yield FilterBar(id="filter")
        yield StatusLine(id="status")
        yield Footer()

    @property
    def table(self) -> KeyedTable:
        return self.query_one("#users", UserTable)

    @property
    def grants(self) -> GrantTable:
        return self.query_one("#grants", GrantTable)

    @property
    def selected(self) -> UserInfo | None:
        key = self.table.cursor_key
        return self._users.get(key) if key is not None else None

    def on_mount(self) -> None:
        self.sub_title = "users"
        self.table.border_title = "NOC users"
        self.grants.border_title = "grants"
        self.table.focus()
        self.start_refreshing()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return MANAGING.check(self.session, action, parameters, self.read_only)

    def action_refuse(self, action: str) -> None:
        message = MANAGING.refusal(action)
        self.notify(message, title="Not allowed", severity="warning")

    # ------------------------------------------------------------------ loading

    def action_refresh(self) -> None:
        self._load()

    @work(exclusive=True, group="users", exit_on_error=False)
    async def _load(self) -> None:
        try:
            health = await self._client.health()
            users = await self._client.users()
            if not self._regions:
                roots = await self._client.region_tree()
                self._regions = region_choices(roots)
                self._names = region_names(roots)
        except ApiError as exc:
            self._problems.failed(exc)
            return
        self._now = health.time
        self._users = {u.username: u for u in users}
        self.query_one(UserTable).show(users, self._now)
        self._show_grants()
        self._problems.recovered()
        self.show_status()

    @on(DataTable.RowHighlighted, "#users")
    def _user_highlighted(self) -> None:
        self._show_grants()

    def _show_grants(self) -> None:
        user = self.selected
        self.grants.border_title = f"grants · {user.username}" if user else "grants"
        self.grants.show(user.grants if user else [], self._names)

    def show_status(self) -> None:
        users = list(self._users.values())
        line = Text(f"{len(users)} users")
        for label, count, style in (
            ("disabled", sum(u.disabled for u in users), "red"),
            ("locked", sum(u.locked_until is not None for u in users), "yellow"),
            ("must change password", sum(u.must_change_password for u in users), "cyan"),
        ):
            if count:
                line.append(f" · {count} {label}", style)
        if not MANAGING.allows(self.session, "new_user", self.read_only):
            line.append("   read only", _DIM)
        line.append(self.filter_note())
        line.append(f"   updated {format_time(self._now)}")
        self.query_one(StatusLine).ok(line)

    # ------------------------------------------------------------------ managing

    def _change(self, what: str, call: Callable[[], Awaitable[Any]], done: str) -> None:
        """Run ``call``; say ``done`` (or the API's refusal) and reload."""

        async def run() -> None:
            try:
                result = await call()
            except ApiError as exc:
                self.notify(exc.message, title=f"{what} refused", severity="error", timeout=10)
                return
            if isinstance(result, _Temporary):
                self.app.push_screen(ShownOnceScreen(result.username, result.secret, result.why))
            self.notify(done, title=what)
            self.action_refresh()

        self.run_worker(run(), group="user-change", exclusive=True, exit_on_error=False)

    def _confirm(self, question: str, detail: str, yes: str, then: Callable[[], None]) -> None:
        def answered(confirmed: bool | None) -> None:
            if confirmed:
                then()

        self.app.push_screen(ConfirmScreen(question, detail, yes=yes), callback=answered)

    def _chosen_user(self) -> UserInfo | None:
        user = self.selected
        if user is None:
            self.notify("no user selected", title="Users", severity="warning")
        return user

    def action_new_user(self) -> None:
        self.app.push_screen(NewUserScreen(self._regions), callback=self._create)

    def _create(self, request: NewUserRequest | None) -> None:
        if request is None:
            return

        async def create() -> _Temporary:
            created = await self._client.create_user(
                request.username, request.display_name, request.grants
            )
            return _Temporary(created.user.username, created.temporary_password, "new user")

        self._change("New user", create, f"user {request.username} created")

    def action_toggle_disabled(self) -> None:
        user = self._chosen_user()
        if user is None:
            return
        disable = not user.disabled
        verb = "Disable" if disable else "Enable"
        detail = (
            "Their logins are refused and their sessions and API tokens stop working at once."
            if disable
            else "They may log in again with their password."
        )
        self._confirm(
            f"{verb} {user.username}?",
            detail,
            verb,
            lambda: self._change(
                verb,
                lambda: self._client.set_user_disabled(user.username, disable),
                f"{user.username} {verb.lower()}d",
            ),
        )

    def action_unlock(self) -> None:
        user = self._chosen_user()
        if user is None:
            return
        if user.locked_until is None:
            self.notify(f"{user.username} is not locked", title="Unlock")
            return
        self._change(
            "Unlock", lambda: self._client.unlock_user(user.username), f"{user.username} unlocked"
        )

    def action_reset_password(self) -> None:
        user = self._chosen_user()
        if user is None:
            return

        async def reset() -> _Temporary:
            secret = await self._client.reset_password(user.username)
            return _Temporary(user.username, secret, "password reset")

        self._confirm(
            f"Reset the password of {user.username}?",
            "They get a temporary password, shown once, and must change it at their next "
            "login. Their sessions end now.",
            "Reset",
            lambda: self._change("Reset password", reset, f"password of {user.username} reset"),
        )

    def action_grant(self) -> None:
        user = self._chosen_user()
        if user is None:
            return

        def granted(grant: GrantInfo | None) -> None:
            if grant is not None:
                self._change(
                    "Grant",
                    lambda: self._client.grant_role(user.username, grant),
                    f"{user.username} now holds {grant.label}",
                )

        self.app.push_screen(GrantScreen(user.username, self._regions), callback=granted)

    def action_revoke(self) -> None:
        user = self._chosen_user()
        if user is None:
            return
        key = self.grants.cursor_key
        grant = next((g for g in user.grants if g.label == key), None)
        if grant is None:
            self.notify(f"{user.username} holds no role", title="Revoke", severity="warning")
            return
        self._confirm(
            f"Revoke {grant.label} from {user.username}?",
            "What the role allows in that region stops at once.",
            "Revoke",
            lambda: self._change(
                "Revoke",
                lambda: self._client.revoke_role(user.username, grant),
                f"{user.username} no longer holds {grant.label}",
            ),
        )
