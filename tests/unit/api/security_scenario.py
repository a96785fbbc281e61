"""The API with real users, a real audit trail and real reports over the small scenario.

Used by the permission matrix and the user, audit, report and alert route tests: the user
directory (argon2 with cheap parameters), the hash-chained trail, the review store and the alert
pipeline all write to the same tmp SQLite state DB as the inventory and the SSH stores.

The alert pipeline runs the shipped rules with :data:`ALERTING` (one webhook receiver, alerts
grouped by name and region, a schedule per region) and fake channels. At the start every device
failed its configuration backup, so each has a firing ``backup-failed`` alert; each region has a
silence and a maintenance window that mute nothing (for the matrix's in- and out-of-scope objects).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from alerts.maintenance import MaintenanceWindow, OneOff
from alerts.pipeline import CycleReport
from alerts.routing import Channel
from alerts.service import AlertService
from alerts.service_factory import build_alert_service
from api.deps import ApiServices
from api.security_services import SecurityServices
from core.clock import FakeClock
from core.events import BackupFailed, EventBus
from core.inventory import load_inventory
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
from core.state.repository import StateRepository
from tests.unit.alerts.notify.fakes import FakeChannel
from tests.unit.api.scenario import DATA, NOW, fill_metrics, open_state, open_stores
from tests.unit.api.ssh_scenario import fill_ssh_state
from topology.monitor import TopologyMonitor

VICTIM_PASSWORD = "Quiet-Harbour-42!"
POLICY = Path(__file__).parent.parent.parent / "data" / "account_policy_small.yaml"
REGIONS = ("440000", "440100", "440103", "440104")
"""Regions with a schedule, a silence and a maintenance window each."""
ALERTING = """
receivers:
  - name: noc
    channels:
      - {kind: webhook, target: "https://noc.example.org/hooks/alerts"}
  - {name: sun, channels: [{kind: sms, target: "+8613800000001"}]}
  - {name: wang, channels: [{kind: sms, target: "+8613800000002"}]}
  - {name: li, channels: [{kind: sms, target: "+8613800000003"}]}
  - {name: victim, channels: [{kind: sms, target: "+8613800000004"}]}
route:
  receiver: noc
  group_by: [alertname, region]
  group_wait: 30s
  group_interval: 1m
  repeat_interval: 4h
  escalation: network
schedules:
  - name: oncall-440000
    team: duty
    region: "440000"
    rotation: {users: [sun], start: 2026-02-02, handoff: "08:30", period: daily,
               timezone: Asia/Shanghai}
  - name: oncall-440100
    team: network
    region: "440100"
    rotation: {users: [wang, li], start: 2026-02-02, handoff: "09:00", period: weekly,
               timezone: Asia/Shanghai}
  - name: oncall-440103
    team: network
    region: "440103"
    rotation: {users: [victim], start: 2026-02-02, handoff: "09:00", period: weekly,
               timezone: Asia/Shanghai}
  - name: oncall-440104
    team: network
    region: "440104"
    rotation: {users: [li], start: 2026-02-02, handoff: "09:00", period: weekly,
               timezone: Asia/Shanghai}
escalation_policies:
  - name: network
    steps:
      - targets: [{on_call: county, team: network}]
        escalate_after: 15m
      - targets: [{schedule: oncall-440000}]
        escalate_after: 15m
"""


class NoMetrics:
    """A metric source without series: the world's alerts come from state and events."""

    def latest(self, name: str, matchers: Mapping[str, str] | None = None) -> list[LatestValue]:
        return []


@dataclass
class AlertWorld:
    """The alert pipeline of the world, with what the matrix needs of it."""

    service: AlertService
    monitor: TopologyMonitor
    clock: FakeClock
    channels: dict[str, FakeChannel] = field(default_factory=dict)
    alert_of: dict[str, str] = field(default_factory=dict)
    """Device id → fingerprint of its backup-failed alert."""
    silence_of: dict[str, str] = field(default_factory=dict)
    """Region code → id of its silence (``{region="<code>", alertname="planned-work"}``)."""

    def step(self) -> CycleReport:
        """One alert cycle at the clock's now; its messages are not sent (see :meth:`cycle`)."""
        self.monitor.refresh()
        return self.service.pipeline.step(self.clock.now())

    async def cycle(self, advance_s: float = 0.0) -> CycleReport:
        """Advance the clock, one alert cycle, and deliver what it says to the fake channels.

        The service's own ``cycle`` is not used: its first call primes the dispatcher as after a
        restart, and this world was stepped before (synchronously, while it was built)."""
        self.clock.advance(advance_s)
        report = self.step()
        for item in report.outgoing:
            await self.service.queue.submit(item.channel, item.message)
        await self.service.queue.tick()
        return report


