"""Linux hosts over paramiko against a real OpenSSH sshd (tests/support/sshd.py): key auth, a
wrong key, an unreachable port, a server that never speaks, a command that hangs, host keys pinned
on first use and a changed key refused, and results stored where they belong."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from collectors.ssh.collect import collect_device
from collectors.ssh.executor import SshExecutor
from collectors.ssh.results import FailureKind
from collectors.ssh.store import store_results
from collectors.ssh.target import SshTarget
from core.credentials import SshCredential
from core.events import HostKeyChanged
from core.metrics import names
from core.metrics.sqlite_store import SqliteMetricStore
from core.model import Platform
from core.state.accounts import AccountRepository
from core.state.host_keys import HostKeyStore, HostKeyVerdict
from core.state.ssh_facts import SshFactsRepository
from core.state.ssh_views import AccountOrigin, UnitState
from tests.integration.collectors.ssh.conftest import RecordingBus
from tests.support.sshd import (
    SshdServer,
    closed_port,
    make_key,
    silent_listener,
    start_sshd,
)

pytestmark = pytest.mark.integration


async def test_key_auth_collects_facts_accounts_and_health(
    sshd_server: SshdServer, executor: SshExecutor, host_keys: HostKeyStore
) -> None:
    result = await collect_device(executor, sshd_server.target(), host_keys=host_keys)
    assert result.ok, result.error
    assert result.host_key is HostKeyVerdict.PINNED
    assert result.facts is not None
    assert result.facts.hostname
    assert result.facts.os_version  # from /etc/os-release
    root = next(a for a in result.accounts if a.name == "root")
    assert root.origin is AccountOrigin.LINUX
    assert root.privilege == "root"
    assert root.password_type is not None  # root reads /etc/shadow: the scheme, never the hash
    assert result.accounts_complete
    units = {u.unit: u for u in result.units}
    assert units["sshd"].state is UnitState.RUNNING  # no systemd here: our sshd's process
    assert units["pension-service"].state is UnitState.ABSENT
    series = {s.key.name for s in result.samples}
    assert {names.HOST_LOAD1, names.HOST_MEMORY_PERCENT, names.HOST_DISK_USED_PERCENT} <= series
    assert result.duration_s < 5

    again = await collect_device(executor, sshd_server.target(), host_keys=host_keys)
    assert again.ok
    assert again.host_key is HostKeyVerdict.MATCHED


async def test_a_wrong_key_is_an_auth_failure(
    sshd_server: SshdServer, executor: SshExecutor, host_keys: HostKeyStore, tmp_path: Path
) -> None:
    stranger = make_key(tmp_path / "stranger")
    result = await collect_device(executor, sshd_server.target(key=stranger), host_keys=host_keys)
    assert result.failure is FailureKind.AUTH
    assert (
        result.error
        == f"{sshd_server.host}:{sshd_server.port}: authentication failed for user 'root'"
    )
    assert result.facts is None


async def test_a_password_the_server_does_not_take_is_an_auth_failure(
    sshd_server: SshdServer, executor: SshExecutor, host_keys: HostKeyStore
) -> None:
    target = SshTarget(
        device_id="host1",
        host=sshd_server.host,
        port=sshd_server.port,
        platform=Platform.LINUX,
        credential=SshCredential.model_validate({"username": "root", "password": "nope"}),
        timeout_s=5,
    )
    result = await collect_device(executor, target, host_keys=host_keys)
    assert result.failure is FailureKind.AUTH
    assert "nope" not in repr(result)


async def test_an_unreachable_port_fails_at_once(
    executor: SshExecutor, host_keys: HostKeyStore
) -> None:
    host, port = closed_port()
    target = SshTarget(
        "gone", host, port, Platform.LINUX, SshCredential(username="root", password="x"), 10
    )
    started = time.monotonic()
    result = await collect_device(executor, target, host_keys=host_keys)
    assert time.monotonic() - started < 1.0
    assert result.failure is FailureKind.UNREACHABLE
    assert result.error == f"{host}:{port}: connection refused"


async def test_a_server_that_never_speaks_times_out_on_time(
    executor: SshExecutor, host_keys: HostKeyStore
) -> None:
    with silent_listener() as (host, port):
        target = SshTarget(
            "mute", host, port, Platform.LINUX, SshCredential(username="root", password="x"), 1.0
        )
        started = time.monotonic()
        result = await collect_device(executor, target, host_keys=host_keys)
        elapsed = time.monotonic() - started
    assert result.failure is FailureKind.TIMEOUT
    assert 0.9 <= elapsed < 3.0


async def test_a_command_that_hangs_ends_at_the_host_s_timeout(
    tmp_path: Path, executor: SshExecutor, host_keys: HostKeyStore
) -> None:
    server = start_sshd(tmp_path / "hang", extra_config=["ForceCommand /bin/sleep 60"])
    try:
        started = time.monotonic()
        result = await collect_device(executor, server.target(timeout_s=1.5), host_keys=host_keys)
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    assert result.failure is FailureKind.TIMEOUT
    assert result.host_key is None or result.host_key is not HostKeyVerdict.CHANGED
    assert 1.4 <= elapsed < 4.0


async def test_a_changed_host_key_is_refused_and_published(
    sshd_server: SshdServer,
    executor: SshExecutor,
    host_keys: HostKeyStore,
    bus: RecordingBus,
) -> None:
    first = await collect_device(executor, sshd_server.target(), host_keys=host_keys, events=bus)
    assert first.host_key is HostKeyVerdict.PINNED
    old_fingerprint = sshd_server.host_key_fingerprint
    sshd_server.restart_with_host_key(make_key(sshd_server.work_dir / "replacement_host_key"))
    new_fingerprint = sshd_server.host_key_fingerprint
    assert new_fingerprint != old_fingerprint

    refused = await collect_device(executor, sshd_server.target(), host_keys=host_keys, events=bus)
    assert refused.failure is FailureKind.HOST_KEY
    assert refused.host_key is HostKeyVerdict.CHANGED
    assert old_fingerprint in (refused.error or "")
    assert new_fingerprint in (refused.error or "")
    assert refused.facts is None  # refused before logging in: nothing was sent
    (event,) = bus.events
    assert isinstance(event, HostKeyChanged)
    assert event.endpoint == f"{sshd_server.host}:{sshd_server.port}"
    assert event.device_id == "host1"
    assert (event.pinned_fingerprint, event.presented_fingerprint) == (
        old_fingerprint,
        new_fingerprint,
    )
    pinned = host_keys.pinned(event.endpoint)
    assert pinned is not None
    assert pinned.fingerprint_sha256 == old_fingerprint  # still the trusted one

    # Someone checked the device and re-pins deliberately.
    assert host_keys.forget(event.endpoint)
    repinned = await collect_device(executor, sshd_server.target(), host_keys=host_keys, events=bus)
    assert repinned.ok
    assert repinned.host_key is HostKeyVerdict.PINNED
    assert len(bus.events) == 1


async def test_results_are_stored_where_they_belong(
    sshd_server: SshdServer,
    executor: SshExecutor,
    host_keys: HostKeyStore,
    state_engine: Engine,
    tmp_path: Path,
) -> None:
    good = await collect_device(executor, sshd_server.target("app1"), host_keys=host_keys)
    host, port = closed_port()
    bad_target = SshTarget(
        "app2", host, port, Platform.LINUX, SshCredential(username="root", password="x"), 5
    )
    bad = await collect_device(executor, bad_target, host_keys=host_keys)
    facts = SshFactsRepository(state_engine)
    accounts = AccountRepository(state_engine)
    metrics = SqliteMetricStore(tmp_path / "metrics.db")
    try:
        counts = store_results([good, bad], facts=facts, accounts=accounts, metrics=metrics)
        assert (counts.facts, counts.failures, counts.account_sets, counts.unit_sets) == (
            1,
            1,
            1,
            1,
        )
        assert counts.samples == len(good.samples)
        assert {u.unit for u in facts.host_units("app1")} == {"sshd", "cron", "pension-service"}
        assert "root" in {a.name for a in accounts.for_device("app1")}
        assert accounts.for_device("app2") == []
        view = facts.facts("app2")
        assert view is not None
        assert view.last_error == bad.error
        latest = metrics.latest(names.HOST_UNIT_ACTIVE, {"device": "app1", "unit": "sshd"})
        assert [v.value for v in latest] == [1.0]
    finally:
        metrics.close()
