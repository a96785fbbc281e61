"""The only place the API injects: services, stores, the clock, and who is asking.

Authorisation has one seam, :func:`current_principal` → :func:`require`. Today a principal is
either the anonymous local operator (no token configured: an embedded console on this machine) or
the holder of the shared bearer token; both may do everything. Users, NOC roles and region scopes
slot in here without touching the routes: ``current_principal`` will resolve a user and its roles,
``require(permission)`` will check the role grants the permission, and routes that list or fetch
region-bound objects will ask :meth:`Principal.sees_region` (filter lists; answer 404, not 403,
for an object out of scope so its existence does not leak).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr

from api.audit import AuditHook, log_audit
from api.errors import Forbidden, Unauthorized
from api.schemas import BackupNowResult
from core.clock import Clock
from core.errors import NotFound
from core.metrics.store import MetricStore
from core.state.accounts import AccountRepository
from core.state.configs import ConfigRepository
from core.state.host_keys import HostKeyStore
from core.state.repository import StateRepository
from core.state.ssh_facts import SshFactsRepository

BackupNowHook = Callable[[str], Awaitable[BackupNowResult]]
"""Back up one device now, by id: fetch, scrub and store its configuration, and answer what came
of it. A device that cannot be backed up is an answer with ``error`` set; the hook raises only for
what is not about the device (a :class:`~core.errors.NocError` such as a store failure)."""


@dataclass(frozen=True)
class ApiServices:
    """What the API serves from, handed in by the composition root."""

    state: StateRepository
    metrics: MetricStore
    clock: Clock
    api_token: SecretStr | None
    """When set, every request must present ``Authorization: Bearer <token>``."""
    version: str
    configs: ConfigRepository
    """Configuration versions, diffs and backup status."""
    accounts: AccountRepository
    """Local accounts of devices and hosts, as last collected."""
    ssh_facts: SshFactsRepository
    """What the CLI says of devices and hosts, and hosts' named services."""
    host_keys: HostKeyStore
    """SSH host keys pinned on first use."""
    backup_now: BackupNowHook | None = None
    """Backs a device up on demand; None: this process has no SSH collector, the route says so."""
    audit: AuditHook = log_audit
    """Receives every state-changing attempt (see :mod:`api.audit`); logs them by default."""


class Permission(StrEnum):
    """Named permissions; every route requires one (a role will grant a set of them)."""

    READ_INVENTORY = "read_inventory"
    READ_METRICS = "read_metrics"
    READ_CONFIGS = "read_configs"
    """Configuration versions (scrubbed), diffs and backup status."""
    READ_ACCOUNTS = "read_accounts"
    """Local accounts of devices and hosts."""
    READ_SSH_FACTS = "read_ssh_facts"
    """CLI facts, host services and pinned SSH host keys."""
    BACKUP_DEVICES = "backup_devices"
    """Back a device's configuration up now (connects to the device)."""


@dataclass(frozen=True)
class Principal:
    """Who is asking, and what they may do where."""

    name: str
    permissions: frozenset[Permission]
    regions: frozenset[str] | None = None
    """Region codes (and everything below them) the principal may see; ``None``: all."""

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def sees_region(self, code: str) -> bool:
        # Scoped principals come with users and roles; until then nobody is scoped.
        return self.regions is None or code in self.regions


LOCAL_OPERATOR = Principal(name="local", permissions=frozenset(Permission))
TOKEN_HOLDER = Principal(name="token", permissions=frozenset(Permission))

_APP_STATE_KEY = "services"

# auto_error=False: a missing header must answer in the API's error shape, not FastAPI's.
_bearer = HTTPBearer(
    auto_error=False,
    description="The API token (settings: api_token). Not needed when none is configured.",
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


def known_device(device_id: DeviceIdPath, state: StateDep) -> str:
    """The path's device id, once the inventory knows it (404 otherwise): the stores answer an
    empty list for any id, which must not read as "a device with nothing"."""
    # A plain def: FastAPI runs it in a worker thread, as the SQLite read blocks.
    if device_id not in state.device_ids():
        raise NotFound(f"no device {device_id!r}")
    return device_id


KnownDeviceId = Annotated[str, Depends(known_device)]


async def current_principal(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The principal behind the request; 401 when a token is configured and not presented."""
    expected = services.api_token
    if expected is None:
        return LOCAL_OPERATOR
    if credentials is None:
        raise Unauthorized("missing API token: send 'Authorization: Bearer <token>'")
    # compare_digest: the time taken must not tell how much of a guess was right.
    if not hmac.compare_digest(
        credentials.credentials.encode(), expected.get_secret_value().encode()
    ):
        raise Unauthorized("wrong API token")
    return TOKEN_HOLDER


PrincipalDep = Annotated[Principal, Depends(current_principal)]


class PermissionCheck:
    """A dependency admitting principals that hold ``permission``.

    Routes declare one each (``dependencies=[require(...)]``), so the day roles arrive nothing else
    changes: a principal whose roles lack the permission is refused with 403.
    """

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    async def __call__(self, principal: PrincipalDep) -> Principal:
        if not principal.can(self.permission):
            raise Forbidden(f"{principal.name} may not {self.permission.value}")
        return principal


def require(permission: Permission) -> Any:
    """``Depends`` on :class:`PermissionCheck` for ``permission``, for a route's dependencies or
    as a parameter's annotation (``Annotated[Principal, require(...)]``) once a route filters by
    the principal's scope."""
    return Depends(PermissionCheck(permission))
