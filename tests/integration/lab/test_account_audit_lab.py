"""The permission audit finds exactly what the lab planted — no more, no fewer.

Two paths from the lab's devices to stored accounts, both through the NOC's own code:

- every router and switch of a whole province: the configuration (and VRP's ``display
  local-user``) the simulator would print, read by the collectors' parsers — a second or two;
- a handful of devices chosen to cover every platform and every kind of planted account, each on
  the lab's SSH simulator, collected by the real SSH collector over SSH.

Both store the accounts in a state DB through :class:`AccountRepository`, read them back, and
audit them against the lab's own policy file.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine

from collectors.ssh.collect import collect_device
from collectors.ssh.command_sets import command_set
from collectors.ssh.device_facts import interpret
from collectors.ssh.executor import SshExecutor
from collectors.ssh.target import SshTarget
from core.clock import SystemClock
from core.credentials import SshCredential
from core.model import Platform
from core.security.account_audit import audit_accounts
from core.security.account_policy import DeviceInfo, load_account_policy
from core.state.accounts import AccountRepository
from core.state.db import migrate_to_head, open_state_engine
from core.state.host_keys import HostKeyStore
from lab.account_policy import (
    lab_owner_scopes,
    lent_account,
    planted_violations,
    stored_privilege,
    write_account_policy,
)
from lab.divisions import load_divisions
from lab.model import AccountRole, LabDevice, Province
from lab.province import build_province
from lab.ssh.configs import running_config
from lab.ssh.outputs import vrp
from lab.ssh.outputs.context import OutputContext
from lab.ssh.testing import running_ssh_device
from tests.conftest import SHARED
from tests.support.addresses import fresh_address

pytestmark = pytest.mark.integration

DIVISIONS = SHARED / "data" / "guangdong_divisions.json"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
SSH_PORT = 2222


@pytest.fixture(scope="module")
def province() -> Province:
    # Medium, seed 2: every platform, and stale accounts of every stored privilege on each.
    return build_province(load_divisions(DIVISIONS), "medium", seed=2, network="127.20")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_state_engine(f"sqlite:///{tmp_path / 'state.db'}")
    migrate_to_head(engine)
    yield engine
    engine.dispose()


def found_on(engine: Engine, province: Province, policy_dir: Path) -> set[tuple[str, str, str]]:
    """Audit what the state DB holds against the lab's policy file, as ``ssnoc security`` does."""
    policy = load_account_policy(write_account_policy(policy_dir, province))
    devices = {d.id: DeviceInfo(d.region, d.platform, d.name) for d in province.devices}
    stored = AccountRepository(engine).search()
    findings = audit_accounts(stored, devices, policy, lab_owner_scopes(province), NOW)
    return {(f.kind.value, f.device_id, f.account) for f in findings}


def as_the_simulator_prints(device: LabDevice) -> dict[str, str]:
    """The answers to the account commands of the device's command set."""
    config = running_config(device).text
    outputs = {"running_config": config}
    if device.platform is Platform.HUAWEI_VRP:
        context = OutputContext(device, device.uptime_s, NOW, lambda: config)
        outputs["local_users"] = vrp.local_user(context)
    return outputs


def test_every_device_of_a_province_read_by_the_parsers(
    province: Province, engine: Engine, tmp_path: Path
) -> None:
    repository = AccountRepository(engine)
    network = [d for d in province.devices if d.is_network_device]
    for device in network:
        reading = interpret(
            command_set(device.platform), as_the_simulator_prints(device), prompt_hostname=None
        )
        assert not reading.command_errors, device.id
        repository.replace(device.id, reading.accounts, NOW)
    assert len(repository.device_ids()) == len(network)
    found = found_on(engine, province, tmp_path)
    expected = planted_violations(province)
    assert found - expected == set(), "the audit reports what the lab did not plant"
    assert expected - found == set(), "the audit misses what the lab planted"
    assert len(found) > 100


def chosen_devices(province: Province) -> list[LabDevice]:
    """One device per (platform, stale account as the device shows it), the lent admin's device
    and a provincial data centre's core: every planted kind on every platform, a dozen devices."""
    lent = lent_account(province)
    chosen: dict[object, LabDevice] = {}
    for device in province.devices:
        if not device.is_network_device:
            continue
        stale = tuple(
            (stored_privilege(device.platform, a), a.hash_kind)
            for a in device.accounts
            if a.role is AccountRole.STALE
        )
        chosen.setdefault((device.platform, stale), device)
        if lent is not None and device.id == lent.device_id:
            chosen["lent"] = device
        if device.region == "440000":
            chosen.setdefault("province", device)
    return list({d.id: d for d in chosen.values()}.values())


async def test_a_dozen_devices_collected_over_ssh(
    province: Province, engine: Engine, tmp_path: Path
) -> None:
    devices = chosen_devices(province)
    assert {d.platform for d in devices} == {
        Platform.HUAWEI_VRP,
        Platform.HP_COMWARE,
        Platform.CISCO_IOS,
        Platform.ZTE_ZXROS,
    }
    assert len(devices) <= 14
    login = province.login
    assert login is not None
    credential = SshCredential(username=login.username, password=SecretStr(login.password))
    host_keys = HostKeyStore(engine, SystemClock())
    repository = AccountRepository(engine)
    with ExitStack() as running:
        targets = []
        for device in devices:
            endpoint = running.enter_context(
                running_ssh_device(
                    device.platform.value,
                    fresh_address(),
                    SSH_PORT,
                    username=login.username,
                    password=login.password,
                    lab_device=device,
                )
            )
            targets.append(
                SshTarget(
                    device_id=device.id,
                    host=endpoint.host,
                    port=endpoint.port,
                    platform=device.platform,
                    credential=credential,
                    timeout_s=20.0,
                )
            )
        async with SshExecutor(max_workers=16) as executor:
            results = await asyncio.gather(
                *(collect_device(executor, t, host_keys=host_keys) for t in targets)
            )
    for result in results:
        assert result.ok, (result.device_id, result.error)
        assert result.accounts_complete, (result.device_id, result.command_errors)
        repository.replace(result.device_id, result.accounts, result.collected_at)
    found = found_on(engine, province, tmp_path)
    ids = {d.id for d in devices}
    expected = {v for v in planted_violations(province) if v[1] in ids}
    assert found - expected == set(), "the audit reports what the lab did not plant"
    assert expected - found == set(), "the audit misses what the lab planted"
    assert {kind for kind, _, _ in found} == {
        "unknown_account",
        "privileged_not_in_policy",
        "generic_name",
        "owner_out_of_region",
        "weak_password_type",
    }
