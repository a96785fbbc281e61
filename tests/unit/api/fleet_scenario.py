"""The API over a real card-terminal fleet (a migrated tmp SQLite state DB), reached in-process.

Three counties in two cities: Liwan 440103 and Yuexiu 440104 in Guangzhou 440100, Nanshan 440305
in Shenzhen 440300. Callers are fixed tokens (their names) for principals of several roles and
scopes; the audit trail is a :class:`FakeAuditSink`. Used by the terminal, heartbeat, fleet and
rollout route tests, and (:func:`fill_matrix_fleet`) by the permission matrix.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.deps import ApiServices
from card_fleet.model import TerminalKind, TerminalState
from card_fleet.rollouts import RolloutComponent, RolloutPlan, WaveSpec
from card_fleet.service import FleetService
from core.clock import FakeClock
from core.security.audit_trail import AuditEvent
from core.security.permissions import Role
from core.security.principal import Grant, Principal
from core.settings import FleetSettings
from core.state.repository import StateRepository
from tests.unit.api.auth_fakes import FakeAuditSink, FakeAuthenticator
from tests.unit.api.fakes import FakeMetricStore
from tests.unit.api.scenario import open_stores, services
from tests.unit.api.security_scenario import SecurityWorld, open_world
from tests.unit.card_fleet.registry_scenarios import T0, engine_on_a_copy, migrated_template

REGIONS = {"440103": "440100", "440104": "440100", "440305": "440300"}
"""County → city, as the fleet is given it."""
SILENT_AFTER_S = 300
BEAT: dict[str, Any] = {
    "reader_present": True,
    "card_reads": 12,
    "card_read_failures": 1,
    "psam_status": "ok",
    "firmware_version": "3.2.1",
    "parameter_version": "P2026.03",
    "blacklist_version": "B20260301",
    "uptime_s": 3600,
    "free_storage_mb": 900,
    "unsent_transactions": 0,
}
ACCEPTANCE: dict[str, Any] = {
    "card_id_region": "440100",
    "spec_version": "3.00",
    "checked_at": "2026-03-01T08:00:00Z",
    "atr": "3B6800000073C84013009000",
    "card_expires_on": "2030-12-31",
}


def _principal(user_id: int, name: str, role: Role, scope: str) -> Principal:
    return Principal(user_id=user_id, name=name, grants=(Grant(role, scope),))


PRINCIPALS = {
    p.name: p
    for p in (
        _principal(1, "admin", Role.ADMIN, "440000"),
        _principal(2, "liwan_tech", Role.FIELD_TECHNICIAN, "440103"),
        _principal(3, "yuexiu_tech", Role.FIELD_TECHNICIAN, "440104"),
        _principal(4, "gz_engineer", Role.NETWORK_ENGINEER, "440100"),
        _principal(5, "gz_tech", Role.FIELD_TECHNICIAN, "440100"),
        _principal(6, "security", Role.SECURITY_OFFICER, "440000"),
        _principal(7, "guest", Role.VIEWER, "440000"),
    )
}
"""Callers by name; a caller's token is its name."""


