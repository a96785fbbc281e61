"""The console against the real API and a real alert pipeline: the toy province of
:mod:`tests.unit.topology.networks` in a real SQLite state DB polled by hand, read by a real
topology monitor, evaluated with the shipped rules and routed by tests/data/alerts/pipeline.yaml
(tests may import the api, alerts and topology packages; the tui package never does).

Everything is fixed — the clock, the polls, the users — so what the console shows can be compared
with approved screenshots. The story, one alert cycle every 10 s:

- 08:00:00 every device answers; gd-dc1-core1's backup fails (warning), gz-core1's configuration
  changes (info), fs-core1 refuses an SNMP request (minor);
- 08:00:10 荔湾区's access switch dies with both its links: its site is cut off at once (critical,
  the root cause); the switch's unreachability and its two county links fold under it;
- 08:01:00 禅城区's primary link goes down (major): the site runs on its backup, folded under it;
- 08:03:00 越秀区's backup link goes down: pending at 08:03:10, now;
- the administrator holds the backup failure ("ssh key rotation tonight").

:meth:`AlertWorld.cycle` runs the next cycle; :meth:`AlertWorld.cut_off_nanhai` makes a new
critical alert (南海区's only link down: cut off at once).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI
from pydantic import SecretStr

from alerts.maintenance import MaintenanceWindow, OneOff
from alerts.model import Alert
from alerts.pipeline import Outgoing
from alerts.routing import Channel
from alerts.service import AlertService
from alerts.service_factory import build_alert_service
from api.app import create_app
from api.deps import ApiServices
from api.security_services import SecurityServices
from core.events import BackupFailed, ConfigChanged, TrapReceived
from core.metrics.sqlite_store import SqliteMetricStore
from core.metrics.store import LatestValue
from core.security.access_review import AccessReviewStore
from core.security.audit_trail import AuditTrail
from core.security.passwords import cheap_hasher
from core.security.permissions import Role
from core.security.principal import Grant
from core.security.rate_limit import LoginRateLimiter
from core.security.users import UserDirectory
from core.settings import AlertSettings, AuthSettings
from tests.unit.alerts.notify.fakes import FakeChannel
from tests.unit.api.scenario import open_stores
from tests.unit.topology.networks import DC1, FS_CORE, GZ_CORE, LIWAN_ACC, NANHAI_ACC
from tests.unit.topology.toy_state import ToyState
from topology.monitor import TopologyMonitor
from tui.app import NocConsole
from tui.client import NocApiClient

CONFIG = Path(__file__).resolve().parents[2] / "data" / "alerts" / "pipeline.yaml"
STEP_S = 10.0
ADMIN = "admin"
ONCALL = "zhao"
"""Guangzhou's on-call engineer (440100): takes and silences alerts there."""
WATCHER = "sun"
"""Sees the whole province (a viewer) and takes alerts of 越秀区 (440104) only."""
TECHNICIAN = "li.tech"
"""A field technician of 荔湾区 (440103) only: sees its alerts, may not take or silence them."""
PASSWORDS = {
    ADMIN: "Harbour-Lights-2026",
    ONCALL: "Night-Shift-Pager-7",
    WATCHER: "Province-Wall-Board-3",
    TECHNICIAN: "Liwan-Terminals-42",
}
GRANTS = {
    ADMIN: (Grant(Role.ADMIN, "440000"),),
    ONCALL: (Grant(Role.ONCALL, "440100"),),
    WATCHER: (Grant(Role.VIEWER, "440000"), Grant(Role.ONCALL, "440104")),
    TECHNICIAN: (Grant(Role.FIELD_TECHNICIAN, "440103"),),
}
BASE_URL = "http://ssnoc.test"
LIWAN_LINKS = ("gz-liwan-primary", "gz-liwan-backup")
HELD_NOTE = "ssh key rotation tonight"
WINDOW = "mw-guangzhou-fibre"
"""Tomorrow's maintenance window over 广州市."""


class NoMetrics:
    """A metric source without series: this story's alerts come from state and events."""

    def latest(self, name: str, matchers: Mapping[str, str] | None = None) -> list[LatestValue]:
        return []


