"""The only place the API injects: services, stores, the clock, and who is asking.

Authorisation has one seam. :func:`current_principal` resolves the bearer token (a login's access
token or a personal API token) to a :class:`~core.security.principal.Principal` — a user and the
roles they hold for region scopes. Every route then declares exactly one of:

- ``require(permission)``: the principal must hold ``permission`` somewhere; the route receives an
  :class:`Access` and filters what it returns to the regions where the permission is held
  (lists are filtered; a single object out of scope answers 404, not 403, so its existence does
  not leak);
- ``visible_device(permission)``: the same, for routes about one device, which must exist *and*
  lie in scope;
- ``authenticated()``: any logged-in user (their own session, password and tokens);
- ``public()``: nobody needs to be logged in (logging in, liveness).

A test generated over every route × every role fails when a route declares none of them.
Refusals of state-changing requests (401, 403) are written to the audit trail.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.alert_services import AlertService
from api.errors import Forbidden, Unauthorized
from api.schemas import BackupNowResult
from api.security_services import SecurityServices
from api.topology_services import TopologyService
from card_fleet.service import FleetService
from core.clock import Clock
from core.errors import AuthenticationFailed, NotFound
from core.metrics.store import MetricStore
from core.security.audit_trail import AuditEvent, AuditOutcome
from core.security.permissions import Permission
from core.security.principal import Principal
from core.state.accounts import AccountRepository
from core.state.configs import ConfigRepository
from core.state.host_keys import HostKeyStore
from core.state.repository import StateRepository
from core.state.ssh_facts import SshFactsRepository

__all__ = ["Access", "ApiServices", "Permission", "Principal", "require"]

BackupNowHook = Callable[[str], Awaitable[BackupNowResult]]
"""Back up one device now, by id: fetch, scrub and store its configuration, and answer what came
of it. A device that cannot be backed up is an answer with ``error`` set; the hook raises only for
what is not about the device (a :class:`~core.errors.NocError` such as a store failure)."""


class Authenticator(Protocol):
    """Turns a bearer token into who presents it (:class:`core.security.users.UserDirectory`)."""

    def authenticate(self, token: str) -> Principal:
        """The principal; :class:`~core.errors.AuthenticationFailed` for a bad token."""
        ...

    def cached_principal(self, token: str) -> Principal | None:
        """The principal if known without blocking I/O, else None (then ``authenticate``)."""
        ...


class AuditSink(Protocol):
    """Where audit events go (:class:`core.security.audit_trail.AuditTrail`). Blocking: the API
    calls it from a worker thread."""

    def append(self, event: AuditEvent) -> object: ...


@dataclass(frozen=True)
class ApiServices:
    """What the API serves from, handed in by the composition root."""

    state: StateRepository
    metrics: MetricStore
    clock: Clock
    version: str
    configs: ConfigRepository
    """Configuration versions, diffs and backup status."""
    accounts: AccountRepository
    """Local accounts of devices and hosts, as last collected."""
    ssh_facts: SshFactsRepository
    """What the CLI says of devices and hosts, and hosts' named services."""
    host_keys: HostKeyStore
    """SSH host keys pinned on first use."""
    auth: Authenticator
    """Resolves every request's bearer token."""
    audit: AuditSink
    """Receives every login, every state-changing attempt (refused ones too), console actions."""
    security: SecurityServices | None = None
    """Users, the audit trail's reader, reports; None: this API serves no user management (the
    routes say so with 503)."""
    backup_now: BackupNowHook | None = None
    """Backs a device up on demand; None: this process has no SSH collector, the route says so."""
    topology: TopologyService | None = None
    """The topology as observed now (failover, paths, impact, root causes); None: this process
    does not follow it, and the topology routes say so with 503."""
    alerts: AlertService | None = None
    """Alerts, silences, maintenance windows, on-call and the notification log; None: this
    process runs no alert pipeline (alerts disabled, or not the server), and the alert routes say
    so with 503."""
    fleet: FleetService | None = None
    """The card-terminal fleet (registry, heartbeats, health, rollouts); None: this process keeps
    no fleet (disabled, or not the server), and the terminal, fleet and rollout routes say so
    with 503."""


@dataclass(frozen=True)
class Access:
    """A principal admitted to a route for one permission, with where the request came from."""

    principal: Principal
    permission: Permission | None
    """None for routes open to any logged-in user."""
    client: str | None

    @property
    def name(self) -> str:
        return self.principal.name

    def sees(self, region_code: str | None) -> bool:
        """The permission is held for ``region_code`` (None: a province-wide object)."""
        if self.permission is None:
            return False
        return self.principal.can_in(self.permission, region_code)

    def scope_codes(self) -> frozenset[str]:
        if self.permission is None:
            return frozenset()
        return self.principal.scopes_for(self.permission)


_APP_STATE_KEY = "services"

# auto_error=False: a missing header must answer in the API's error shape, not FastAPI's.
_bearer = HTTPBearer(
    auto_error=False,
    description="An access token from POST /auth/login, or a personal API token.",
)


def attach_services(app_state: Any, services: ApiServices) -> None:
    """Store ``services`` on ``app.state`` (done once by the app factory)."""
    setattr(app_state, _APP_STATE_KEY, services)


