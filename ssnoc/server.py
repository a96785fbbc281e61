"""The NOC server: the SNMP poller, the SSH and LLDP collectors, the topology monitor, store
compaction and the HTTP API in one asyncio loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import uvicorn

from api.app import ApiApp, create_app
from api.backup_hook import backup_result
from api.deps import ApiServices
from api.schemas import BackupNowResult
from api.security_services import SecurityServices
from collectors.snmp.device_reader import ProfileDeviceReader
from collectors.snmp.lldp_cycle import LldpCollector, NeighbourStoreSink
from collectors.snmp.poller import SnmpPoller
from collectors.snmp.transport import SnmpTransport
from collectors.ssh.executor import SshExecutor
from collectors.ssh.service import SshCollectionService
from collectors.store_sink import StoreSink
from core.security.access_review import AccessReviewStore
from core.security.rate_limit import LoginRateLimiter
from core.state.neighbours import NeighbourRepository
from ssnoc import __version__
from ssnoc.wiring import (
    LoadedInventory,
    Noc,
    audit_failover_events,
    build_topology_monitor,
    make_transport,
)

if TYPE_CHECKING:
    from api.topology_services import TopologyService

log = logging.getLogger(__name__)

COMPACT_EVERY_S = 600.0
LLDP_FIRST_DELAY_S = 30.0


def build_api(
    noc: Noc,
    ssh: SshCollectionService | None = None,
    *,
    topology: TopologyService | None = None,
) -> ApiApp:
    """The API over this process's stores; with ``ssh``, devices can be backed up on demand;
    with ``topology``, the topology routes answer (else 503)."""
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


def build_poller(noc: Noc, loaded: LoadedInventory) -> SnmpPoller:
    transport = make_transport(noc.settings.poll.transport)
    sink = StoreSink(noc.state, noc.metrics, noc.events)
    poller = SnmpPoller(transport, ProfileDeviceReader(), sink, noc.clock, noc.settings.poll)
    poller.set_targets(loaded.targets)
    return poller


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
    poller = build_poller(noc, loaded)
    ssh = build_ssh_service(noc, loaded)
    # Failover changes go into the audit trail: the monitor publishes them on the process's bus.
    audit_failover_events(noc.events, noc.audit_trail)
    monitor = build_topology_monitor(noc, loaded.inventory)
    settings = noc.settings
    config = uvicorn.Config(
        build_api(noc, ssh, topology=monitor),
        host=settings.api.host,
        port=settings.api.port,
        log_level=settings.log_level.lower(),
        access_log=False,
    )
    server = uvicorn.Server(config)
    stop = asyncio.Event()
    pid_path = pid_file(noc)
    pid_path.write_text(str(os.getpid()))
    lldp_transport = make_transport(settings.poll.transport)
    lldp = build_lldp_collector(noc, loaded, lldp_transport)
    polling = asyncio.create_task(poller.run(stop), name="poller")
    # After the first poll has had its turn: LLDP can wait, the status board cannot.
    discovering = asyncio.create_task(lldp.run(stop, first_delay_s=LLDP_FIRST_DELAY_S), name="lldp")
    collecting = asyncio.create_task(ssh.run(stop), name="ssh-collector")
    compacting = asyncio.create_task(_compact_periodically(noc, stop), name="compaction")
    following = asyncio.create_task(
        monitor.run(stop, settings.topology.refresh_s), name="topology-monitor"
    )
    try:
        await server.serve()
    finally:
        stop.set()
        await asyncio.gather(
            polling, collecting, compacting, discovering, following, return_exceptions=True
        )
        await ssh.close()
        await poller.close()
        await lldp_transport.close()
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
