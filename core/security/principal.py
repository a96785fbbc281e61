"""Who is asking: a NOC user with roles held for region scopes, resolved once per request."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from core.security.permissions import ROLE_PERMISSIONS, Permission, Role
from core.security.scope import scopes_cover


@dataclass(frozen=True, slots=True)
class Grant:
    """A role held for a region scope (a province, city or county code)."""

    role: Role
    scope_code: str


@dataclass(frozen=True)
class Principal:
    """An authenticated user and, per permission, the scopes where they hold it."""

    user_id: int
    name: str
    grants: tuple[Grant, ...]
    via: str = "session"
    """How they authenticated: ``session`` (login) or ``api_token``."""
    _scopes: dict[Permission, frozenset[str]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        scopes: dict[Permission, set[str]] = {}
        for grant in self.grants:
            for permission in ROLE_PERMISSIONS[grant.role]:
                scopes.setdefault(permission, set()).add(grant.scope_code)
        self._scopes.update({perm: frozenset(codes) for perm, codes in scopes.items()})

    @property
    def permissions(self) -> frozenset[Permission]:
        return frozenset(self._scopes)

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(grant.role for grant in self.grants)

    def can(self, permission: Permission) -> bool:
        """Holds ``permission`` somewhere (the route may still filter by region)."""
        return permission in self._scopes

    def scopes_for(self, permission: Permission) -> frozenset[str]:
        """The scope codes where ``permission`` is held (empty: nowhere)."""
        return self._scopes.get(permission, frozenset())

    def can_in(self, permission: Permission, region_code: str | None) -> bool:
        """Holds ``permission`` for ``region_code``. An object with no region (``None``) is
        province-wide: only a grant on a province scope covers it."""
        scopes = self.scopes_for(permission)
        if region_code is None:
            return any(code.endswith("0000") for code in scopes)
        return scopes_cover(scopes, region_code)

    def filter_regions(self, permission: Permission, codes: Iterable[str]) -> list[str]:
        return [code for code in codes if self.can_in(permission, code)]
