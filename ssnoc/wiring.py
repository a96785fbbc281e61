"""The composition root: settings → stores → collectors → API, assembled in one place.

Nothing below this package constructs its own dependencies; everything is handed in here. The
console and the server are both built from :class:`Noc`, so an embedded console (in-process API)
and a deployed one (API over HTTP) run the same code.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from collectors.snmp.readings import PollTarget
from collectors.snmp.transport import SnmpTarget, SnmpTransport
from collectors.ssh.target import SshTarget
from core.clock import Clock, SystemClock
from core.credentials import Credentials
from core.errors import ConfigError, CredentialError, NocError
from core.events import Event, EventBus, LinkFailedOver, SiteIsolated, SiteRestored
from core.inventory import load_inventory
from core.metrics.sqlite_store import SqliteMetricStore
from core.metrics.store import MetricStore
from core.model import Device, Inventory, Platform, RegionLevel
from core.security.audit_trail import AuditEvent, AuditOutcome, AuditTrail
from core.security.scope import is_region_code
from core.security.users import UserDirectory
from core.security.vault import load_device_credentials
from core.settings import Settings
from core.state.accounts import AccountRepository
from core.state.configs import ConfigRepository
from core.state.db import migrate_to_head, open_state_engine
from core.state.host_keys import HostKeyStore
from core.state.neighbours import NeighbourRepository
from core.state.repository import StateRepository
from core.state.ssh_facts import SshFactsRepository

if TYPE_CHECKING:
    from alerts.service import AlertService
    from api.deps import AuditSink
    from card_fleet.service import FleetService
    from collectors.ssh.service import SshStores
    from topology.monitor import TopologyMonitor

log = logging.getLogger(__name__)

SYSTEM_ACTOR = "system"
"""Who the audit trail names for what the NOC itself observed (a site failing over)."""


@dataclass
class Noc:
    """The assembled stores and services of one process."""

    settings: Settings
    clock: Clock
    engine: Engine
    state: StateRepository
    metrics: MetricStore
    events: EventBus = field(default_factory=EventBus)

    @cached_property
    def ssh_stores(self) -> SshStores:
        # Imported here: the SSH collectors (netmiko, paramiko) take most of a second to load,
        # and commands that never touch SSH should not pay for it.
        from collectors.ssh.service import SshStores

        return SshStores(
            facts=SshFactsRepository(self.engine),
            accounts=AccountRepository(self.engine),
            configs=ConfigRepository(self.engine, self.clock),
            host_keys=HostKeyStore(self.engine, self.clock),
            metrics=self.metrics,
            neighbours=NeighbourRepository(self.engine),
        )

    @cached_property
    def users(self) -> UserDirectory:
        return UserDirectory(self.engine, self.clock, self.settings.auth)

    @cached_property
    def audit_trail(self) -> AuditTrail:
        return AuditTrail(self.engine, self.clock)

    def close(self) -> None:
        self.metrics.close()
        self.engine.dispose()


def open_noc(settings: Settings, clock: Clock | None = None) -> Noc:
    """Open (and migrate) the state DB and the metric store named by ``settings``."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = open_state_engine(settings.resolved_state_db_url)
    migrate_to_head(engine)
    metrics = SqliteMetricStore(settings.resolved_metric_db_path, settings.retention)
    return Noc(
        settings=settings,
        clock=clock or SystemClock(),
        engine=engine,
        state=StateRepository(engine),
        metrics=metrics,
    )


@dataclass(frozen=True)
class LoadedInventory:
    inventory: Inventory
    credentials: Credentials
    targets: list[PollTarget]
    skipped: dict[str, str]
    """Devices that cannot be polled, and why (e.g. a credential that does not exist)."""
    ssh_targets: list[SshTarget] = field(default_factory=list)
    ssh_skipped: dict[str, str] = field(default_factory=dict)


def read_inventory(settings: Settings, inventory_path: Path | None = None) -> Inventory:
    """The inventory of ``inventory_path``, else the one the settings name."""
    path = inventory_path or settings.resolved_inventory_path
    if not path.exists() and inventory_path is None and settings.inventory_path is None:
        raise ConfigError(
            f"no inventory at {path}: run `ssnoc lab up` for the simulated province, "
            "or set inventory_path in ssnoc.toml (or SSNOC_INVENTORY_PATH) for a real network"
        )
    return load_inventory(path)


