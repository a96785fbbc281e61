"""Where SSH collection results go: facts, accounts and host units to the state DB, host health
to the metric store.

A failed collection stores only its error: the last good facts and accounts stay, with their age.
Accounts are replaced only when every source of them answered, so a session that broke off before
the configuration was read cannot wipe a device's account list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from collectors.ssh.results import SshCollectResult
from core.metrics.store import MetricStore, Sample
from core.state.accounts import AccountRepository
from core.state.ssh_facts import SshFactsRepository


@dataclass
class StoredCounts:
    facts: int = 0
    failures: int = 0
    account_sets: int = 0
    unit_sets: int = 0
    samples: int = 0


def store_results(
    results: Sequence[SshCollectResult],
    *,
    facts: SshFactsRepository,
    accounts: AccountRepository,
    metrics: MetricStore | None = None,
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
        samples.extend(result.samples)
    if metrics is not None and samples:
        counts.samples = metrics.write(samples)
    return counts
