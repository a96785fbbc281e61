"""The stale shared accounts on VRP and Comware keep their password in clear (``password simple``),
the collectors read them as plaintext, and the NOC's scrubber still removes every secret.

That the permission audit then reports exactly these as ``weak_password_type`` (and nothing the lab
did not plant) is proven in tests/integration/lab/test_account_audit_lab.py; here, the parts.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from collectors.ssh.command_sets import command_set
from collectors.ssh.device_facts import interpret
from collectors.ssh.scrubber import PLACEHOLDER, scrub
from core.model import Platform
from lab.account_policy import stored_password_type
from lab.model import AccountRole, LabDevice, Province
from lab.ssh.configs import config_secrets, running_config
from lab.ssh.outputs import vrp
from lab.ssh.outputs.context import OutputContext
from tests.unit.lab.ssh.conftest import NETWORK_PLATFORMS

PLAINTEXT_PLATFORMS = (Platform.HUAWEI_VRP, Platform.HP_COMWARE)
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def network_devices(province: Province) -> list[LabDevice]:
    return [d for d in province.devices if d.is_network_device]


def with_stale_account(province: Province, platform: Platform) -> LabDevice:
    return next(
        d
        for d in network_devices(province)
        if d.platform is platform and any(a.role is AccountRole.STALE for a in d.accounts)
    )


def test_only_stale_accounts_on_vrp_and_comware_are_set_in_clear(full: Province) -> None:
    simple: dict[Platform, int] = dict.fromkeys(PLAINTEXT_PLATFORMS, 0)
    for device in network_devices(full):
        for account in device.accounts:
            planted = account.role is AccountRole.STALE and device.platform in PLAINTEXT_PLATFORMS
            assert (account.hash_kind == "simple") is planted, (device.id, account.name)
            if planted:
                simple[device.platform] += 1
    assert all(count > 0 for count in simple.values()), simple


def test_vrp_shows_the_password_after_password_simple(full: Province) -> None:
    device = with_stale_account(full, Platform.HUAWEI_VRP)
    stale = next(a for a in device.accounts if a.role is AccountRole.STALE)
    config = running_config(device)
    assert f"\n local-user {stale.name} password simple {stale.password}\n" in config.text
    assert stale.password in config.printed_secrets  # logged: the scrub tests' list has it


def test_comware_shows_password_simple_in_the_local_user_view(full: Province) -> None:
    device = with_stale_account(full, Platform.HP_COMWARE)
    stale = next(a for a in device.accounts if a.role is AccountRole.STALE)
    config = running_config(device)
    block = f"\nlocal-user {stale.name} class manage\n password simple {stale.password}\n"
    assert block in config.text
    assert stale.password in config.printed_secrets


def as_the_simulator_prints(device: LabDevice) -> dict[str, str]:
    """The answers to the account commands of the device's command set."""
    config = running_config(device).text
    outputs = {"running_config": config}
    if device.platform is Platform.HUAWEI_VRP:
        context = OutputContext(device, device.uptime_s, NOW, lambda: config)
        outputs["local_users"] = vrp.local_user(context)
    return outputs


def test_the_collectors_read_every_password_type_the_lab_predicts(full: Province) -> None:
    plaintext = 0
    for device in network_devices(full):
        reading = interpret(
            command_set(device.platform), as_the_simulator_prints(device), prompt_hostname=None
        )
        assert not reading.command_errors, device.id
        read = {a.name: a.password_type for a in reading.accounts}
        predicted = {a.name: stored_password_type(device.platform, a) for a in device.accounts}
        assert read == predicted, device.id
        plaintext += sum(1 for kind in read.values() if kind == "plaintext")
    assert plaintext > 0


@pytest.mark.parametrize(
    "platform",
    NETWORK_PLATFORMS,
)
def test_the_noc_scrubber_leaves_none_of_the_lab_config_secrets(
    full: Province, platform: Platform
) -> None:
    device = with_stale_account(full, platform)
    assert device.secrets is not None
    scrubbed = scrub(running_config(device).text, platform).text
    assert PLACEHOLDER in scrubbed
    # The SNMPv3 user is a name, not a secret: it stays, as the stale account's name does.
    for secret in set(config_secrets(device)) - {device.secrets.snmpv3_user}:
        assert secret not in scrubbed, secret