@dataclass
class FleetApi:
    """An API client asking as one of :data:`PRINCIPALS` (or as a terminal), and what was
    audited."""

    http: httpx.AsyncClient
    fleet: FleetService
    clock: FakeClock
    audit: FakeAuditSink
    services: ApiServices
    psam_numbers: Iterator[int] = field(default_factory=lambda: iter(range(1, 10_000)))

    async def call(
        self,
        method: str,
        path: str,
        who: str = "admin",
        body: Any = None,
        *,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """As ``who``: ``body`` as JSON, or ``content`` as is (with its ``headers``)."""
        sent = {"Authorization": f"Bearer {who}", **(headers or {})}
        return await self.http.request(
            method, f"/api/v1{path}", json=body, content=content, headers=sent
        )

    async def ok(self, method: str, path: str, who: str = "admin", body: Any = None) -> Any:
        response = await self.call(method, path, who, body)
        assert response.status_code in (200, 201), response.text
        return response.json()

    async def beat(self, token: str, body: Any = None, **changes: Any) -> httpx.Response:
        """One heartbeat with ``token`` (``body`` as given, else :data:`BEAT` with changes)."""
        sent = body if body is not None else {**BEAT, **changes}
        return await self.http.post(
            "/api/v1/terminals/heartbeat",
            json=sent,
            headers={"Authorization": f"Bearer {token}"},
        )

    async def register(self, serial: str, county: str = "440103", who: str = "admin") -> str:
        body = {"serial": serial, "model": "YT-K9", "kind": "kiosk", "site": "一楼大厅"}
        created = await self.ok("POST", "/terminals", who, {**body, "county": county})
        return str(created["id"])

    def next_psam(self) -> str:
        return f"44010{next(self.psam_numbers):07d}"

    async def provision(self, terminal_id: str, who: str = "admin") -> str:
        """Bind a fresh PSAM through the API; the credential."""
        body = {"psam_terminal_number": self.next_psam(), "acceptance": ACCEPTANCE}
        answer = await self.ok("POST", f"/terminals/{terminal_id}/provision", who, body)
        return str(answer["credential"])

    async def active(self, serial: str, county: str = "440103") -> tuple[str, str]:
        """A terminal registered, provisioned and beaten once (active after the flush):
        (id, credential)."""
        terminal_id = await self.register(serial, county)
        token = await self.provision(terminal_id)
        assert (await self.beat(token)).status_code == 200
        self.fleet.flush()
        return terminal_id, token

    def audited(self, action: str) -> list[AuditEvent]:
        return [event for event in self.audit.events if event.action == action]


def fleet_service(template: Path, folder: Path, clock: FakeClock) -> FleetService:
    """A fleet over a fresh copy of the migrated ``template``."""
    engine = engine_on_a_copy(template, folder)
    settings = FleetSettings(silent_after_s=SILENT_AFTER_S)
    return FleetService(engine, FakeMetricStore(), REGIONS, clock, settings)


@asynccontextmanager
async def fleet_api(
    tmp_path: Path, template: Path, *, with_fleet: bool = True
) -> AsyncIterator[FleetApi]:
    """The API over a fleet with no terminals yet; ``with_fleet=False``: a server keeping none."""
    clock = FakeClock(T0)
    fleet = fleet_service(template, tmp_path, clock)
    try:
        audit = FakeAuditSink()
        base = services(
            StateRepository(fleet.engine),
            FakeMetricStore(),
            open_stores(fleet.engine),
            audit=audit,
            auth=FakeAuthenticator(dict(PRINCIPALS)),
        )
        api: ApiServices = dataclasses.replace(
            base, clock=clock, fleet=fleet if with_fleet else None
        )
        transport = httpx.ASGITransport(app=create_app(api))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield FleetApi(http, fleet, clock, audit, api)
    finally:
        fleet.engine.dispose()


def template_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Body of each test module's module-scoped template fixture (migrating once per module)."""
    return migrated_template(tmp_path_factory.mktemp("fleet-template"))


# --- the permission matrix's fleet -----------------------------------------------------------

MATRIX_COUNTY = {"440000": "440305", "440100": "440104", "440103": "440103"}
"""The matrix's region of an object → the county its terminals and rollout lie in: in scope of
the region (a province, city or county scope), outside the scopes the matrix asks out of."""


@dataclass(frozen=True)
class MatrixFleet:
    """Objects of the matrix by region: a registered terminal for the routes to act on, a
    provisioned one whose PSAM the by-psam lookup finds, a draft rollout."""

    terminal_of: dict[str, str]
    psam_of: dict[str, str]
    rollout_of: dict[str, str]


def fill_matrix_fleet(fleet: FleetService) -> MatrixFleet:
    terminal_of, psam_of, rollout_of = {}, {}, {}
    now = fleet.clock.now()
    for number, (region, county) in enumerate(sorted(MATRIX_COUNTY.items()), start=1):
        subject, witness = (
            fleet.registry.register(
                serial=f"MATRIX-{county}-{which}",
                model="YT-K9",
                kind=TerminalKind.KIOSK,
                site="matrix",
                county=county,
                by="test",
                now=now,
            )
            for which in ("subject", "witness")
        )
        psam = f"44990000{number:04d}"
        fleet.registry.bind_and_issue(witness.id, psam, by="test", now=now)
        assert fleet.registry.get(witness.id).state is TerminalState.PROVISIONED
        plan = RolloutPlan(
            RolloutComponent.FIRMWARE,
            "9.9.9",
            regions=frozenset({county}),
            pilot_size=1,
            waves=(WaveSpec(100.0),),
        )
        terminal_of[region] = subject.id
        psam_of[region] = psam
        rollout_of[region] = fleet.rollouts.create(plan, "test", now).id
    return MatrixFleet(terminal_of, psam_of, rollout_of)


@contextmanager
def open_matrix_world(
    tmp_path: Path, template: Path
) -> Iterator[tuple[SecurityWorld, MatrixFleet]]:
    """The security world, serving a card fleet (on a state DB of its own) with the matrix's
    objects."""
    with open_world(tmp_path) as world:
        folder = tmp_path / "fleet"
        folder.mkdir()
        fleet = fleet_service(template, folder, world.clock)
        try:
            world.services = dataclasses.replace(world.services, fleet=fleet)
            yield world, fill_matrix_fleet(fleet)
        finally:
            fleet.engine.dispose()


FLEET_BODIES: dict[tuple[str, str], dict[str, Any] | str | None] = {
    ("POST", "/api/v1/terminals/heartbeat"): BEAT,
    ("POST", "/api/v1/terminals"): {
        "serial": "MATRIX-NEW",
        "model": "YT-K9",
        "kind": "counter",
        "site": "matrix",
        "county": "440103",
    },
    ("POST", "/api/v1/terminals/import"): (
        "serial,model,kind,site,county\r\nMATRIX-CSV,YT-K9,kiosk,matrix,440103\r\n"
    ),
    ("POST", "/api/v1/terminals/{terminal_id}/provision"): {
        "psam_terminal_number": "449911110001",
        "acceptance": ACCEPTANCE,
    },
    ("POST", "/api/v1/terminals/{terminal_id}/credential"): None,
    ("POST", "/api/v1/terminals/{terminal_id}/suspend"): {"reason": "matrix"},
    ("POST", "/api/v1/terminals/{terminal_id}/resume"): {"reason": "matrix"},
    ("POST", "/api/v1/terminals/{terminal_id}/lost"): {"reason": "matrix"},
    ("POST", "/api/v1/terminals/{terminal_id}/retire"): {"reason": "matrix"},
    ("POST", "/api/v1/terminals/{terminal_id}/release-psam"): {"reason": "matrix"},
    ("POST", "/api/v1/rollouts"): {
        "component": "parameter",
        "target_version": "P-MATRIX",
        "regions": ["440103"],
        "pilot_size": 1,
    },
    ("POST", "/api/v1/rollouts/{rollout_id}/start"): None,
    ("POST", "/api/v1/rollouts/{rollout_id}/pause"): {"reason": "matrix"},
    ("POST", "/api/v1/rollouts/{rollout_id}/resume"): {"reason": "matrix"},
    ("POST", "/api/v1/rollouts/{rollout_id}/rollback"): {"reason": "matrix"},
}
"""The matrix's example requests of the fleet's state-changing routes (a string: a CSV file)."""
