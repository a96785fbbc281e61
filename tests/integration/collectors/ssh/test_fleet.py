"""A fleet run returns one result per target, and one dead target among twenty costs only its own
timeout: the run takes about max(dead timeout, the others' time), not their sum."""

from __future__ import annotations

import contextlib
import time

import pytest
from pydantic import SecretStr

from collectors.ssh.collect import collect_fleet
from collectors.ssh.executor import SshExecutor
from collectors.ssh.results import FailureKind
from collectors.ssh.target import SshTarget
from core.credentials import SshCredential
from core.model import Platform
from core.state.host_keys import HostKeyStore
from lab.ssh.testing import SimulatedEndpoint, running_ssh_device
from tests.support.addresses import fresh_address
from tests.support.sshd import SshdServer, closed_port, silent_listener

pytestmark = pytest.mark.integration

DEAD_TIMEOUT_S = 2.0


async def test_one_dead_host_among_twenty_costs_only_its_timeout(
    sshd_server: SshdServer, executor: SshExecutor, host_keys: HostKeyStore
) -> None:
    live = [sshd_server.target(f"host{i:02d}", timeout_s=10.0) for i in range(18)]
    # Warm up: pin the key once and learn how long the live hosts take on their own.
    started = time.monotonic()
    warm = await collect_fleet(executor, live, host_keys=host_keys)
    live_alone_s = time.monotonic() - started
    assert all(r.ok for r in warm), [r.error for r in warm if not r.ok]

    refused_host, refused_port = closed_port()
    refused = SshTarget(
        "refused",
        refused_host,
        refused_port,
        Platform.LINUX,
        SshCredential(username="root", password="x"),
        10.0,
    )
    with silent_listener() as (host, port):
        dead = SshTarget(
            "dead",
            host,
            port,
            Platform.LINUX,
            SshCredential(username="root", password="x"),
            DEAD_TIMEOUT_S,
        )
        targets = [*live[:9], dead, *live[9:], refused]
        started = time.monotonic()
        results = await collect_fleet(executor, targets, host_keys=host_keys)
        elapsed = time.monotonic() - started

    assert [r.device_id for r in results] == [t.device_id for t in targets]
    by_id = {r.device_id: r for r in results}
    assert by_id["dead"].failure is FailureKind.TIMEOUT
    assert by_id["refused"].failure is FailureKind.UNREACHABLE
    assert all(by_id[t.device_id].ok for t in live)
    # The live hosts finished as fast as without the dead one (generously bounded) …
    assert max(by_id[t.device_id].duration_s for t in live) < max(3 * live_alone_s, 3.0)
    # … and the whole run took about the dead host's timeout, not timeout + everything else.
    assert elapsed < max(DEAD_TIMEOUT_S, live_alone_s) + 2.5
    assert by_id["dead"].duration_s == pytest.approx(DEAD_TIMEOUT_S, abs=1.5)


async def test_concurrency_is_bounded(sshd_server: SshdServer, host_keys: HostKeyStore) -> None:
    async with SshExecutor(max_workers=4) as small:
        targets = [sshd_server.target(f"h{i}") for i in range(10)]
        results = await collect_fleet(small, targets, host_keys=host_keys, concurrency=2)
    assert len(results) == 10
    assert all(r.ok for r in results), [r.error for r in results]


async def test_one_hanging_device_among_twenty_network_devices(
    executor: SshExecutor, host_keys: HostKeyStore
) -> None:
    """Through netmiko's drivers against the lab simulator: a device whose first command never
    returns holds one worker for its own timeout; the nineteen others are not held up."""
    platforms = ("huawei_vrp", "hp_comware", "cisco_ios", "zte_zxros")
    with contextlib.ExitStack() as stack:
        endpoints = [
            stack.enter_context(
                running_ssh_device(platforms[i % 4], fresh_address(), 2222, hostname=f"DEV{i:02d}")
            )
            for i in range(19)
        ]
        stuck = stack.enter_context(
            running_ssh_device(
                "huawei_vrp", fresh_address(), 2222, hanging_commands=("display version",)
            )
        )
        live = [_network_target(e, f"dev{i:02d}", 10.0) for i, e in enumerate(endpoints)]
        started = time.monotonic()
        alone = await collect_fleet(executor, live, host_keys=host_keys)
        live_alone_s = time.monotonic() - started
        assert all(r.ok for r in alone), [r.error for r in alone if not r.ok]

        targets = [*live[:7], _network_target(stuck, "stuck", DEAD_TIMEOUT_S), *live[7:]]
        started = time.monotonic()
        results = await collect_fleet(executor, targets, host_keys=host_keys)
        elapsed = time.monotonic() - started

    by_id = {r.device_id: r for r in results}
    assert by_id["stuck"].failure is FailureKind.TIMEOUT
    assert "display version" in (by_id["stuck"].error or "")
    assert all(by_id[t.device_id].ok for t in live)
    hostnames = {facts.hostname for t in live if (facts := by_id[t.device_id].facts)}
    assert hostnames == {f"DEV{i:02d}" for i in range(19)}
    assert max(by_id[t.device_id].duration_s for t in live) < max(3 * live_alone_s, 3.0)
    assert elapsed < max(DEAD_TIMEOUT_S, live_alone_s) + 2.5


def _network_target(endpoint: SimulatedEndpoint, device_id: str, timeout_s: float) -> SshTarget:
    return SshTarget(
        device_id=device_id,
        host=endpoint.host,
        port=endpoint.port,
        platform=Platform(endpoint.platform),
        credential=SshCredential(username=endpoint.username, password=SecretStr(endpoint.password)),
        timeout_s=timeout_s,
    )
