"""Who is using the console and what they may do where, as ``GET /auth/me`` tells it.

The console uses this only to *offer* what the user may do — to hide keys and commands that
would be refused. The API decides, and refuses whatever the console offered wrongly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from textual.binding import Binding, BindingType

from core.security.permissions import Permission
from core.security.scope import ScopeLevel, is_region_code, scope_covers, scope_level
from tui.client import ApiError, ApiUnavailable, NocApiClient
from tui.security_models import MeInfo

NO_USER_DIRECTORY = "users_unavailable"
"""The error code of a server that has no users (a token alone lets one in): it cannot tell what
the caller may do, so the console offers everything and lets the API refuse."""


@dataclass(frozen=True)
class Session:
    """The user, how they came in, and each permission with the region scopes it holds in."""

    username: str | None
    display_name: str = ""
    via: str = "unknown"
    """``session`` (a login), ``api_token``, or ``unknown`` (not asked, or the server cannot
    tell)."""
    scopes: Mapping[Permission, frozenset[str]] = field(default_factory=dict)
    unrestricted: bool = False
    """The server has no user directory: offer everything, the API decides."""
    known: bool = True
    """False until ``/auth/me`` answered: nothing is offered that needs a permission."""

    @classmethod
    def pending(cls) -> Session:
        """Not known yet: every check fails until the server has said who this is."""
        return cls(username=None, known=False)

    @classmethod
    def everything(cls) -> Session:
        """A server without users: the console cannot tell, so it offers everything."""
        return cls(username=None, unrestricted=True)

    @classmethod
    def from_me(cls, me: MeInfo) -> Session:
        """From ``GET /auth/me``; permissions this console does not know are left out."""
        known = {p.value: p for p in Permission}
        scopes = {
            known[name]: frozenset(code for code in codes if is_region_code(code))
            for name, codes in me.permissions.items()
            if name in known
        }
        return cls(
            username=me.user.username,
            display_name=me.user.display_name,
            via=me.via,
            scopes=scopes,
        )

    @property
    def logged_in_with_password(self) -> bool:
        return self.via == "session"

    def scopes_for(self, permission: Permission) -> frozenset[str]:
        return self.scopes.get(permission, frozenset())

    def can(self, permission: Permission, region: str | None = None) -> bool:
        """Holds ``permission`` somewhere (``region`` None), or for ``region``."""
        if self.unrestricted:
            return True
        held = self.scopes_for(permission)
        if region is None:
            return bool(held)
        return is_region_code(region) and any(scope_covers(code, region) for code in held)

    def can_province_wide(self, permission: Permission) -> bool:
        """Holds ``permission`` for a whole province: what objects of no region need (the
        audit chain, logins)."""
        if self.unrestricted:
            return True
        return any(scope_level(code) is ScopeLevel.PROVINCE for code in self.scopes_for(permission))

    def scopes_text(self, permission: Permission) -> str:
        """``440103, 440104`` or ``nowhere``, for messages."""
        return ", ".join(sorted(self.scopes_for(permission))) or "nowhere"


def refusal(permission: Permission, what: str) -> str:
    """What the console says when a key or command is not for this user."""
    return f"you may not {what}: it needs the {permission.value} permission"


async def fetch_session(client: NocApiClient) -> Session:
    """Ask the server who the client is. A server without users (or too old to say) answers
    :meth:`Session.everything`; anything else that fails raises :class:`ApiError`."""
    try:
        me = await client.me()
    except ApiUnavailable as exc:
        if exc.code == NO_USER_DIRECTORY:
            return Session.everything()
        raise
    except ApiError as exc:
        if exc.not_found:
            return Session.everything()
        raise
    return Session.from_me(me)


@dataclass(frozen=True)
class Guarded:
    """An action only some users may take, and the key that takes it."""

    key: str
    label: str
    """The key's name in the footer."""
    permission: Permission
    what: str
    """What it does, to finish "you may not …"."""
    changes: bool = False
    """It changes something: a read-only console hides it from everyone."""
    province_wide: bool = False
    """It needs the permission for a whole province (objects of no region)."""


REFUSE = "refuse"
"""The action of a hidden binding standing behind each guarded key: it says why not."""


@dataclass(frozen=True)
class Gate:
    """The guarded actions of a screen. Each guarded key is bound twice: to its action, shown
    only to those allowed (:meth:`check`), and to ``refuse('<action>')``, hidden, which answers
    anyone else who presses it anyway."""

    actions: Mapping[str, Guarded]

    def bindings(self) -> list[BindingType]:
        """Each key bound to its action (shown), then to its refusal (hidden)."""
        shown: list[BindingType] = [
            Binding(guarded.key, action, guarded.label) for action, guarded in self.actions.items()
        ]
        return shown + self.refusal_bindings()

    def refusal_bindings(self) -> list[BindingType]:
        """Only the hidden refusals, for keys whose action another class binds."""
        return [
            Binding(guarded.key, f"{REFUSE}('{action}')", show=False)
            for action, guarded in self.actions.items()
        ]

    def allows(self, session: Session, action: str, read_only: bool = False) -> bool:
        guarded = self.actions.get(action)
        if guarded is None:
            return True
        if read_only and guarded.changes:
            return False
        if guarded.province_wide:
            return session.can_province_wide(guarded.permission)
        return session.can(guarded.permission)

    def check(
        self,
        session: Session,
        action: str,
        parameters: tuple[object, ...],
        read_only: bool = False,
    ) -> bool:
        """For a screen's ``check_action``: False hides the key and leaves it unbound. A key
        hidden by a read-only console stays silent (the title says read-only); one hidden for
        want of a permission is answered."""
        if action == REFUSE:
            name = str(parameters[0]) if parameters else ""
            return name in self.actions and not self.allows(session, name)
        return self.allows(session, action, read_only)

    def refusal(self, action: str) -> str:
        guarded = self.actions[action]
        message = refusal(guarded.permission, guarded.what)
        return f"{message} for a whole province" if guarded.province_wide else message
