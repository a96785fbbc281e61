"""The SSH side of the server: every device and host collected on a schedule, backups recorded.

Each cycle collects the whole fleet (facts, accounts, host health and, for network devices, LLDP
neighbours and the running configuration), stores what came back, and records a backup per
network device: a new version only when the configuration really changed. A device can also be
backed up on demand (the API's "back up now"). Cycles never overlap; a slow cycle delays the
next, it does not stack.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from collectors.ssh.backup import BackupOutcome, record_backup
from collectors.ssh.collect import collect_fleet, fetch_running_config
from collectors.ssh.executor import SshExecutor
from collectors.ssh.results import SshCollectResult
from collectors.ssh.store import store_results
from collectors.ssh.target import SshTarget
from core.clock import Clock
from core.errors import DeviceError, NocError, NotFound
from core.events import EventBus
from core.metrics.store import MetricStore
from core.model import Platform
from core.state.accounts import AccountRepository
from core.state.configs import ConfigRepository
from core.state.host_keys import HostKeyStore
from core.state.neighbours import NeighbourRepository
from core.state.ssh_facts import SshFactsRepository

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SshStores:
    facts: SshFactsRepository
    accounts: AccountRepository
    configs: ConfigRepository
    host_keys: HostKeyStore
    metrics: MetricStore
    neighbours: NeighbourRepository
    """LLDP neighbours read from the devices' CLI (source ``cli``)."""


@dataclass(frozen=True)
class CycleSummary:
    collected: int
    failed: dict[str, str]
    backups_changed: list[str]
    duration_s: float


class SshCollectionService:
    def __init__(
        self,
        executor: SshExecutor,
        stores: SshStores,
        events: EventBus,
        clock: Clock,
        *,
        interval_s: float,
    ) -> None:
        self._executor = executor
        self._stores = stores
        self._events = events
        self._clock = clock
        self._interval_s = interval_s
        self._targets: dict[str, SshTarget] = {}
        self._cycle_lock = asyncio.Lock()

    async def close(self) -> None:
        """Stop the worker threads (after the sessions in flight end)."""
        await asyncio.to_thread(self._executor.close)

    def set_targets(self, targets: Sequence[SshTarget]) -> None:
        self._targets = {t.device_id: t for t in targets}

    @property
    def targets(self) -> list[SshTarget]:
        return list(self._targets.values())

    async def run(self, stop: asyncio.Event) -> None:
        """Collect every ``interval_s`` until ``stop`` is set."""
        while not stop.is_set():
            try:
                summary = await self.collect_once()
                log.info(
                    "SSH cycle: %d collected, %d failed, %d configs changed in %.1f s",
                    summary.collected,
                    len(summary.failed),
                    len(summary.backups_changed),
                    summary.duration_s,
                )
            except NocError as exc:  # a store that fails: try again next cycle
                log.error("SSH cycle failed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self._interval_s)

    async def collect_once(self) -> CycleSummary:
        """One collection of every target, stored; backups recorded for network devices."""
        async with self._cycle_lock:
            started = self._clock.monotonic()
            targets = self.targets
            results = await collect_fleet(
                self._executor, targets, host_keys=self._stores.host_keys, events=self._events,
                clock=self._clock,
            )  # fmt: skip
            changed = await asyncio.to_thread(self._store, results)
            return CycleSummary(
                collected=sum(r.ok for r in results),
                failed={r.device_id: r.error or "failed" for r in results if not r.ok},
                backups_changed=changed,
                duration_s=self._clock.monotonic() - started,
            )

    async def backup_now(self, device_id: str) -> BackupOutcome:
        """Fetch and record one device's running configuration now."""
        target = self._targets.get(device_id)
        if target is None:
            raise NotFound(f"{device_id} is not collected over SSH")
        if target.platform is Platform.LINUX:
            raise NotFound(f"{device_id} is a Linux host: it has no running configuration")
        text: str | None = None
        error: str | None = None
        try:
            text = await fetch_running_config(
                self._executor, target, host_keys=self._stores.host_keys, events=self._events,
                clock=self._clock,
            )  # fmt: skip
        except DeviceError as exc:
            error = exc.reason
        return await asyncio.to_thread(
            record_backup, self._stores.configs, self._events, self._clock, device_id,
            target.platform, text, error,
        )  # fmt: skip

    def _store(self, results: Sequence[SshCollectResult]) -> list[str]:
        store_results(
            results,
            facts=self._stores.facts,
            accounts=self._stores.accounts,
            metrics=self._stores.metrics,
            neighbours=self._stores.neighbours,
        )
        changed: list[str] = []
        for result in results:
            if result.platform is Platform.LINUX:
                continue
            error = None if result.running_config else (result.error or "no running config")
            outcome = record_backup(
                self._stores.configs, self._events, self._clock, result.device_id,
                result.platform, result.running_config, error,
            )  # fmt: skip
            if outcome.changed:
                changed.append(result.device_id)
        return changed
