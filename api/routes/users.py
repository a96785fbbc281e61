"""NOC users and their roles, for administrators (and, read-only, for security officers).

Scopes bound administrators too: a user is visible to a reader holding ``read_users`` where any of
the user's grants lies, and manageable only by an administrator whose ``manage_users`` covers
*every* grant the user holds (a city's administrator cannot disable a province administrator).
Granting needs ``manage_users`` over the scope granted. Every change is audited with before/after.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Path
from starlette.concurrency import run_in_threadpool

from api.audit import record
from api.deps import Access, Permission, ServicesDep, require
from api.errors import error_responses
from api.routes.auth import TokenIdPath, security_of
from api.schemas_security import (
    ApiTokenInfo,
    GrantInfo,
    NewUser,
    PasswordReset,
    UserCreated,
    UserInfo,
    api_token_info,
    user_info,
)
from core.errors import NotFound, PermissionDenied
from core.security.audit_trail import AuditOutcome
from core.security.passwords import temporary_password
from core.security.permissions import Role
from core.security.principal import Grant
from core.security.user_views import UserView

router = APIRouter(prefix="/users", tags=["users"])

UsernamePath = Annotated[
    str, Path(pattern=r"^[a-z0-9._-]{1,64}$", description="User name", examples=["li.na"])
]
ReadUsers = Annotated[Access, require(Permission.READ_USERS)]
ManageUsers = Annotated[Access, require(Permission.MANAGE_USERS)]
TEMPORARY_LENGTH = 20


def _readable(access: Access, user: UserView) -> bool:
    if not user.grants:
        return access.sees(None)
    return any(access.sees(g.scope_code) for g in user.grants)


def _manageable(access: Access, user: UserView) -> bool:
    if not user.grants:
        return access.sees(None)
    return all(access.sees(g.scope_code) for g in user.grants)


def _snapshot(user: UserView) -> dict[str, object]:
    """What the audit trail keeps of a user before and after a change (never a secret)."""
    return {
        "disabled": user.disabled,
        "locked": user.locked_until is not None,
        "must_change_password": user.must_change_password,
        "grants": sorted(f"{g.role.value}@{g.scope_code}" for g in user.grants),
    }


async def _managed_user(access: Access, services: ServicesDep, username: str) -> UserView:
    users = security_of(services).users
    try:
        user = await run_in_threadpool(users.get, username)
    except NotFound:
        raise NotFound(f"no user {username!r}") from None
    if not _manageable(access, user):
        raise NotFound(f"no user {username!r}")
    return user


@router.get(
    "",
    summary="Users with their roles and scopes (never a secret)",
    response_model=list[UserInfo],
    responses=error_responses(401, 403, 503),
)
async def list_users(access: ReadUsers, services: ServicesDep) -> list[UserInfo]:
    users = await run_in_threadpool(security_of(services).users.list_users)
    return [user_info(u) for u in users if _readable(access, u)]


@router.get(
    "/{username}",
    summary="One user",
    response_model=UserInfo,
    responses=error_responses(401, 403, 404, 503),
)
async def get_user(username: UsernamePath, access: ReadUsers, services: ServicesDep) -> UserInfo:
    users = security_of(services).users
    user = await run_in_threadpool(users.get, username)
    if not _readable(access, user):
        raise NotFound(f"no user {username!r}")
    return user_info(user)


@router.post(
    "",
    summary="Create a user; the answer carries a temporary password, shown once",
    response_model=UserCreated,
    status_code=201,
    responses=error_responses(401, 403, 409, 422, 503),
)
async def create_user(body: NewUser, access: ManageUsers, services: ServicesDep) -> UserCreated:
    """The user must change the temporary password at first login."""
    for grant in body.grants:
        if not access.sees(grant.scope):
            raise PermissionDenied(f"{access.name} may not grant roles in {grant.scope}")
    users = security_of(services).users
    grants = tuple(Grant(g.role, g.scope) for g in body.grants)

    def create() -> tuple[UserView, str]:
        temporary = temporary_password(TEMPORARY_LENGTH, body.username)
        user = users.create_user(
            body.username,
            temporary,
            display_name=body.display_name,
            grants=grants,
            created_by=access.name,
            must_change_password=True,
        )
        return user, temporary

    try:
        user, temporary = await run_in_threadpool(create)
    except Exception as exc:
        await record(
            services,
            access,
            "user_create",
            AuditOutcome.FAILED,
            target=body.username,
            detail=str(exc),
        )
        raise
    await record(
        services,
        access,
        "user_create",
        AuditOutcome.OK,
        target=body.username,
        after=_snapshot(user),
    )
    return UserCreated(user=user_info(user), temporary_password=temporary)


async def _change(
    access: Access,
    services: ServicesDep,
    username: str,
    action: str,
    change: Callable[[], object],
) -> UserView:
    before = await _managed_user(access, services, username)
    users = security_of(services).users
    try:
        await run_in_threadpool(change)
    except Exception as exc:
        await record(
            services,
            access,
            action,
            AuditOutcome.FAILED,
            target=username,
            detail=str(exc),
            before=_snapshot(before),
        )
        raise
    after = await run_in_threadpool(users.get, username)
    await record(
        services,
        access,
        action,
        AuditOutcome.OK,
        target=username,
        before=_snapshot(before),
        after=_snapshot(after),
    )
    return after


@router.post(
    "/{username}/disable",
    summary="Disable a user: logins refused, sessions and tokens stop working at once",
    response_model=UserInfo,
    responses=error_responses(401, 403, 404, 503),
)
async def disable_user(
    username: UsernamePath, access: ManageUsers, services: ServicesDep
) -> UserInfo:
    if username == access.name:
        raise PermissionDenied("an administrator may not disable themselves")
    users = security_of(services).users
    return user_info(
        await _change(
            access,
            services,
            username,
            "user_disable",
            lambda: users.set_disabled(username, True, by=access.name),
        )
    )


@router.post(
    "/{username}/enable",
    summary="Enable a disabled user",
    response_model=UserInfo,
    responses=error_responses(401, 403, 404, 503),
)
async def enable_user(
    username: UsernamePath, access: ManageUsers, services: ServicesDep
) -> UserInfo:
    users = security_of(services).users
    return user_info(
        await _change(
            access,
            services,
            username,
            "user_enable",
            lambda: users.set_disabled(username, False, by=access.name),
        )
    )


@router.post(
    "/{username}/unlock",
    summary="Unlock a user locked after failed logins",
    response_model=UserInfo,
    responses=error_responses(401, 403, 404, 503),
)
async def unlock_user(
    username: UsernamePath, access: ManageUsers, services: ServicesDep
) -> UserInfo:
    users = security_of(services).users
    return user_info(
        await _change(
            access,
            services,
            username,
            "user_unlock",
            lambda: users.unlock(username, by=access.name),
        )
    )


@router.post(
    "/{username}/reset-password",
    summary="Reset a user's password: a temporary one, shown once, to change at login",
    response_model=PasswordReset,
    responses=error_responses(401, 403, 404, 503),
)
async def reset_password(
    username: UsernamePath, access: ManageUsers, services: ServicesDep
) -> PasswordReset:
    users = security_of(services).users
    temporary: list[str] = []
    await _change(
        access,
        services,
        username,
        "user_reset_password",
        lambda: temporary.append(users.reset_password(username, by=access.name)),
    )
    return PasswordReset(temporary_password=temporary[0])


@router.post(
    "/{username}/grants",
    summary="Grant a role for a scope",
    response_model=UserInfo,
    responses=error_responses(401, 403, 404, 422, 503),
)
async def grant_role(
    username: UsernamePath, body: GrantInfo, access: ManageUsers, services: ServicesDep
) -> UserInfo:
    if not access.sees(body.scope):
        raise PermissionDenied(f"{access.name} may not grant roles in {body.scope}")
    users = security_of(services).users
    return user_info(
        await _change(
            access,
            services,
            username,
            "role_grant",
            lambda: users.grant(username, body.role, body.scope, by=access.name),
        )
    )


@router.delete(
    "/{username}/grants/{role}/{scope}",
    summary="Revoke a role held for a scope",
    response_model=UserInfo,
    responses=error_responses(401, 403, 404, 422, 503),
)
async def revoke_role(
    username: UsernamePath,
    role: Annotated[Role, Path(description="The role to revoke")],
    scope: Annotated[str, Path(pattern=r"^\d{6}$", description="The scope it is held for")],
    access: ManageUsers,
    services: ServicesDep,
) -> UserInfo:
    users = security_of(services).users
    return user_info(
        await _change(
            access,
            services,
            username,
            "role_revoke",
            lambda: users.revoke(username, role, scope, by=access.name),
        )
    )


@router.get(
    "/{username}/tokens",
    summary="A user's personal API tokens (never the tokens themselves)",
    response_model=list[ApiTokenInfo],
    responses=error_responses(401, 403, 404, 503),
)
async def user_tokens(
    username: UsernamePath, access: ReadUsers, services: ServicesDep
) -> list[ApiTokenInfo]:
    users = security_of(services).users
    user = await run_in_threadpool(users.get, username)
    if not _readable(access, user):
        raise NotFound(f"no user {username!r}")
    tokens = await run_in_threadpool(users.list_api_tokens, username)
    return [api_token_info(t) for t in tokens]


@router.delete(
    "/{username}/tokens/{token_id}",
    summary="Revoke a user's personal API token",
    response_model=ApiTokenInfo,
    responses=error_responses(401, 403, 404, 503),
)
async def revoke_user_token(
    username: UsernamePath, token_id: TokenIdPath, access: ManageUsers, services: ServicesDep
) -> ApiTokenInfo:
    await _managed_user(access, services, username)
    users = security_of(services).users
    tokens = await run_in_threadpool(users.list_api_tokens, username)
    if not any(t.id == token_id for t in tokens):
        raise NotFound(f"no token {token_id} of {username!r}")
    revoked = await run_in_threadpool(lambda: users.revoke_api_token(token_id, by=access.name))
    await record(
        services,
        access,
        "api_token_revoke",
        AuditOutcome.OK,
        target=f"token/{token_id}",
        detail=f"of {username}",
    )
    return api_token_info(revoked)
