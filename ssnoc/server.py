"""The NOC server: the SNMP poller, the SSH and LLDP collectors, the topology monitor, the alert
pipeline and (when enabled) the SNMP trap receiver, store compaction and the HTTP API in one
asyncio loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import uvicorn
from pydantic import ValidationError

from api.app import ApiApp, create_app
from api.backup_hook import backup_result
from api.deps import ApiServices
from api.schemas import BackupNowResult
from api.security_services import SecurityServices
from collectors.snmp.device_reader import ProfileDeviceReader
from collectors.snmp.lldp_cycle import LldpCollector, NeighbourStoreSink
from collectors.snmp.poller import PauseCheck, SnmpPoller
from collectors.snmp.routing_cycle import RoutingCollector, RoutingStoreSink
from collectors.snmp.transport import SnmpTransport
from collectors.snmp.trap_config import TrapReceiverConfig, TrapV3User
from collectors.ssh.executor import SshExecutor
from collectors.ssh.service import SshCollectionService
from collectors.store_sink import StoreSink
from core.credentials import Credentials, SnmpV2cCredential, SnmpV3Credential
from core.errors import ConfigError, CredentialError
from core.model import Inventory
from core.security.access_review import AccessReviewStore
from core.security.rate_limit import LoginRateLimiter
from core.settings import TrapSettings
from core.state.neighbours import NeighbourRepository
from core.state.routing import RoutingRepository
from ssnoc import __version__
from ssnoc.wiring import (
    LoadedInventory,
    Noc,
    audit_failover_events,
    build_alert_service,
    build_fleet_service,
    build_topology_monitor,
    make_transport,
)

if TYPE_CHECKING:
    from datetime import datetime

    from alerts.service import AlertService as AlertPipelineService
    from api.alert_services import AlertService
    from api.topology_services import TopologyService
    from card_fleet.service import FleetService
    from collectors.snmp.traps import TrapReceiver

log = logging.getLogger(__name__)

COMPACT_EVERY_S = 600.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
LLDP_FIRST_DELAY_S = 30.0
ROUTING_FIRST_DELAY_S = 15.0


def build_api(
    noc: Noc,
    ssh: SshCollectionService | None = None,
    *,
    topology: TopologyService | None = None,
    alerts: AlertService | None = None,
    fleet: FleetService | None = None,
) -> ApiApp:
    """The API over this process's stores; with ``ssh``, devices can be backed up on demand;
    with ``topology``, the topology routes answer, with ``alerts`` the alert, silence,
    maintenance and on-call routes, with ``fleet`` the terminal, fleet and rollout routes (else
    503)."""
    stores = noc.ssh_stores
    backup_now = None
    if ssh is not None:
        collector = ssh

        async def backup_now_hook(device_id: str) -> BackupNowResult:
            return backup_result(await collector.backup_now(device_id))

        backup_now = backup_now_hook
    services = ApiServices(
        state=noc.state,
        metrics=noc.metrics,
        clock=noc.clock,
        auth=noc.users,
        audit=noc.audit_trail,
        security=SecurityServices(
            users=noc.users,
            trail=noc.audit_trail,
            login_limiter=LoginRateLimiter(noc.clock, noc.settings.auth.login_attempts_per_minute),
            reviews=AccessReviewStore(noc.engine, noc.clock),
            account_policy_path=noc.settings.resolved_account_policy_path,
        ),
        version=__version__,
        configs=stores.configs,
        accounts=stores.accounts,
        ssh_facts=stores.facts,
        host_keys=stores.host_keys,
        backup_now=backup_now,
        topology=topology,
        alerts=alerts,
        fleet=fleet,
    )
    return create_app(services)


def build_ssh_service(noc: Noc, loaded: LoadedInventory) -> SshCollectionService:
    settings = noc.settings.ssh
    service = SshCollectionService(
        SshExecutor(max_workers=settings.workers),
        noc.ssh_stores,
        noc.events,
        noc.clock,
        interval_s=settings.interval_s,
    )
    service.set_targets(loaded.ssh_targets)
    return service


def build_poller(noc: Noc, loaded: LoadedInventory, paused: PauseCheck | None = None) -> SnmpPoller:
    """The SNMP poller of ``loaded``'s targets; ``paused`` names the devices not to poll now
    (maintenance without data collection)."""
    transport = make_transport(noc.settings.poll.transport)
    sink = StoreSink(noc.state, noc.metrics, noc.events)
    poller = SnmpPoller(
        transport, ProfileDeviceReader(), sink, noc.clock, noc.settings.poll, paused=paused
    )
    poller.set_targets(loaded.targets)
    return poller


def collection_pause(alerts: AlertPipelineService | None) -> PauseCheck | None:
    """The poller's pause check: the alert service's open maintenance windows that pause
    collection (None without alerts: every device is polled)."""
    if alerts is None:
        return None
    service = alerts

    def paused(device_id: str, region: str | None, now: datetime) -> bool:
        # The service reads the same clock as the poller: ``now`` is its now.
        return service.collection_paused(device_id, region)

    return paused


def build_routing_collector(
    noc: Noc, loaded: LoadedInventory, transport: SnmpTransport
) -> RoutingCollector:
    poll = noc.settings.poll
    collector = RoutingCollector(
        transport,
        RoutingStoreSink(RoutingRepository(noc.engine)),
        noc.clock,
        interval_s=poll.routing_interval_s,
        concurrency=poll.routing_concurrency,
    )
    collector.set_targets(loaded.targets)
    return collector


def build_lldp_collector(
    noc: Noc, loaded: LoadedInventory, transport: SnmpTransport
) -> LldpCollector:
    poll = noc.settings.poll
    collector = LldpCollector(
        transport,
        NeighbourStoreSink(NeighbourRepository(noc.engine)),
        noc.clock,
        interval_s=poll.lldp_interval_s,
        concurrency=poll.lldp_concurrency,
    )
    collector.set_targets(loaded.targets)
    return collector


def trap_receiver_config(settings: TrapSettings, credentials: Credentials) -> TrapReceiverConfig:
    """The trap receiver's configuration, its communities and v3 users read from the vault by
    credential name; :class:`ConfigError` names the setting that is wrong (never a secret)."""
    try:
        communities = []
        for name in settings.communities:
            community = credentials.snmp(name)
            if not isinstance(community, SnmpV2cCredential):
                raise ConfigError(f"traps.communities: {name!r} is not a v1/v2c community")
            communities.append(community)
        users = []
        for user in settings.v3_users:
            found = credentials.snmp(user.credential)
            if not isinstance(found, SnmpV3Credential):
                raise ConfigError(f"traps.v3_users: {user.credential!r} is not an SNMPv3 user")
            users.append(
                TrapV3User(credential=found, engine_ids=user.engine_ids, informs=user.informs)
            )
        return TrapReceiverConfig(
            listen_address=settings.listen_address,
            port=settings.port,
            communities=tuple(communities),
            v3_users=tuple(users),
            engine_id=settings.engine_id,
            rcvbuf_bytes=settings.rcvbuf_bytes,
        )
    except CredentialError as exc:
        raise ConfigError(f"traps: {exc}") from None
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        reason = str(first["msg"]).removeprefix("Value error, ")  # pydantic's prefix says nothing
        raise ConfigError(f"traps: {where + ': ' if where else ''}{reason}") from None


def build_trap_receiver(noc: Noc, loaded: LoadedInventory) -> TrapReceiver | None:
    """The SNMP trap receiver publishing on the process's bus (None unless traps are enabled);
    a trap's source address names its device by the inventory's addresses."""
    settings = noc.settings.traps
    if not settings.enabled:
        return None
    config = trap_receiver_config(settings, loaded.credentials)
    # Imported here: pysnmp takes a while to load, and most processes never receive traps.
    from collectors.snmp.traps import TrapReceiver

    return TrapReceiver(
        config, noc.events.publish, device_for_address(loaded.inventory), clock=noc.clock
    )


def device_for_address(inventory: Inventory) -> Callable[[str], str | None]:
    """The inventory device at an address (``None`` for an address no device has)."""
    by_address = {str(device.address): device.id for device in inventory.devices}
    return by_address.get


async def start_traps(traps: TrapReceiver | None) -> TrapReceiver | None:
    """Start listening; a port that cannot be had is logged and the NOC runs without traps."""
    if traps is None:
        return None
    try:
        await traps.start()
    except ConfigError as exc:
        log.error("SNMP traps are not received: %s", exc)
        return None
    return traps


class FinishingServer(uvicorn.Server):
    """uvicorn's server, but a SIGTERM ends it like a SIGINT: uvicorn re-raises the signal it
    caught once it has shut down, and SIGTERM's default action then kills the process before
    :func:`run_server` has cleaned up (the fleet's last heartbeat flush, the pid file)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        original = {sig: signal.signal(sig, self.handle_exit) for sig in STOP_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)


def pid_file(noc: Noc) -> Path:
    return noc.settings.data_dir / "server.pid"


async def run_server(noc: Noc, loaded: LoadedInventory) -> None:
    """Serve until interrupted (SIGINT/SIGTERM): poll, compact, answer the API."""
    report = noc.state.sync_inventory(loaded.inventory)
    log.info(
        "inventory: %d regions, %d devices (%d new, %d removed), %d links",
        report.regions,
        len(loaded.inventory.devices),
        len(report.devices_added),
        len(report.devices_removed),
        report.links,
    )
    for device_id, reason in loaded.skipped.items():
        log.warning("not polling %s: %s", device_id, reason)
    for device_id, reason in loaded.ssh_skipped.items():
        log.warning("not collecting %s over SSH: %s", device_id, reason)
    # Failover changes go into the audit trail: the monitor publishes them on the process's bus.
    audit_failover_events(noc.events, noc.audit_trail)
    monitor = build_topology_monitor(noc, loaded.inventory)
    # Built before anything runs: a wrong rule file, alerting configuration or trap credential
    # stops the server at start rather than leaving it running deaf.
    alerts = build_alert_service(noc, loaded.inventory, monitor)
    fleet = build_fleet_service(noc, loaded.inventory)
    traps = build_trap_receiver(noc, loaded)
    poller = build_poller(noc, loaded, collection_pause(alerts))
    ssh = build_ssh_service(noc, loaded)
    settings = noc.settings
    config = uvicorn.Config(
        build_api(noc, ssh, topology=monitor, alerts=alerts, fleet=fleet),
        host=settings.api.host,
        port=settings.api.port,
        log_level=settings.log_level.lower(),
        access_log=False,
    )
    server = FinishingServer(config)
    stop = asyncio.Event()
    pid_path = pid_file(noc)
    pid_path.write_text(str(os.getpid()))
    lldp_transport = make_transport(settings.poll.transport)
    lldp = build_lldp_collector(noc, loaded, lldp_transport)
    polling = asyncio.create_task(poller.run(stop), name="poller")
    # After the first poll has had its turn: LLDP can wait, the status board cannot.
    discovering = asyncio.create_task(lldp.run(stop, first_delay_s=LLDP_FIRST_DELAY_S), name="lldp")
    routing_transport = make_transport(settings.poll.transport)
    routing = build_routing_collector(noc, loaded, routing_transport)
    # OSPF/BGP/VRRP: evidence for the failover board beside the interface states.
    following_routes = asyncio.create_task(
        routing.run(stop, first_delay_s=ROUTING_FIRST_DELAY_S), name="routing"
    )
    collecting = asyncio.create_task(ssh.run(stop), name="ssh-collector")
    compacting = asyncio.create_task(_compact_periodically(noc, stop), name="compaction")
    following = asyncio.create_task(
        monitor.run(stop, settings.topology.refresh_s), name="topology-monitor"
    )
    tasks = [polling, collecting, compacting, discovering, following, following_routes]
    if alerts is not None:
        tasks.append(asyncio.create_task(alerts.run(stop), name="alerts"))
    if fleet is not None:
        tasks.append(asyncio.create_task(fleet.run(stop), name="card-fleet"))
    receiving = await start_traps(traps)
    if fleet is not None:
        # Before the first heartbeat is answered: a terminal beating while its stored status is
        # still being read would start afresh and overwrite its history at the next flush.
        await asyncio.to_thread(fleet.restore)
    try:
        await server.serve()
    finally:
        stop.set()
        if receiving is not None:
            await receiving.stop()
        await asyncio.gather(*tasks, return_exceptions=True)
        await ssh.close()
        await poller.close()
        await lldp_transport.close()
        await routing_transport.close()
        with contextlib.suppress(FileNotFoundError):
            pid_path.unlink()


async def _compact_periodically(noc: Noc, stop: asyncio.Event) -> None:
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=COMPACT_EVERY_S)
        if stop.is_set():
            return
        try:
            report = await asyncio.to_thread(noc.metrics.compact, noc.clock.now())
            log.info("metric store compacted: %s", report)
        except Exception:  # a task boundary: compaction failing must not stop polling
            log.exception("metric store compaction failed")
