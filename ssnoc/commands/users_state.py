"""What an ``ssnoc users`` command works on: settings, the migrated state DB, the user
directory and the audit trail every change is recorded in, and one-line errors.

The directory (argon2, SQLAlchemy, Alembic) is imported inside the functions: every other
``ssnoc`` command would otherwise pay for loading it, since the CLI imports the commands at start.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from core.clock import Clock, SystemClock
from core.errors import NocError
from core.settings import Settings, load_settings

if TYPE_CHECKING:
    from argon2 import PasswordHasher
    from sqlalchemy import Engine

    from core.security.users import UserDirectory

P = ParamSpec("P")
R = TypeVar("R")


def make_hasher() -> PasswordHasher:
    """The password hasher of the commands (tests replace this with a cheap one)."""
    from core.security.passwords import server_hasher

    return server_hasher()


@dataclass
class AuditNote:
    """What an audited command found out: written into its audit record."""

    detail: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


@dataclass
class CommandState:
    """What a command works on: settings, the migrated state DB, a clock, the actor."""

    settings: Settings
    engine: Engine
    clock: Clock
    actor: str
    _directory: UserDirectory | None = field(default=None, repr=False)

    def directory(self) -> UserDirectory:
        from core.security.users import UserDirectory

        if self._directory is None:
            self._directory = UserDirectory(
                self.engine, self.clock, self.settings.auth, make_hasher(), cache_ttl_s=0
            )
        return self._directory

    @contextmanager
    def audited(
        self, action: str, target: str, region_code: str | None = None
    ) -> Iterator[AuditNote]:
        """Record ``action`` on ``target``: OK with what was noted, or FAILED with the error
        (errors name users and rules, never a password or a token)."""
        from core.security.scope import is_region_code

        region = region_code if region_code and is_region_code(region_code) else None
        note = AuditNote()
        try:
            yield note
        except NocError as exc:
            # If the store is down the record cannot be written: the original error is reported.
            with suppress(NocError):
                self._record(action, target, region, note, failure=str(exc))
            raise
        self._record(action, target, region, note, failure=None)

    def _record(
        self, action: str, target: str, region: str | None, note: AuditNote, failure: str | None
    ) -> None:
        from core.security.audit_trail import AuditEvent, AuditOutcome, AuditTrail

        detail = "; ".join(part for part in (note.detail, failure) if part) or None
        AuditTrail(self.engine, self.clock).append(
            AuditEvent(
                actor=self.actor,
                action=action,
                outcome=AuditOutcome.FAILED if failure else AuditOutcome.OK,
                target=target,
                region_code=region,
                detail=detail,
                before=note.before,
                after=note.after,
                client="cli",
            )
        )


@contextmanager
def open_state() -> Iterator[CommandState]:
    from core.state.db import migrate_to_head, open_state_engine

    settings = load_settings()
    engine = open_state_engine(settings.resolved_state_db_url)
    try:
        migrate_to_head(engine)
        yield CommandState(settings, engine, SystemClock(), f"cli:{_login()}")
    finally:
        engine.dispose()


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in the environment nor the password database
        return "unknown"
