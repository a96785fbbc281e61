"""Row-level pieces shared by :mod:`core.security.users` and :mod:`core.security.sessions`:
finding a user's row, reading their grants into a view, revoking sessions, and translating
SQLAlchemy's errors into the NOC's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from core.errors import NocError, NotFound, StoreError
from core.security.user_views import UserView, user_view
from core.state.tables import NocUserRow, RoleGrantRow, SessionRow


@contextmanager
def store_errors(what: str, *, conflict: NocError | None = None) -> Iterator[None]:
    """Turn SQLAlchemy's errors inside the block into :class:`StoreError` ("cannot <what>"), or
    an :class:`IntegrityError` into ``conflict`` when one is given (a unique name taken)."""
    try:
        yield
    except IntegrityError as exc:
        if conflict is not None:
            raise conflict from exc
        raise StoreError(f"state DB: cannot {what}: {exc}") from exc
    except SQLAlchemyError as exc:
        raise StoreError(f"state DB: cannot {what}: {exc}") from exc


def find_user_row(
    session: Session, username: str, *, for_update: bool = False
) -> NocUserRow | None:
    """The row of ``username``, locked for the transaction when ``for_update`` (PostgreSQL; a
    SQLite write transaction is serialised anyway)."""
    query = select(NocUserRow).where(NocUserRow.username == username)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def user_row(session: Session, username: str, *, for_update: bool = False) -> NocUserRow:
    """Like :func:`find_user_row`, but :class:`NotFound` when there is no such user."""
    row = find_user_row(session, username, for_update=for_update)
    if row is None:
        raise NotFound(f"no user '{username}'")
    return row


def view_of(session: Session, row: NocUserRow) -> UserView:
    """``row`` with its grants, as a view."""
    grants = session.scalars(select(RoleGrantRow).where(RoleGrantRow.user_id == row.id))
    return user_view(row, grants)


def revoke_sessions(session: Session, user_id: int, now: datetime) -> None:
    """Revoke every live session of a user: their tokens stop working at once."""
    session.execute(
        update(SessionRow)
        .where(SessionRow.user_id == user_id, SessionRow.revoked_at.is_(None))
        .values(revoked_at=now)
    )
