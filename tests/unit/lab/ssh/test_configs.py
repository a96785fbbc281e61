"""Running configurations look like the real thing and hold every kind of secret a real one does."""

from __future__ import annotations

import re

import pytest

from core.model import Platform
from lab.model import LabDevice, Province
from lab.ssh.configs import config_secrets, running_config
from lab.ssh.configs.encodings import cisco_type7, cisco_type9, comware_hash, vrp_irreversible
from lab.ssh.configs.inputs import BANNER, NTP_SERVERS, SYSLOG_SERVER
from tests.unit.lab.ssh.conftest import NETWORK_PLATFORMS

_TYPE7_KEY = "dsfd;kfoA,.iyewrkldJKDHSUBsgvca69834ncxv9873254k;fg87"
# How each platform shows a local user's password (the hash or cipher follows; on VRP and
# Comware, `simple` and the password in clear for a stale account set on an older release).
USER_PASSWORD = {
    Platform.HUAWEI_VRP: (
        r" local-user (\S+) password (irreversible-cipher \$1a\$\S+\$|simple \S+)$"
    ),
    Platform.HP_COMWARE: r"local-user (\S+) class manage\n password (hash \$h\$6\$\S+|simple \S+)$",
    Platform.CISCO_IOS: r"^username (\S+) privilege \d+ (?:secret [59]|password 7) (\S+)$",
    Platform.ZTE_ZXROS: r"  user-name (\S+)\n(?:    bind .*\n)+    password encrypted (\S+)$",
}
NAMING = {
    Platform.HUAWEI_VRP: "sysname",
    Platform.HP_COMWARE: " sysname",
    Platform.CISCO_IOS: "hostname",
    Platform.ZTE_ZXROS: "hostname",
}


def cisco_type7_decode(encoded: str) -> str:
    salt = int(encoded[:2])
    pairs = [int(encoded[i : i + 2], 16) for i in range(2, len(encoded), 2)]
    return "".join(
        chr(p ^ ord(_TYPE7_KEY[(salt + i) % len(_TYPE7_KEY)])) for i, p in enumerate(pairs)
    )


def device_of(province: Province, platform: Platform) -> LabDevice:
    return max(
        (d for d in province.devices if d.platform is platform), key=lambda d: len(d.accounts)
    )


@pytest.mark.parametrize("platform", NETWORK_PLATFORMS)
def test_the_config_describes_the_device(full: Province, platform: Platform) -> None:
    device = device_of(full, platform)
    text = running_config(device).text
    assert f"{NAMING[platform]} {device.name}\n" in text
    for interface in device.interfaces:
        if interface.ipv4:
            address = interface.ipv4.split("/")[0]
            assert re.search(rf"^ +ip address {re.escape(address)} 255\.", text, re.M), address
        if interface.link:
            assert f"description {interface.alias}" in text
    assert all(server in text for server in NTP_SERVERS)
    assert SYSLOG_SERVER in text
    assert BANNER[0] in text
    assert re.search(r"lldp (run|enable|global enable)", text)
    assert text == running_config(device).text  # the same device, the same text


@pytest.mark.parametrize("platform", NETWORK_PLATFORMS)
def test_every_local_user_is_there_hashed_unless_set_in_clear(
    full: Province, platform: Platform
) -> None:
    device = device_of(full, platform)
    text = running_config(device).text
    users = re.findall(USER_PASSWORD[platform], text, flags=re.M)
    assert [name for name, _ in users] == [a.name for a in device.accounts]
    shown = dict(users)
    for account in device.accounts:
        if account.hash_kind == "simple":
            assert shown[account.name] == f"simple {account.password}"
        else:
            assert account.password not in text


@pytest.mark.parametrize("platform", NETWORK_PLATFORMS)
def test_every_kind_of_secret_is_in_the_config(full: Province, platform: Platform) -> None:
    device = device_of(full, platform)
    config = running_config(device)
    assert device.secrets is not None
    printed = config.printed_secrets
    assert all(secret in config.text for secret in printed)
    # users, read and write communities, AAA, NTP and IKE keys at the least
    assert len(printed) >= len(device.accounts) + 5
    clear_allowed = (
        {device.community, device.secrets.snmp_write_community, device.secrets.ike_pre_shared_key}
        if platform is Platform.CISCO_IOS  # IOS shows these in clear, as real ones do
        else set()
    )
    for secret in (device.community, *device.secrets.values()):
        if secret not in clear_allowed and secret != device.secrets.snmpv3_user:
            assert secret not in config.text, secret
    if platform is not Platform.CISCO_IOS:  # IOS never shows SNMPv3 users
        assert device.secrets.snmpv3_user in config.text
    if platform in (Platform.CISCO_IOS, Platform.ZTE_ZXROS):
        assert re.search(r"^enable secret ", config.text, re.M)


@pytest.mark.parametrize("platform", NETWORK_PLATFORMS)
def test_config_secrets_lists_clear_and_printed_forms(full: Province, platform: Platform) -> None:
    device = device_of(full, platform)
    secrets = config_secrets(device)
    assert device.accounts[0].password in secrets
    assert set(running_config(device).printed_secrets) <= set(secrets)


def test_cisco_type7_is_the_real_reversible_encoding() -> None:
    assert cisco_type7_decode("02050D480809") == "cisco"  # the published example
    for secret in ("Admin@123", "x", "a longer secret with spaces"):
        encoded = cisco_type7(secret, "ctx")
        assert re.fullmatch(r"\d\d([0-9A-F]{2})+", encoded)
        assert cisco_type7_decode(encoded) == secret


def test_hashes_have_the_real_shapes() -> None:
    assert re.fullmatch(r"\$9\$[./0-9A-Za-z]{14}\$[./0-9A-Za-z]{43}", cisco_type9("pw", "c"))
    assert re.fullmatch(r"\$1a\$[^$\s?]{10}\$[^$\s?]{44}\$", vrp_irreversible("pw", "c"))
    assert re.fullmatch(r"\$h\$6\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==", comware_hash("pw", "c"))
    assert cisco_type9("pw", "a") != cisco_type9("pw", "b")  # salted per device and user


def test_lines_entered_over_the_cli_end_up_before_the_end(full: Province) -> None:
    device = device_of(full, Platform.CISCO_IOS)
    text = running_config(device, ["ntp server 10.9.9.9"]).text
    assert text.endswith("ntp server 10.9.9.9\nend\n")
    header = re.match(r"Building configuration...\n\nCurrent configuration : (\d+) bytes\n", text)
    assert header is not None
    assert int(header.group(1)) == len(text) - header.end()