@dataclass
class AlertWorld:
    """The API over the toy province's alert pipeline, with real users."""

    toy: ToyState
    monitor: TopologyMonitor
    service: AlertService
    app: FastAPI
    users: UserDirectory
    down_devices: set[str] = field(default_factory=set)
    down_interfaces: set[tuple[str, str]] = field(default_factory=set)
    outgoing: list[Outgoing] = field(default_factory=list)
    """What the cycles would have sent, until :meth:`deliver` sends it."""

    def client(self) -> NocApiClient:
        """A client with no token: it must log in."""
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=BASE_URL)
        return NocApiClient(http)

    async def logged_in(self, username: str) -> NocApiClient:
        client = self.client()
        await client.login(username, SecretStr(PASSWORDS[username]))
        return client

    def console(self, username: str = ADMIN, **options: object) -> NocConsole:
        """A console logged in as ``username``, whose screens refresh only when told to (the
        alert list included): tests drive the polls."""
        return NocConsole(
            self.client(),
            refresh_interval_s=3600.0,
            username=username,
            password=PASSWORDS[username],
            alert_poll_s=3600.0,
            **options,  # type: ignore[arg-type]
        )

    # --- the network -------------------------------------------------------------------------

    def fail_link(self, link_id: str) -> None:
        """Both ends of ``link_id`` answer, its interfaces are down."""
        link = next(lk for lk in self.toy.inventory.links if lk.id == link_id)
        self.down_interfaces.update((end.device, end.interface) for end in (link.a, link.b))

    def repair_link(self, link_id: str) -> None:
        """Both ends of ``link_id`` up again."""
        link = next(lk for lk in self.toy.inventory.links if lk.id == link_id)
        self.down_interfaces.difference_update(
            (end.device, end.interface) for end in (link.a, link.b)
        )

    def fail_device(self, device_id: str, with_links: Collection[str]) -> None:
        """``device_id`` stops answering; the far ends of ``with_links`` lose carrier."""
        self.down_devices.add(device_id)
        for link_id in with_links:
            link = next(lk for lk in self.toy.inventory.links if lk.id == link_id)
            far = link.b if link.a.device == device_id else link.a
            self.down_interfaces.add((far.device, far.interface))

    def cycle(self, after_s: float = STEP_S) -> None:
        """``after_s`` later: every device polled, the topology refreshed, one alert cycle (its
        messages kept for :meth:`deliver`)."""
        self.toy.clock.advance(after_s)
        self.toy.poll(self.down_devices, self.down_interfaces)
        self.monitor.refresh()
        self.outgoing += self.service.pipeline.step(self.toy.clock.now()).outgoing

    async def deliver(self) -> None:
        """Send what the cycles said to send (to the fake channels), into the notification log."""
        for item in self.outgoing:
            await self.service.queue.submit(item.channel, item.message)
        self.outgoing.clear()
        await self.service.queue.tick()

    def cut_off_nanhai(self) -> Alert:
        """南海区's only link goes down; the next cycle fires its site-isolated alert."""
        self.fail_link("fs-nanhai-primary")
        self.cycle()
        return self.alert("site-isolated", device=NANHAI_ACC)

    def alert(self, rule: str, **labels: str) -> Alert:
        """The one alert of ``rule`` carrying ``labels``."""
        (found,) = self.service.alerts(labels={"alertname": rule, **labels})
        return found


def _alert_service(toy: ToyState, monitor: TopologyMonitor) -> AlertService:
    def channel(name: str, _spec: Channel) -> FakeChannel:
        return FakeChannel(name, toy.clock)

    return build_alert_service(
        AlertSettings(alerting_config_path=CONFIG),
        inventory=toy.inventory,
        db=toy.engine,
        state=toy.state,
        topology=monitor,
        metrics=NoMetrics(),
        clock=toy.clock,
        bus=toy.bus,
        channel_factory=channel,
        rand=lambda: 0.5,
    )


def _events_at_eight(world: AlertWorld) -> None:
    now, bus = world.toy.clock.now(), world.toy.bus
    bus.publish(BackupFailed(at=now, device_id=DC1, reason="ssh: timed out"))
    bus.publish(
        ConfigChanged(at=now, device_id=GZ_CORE, version_id=3, lines_added=2, lines_removed=1)
    )
    bus.publish(
        TrapReceived(
            at=now,
            source_address="127.0.0.5",
            device_id=FS_CORE,
            kind="authenticationFailure",
            trap_oid="1.3.6.1.6.3.1.1.5.5",
            varbinds=(),
            version="v2c",
        )
    )


@contextmanager
def open_world(tmp_path: Path) -> Iterator[AlertWorld]:
    """The toy province after the story told in the module's docstring."""
    toy = ToyState(tmp_path)
    clock = toy.clock
    monitor = toy.monitor()
    service = _alert_service(toy, monitor)
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
        alerts=service,
    )
    world = AlertWorld(toy, monitor, service, create_app(services), users)
    world.cycle(after_s=0)
    _events_at_eight(world)
    world.fail_device(LIWAN_ACC, LIWAN_LINKS)
    for _ in range(6):
        world.cycle()
    world.fail_link("fs-chancheng-primary")
    for _ in range(12):
        world.cycle()
    world.fail_link("gz-yuexiu-backup")
    world.cycle()
    backup = world.alert("backup-failed", device=DC1)
    service.acknowledge(backup.fingerprint, by=ADMIN, note=HELD_NOTE)
    tomorrow = clock.now() + timedelta(days=1)
    service.add_maintenance_window(
        MaintenanceWindow(
            id=WINDOW,
            schedule=OneOff(tomorrow, tomorrow + timedelta(hours=2)),
            regions=frozenset({"440100"}),
            created_by=ADMIN,
            comment="fibre splicing on the Guangzhou ring",
        )
    )
    try:
        yield world
    finally:
        metrics.close()
        toy.close()
