"""The console against the real API and a real card-terminal fleet: the toy province of
:mod:`tests.unit.topology.networks` in a migrated SQLite state DB, a real
:class:`~card_fleet.service.FleetService` fed real heartbeats, real users and a real audit trail
(tests may import the api and card_fleet packages; the tui package reaches the fleet only
through the API, and card_fleet only for the provisioning station).

Everything is fixed — the clock, the terminals, their heartbeats, the users — so every figure a
screen shows can be stated. The story, at 08:00 and ten minutes later:

- 荔湾区 (440103): eight active terminals, all online (100 %, green). T440103-0007 fails a quarter
  of its reads (an outlier); T440103-0008 still runs firmware 3.2.0 (drift). T440103-0009 and
  -0010 are registered, waiting to be provisioned; T440103-0011 was stolen (lost, PSAM bound).
- 越秀区 (440104): five active, T440104-0005 silent since 08:00 (4/5 online: 80 %, yellow);
  T440104-0004's PSAM is missing.
- 禅城区 (440604): four active, -0003 and -0004 silent (2/4: 50 %, red).
- 广州市 therefore 12/13 online (92.3 %, yellow), 佛山市 2/4 (red).
- RO-0001 moves 广州市's firmware to 3.3.0 (pilot of 2, then 50 %, 100 %): running, pilot open.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from fastapi import FastAPI
from pydantic import SecretStr

from api.app import create_app
from api.deps import ApiServices
from api.security_services import SecurityServices
from card_fleet.model import TerminalKind, TerminalState
from card_fleet.rollouts import RolloutComponent, RolloutPlan, WaveSpec
from card_fleet.service import FleetService
from core.metrics.sqlite_store import SqliteMetricStore
from core.security.access_review import AccessReviewStore
from core.security.audit_trail import AuditTrail
from core.security.passwords import cheap_hasher
from core.security.permissions import Role
from core.security.principal import Grant
from core.security.rate_limit import LoginRateLimiter
from core.security.users import UserDirectory
from core.settings import AuthSettings, FleetSettings
from tests.unit.api.scenario import open_stores
from tests.unit.topology.toy_state import ToyState
from tui.app import NocConsole
from tui.client import NocApiClient

ADMIN = "admin"
TECHNICIAN = "li.tech"
"""A field technician of 荔湾区 (440103) only: provisions and changes its terminals."""
OFFICER = "wang.sec"
"""The province's security officer: releases lost terminals' PSAMs, changes nothing else."""
ENGINEER = "chen.net"
"""A network engineer of 广州市 (440100): manages its rollouts."""
VIEWER = "sun"
"""Sees the whole province, changes nothing."""
PASSWORDS = {
    ADMIN: "Harbour-Lights-2026",
    TECHNICIAN: "Liwan-Terminals-42",
    OFFICER: "Quiet-Ledger-9911",
    ENGINEER: "Ring-Of-Fibre-440",
    VIEWER: "Province-Wall-Board-3",
}
GRANTS = {
    ADMIN: (Grant(Role.ADMIN, "440000"),),
    TECHNICIAN: (Grant(Role.FIELD_TECHNICIAN, "440103"),),
    OFFICER: (Grant(Role.SECURITY_OFFICER, "440000"),),
    ENGINEER: (Grant(Role.NETWORK_ENGINEER, "440100"),),
    VIEWER: (Grant(Role.VIEWER, "440000"),),
}
BASE_URL = "http://ssnoc.test"
LIWAN, YUEXIU, CHANCHENG, NANHAI = "440103", "440104", "440604", "440605"
GUANGZHOU, FOSHAN = "440100", "440600"
COUNTIES = {LIWAN: GUANGZHOU, YUEXIU: GUANGZHOU, CHANCHENG: FOSHAN, NANHAI: FOSHAN}
ACTIVE = {LIWAN: 8, YUEXIU: 5, CHANCHENG: 4}
SILENT = {"T440104-0005", "T440604-0003", "T440604-0004"}
OUTLIER = "T440103-0007"
DRIFTING = "T440103-0008"
PSAM_MISSING = "T440104-0004"
REGISTERED = ("T440103-0009", "T440103-0010")
LOST = "T440103-0011"
ROLLOUT = "RO-0001"
FIRMWARE, OLD_FIRMWARE, PARAMETERS = "3.2.1", "3.2.0", "P2026.03"


def psam_of(terminal_id: str) -> str:
    """The PSAM terminal number bound to a seeded terminal: ``T440103-0007`` → 440103000007."""
    county, number = terminal_id[1:].split("-")
    return f"{county}{int(number):06d}"


def beat(terminal_id: str) -> dict[str, object]:
    """What a seeded terminal reports in each heartbeat."""
    reads, failures = (15, 5) if terminal_id == OUTLIER else (20, 0)
    return {
        "reader_present": True,
        "card_reads": reads,
        "card_read_failures": failures,
        "psam_status": "missing" if terminal_id == PSAM_MISSING else "ok",
        "firmware_version": OLD_FIRMWARE if terminal_id == DRIFTING else FIRMWARE,
        "parameter_version": PARAMETERS,
        "blacklist_version": "B20260301",
        "uptime_s": 86_400,
        "free_storage_mb": 900,
        "unsent_transactions": 0,
    }


@dataclass
class FleetWorld:
    """The API over a real fleet, with handles on it for setting up and checking."""

    toy: ToyState
    fleet: FleetService
    app: FastAPI
    trail: AuditTrail
    tokens: dict[str, str] = field(default_factory=dict)
    """Each active terminal's credential, by terminal id."""

    def client(self) -> NocApiClient:
        """A client with no token: it must log in."""
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=BASE_URL)
        return NocApiClient(http)

    async def logged_in(self, username: str) -> NocApiClient:
        client = self.client()
        await client.login(username, SecretStr(PASSWORDS[username]))
        return client

    def console(self, username: str = ADMIN, **options: object) -> NocConsole:
        """A console logged in as ``username`` whose screens refresh only when told to."""
        return NocConsole(
            self.client(),
            refresh_interval_s=3600.0,
            username=username,
            password=PASSWORDS[username],
            alert_poll_s=3600.0,
            **options,  # type: ignore[arg-type]
        )

    def beat_all(self, except_for: set[str] | frozenset[str] = frozenset()) -> None:
        """Every active terminal beats now (but ``except_for``), then the beats are written."""
        for terminal_id, token in self.tokens.items():
            if terminal_id not in except_for:
                self.fleet.heartbeat(token, beat(terminal_id))
        self.fleet.flush()

    def state_of(self, terminal_id: str) -> TerminalState:
        return self.fleet.registry.get(terminal_id).state


