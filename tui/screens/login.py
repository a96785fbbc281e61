"""Logging in: user name and password (masked), what went wrong said in place, and — for a user
whose password an administrator set — choosing their own before going on. ``:password`` opens
the same form to change one's password later.

Passwords live in the inputs and, on their way to the API, in :class:`~pydantic.SecretStr`; they
are never logged, and a failed attempt clears the password field.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import SecretStr
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Middle, Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Header, Input, Static

from tui.client import ApiError, NocApiClient
from tui.session import Session, fetch_session
from tui.units import format_time

_LOCKED_UNTIL = "until "


def login_problem(error: ApiError) -> str:
    """What a failed login tells the person at the keyboard."""
    if error.code == "account_locked" and _LOCKED_UNTIL in error.message:
        stamp = error.message.rsplit(_LOCKED_UNTIL, 1)[1].strip()
        try:
            until = format_time(datetime.fromisoformat(stamp))
        except ValueError:
            until = stamp
        return (
            f"account locked until {until} after repeated wrong passwords; "
            "an administrator can unlock it sooner"
        )
    if error.code == "rate_limited":
        return f"{error.message} (too many logins from this place)"
    return error.message


class PasswordForm(Vertical):
    """New password twice (and the current one, unless the caller already has it)."""

    class Submitted(Message):
        def __init__(self, form: PasswordForm, old: SecretStr | None, new: SecretStr) -> None:
            super().__init__()
            self.form = form
            self.old = old
            self.new = new

    def __init__(self, ask_old: bool, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="password-form")
        self.ask_old = ask_old

    def compose(self) -> ComposeResult:
        if self.ask_old:
            yield Input(placeholder="current password", password=True, id="old-password")
        yield Input(placeholder="new password", password=True, id="new-password")
        yield Input(placeholder="new password again", password=True, id="repeat-password")
        yield Static("", id="password-error", classes="error")
        yield Button("Change password", id="change-password", variant="primary")

    def focus_first(self) -> None:
        self.query(Input).first().focus()

    def show_error(self, message: str) -> None:
        error = self.query_one("#password-error", Static)
        error.update(message)
        error.set_class(bool(message), "-shown")
        for field in self.query(Input):
            field.value = ""
        self.focus_first()

    @on(Input.Submitted)
    def _next_or_submit(self, event: Input.Submitted) -> None:
        event.stop()
        fields = list(self.query(Input))
        index = fields.index(event.input)
        if index + 1 < len(fields):
            fields[index + 1].focus()
        else:
            self._submit()

    @on(Button.Pressed, "#change-password")
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self._submit()

    def _submit(self) -> None:
        new = self.query_one("#new-password", Input).value
        repeat = self.query_one("#repeat-password", Input).value
        if not new:
            self.show_error("type a new password")
            return
        if new != repeat:
            self.show_error("the two new passwords differ")
            return
        old = SecretStr(self.query_one("#old-password", Input).value) if self.ask_old else None
        self.post_message(self.Submitted(self, old, SecretStr(new)))


class LoginScreen(Screen[None]):
    """The console's first screen without a token. Posts :class:`LoggedIn` once the user is in
    (with a password of their own) and the server has said what they may do."""

    CSS_PATH = "login.tcss"

    class LoggedIn(Message):
        def __init__(self, session: Session) -> None:
            super().__init__()
            self.session = session

    def __init__(
        self,
        client: NocApiClient,
        username: str | None = None,
        password: SecretStr | None = None,
        note: str | None = None,
    ) -> None:
        """``username`` pre-fills the form; with ``password`` too, logs in without showing it.
        ``note`` says why the login screen is back (a session that ended)."""
        super().__init__()
        self._client = client
        self._username = username or ""
        self._password = password
        self._note = note or ""
        self._temporary: SecretStr | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Middle(), Center(), Vertical(id="login"):
            yield Static("provincial social-security network · NOC", id="banner")
            yield Static(self._note, id="note")
            with Vertical(id="credentials"):
                yield Input(self._username, placeholder="user name", id="username")
                yield Input(placeholder="password", password=True, id="password")
                yield Static("", id="login-error", classes="error")
                yield Button("Log in", id="log-in", variant="primary")
            yield PasswordForm(ask_old=False, id="change")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "log in"
        box = self.query_one("#login")
        box.border_title = "ssnoc"
        box.border_subtitle = self._client.base_url
        self.query_one("#note").set_class(bool(self._note), "-shown")
        if self._password is not None and self._username:
            self._say(f"logging in as {self._username}…")
            self.query_one("#credentials").display = False
            self._log_in(self._username, self._password)
            self._password = None
            return
        self._ask_credentials()

    def _ask_credentials(self) -> None:
        self.query_one("#credentials").display = True
        target = "#password" if self.query_one("#username", Input).value else "#username"
        self.query_one(target, Input).focus()

    def _say(self, note: str) -> None:
        self._note = note
        shown = self.query_one("#note", Static)
        shown.update(note)
        shown.set_class(bool(note), "-shown")

    @property
    def error(self) -> str:
        """What the screen says went wrong now (empty: nothing)."""
        for selector in ("#login-error", "#password-error"):
            text = str(self.query_one(selector, Static).content)
            if text:
                return text
        return ""

    def _fail(self, message: str) -> None:
        self._say("")
        error = self.query_one("#login-error", Static)
        error.update(message)
        error.set_class(bool(message), "-shown")
        self.query_one("#password", Input).value = ""
        self.query_one("#credentials").disabled = False
        self._ask_credentials()

    @on(Input.Submitted, "#username")
    def _to_password(self) -> None:
        self.query_one("#password", Input).focus()

    @on(Input.Submitted, "#password")
    @on(Button.Pressed, "#log-in")
    def _submit(self) -> None:
        username = self.query_one("#username", Input).value.strip()
        password = self.query_one("#password", Input).value
        if not username or not password:
            self._fail("type your user name and password")
            return
        self.query_one("#credentials").disabled = True
        self._log_in(username, SecretStr(password))

    @work(exclusive=True, group="login", exit_on_error=False)
    async def _log_in(self, username: str, password: SecretStr) -> None:
        try:
            user = await self._client.login(username, password)
        except ApiError as exc:
            self._fail(login_problem(exc))
            return
        if user.must_change_password:
            self._temporary = password
            self._ask_new_password()
            return
        await self._enter()

    def _ask_new_password(self) -> None:
        self.query_one("#credentials").display = False
        self._say("Your password was set by an administrator: choose your own to go on.")
        form = self.query_one(PasswordForm)
        form.display = True
        form.focus_first()

    @on(PasswordForm.Submitted)
    def _new_password(self, event: PasswordForm.Submitted) -> None:
        if self._temporary is not None:
            self._change_password(self._temporary, event.new)

    @work(exclusive=True, group="login", exit_on_error=False)
    async def _change_password(self, old: SecretStr, new: SecretStr) -> None:
        try:
            await self._client.change_password(old, new)
        except ApiError as exc:
            self.query_one(PasswordForm).show_error(exc.message)
            return
        self._temporary = None
        self.notify("password changed", title="Password")
        await self._enter()

    async def _enter(self) -> None:
        try:
            session = await fetch_session(self._client)
        except ApiError as exc:
            self._client.forget_session()
            self.query_one(PasswordForm).display = False
            self._fail(exc.message)
            return
        self.post_message(self.LoggedIn(session))


class PasswordScreen(ModalScreen[bool]):
    """``:password``: the current password, the new one twice. Answers True once changed."""

    CSS_PATH = "login.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, client: NocApiClient) -> None:
        super().__init__()
        self._client = client

    def compose(self) -> ComposeResult:
        with Vertical(id="password-dialog"):
            yield PasswordForm(ask_old=True)

    def on_mount(self) -> None:
        self.query_one("#password-dialog").border_title = "change your password"
        self.query_one("#password-dialog").border_subtitle = "escape cancels"
        self.query_one(PasswordForm).focus_first()

    @on(PasswordForm.Submitted)
    def _submitted(self, event: PasswordForm.Submitted) -> None:
        if event.old is not None:
            self._change(event.old, event.new)

    @work(exclusive=True, group="password", exit_on_error=False)
    async def _change(self, old: SecretStr, new: SecretStr) -> None:
        try:
            await self._client.change_password(old, new)
        except ApiError as exc:
            self.query_one(PasswordForm).show_error(exc.message)
            return
        self.notify("password changed", title="Password")
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