def load_network(settings: Settings, inventory_path: Path | None = None) -> LoadedInventory:
    """Read the inventory and the credentials and turn them into poll targets."""
    inventory = read_inventory(settings, inventory_path)
    # Device secrets come from the encrypted vault; a plaintext credentials file is read only
    # while the vault is empty (with a warning to import it).
    engine = open_state_engine(settings.resolved_state_db_url)
    try:
        migrate_to_head(engine)
        credentials = load_device_credentials(
            engine, settings.resolved_vault_key_path, settings.resolved_credentials_path
        )
    finally:
        engine.dispose()
    targets, skipped = poll_targets(inventory, credentials, settings)
    ssh, ssh_skipped = ssh_targets(inventory, credentials, settings)
    return LoadedInventory(inventory, credentials, targets, skipped, ssh, ssh_skipped)


def poll_targets(
    inventory: Inventory, credentials: Credentials, settings: Settings
) -> tuple[list[PollTarget], dict[str, str]]:
    """One target per device with SNMP access; a device whose credential is missing is skipped
    with its reason, and the rest are polled."""
    sites = inventory.site_by_id()
    targets: list[PollTarget] = []
    skipped: dict[str, str] = {}
    poll = settings.poll
    for device in inventory.devices:
        if device.snmp is None:
            continue
        try:
            credential = credentials.snmp(device.snmp.credential)
        except CredentialError as exc:
            skipped[device.id] = str(exc)
            continue
        snmp = SnmpTarget(
            host=str(device.address),
            port=device.snmp.port,
            credential=credential,
            timeout_s=device.snmp.timeout_s or poll.timeout_s,
            retries=device.snmp.retries if device.snmp.retries is not None else poll.retries,
            name=device.id,
        )
        targets.append(
            PollTarget(
                device_id=device.id,
                region=sites[device.site].region,
                platform=device.platform,
                snmp=snmp,
                interval_s=device.snmp.interval_s or poll.interval_s,
            )
        )
    return targets, skipped


def ssh_target(
    device: Device,
    credentials: Credentials,
    settings: Settings,
    *,
    timeout_s: float | None = None,
    units: tuple[str, ...] | None = None,
) -> SshTarget:
    """The SSH target of an inventory device."""
    if device.ssh is None:
        raise ConfigError(f"{device.id} has no ssh access in the inventory")
    credential = credentials.ssh(device.ssh.credential)
    linux = device.platform is Platform.LINUX
    return SshTarget(
        device_id=device.id,
        host=str(device.address),
        port=device.ssh.port,
        platform=device.platform,
        credential=credential,
        timeout_s=timeout_s or device.ssh.timeout_s or settings.ssh.timeout_s,
        units=(units if units is not None else settings.ssh.host_units) if linux else (),
    )


def ssh_targets(
    inventory: Inventory, credentials: Credentials, settings: Settings
) -> tuple[list[SshTarget], dict[str, str]]:
    """One SSH target per device with SSH access; a missing credential skips that device."""
    targets: list[SshTarget] = []
    skipped: dict[str, str] = {}
    for device in inventory.devices:
        if device.ssh is None:
            continue
        try:
            targets.append(ssh_target(device, credentials, settings))
        except CredentialError as exc:
            skipped[device.id] = str(exc)
    return targets, skipped


def build_topology_monitor(
    noc: Noc,
    inventory: Inventory,
    bus: EventBus | None = None,
    *,
    max_age_s: float | None = None,
) -> TopologyMonitor:
    """A monitor of ``inventory``'s topology over this process's state DB; failover events go
    on ``bus`` (default: the process's bus, where the server's audit trail listens)."""
    from topology.monitor import TopologyMonitor

    return TopologyMonitor(
        inventory,
        noc.engine,
        noc.state,
        noc.clock,
        noc.events if bus is None else bus,
        max_age_s=max_age_s,
    )


