"""Where SSH collection results go: facts, accounts, host units and LLDP neighbours to the state
DB, host health to the metric store.

A failed collection stores only its error: the last good facts and accounts stay, with their age.
Accounts are replaced only when every source of them answered, so a session that broke off before
the configuration was read cannot wipe a device's account list. Neighbours likewise: only a
device whose LLDP command answered readably replaces its CLI neighbours (a complete answer still
counts when the session broke off later); one that could not be stored is logged and the others
are stored all the same.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from collectors.ssh.results import SshCollectResult
from core.errors import StoreError
from core.metrics.store import MetricStore, Sample
from core.neighbours import LldpNeighbour, NeighbourSource
from core.state.accounts import AccountRepository
from core.state.neighbours import NeighbourRepository
from core.state.ssh_facts import SshFactsRepository

log = logging.getLogger(__name__)


@dataclass
class StoredCounts:
    facts: int = 0
    failures: int = 0
    account_sets: int = 0
    unit_sets: int = 0
    samples: int = 0
    neighbour_sets: int = 0
    neighbours_not_stored: dict[str, str] = field(default_factory=dict)
    """Device id → why its neighbours could not be stored (e.g. not in the inventory tables)."""


def store_results(
    results: Sequence[SshCollectResult],
    *,
    facts: SshFactsRepository,
    accounts: AccountRepository,
    metrics: MetricStore | None = None,
    neighbours: NeighbourRepository | None = None,
) -> StoredCounts:
    """Store what ``results`` collected (synchronous: call it through ``asyncio.to_thread``)."""
    counts = StoredCounts()
    samples: list[Sample] = []
    for result in results:
        if result.ok and result.facts is not None:
            facts.record_success(result.device_id, result.facts, result.collected_at)
            counts.facts += 1
        else:
            facts.record_failure(result.device_id, result.error or "failed", result.collected_at)
            counts.failures += 1
        if result.accounts_complete:
            accounts.replace(result.device_id, result.accounts, result.collected_at)
            counts.account_sets += 1
        if result.ok and result.units:
            facts.replace_host_units(result.device_id, result.units, result.collected_at)
            counts.unit_sets += 1
        if neighbours is not None and result.neighbours is not None:
            _store_neighbours(neighbours, result, result.neighbours, counts)
        samples.extend(result.samples)
    if metrics is not None and samples:
        counts.samples = metrics.write(samples)
    return counts


def _store_neighbours(
    repository: NeighbourRepository,
    result: SshCollectResult,
    heard: Sequence[LldpNeighbour],
    counts: StoredCounts,
) -> None:
    try:
        repository.replace_neighbours(
            result.device_id, heard, result.collected_at, source=NeighbourSource.CLI
        )
    except StoreError as exc:  # one device's rows never keep the others' (or its facts) out
        log.error("%s", exc)
        counts.neighbours_not_stored[result.device_id] = str(exc)
        return
    counts.neighbour_sets += 1
