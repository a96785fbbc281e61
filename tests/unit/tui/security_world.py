"""The console against the real API with real users and a real audit trail, over the small
scenario (tests may import the api package; the tui package never does).

Like :mod:`tests.unit.api.scenario` everything is fixed — the clock, the users, their passwords —
so what the console shows can be compared with approved screenshots. Clients made here carry no
token: a console starts at its login screen unless it is given a user name and password.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import Engine

from api.app import create_app
from api.deps import ApiServices, BackupNowHook
from api.security_services import SecurityServices
from core.clock import FakeClock
from core.metrics.sqlite_store import SqliteMetricStore
from core.security.access_review import AccessReviewStore
from core.security.audit_trail import AuditTrail
from core.security.passwords import cheap_hasher
from core.security.permissions import Role
from core.security.principal import Grant
from core.security.rate_limit import LoginRateLimiter
from core.security.users import UserDirectory
from core.settings import AuthSettings
from tests.unit.api.scenario import NOW, fill_metrics, open_state, open_stores
from tests.unit.api.ssh_scenario import fill_ssh_state
from tui.app import NocConsole
from tui.client import NocApiClient

ADMIN = "admin"
TECHNICIAN = "li.tech"
"""A field technician of 荔湾区 (440103) only."""
OFFICER = "wang.sec"
"""The province's security officer."""
PASSWORDS = {
    ADMIN: "Harbour-Lights-2026",
    TECHNICIAN: "Liwan-Terminals-42",
    OFFICER: "Quiet-Ledger-9911",
}
GRANTS = {
    ADMIN: (Grant(Role.ADMIN, "440000"),),
    TECHNICIAN: (Grant(Role.FIELD_TECHNICIAN, "440103"),),
    OFFICER: (Grant(Role.SECURITY_OFFICER, "440000"),),
}
DISPLAY_NAMES = {ADMIN: "NOC administrator", TECHNICIAN: "李技术员", OFFICER: "王安全"}
BASE_URL = "http://ssnoc.test"
POLICY = Path(__file__).resolve().parents[2] / "data" / "account_policy_small.yaml"
"""The approved accounts of the small scenario (the security reports judge against it)."""


@dataclass
class SecurityWorld:
    """The API over real users and trail, with handles on them for setting up and checking."""

    services: ApiServices
    app: FastAPI
    users: UserDirectory
    trail: AuditTrail
    clock: FakeClock
    engine: Engine
    """The state DB under all of it (for a test that tampers with the trail)."""

    def http(self, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url=BASE_URL, headers=headers
        )

    def client(self) -> NocApiClient:
        """A client with no token: it must log in."""
        return NocApiClient(self.http())

    async def logged_in(self, username: str) -> NocApiClient:
        """A client logged in as ``username`` (to read back what the console did)."""
        client = self.client()
        await client.login(username, SecretStr(PASSWORDS[username]))
        return client

    def console(self, username: str | None = None, **options: object) -> NocConsole:
        """A console on a fresh client: at the login screen, or — with ``username`` — logged in
        as that user without showing it."""
        password = PASSWORDS[username] if username else None
        return NocConsole(
            self.client(),
            refresh_interval_s=3600.0,
            username=username,
            password=password,
            **options,  # type: ignore[arg-type]
        )


@contextmanager
def open_world(
    tmp_path: Path, backup_now: BackupNowHook | None = None, logins_per_minute: int = 1000
) -> Iterator[SecurityWorld]:
    """The small scenario's stores with three users (see :data:`GRANTS`), every one of them
    with a password of their own (none must change it)."""
    engine, state = open_state(tmp_path)
    stores = fill_ssh_state(open_stores(engine))
    metrics = SqliteMetricStore(tmp_path / "metrics.db")
    fill_metrics(metrics)
    clock = FakeClock(NOW)
    users = UserDirectory(engine, clock, AuthSettings(), hasher=cheap_hasher())
    trail = AuditTrail(engine, clock)
    for name, grants in GRANTS.items():
        users.create_user(
            name,
            PASSWORDS[name],
            display_name=DISPLAY_NAMES[name],
            grants=grants,
            created_by="setup",
        )
    services = ApiServices(
        state=state,
        metrics=metrics,
        clock=clock,
        version="9.9.9-test",
        configs=stores.configs,
        accounts=stores.accounts,
        ssh_facts=stores.ssh_facts,
        host_keys=stores.host_keys,
        auth=users,
        audit=trail,
        security=SecurityServices(
            users=users,
            trail=trail,
            login_limiter=LoginRateLimiter(clock, logins_per_minute),
            reviews=AccessReviewStore(engine, clock),
            account_policy_path=POLICY,
        ),
        backup_now=backup_now,
    )
    try:
        yield SecurityWorld(services, create_app(services), users, trail, clock, engine)
    finally:
        metrics.close()
        engine.dispose()