def build_alert_service(
    noc: Noc, inventory: Inventory, monitor: TopologyMonitor
) -> AlertService | None:
    """The alert pipeline over this process's stores, fed by its bus (traps, configuration and
    host-key changes, failovers, failed backups) and by ``monitor``'s failover states and root
    causes; None when alerts are disabled. Alerts, silences and maintenance windows are restored
    from the state DB. :class:`~core.errors.ConfigError` for a wrong rule file or alerting
    configuration: the server does not start on a configuration it cannot follow."""
    settings = noc.settings.alerts
    if not settings.enabled:
        log.warning("alerts are disabled (alerts.enabled = false): no alert will be raised")
        return None
    from alerts.service_factory import build_alert_service as build

    return build(
        settings,
        inventory=inventory,
        db=noc.engine,
        state=noc.state,
        topology=monitor,
        metrics=noc.metrics,
        clock=noc.clock,
        bus=noc.events,
        configs=ConfigRepository(noc.engine, noc.clock),
    )


def county_cities(inventory: Inventory) -> dict[str, str]:
    """County code → its city's code (the registry's regions), from the inventory's tree."""
    return {
        region.code: region.parent or region.code
        for region in inventory.regions
        if region.level is RegionLevel.COUNTY
    }


def build_fleet_service(noc: Noc, inventory: Inventory) -> FleetService | None:
    """The card-terminal fleet over this process's stores (None when ``fleet.enabled`` is
    false); its county health rows are the alert engine's ``terminal_fleet`` facts."""
    if not noc.settings.fleet.enabled:
        return None
    from card_fleet.service import FleetService as Fleet

    return Fleet(
        noc.engine,
        noc.metrics,
        county_cities(inventory),
        noc.clock,
        noc.settings.fleet,
        noc.events,
    )


FAILOVER_ACTIONS: dict[type[Event], str] = {
    LinkFailedOver: "site_failed_over",
    SiteIsolated: "site_isolated",
    SiteRestored: "site_restored",
}
"""Audit action of each failover event."""


def audit_failover_events(events: EventBus, trail: AuditSink) -> None:
    """Write every failover event on ``events`` into the audit trail, as the ``system`` actor.

    The topology monitor publishes from its worker thread, so the blocking append runs there; an
    append that fails is logged and dropped, never raised into the monitor."""

    def record(event: Event) -> None:
        audit_event = failover_audit_event(event)
        if audit_event is None:
            return
        try:
            trail.append(audit_event)
        except Exception:  # the monitor's turn must go on; the log keeps what was lost
            log.exception(
                "audit trail: cannot record %s of %s", audit_event.action, audit_event.target
            )

    for kind in FAILOVER_ACTIONS:
        events.subscribe(kind, record)


def failover_audit_event(event: Event) -> AuditEvent | None:
    """The audit record of a failover event (None for any other event): the node's device is
    the target, with its site, links and times in ``after``."""
    if isinstance(event, LinkFailedOver):
        down = ", ".join(event.primary_link_ids) or "its primary path"
        detail = f"on backup over {', '.join(event.backup_link_ids) or '?'}; down: {down}"
        after: dict[str, object] = {
            "state": "on_backup",
            "primary_link_ids": list(event.primary_link_ids),
            "backup_link_ids": list(event.backup_link_ids),
        }
    elif isinstance(event, SiteIsolated):
        down = ", ".join(event.failed_link_ids)
        detail = "no working path to the province core" + (f"; down: {down}" if down else "")
        after = {"state": "isolated", "failed_link_ids": list(event.failed_link_ids)}
    elif isinstance(event, SiteRestored):
        detail = f"back on its primary path, {event.was} since {event.since.isoformat()}"
        after = {
            "state": "on_primary",
            "was": event.was,
            "left_primary_at": event.since.isoformat(),
        }
    else:
        return None
    return AuditEvent(
        actor=SYSTEM_ACTOR,
        action=FAILOVER_ACTIONS[type(event)],
        outcome=AuditOutcome.OK,
        target=event.device_id,
        region_code=event.region if is_region_code(event.region) else None,
        detail=detail,
        after={"site_id": event.site_id, **after, "since": event.at.isoformat()},
    )


def make_transport(kind: str) -> SnmpTransport:
    """The SNMP transport named in the settings."""
    if kind == "gufo":
        from collectors.snmp.gufo_transport import GufoTransport

        return GufoTransport()
    if kind == "pysnmp":
        from collectors.snmp.pysnmp_transport import PysnmpTransport

        return PysnmpTransport()
    raise NocError(f"unknown SNMP transport {kind!r}: use gufo or pysnmp")
