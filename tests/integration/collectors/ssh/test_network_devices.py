"""Network devices through netmiko's real drivers against the lab's SSH simulator
(lab.ssh.testing): every platform's facts, accounts, LLDP neighbours and running configuration;
the CLI neighbours of province devices stored in the state DB by the collection service, equal to
the province's links; recorded real outputs from ../shared/cli through the whole path;
authentication, enable, a hanging command, a wrong platform, and a changed host key."""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path

import pytest
import yaml
from pydantic import SecretStr
from sqlalchemy import Engine

from collectors.ssh.collect import collect_device, fetch_running_config
from collectors.ssh.executor import SshExecutor
from collectors.ssh.results import FailureKind
from collectors.ssh.service import SshCollectionService, SshStores
from collectors.ssh.target import SshTarget
from core.clock import SystemClock
from core.credentials import SshCredential
from core.errors import DeviceTimeout
from core.events import HostKeyChanged
from core.metrics.sqlite_store import SqliteMetricStore
from core.model import Platform
from core.neighbours import NeighbourSource, interface_key
from core.state.accounts import AccountRepository
from core.state.configs import ConfigRepository
from core.state.host_keys import HostKeyStore, HostKeyVerdict
from core.state.neighbours import NeighbourRepository
from core.state.repository import StateRepository
from core.state.ssh_facts import SshFactsRepository
from lab.divisions import load_divisions
from lab.model import LabDevice, Province
from lab.province import build_province
from lab.ssh.testing import SimulatedEndpoint, running_ssh_device
from tests.conftest import SHARED
from tests.integration.collectors.ssh.conftest import RecordingBus
from tests.support.addresses import fresh_address

pytestmark = pytest.mark.integration

NETWORK = ("huawei_vrp", "hp_comware", "cisco_ios", "zte_zxros")
PORT = 2222
RUNNING_CONFIG_COMMAND = {
    "huawei_vrp": "display current-configuration",
    "hp_comware": "display current-configuration",
    "cisco_ios": "show running-config",
    "zte_zxros": "show running-config",
}


def target_of(
    endpoint: SimulatedEndpoint,
    *,
    password: str | None = None,
    enable_secret: str | None = None,
    timeout_s: float = 10.0,
    platform: str | None = None,
    device_id: str = "lab-dev1",
) -> SshTarget:
    credential = SshCredential(
        username=endpoint.username,
        password=SecretStr(password or endpoint.password),
        enable_secret=SecretStr(enable_secret) if enable_secret else None,
    )
    return SshTarget(
        device_id=device_id,
        host=endpoint.host,
        port=endpoint.port,
        platform=Platform(platform or endpoint.platform),
        credential=credential,
        timeout_s=timeout_s,
    )


@pytest.mark.parametrize("platform", NETWORK)
async def test_facts_accounts_and_configuration(
    platform: str, executor: SshExecutor, host_keys: HostKeyStore
) -> None:
    with running_ssh_device(platform, fresh_address(), PORT, hostname="GZ-LW-ACC1") as endpoint:
        result = await collect_device(executor, target_of(endpoint), host_keys=host_keys)
    assert result.ok, result.error
    assert result.command_errors == {}
    assert result.host_key is HostKeyVerdict.PINNED
    pinned = host_keys.pinned(f"{endpoint.host}:{PORT}")
    assert pinned is not None
    assert pinned.fingerprint_sha256 == endpoint.host_key_fingerprint
    facts = result.facts
    assert facts is not None
    assert facts.hostname == "GZ-LW-ACC1"
    assert facts.os_version
    assert facts.uptime
    assert facts.details["interfaces"]
    assert all(i["name"] for i in facts.details["interfaces"])
    if platform != "zte_zxros":  # no LLDP template for ZXROS
        neighbours = facts.details["lldp_neighbors"]
        assert {n["neighbor_name"] for n in neighbours} == {"LAB-CITY1", "LAB-CITY2"}
    assert result.neighbours is not None  # every platform: ssnoc's own reader for ZXROS
    assert {n.remote_system_name for n in result.neighbours} == {"LAB-CITY1", "LAB-CITY2"}
    assert all(n.source is NeighbourSource.CLI for n in result.neighbours)
    names = {a.name for a in result.accounts}
    assert {"admin", "noc"} <= names
    assert result.accounts_complete
    assert all(a.password_type for a in result.accounts)
    assert result.running_config is not None
    assert len(result.running_config.splitlines()) > 50
    assert result.duration_s < 5


