"""Logging in and out, refreshing a session, one's own password and personal API tokens.

Every login — good or bad — is in the audit trail, with the client's address. Logins are rate
limited per client address and a user is locked after repeated failures (settings: auth).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.concurrency import run_in_threadpool

from api.audit import record
from api.deps import (
    Access,
    ApiServices,
    ServicesDep,
    audit_event,
    authenticated,
    client_of,
    public,
)
from api.errors import BadRequest, ServiceUnavailable, error_responses
from api.schemas_security import (
    ApiTokenCreated,
    ApiTokenInfo,
    LoginRequest,
    MeInfo,
    NewApiToken,
    PasswordChange,
    RefreshRequest,
    SessionInfo,
    api_token_info,
    session_info,
    user_info,
)
from api.security_services import SecurityServices
from core.errors import AccessError, AccountLocked, AuthenticationFailed, NotFound, RateLimited
from core.security.audit_trail import AuditEvent, AuditOutcome

router = APIRouter(prefix="/auth", tags=["auth"])

TokenIdPath = Annotated[int, Path(ge=1, description="API token id", examples=[3])]

NO_USERS = "this server has no user directory"


def security_of(services: ApiServices) -> SecurityServices:
    if services.security is None:
        raise ServiceUnavailable("users_unavailable", NO_USERS)
    return services.security


@router.post(
    "/login",
    summary="Log in with a user name and password: an access token and a refresh token",
    response_model=SessionInfo,
    dependencies=[public()],
    responses=error_responses(401, 422, 429, 503),
)
async def login(body: LoginRequest, services: ServicesDep, request: Request) -> SessionInfo:
    """The access token is short-lived (settings: auth.access_ttl_s); refresh it with the refresh
    token. A user whose password was reset must change it first: until then the session may only
    do that (``must_change_password``)."""
    security = security_of(services)
    client = client_of(request) or "unknown"
    try:
        security.login_limiter.check(client)
    except RateLimited as exc:
        await _login_audit(services, body.username, client, AuditOutcome.DENIED, str(exc))
        raise
    security.login_limiter.record(client)
    password = body.password.get_secret_value()
    try:
        tokens = await run_in_threadpool(
            security.users.login, body.username, password, client=client
        )
    except AccessError as exc:
        await _login_audit(services, body.username, client, AuditOutcome.FAILED, str(exc))
        raise
    await _login_audit(services, body.username, client, AuditOutcome.OK, None)
    return session_info(tokens)


async def _login_audit(
    services: ApiServices, username: str, client: str, outcome: AuditOutcome, detail: str | None
) -> None:
    await audit_event(
        services,
        AuditEvent(
            actor=username,
            action="login",
            outcome=outcome,
            target=username,
            client=client,
            detail=detail,
        ),
    )


@router.post(
    "/refresh",
    summary="A new access token (and refresh token) for a refresh token",
    response_model=SessionInfo,
    dependencies=[public()],
    responses=error_responses(401, 422, 503),
)
async def refresh(body: RefreshRequest, services: ServicesDep, request: Request) -> SessionInfo:
    """The refresh token is rotated: the one sent stops working. Sending an old one again ends
    the session (someone else may hold it)."""
    security = security_of(services)
    tokens = await run_in_threadpool(
        security.users.refresh, body.refresh_token.get_secret_value(), client=client_of(request)
    )
    return session_info(tokens)


@router.post(
    "/logout",
    summary="End this session (its tokens stop working)",
    status_code=204,
    responses=error_responses(401, 503),
)
async def logout(
    access: Annotated[Access, authenticated()], services: ServicesDep, request: Request
) -> None:
    security = security_of(services)
    token = request.headers.get("authorization", "").partition(" ")[2]
    await run_in_threadpool(security.users.logout, token)
    await record(services, access, "logout", AuditOutcome.OK, target=access.name)


@router.get(
    "/me",
    summary="Who is logged in: roles, scopes and the permissions they give",
    response_model=MeInfo,
    responses=error_responses(401, 503),
)
async def me(access: Annotated[Access, authenticated()], services: ServicesDep) -> MeInfo:
    """What the console uses to hide what the user may not do."""
    security = security_of(services)
    user = await run_in_threadpool(security.users.get, access.name)
    principal = access.principal
    return MeInfo(
        user=user_info(user),
        via=principal.via,
        permissions={
            permission.value: sorted(principal.scopes_for(permission))
            for permission in sorted(principal.permissions)
        },
    )


@router.post(
    "/password",
    summary="Change one's own password",
    status_code=204,
    responses=error_responses(401, 422, 503),
)
async def change_password(
    body: PasswordChange, access: Annotated[Access, authenticated()], services: ServicesDep
) -> None:
    security = security_of(services)
    try:
        await _change_password(security, access, body)
    except Exception as exc:
        await record(
            services,
            access,
            "password_change",
            AuditOutcome.FAILED,
            target=access.name,
            detail=str(exc),
        )
        raise
    await record(services, access, "password_change", AuditOutcome.OK, target=access.name)


async def _change_password(
    security: SecurityServices, access: Access, body: PasswordChange
) -> None:
    try:
        await run_in_threadpool(
            security.users.change_password,
            access.name,
            body.old_password.get_secret_value(),
            body.new_password.get_secret_value(),
        )
    except AccountLocked:
        raise
    except AuthenticationFailed:
        # Not a 401: the session is fine, only the old password typed was wrong.
        raise BadRequest("the current password is wrong") from None


@router.get(
    "/tokens",
    summary="One's own personal API tokens (never the tokens themselves)",
    response_model=list[ApiTokenInfo],
    responses=error_responses(401, 503),
)
async def my_tokens(
    access: Annotated[Access, authenticated()], services: ServicesDep
) -> list[ApiTokenInfo]:
    security = security_of(services)
    tokens = await run_in_threadpool(security.users.list_api_tokens, access.name)
    return [api_token_info(t) for t in tokens]


@router.post(
    "/tokens",
    summary="A new personal API token for scripts: shown once, in this answer only",
    response_model=ApiTokenCreated,
    status_code=201,
    responses=error_responses(401, 422, 503),
)
async def create_my_token(
    body: NewApiToken, access: Annotated[Access, authenticated()], services: ServicesDep
) -> ApiTokenCreated:
    """The token acts with the user's own roles and scopes. Keep it like a password."""
    security = security_of(services)
    token, view = await run_in_threadpool(
        lambda: security.users.create_api_token(
            access.name, body.name, days=body.days, by=access.name
        )
    )
    await record(
        services,
        access,
        "api_token_create",
        AuditOutcome.OK,
        target=f"token/{view.id}",
        after={"name": view.name, "prefix": view.prefix, "expires_at": view.expires_at.isoformat()},
    )
    return ApiTokenCreated(token=token, info=api_token_info(view))


@router.delete(
    "/tokens/{token_id}",
    summary="Revoke one of one's own personal API tokens",
    status_code=204,
    responses=error_responses(401, 404, 503),
)
async def revoke_my_token(
    token_id: TokenIdPath, access: Annotated[Access, authenticated()], services: ServicesDep
) -> None:
    security = security_of(services)
    own = await run_in_threadpool(security.users.list_api_tokens, access.name)
    if not any(t.id == token_id for t in own):
        raise NotFound(f"no token {token_id}")
    await run_in_threadpool(lambda: security.users.revoke_api_token(token_id, by=access.name))
    await record(services, access, "api_token_revoke", AuditOutcome.OK, target=f"token/{token_id}")