def _register(fleet: FleetService, terminal_id: str, now_world: ToyState) -> None:
    county = terminal_id[1:7]
    fleet.registry.register(
        serial=f"SN-{terminal_id}",
        model="YT-K9",
        kind=TerminalKind.PHARMACY if terminal_id.endswith("3") else TerminalKind.KIOSK,
        site=f"site {terminal_id[-2:]} of {county}",
        county=county,
        by="setup",
        now=now_world.clock.now(),
        terminal_id=terminal_id,
        firmware_version=FIRMWARE,
        parameter_version=PARAMETERS,
    )


def _seed(world: FleetWorld) -> None:
    fleet, toy = world.fleet, world.toy
    now = toy.clock.now()
    for county, count in ACTIVE.items():
        for number in range(1, count + 1):
            terminal_id = f"T{county}-{number:04d}"
            _register(fleet, terminal_id, toy)
            token = fleet.registry.bind_and_issue(
                terminal_id, psam_of(terminal_id), by="setup", now=now
            )
            world.tokens[terminal_id] = token
    for terminal_id in (*REGISTERED, LOST):
        _register(fleet, terminal_id, toy)
    fleet.registry.bind_and_issue(LOST, psam_of(LOST), by="setup", now=now)
    fleet.registry.move(LOST, TerminalState.LOST, by=ADMIN, reason="stolen from the lobby", now=now)
    world.beat_all()
    toy.clock.advance(600)
    world.beat_all(except_for=SILENT)
    plan = RolloutPlan(
        component=RolloutComponent.FIRMWARE,
        target_version="3.3.0",
        previous_version=FIRMWARE,
        regions=frozenset({GUANGZHOU}),
        pilot_size=2,
        waves=(WaveSpec(50.0), WaveSpec(100.0)),
    )
    rollout = fleet.rollouts.create(plan, ADMIN, toy.clock.now())
    fleet.rollouts.start(rollout.id, ADMIN, toy.clock.now())
    fleet.compute_health()


@contextmanager
def open_world(tmp_path: Path) -> Iterator[FleetWorld]:
    """The toy province's fleet after the story told in the module's docstring."""
    toy = ToyState(tmp_path)
    clock = toy.clock
    metrics = SqliteMetricStore(tmp_path / "metrics.db")
    users = UserDirectory(toy.engine, clock, AuthSettings(), hasher=cheap_hasher())
    trail = AuditTrail(toy.engine, clock)
    for name, grants in GRANTS.items():
        users.create_user(name, PASSWORDS[name], grants=grants, created_by="setup")
    fleet = FleetService(
        toy.engine, metrics, dict(COUNTIES), clock, FleetSettings(silent_after_s=300)
    )
    stores = open_stores(toy.engine)
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
        fleet=fleet,
    )
    world = FleetWorld(toy, fleet, create_app(services), trail)
    _seed(world)
    try:
        yield world
    finally:
        metrics.close()
        toy.close()