async def get_services(request: Request) -> ApiServices:
    services = getattr(request.app.state, _APP_STATE_KEY, None)
    if not isinstance(services, ApiServices):
        raise RuntimeError("the API was built without its services (use create_app)")
    return services


ServicesDep = Annotated[ApiServices, Depends(get_services)]


async def get_state(services: ServicesDep) -> StateRepository:
    return services.state


async def get_metrics(services: ServicesDep) -> MetricStore:
    return services.metrics


async def get_clock(services: ServicesDep) -> Clock:
    return services.clock


async def get_configs(services: ServicesDep) -> ConfigRepository:
    return services.configs


async def get_accounts(services: ServicesDep) -> AccountRepository:
    return services.accounts


StateDep = Annotated[StateRepository, Depends(get_state)]
MetricsDep = Annotated[MetricStore, Depends(get_metrics)]
ClockDep = Annotated[Clock, Depends(get_clock)]
ConfigsDep = Annotated[ConfigRepository, Depends(get_configs)]
AccountsDep = Annotated[AccountRepository, Depends(get_accounts)]

DeviceIdPath = Annotated[
    str, Path(min_length=1, max_length=96, description="Device id", examples=["gz-core1"])
]

_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def client_of(request: Request) -> str | None:
    return request.client.host if request.client else None


async def audit_event(services: ApiServices, event: AuditEvent) -> None:
    """Append ``event`` to the trail from a worker thread (the trail writes to the state DB)."""
    await run_in_threadpool(services.audit.append, event)


async def _audit_refusal(
    services: ApiServices, request: Request, actor: str, outcome_detail: str
) -> None:
    if request.method not in _CHANGING:
        return  # reads refused are not state changes; the 401/403 answer is the record
    await audit_event(
        services,
        AuditEvent(
            actor=actor,
            action=f"{request.method} {request.url.path}",
            outcome=AuditOutcome.DENIED,
            target=request.url.path,
            client=client_of(request),
            detail=outcome_detail,
        ),
    )


async def current_principal(
    services: ServicesDep,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The principal behind the request; 401 without a good token."""
    if credentials is None:
        await _audit_refusal(services, request, "anonymous", "no token")
        raise Unauthorized("not logged in: send 'Authorization: Bearer <token>'")
    # Nearly every request presents a token seen seconds ago: answered from memory, on the loop.
    # A worker-thread hop costs more than the whole check.
    cached = services.auth.cached_principal(credentials.credentials)
    if cached is not None:
        return cached
    try:
        # Blocking (a DB read): in a worker thread, not on the event loop.
        return await run_in_threadpool(services.auth.authenticate, credentials.credentials)
    except AuthenticationFailed as exc:
        await _audit_refusal(services, request, "anonymous", str(exc))
        raise


PrincipalDep = Annotated[Principal, Depends(current_principal)]


class PermissionCheck:
    """A dependency admitting principals that hold ``permission`` in some scope."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    async def __call__(
        self, principal: PrincipalDep, services: ServicesDep, request: Request
    ) -> Access:
        if not principal.can(self.permission):
            message = f"{principal.name} may not {self.permission.value}"
            await _audit_refusal(services, request, principal.name, message)
            raise Forbidden(message)
        return Access(principal, self.permission, client_of(request))


def require(permission: Permission) -> Any:
    """``Depends`` on :class:`PermissionCheck`: as a parameter's annotation
    (``access: Annotated[Access, require(...)]``), or in a route's ``dependencies``."""
    return Depends(PermissionCheck(permission))


class AuthenticatedCheck:
    """Admits any logged-in user (their own session, password and tokens)."""

    async def __call__(self, principal: PrincipalDep, request: Request) -> Access:
        return Access(principal, None, client_of(request))


def authenticated() -> Any:
    return Depends(AuthenticatedCheck())


class PublicRoute:
    """Marks a route that needs no login (the permission matrix test looks for it)."""

    async def __call__(self) -> None:
        return None


def public() -> Any:
    return Depends(PublicRoute())


class VisibleDevice:
    """The path's device id, once it exists *and* lies in a region where the principal holds
    ``permission``; 404 otherwise, the same answer either way, so a device outside one's scope
    cannot be told from one that does not exist."""

    def __init__(self, permission: Permission) -> None:
        self.check = PermissionCheck(permission)

    def find(self, device_id: str, state: StateRepository, access: Access) -> str:
        region = state.device_regions().get(device_id)
        if region is None or not access.sees(region):
            raise NotFound(f"no device {device_id!r}")
        return device_id


def visible_device(permission: Permission) -> Any:
    """``Depends`` for a route about one device (see :class:`VisibleDevice`); it also declares the
    route's permission."""
    visible = VisibleDevice(permission)

    async def dependency(device_id: str, state: StateRepository, access: Access) -> str:
        return await run_in_threadpool(visible.find, device_id, state, access)

    # FastAPI reads the dependency's signature, and the permission must be in it: written out as
    # objects, since this module's annotations are strings that could not name ``visible``.
    parameter = inspect.Parameter.POSITIONAL_OR_KEYWORD
    dependency.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("device_id", parameter, annotation=DeviceIdPath),
            inspect.Parameter("state", parameter, annotation=StateDep),
            inspect.Parameter(
                "access", parameter, annotation=Annotated[Access, Depends(visible.check)]
            ),
        ],
        return_annotation=str,
    )
    return Depends(dependency)
