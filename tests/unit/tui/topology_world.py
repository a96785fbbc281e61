"""The console against the real API and a real :class:`~topology.monitor.TopologyMonitor`, over
the toy province of :mod:`tests.unit.topology.networks` in a real SQLite state DB polled by hand,
with real users (tests may import the api and topology packages; the tui package never does).

Everything is fixed — the clock, the polls, the users — so what the console shows can be compared
with approved screenshots. The story the monitor has followed:

- 08:00:00 every device answers, every link is up;
- 08:01:00 荔湾区's primary link (``gz-liwan-primary``) goes down: 荔湾区 runs on its backup
  link to 佛山's node;
- 08:05:00 南海区's only link (``fs-nanhai-primary``) goes down: 南海区 is isolated;
- 08:13:05 now: 荔湾区 on backup for 12m 5s, 南海区 isolated for 8m 5s.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI
from pydantic import SecretStr

from api.app import create_app
from api.deps import ApiServices
from api.security_services import SecurityServices
from core.metrics.sqlite_store import SqliteMetricStore
from core.security.access_review import AccessReviewStore
from core.security.audit_trail import AuditTrail
from core.security.passwords import cheap_hasher
from core.security.permissions import Role
from core.security.principal import Grant
from core.security.rate_limit import LoginRateLimiter
from core.security.users import UserDirectory
from core.settings import AuthSettings
from tests.unit.api.scenario import open_stores
from tests.unit.topology.networks import LIWAN_ACC, NANHAI_ACC
from tests.unit.topology.toy_state import ToyState
from topology.monitor import TopologyMonitor
from tui.app import NocConsole
from tui.client import NocApiClient

ADMIN = "admin"
TECHNICIAN = "li.tech"
"""A field technician of 荔湾区 (440103) only."""
PASSWORDS = {ADMIN: "Harbour-Lights-2026", TECHNICIAN: "Liwan-Terminals-42"}
GRANTS = {
    ADMIN: (Grant(Role.ADMIN, "440000"),),
    TECHNICIAN: (Grant(Role.FIELD_TECHNICIAN, "440103"),),
}
BASE_URL = "http://ssnoc.test"
LIWAN_DOWN = ("gz-liwan-primary", LIWAN_ACC)
NANHAI_DOWN = ("fs-nanhai-primary", NANHAI_ACC)
TERMINALS = {"440103": 12, "440104": 7, "440604": 5, "440605": 3}
"""Card terminals by county, for the impacts."""


@dataclass
class TopologyWorld:
    """The API over the toy province's state and its topology monitor, with real users."""

    toy: ToyState
    monitor: TopologyMonitor
    app: FastAPI
    users: UserDirectory

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=BASE_URL)

    def client(self) -> NocApiClient:
        """A client with no token: it must log in."""
        return NocApiClient(self.http())

    async def logged_in(self, username: str) -> NocApiClient:
        client = self.client()
        await client.login(username, SecretStr(PASSWORDS[username]))
        return client

    def console(self, username: str = ADMIN, **options: object) -> NocConsole:
        """A console logged in as ``username`` without showing the login screen."""
        return NocConsole(
            self.client(),
            refresh_interval_s=3600.0,
            username=username,
            password=PASSWORDS[username],
            **options,  # type: ignore[arg-type]
        )

    def observe(self, *down: tuple[str, str], after_s: float = 0.0) -> None:
        """``after_s`` later, every device polled with the links ``down`` (link id, the device
        whose end reports it down) down, and the monitor's view refreshed."""
        self.toy.clock.advance(after_s)
        self.toy.poll(down_interfaces=[self.toy.end_of(link, device) for link, device in down])
        self.monitor.refresh()


@contextmanager
def open_world(tmp_path: Path) -> Iterator[TopologyWorld]:
    """The toy province after the story told in the module's docstring."""
    toy = ToyState(tmp_path)
    clock = toy.clock
    monitor = toy.monitor(terminals_per_county=TERMINALS)
    stores = open_stores(toy.engine)
    metrics = SqliteMetricStore(tmp_path / "metrics.db")
    users = UserDirectory(toy.engine, clock, AuthSettings(), hasher=cheap_hasher())
    trail = AuditTrail(toy.engine, clock)
    for name, grants in GRANTS.items():
        users.create_user(name, PASSWORDS[name], grants=grants, created_by="setup")
    services = ApiServices(
        state=toy.state,
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
            login_limiter=LoginRateLimiter(clock, 1000),
            reviews=AccessReviewStore(toy.engine, clock),
            account_policy_path=None,
        ),
        topology=monitor,
    )
    world = TopologyWorld(toy, monitor, create_app(services), users)
    world.observe()
    world.observe(LIWAN_DOWN, after_s=60)
    world.observe(LIWAN_DOWN, NANHAI_DOWN, after_s=240)
    world.observe(LIWAN_DOWN, NANHAI_DOWN, after_s=485)
    try:
        yield world
    finally:
        metrics.close()
        toy.close()