def window_id(region: str) -> str:
    return f"mw-{region}"


def schedule_name(region: str) -> str:
    return f"oncall-{region}"


def open_alerts(
    tmp_path: Path,
    engine: Engine,
    state: StateRepository,
    clock: FakeClock,
    monitor: TopologyMonitor,
    bus: EventBus,
) -> AlertWorld:
    """The alert service of ``monitor``'s inventory over ``engine``, fed by ``bus`` (where the
    monitor publishes), stepped once (see the module docstring for what it holds)."""
    config = tmp_path / "alerting.yaml"
    config.write_text(ALERTING, encoding="utf-8")
    inventory = monitor.inventory
    channels: dict[str, FakeChannel] = {}

    def channel(name: str, _spec: Channel) -> FakeChannel:
        made = channels[name] = FakeChannel(name, clock)
        return made

    service = build_alert_service(
        AlertSettings(alerting_config_path=config),
        inventory=inventory,
        db=engine,
        state=state,
        topology=monitor,
        metrics=NoMetrics(),
        clock=clock,
        bus=bus,
        channel_factory=channel,
        rand=lambda: 0.5,
    )
    world = AlertWorld(service, monitor, clock, channels)
    for device in sorted(state.device_regions()):
        bus.publish(BackupFailed(at=clock.now(), device_id=device, reason="ssh: timed out"))
    world.step()
    for alert in service.alerts(labels={"alertname": "backup-failed"}):
        world.alert_of[alert.labels["device"]] = alert.fingerprint
    now = clock.now()
    for code in REGIONS:
        silence = service.create_silence(
            f'{{region="{code}", alertname="planned-work"}}',
            created_by="test",
            comment=f"nothing of {code}",
            ends_at=now + timedelta(hours=2),
        )
        world.silence_of[code] = silence.id
        service.add_maintenance_window(
            MaintenanceWindow(
                id=window_id(code),
                schedule=OneOff(now + timedelta(days=1), now + timedelta(days=1, hours=1)),
                regions=frozenset({code}),
                created_by="test",
                comment=f"tomorrow in {code}",
            )
        )
    return world


@dataclass
class SecurityWorld:
    services: ApiServices
    users: UserDirectory
    trail: AuditTrail
    clock: FakeClock
    region_of: dict[str, str]
    victim_token_id: int
    alerts: AlertWorld


@contextmanager
def open_world(tmp_path: Path, *, logins_per_minute: int = 10_000) -> Iterator[SecurityWorld]:
    """Everything real but the clock and the alert channels; a user ``victim`` (viewer and
    on-call of Liwan) with an API token, for routes that act on another user."""
    engine, state = open_state(tmp_path)
    stores = fill_ssh_state(open_stores(engine))
    metrics = SqliteMetricStore(tmp_path / "metrics.db")
    fill_metrics(metrics)
    clock = FakeClock(NOW)
    users = UserDirectory(engine, clock, AuthSettings(), hasher=cheap_hasher(), cache_ttl_s=0)
    trail = AuditTrail(engine, clock)
    users.create_user(
        "victim",
        VICTIM_PASSWORD,
        # Two grants: the matrix revokes the first, and the user must stay in Liwan's scope.
        grants=(Grant(Role.VIEWER, "440103"), Grant(Role.ONCALL, "440103")),
        created_by="test",
    )
    _, token = users.create_api_token("victim", "scripts", days=30, by="test")
    # The small inventory's topology, over the same state DB (its polls put Liwan down).
    bus = EventBus()
    monitor = TopologyMonitor(
        load_inventory(DATA / "small_inventory.yaml"), engine, state, clock, bus
    )
    alerts = open_alerts(tmp_path, engine, state, clock, monitor, bus)
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
            account_policy_path=POLICY if POLICY.exists() else None,
        ),
        topology=monitor,
        alerts=alerts.service,
    )
    try:
        yield SecurityWorld(
            services=services,
            users=users,
            trail=trail,
            clock=clock,
            region_of=state.device_regions(),
            victim_token_id=token.id,
            alerts=alerts,
        )
    finally:
        metrics.close()
        engine.dispose()