@pytest.fixture(scope="module")
def province() -> Province:
    return build_province(load_divisions(SHARED / "data" / "guangdong_divisions.json"), "full")


def busiest(province: Province, platform: str) -> LabDevice:
    return max(
        (d for d in province.devices if d.platform == platform),
        key=lambda d: (len(d.neighbours), d.id),
    )


def links_of(province: Province, device_id: str) -> list[tuple[str, str, str]]:
    """(own port, far device's name, far port) of every link of the device, as LLDP sees it."""
    names = {d.id: d.name for d in province.devices}
    seen: list[tuple[str, str, str]] = []
    for link in province.links:
        for own, far in ((link.a, link.b), (link.b, link.a)):
            if own.device == device_id:
                seen.append((interface_key(own.interface), names[far.device], far.interface))
    return sorted(seen)


async def test_the_service_stores_each_device_s_cli_neighbours_as_its_links(
    province: Province, state_engine: Engine, executor: SshExecutor, tmp_path: Path
) -> None:
    """The busiest province device of every platform, collected by the SSH collection service:
    afterwards the state DB holds, per device, CLI neighbours equal to the province's links."""
    StateRepository(state_engine).sync_inventory(province.to_inventory())
    clock = SystemClock()
    neighbours = NeighbourRepository(state_engine)
    metrics = SqliteMetricStore(tmp_path / "metrics.db")
    stores = SshStores(
        facts=SshFactsRepository(state_engine),
        accounts=AccountRepository(state_engine),
        configs=ConfigRepository(state_engine, clock),
        host_keys=HostKeyStore(state_engine, clock),
        metrics=metrics,
        neighbours=neighbours,
    )
    devices = [busiest(province, platform) for platform in NETWORK]
    with ExitStack() as simulators:
        targets = []
        for device in devices:
            endpoint = simulators.enter_context(
                running_ssh_device(device.platform.value, fresh_address(), PORT, lab_device=device)
            )
            targets.append(target_of(endpoint, device_id=device.id))
        service = SshCollectionService(executor, stores, RecordingBus(), clock, interval_s=60.0)
        service.set_targets(targets)
        try:
            summary = await service.collect_once()
        finally:
            metrics.close()
    assert summary.failed == {}
    assert summary.collected == len(devices)
    for device in devices:
        stored = neighbours.neighbours([device.id])
        assert stored, device.id
        assert all(n.source is NeighbourSource.CLI for n in stored)
        assert sorted(
            (interface_key(n.local_port), n.remote_system_name or "", n.remote_port_id)
            for n in stored
        ) == links_of(province, device.id), device.id
        assert {n.remote_chassis_id for n in stored} == {n.remote_mac for n in device.neighbours}, (
            device.id
        )
        facts = stores.facts.facts(device.id)
        assert facts is not None, device.id
        assert facts.last_error is None, device.id


@pytest.mark.parametrize("platform", NETWORK)
async def test_recorded_real_outputs_parse_through_netmiko(
    platform: str, executor: SshExecutor, host_keys: HostKeyStore
) -> None:
    """The simulator answers from ../shared/cli (read in place): real device outputs travel
    through netmiko's driver and are parsed exactly as ntc-templates' samples expect."""
    recorded = SHARED / "cli" / platform
    with running_ssh_device(platform, fresh_address(), PORT, outputs_dir=recorded) as endpoint:
        result = await collect_device(
            executor, target_of(endpoint), host_keys=host_keys, commands=("version", "interfaces")
        )
    assert result.ok, result.error
    assert result.facts is not None
    interfaces_dir = {
        "huawei_vrp": "display_interface_brief",
        "hp_comware": "display_interface_brief",
        "cisco_ios": "show_ip_interface_brief",
        "zte_zxros": "show_interface_brief",
    }[platform]
    first = sorted((recorded / interfaces_dir).glob("*.yml"))[0]
    expected = yaml.safe_load(first.read_text())["parsed_sample"]
    assert [i["name"] for i in result.facts.details["interfaces"]] == [
        r["interface"] for r in expected
    ]


@pytest.mark.parametrize("platform", NETWORK)
async def test_a_wrong_password_is_an_auth_failure(
    platform: str, executor: SshExecutor, host_keys: HostKeyStore
) -> None:
    with running_ssh_device(platform, fresh_address(), PORT) as endpoint:
        result = await collect_device(
            executor, target_of(endpoint, password="wrong-pass"), host_keys=host_keys
        )
    assert result.failure is FailureKind.AUTH
    assert result.error == f"{endpoint.host}:{PORT}: authentication failed for user 'noc'"
    assert "wrong-pass" not in repr(result)


