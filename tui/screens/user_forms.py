"""The users screen's dialogs: a new user, a role to grant, and a temporary password shown once.

Roles and scopes are chosen from lists (the roles this console knows, the regions the API shows
the administrator), so a typo cannot grant the wrong region.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from pydantic import SecretStr
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select, Static

from core.security.permissions import Role
from core.state.views import RegionNode
from tui.security_models import GrantInfo

T = TypeVar("T")

USERNAME = re.compile(r"^[a-z0-9._-]{1,64}$")
"""What the API accepts as a user name."""


def _walk(nodes: Sequence[RegionNode], depth: int = 0) -> Iterator[tuple[RegionNode, int]]:
    for node in nodes:
        yield node, depth
        yield from _walk(node.children, depth + 1)


def region_choices(roots: Sequence[RegionNode]) -> list[tuple[str, str]]:
    """(label, code) for every region, indented by depth: ``  广州市 440100``."""
    return [(f"{'  ' * depth}{node.name} {node.code}", node.code) for node, depth in _walk(roots)]


def region_names(roots: Sequence[RegionNode]) -> dict[str, str]:
    """Region code → name, for every region."""
    return {node.code: node.name for node, _ in _walk(roots)}


def _role_choices() -> list[tuple[str, str]]:
    return [(role.value, role.value) for role in Role]


@dataclass(frozen=True)
class NewUserRequest:
    username: str
    display_name: str
    grants: tuple[GrantInfo, ...]


class _Dialog(ModalScreen[T | None]):
    """Esc cancels; an error line under the fields says what is missing."""

    CSS_PATH = "user_forms.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def action_cancel(self) -> None:
        self.dismiss(None)

    def show_error(self, message: str) -> None:
        error = self.query_one("#form-error", Static)
        error.update(message)
        error.set_class(bool(message), "-shown")

    def _grant(self, required: bool) -> GrantInfo | str | None:
        """The chosen grant, None for none, or what is wrong with the choice."""
        role = self.query_one("#role", Select).value
        scope = self.query_one("#scope", Select).value
        chosen = [value for value in (role, scope) if value != Select.NULL]
        if not chosen:
            return "choose a role and a region" if required else None
        if len(chosen) == 1:
            return "choose both a role and a region"
        return GrantInfo(role=str(role), scope=str(scope))

    @staticmethod
    def _buttons(label: str) -> ComposeResult:
        with Horizontal(classes="buttons"):
            yield Button(label, id="ok", variant="primary")
            yield Button("Cancel", id="cancel")

    @on(Button.Pressed, "#cancel")
    def _cancelled(self) -> None:
        self.dismiss(None)


class NewUserScreen(_Dialog[NewUserRequest]):
    """Answers a :class:`NewUserRequest`, or None when cancelled."""

    def __init__(self, regions: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self._regions = list(regions)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Input(placeholder="user name (a-z 0-9 . _ -)", id="username")
            yield Input(placeholder="full name", id="display-name")
            yield Select(_role_choices(), prompt="role (optional)", id="role")
            yield Select(self._regions, prompt="for the region", id="scope")
            yield Static("", id="form-error", classes="error")
            yield from self._buttons("Create")

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = "new user"
        self.query_one("#dialog").border_subtitle = "a temporary password will be shown once"
        self.query_one("#username", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _create(self) -> None:
        username = self.query_one("#username", Input).value.strip()
        if not USERNAME.match(username):
            self.show_error("the user name takes a-z, 0-9, '.', '_' and '-' (at most 64)")
            return
        grant = self._grant(required=False)
        if isinstance(grant, str):
            self.show_error(grant)
            return
        display_name = self.query_one("#display-name", Input).value.strip()
        grants = (grant,) if grant is not None else ()
        self.dismiss(NewUserRequest(username, display_name, grants))


class GrantScreen(_Dialog[GrantInfo]):
    """Answers the :class:`GrantInfo` to give ``username``, or None when cancelled."""

    def __init__(self, username: str, regions: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.username = username
        self._regions = list(regions)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Select(_role_choices(), prompt="role", id="role")
            yield Select(self._regions, prompt="for the region", id="scope")
            yield Static("", id="form-error", classes="error")
            yield from self._buttons("Grant")

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = f"grant a role to {self.username}"
        self.query_one("#role", Select).focus()

    @on(Button.Pressed, "#ok")
    def _chosen(self) -> None:
        grant = self._grant(required=True)
        if isinstance(grant, str) or grant is None:
            self.show_error(grant or "choose a role and a region")
            return
        self.dismiss(grant)


class ShownOnceScreen(ModalScreen[None]):
    """A temporary password, shown this once: nothing keeps it after the dialog closes."""

    CSS_PATH = "user_forms.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close")]

    def __init__(self, username: str, secret: SecretStr, why: str) -> None:
        super().__init__()
        self.username = username
        self._secret = secret
        self._why = why

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self._why, id="why")
            yield Static(self._secret.get_secret_value(), id="secret")
            yield Static(
                "Shown this once: give it to the user. They must choose their own password "
                "when they first log in with it.",
                id="once",
            )
            yield Button("Done", id="done", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = f"temporary password · {self.username}"
        self.query_one("#done", Button).focus()

    @on(Button.Pressed, "#done")
    def action_close(self) -> None:
        self.dismiss(None)

    def on_unmount(self) -> None:
        self._secret = SecretStr("")