@pytest.mark.parametrize("platform", ["cisco_ios", "zte_zxros"])
async def test_enable_before_the_configuration(
    platform: str, executor: SshExecutor, host_keys: HostKeyStore
) -> None:
    secret = "en-secret-1"
    with running_ssh_device(platform, fresh_address(), PORT, enable_secret=secret) as endpoint:
        privileged = await collect_device(
            executor, target_of(endpoint, enable_secret=secret), host_keys=host_keys
        )
        unprivileged = await collect_device(executor, target_of(endpoint), host_keys=host_keys)
        refused = await collect_device(
            executor, target_of(endpoint, enable_secret="not-it"), host_keys=host_keys
        )
    assert privileged.ok, privileged.error
    assert privileged.running_config
    assert privileged.accounts_complete
    # Without the secret: the facts still come, the configuration is refused by the device,
    # and the stored accounts must not be replaced by an empty list.
    assert unprivileged.ok
    assert unprivileged.running_config is None
    assert "refused by the device" in unprivileged.command_errors["running_config"]
    assert not unprivileged.accounts_complete
    assert refused.failure is FailureKind.AUTH
    assert "enable refused" in (refused.error or "")


@pytest.mark.parametrize("platform", NETWORK)
async def test_a_hanging_command_ends_at_the_device_s_timeout(
    platform: str, executor: SshExecutor, host_keys: HostKeyStore
) -> None:
    hanging = RUNNING_CONFIG_COMMAND[platform]
    with running_ssh_device(
        platform, fresh_address(), PORT, hanging_commands=(hanging,)
    ) as endpoint:
        started = time.monotonic()
        result = await collect_device(
            executor, target_of(endpoint, timeout_s=2.0), host_keys=host_keys
        )
        elapsed = time.monotonic() - started
        with pytest.raises(DeviceTimeout):
            await fetch_running_config(
                executor, target_of(endpoint, timeout_s=1.0), host_keys=host_keys
            )
    assert result.failure is FailureKind.TIMEOUT
    assert hanging in (result.error or "")
    assert "running_config" in result.command_errors
    # What came before the hanging command is kept.
    assert result.facts is not None
    assert result.facts.details["interfaces"]
    assert 1.9 <= elapsed < 4.5


async def test_the_wrong_platform_is_an_unexpected_prompt(
    executor: SshExecutor, host_keys: HostKeyStore
) -> None:
    with running_ssh_device("cisco_ios", fresh_address(), PORT) as endpoint:
        result = await collect_device(
            executor,
            target_of(endpoint, platform="huawei_vrp", timeout_s=2.0),
            host_keys=host_keys,
        )
    assert result.failure is FailureKind.MALFORMED
    assert "no huawei_vrp prompt" in (result.error or "")
    assert "LAB-DEV1#" in (result.error or "")


async def test_fetch_running_config(executor: SshExecutor, host_keys: HostKeyStore) -> None:
    with running_ssh_device("huawei_vrp", fresh_address(), PORT, hostname="GZ-CORE1") as endpoint:
        text = await fetch_running_config(executor, target_of(endpoint), host_keys=host_keys)
    assert "sysname GZ-CORE1" in text
    assert not text.startswith("display current-configuration")  # the echo is stripped
    assert "<GZ-CORE1>" not in text  # and the prompt


async def test_a_changed_device_key_is_refused_and_published(
    tmp_path: Path, executor: SshExecutor, host_keys: HostKeyStore, bus: RecordingBus
) -> None:
    address = fresh_address()
    with running_ssh_device(
        "hp_comware", address, PORT, host_key_path=tmp_path / "key1"
    ) as endpoint:
        first = await collect_device(executor, target_of(endpoint), host_keys=host_keys, events=bus)
        old = endpoint.host_key_fingerprint
    with running_ssh_device(
        "hp_comware", address, PORT, host_key_path=tmp_path / "key2"
    ) as replaced:
        refused = await collect_device(
            executor, target_of(replaced), host_keys=host_keys, events=bus
        )
        new = replaced.host_key_fingerprint
    assert first.host_key is HostKeyVerdict.PINNED
    assert refused.failure is FailureKind.HOST_KEY
    assert refused.facts is None
    assert old in (refused.error or "")
    assert new in (refused.error or "")
    (event,) = bus.events
    assert isinstance(event, HostKeyChanged)
    assert (event.endpoint, event.pinned_fingerprint, event.presented_fingerprint) == (
        f"{address}:{PORT}",
        old,
        new,
    )
