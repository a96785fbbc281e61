"""What the province gained for SSH: accounts, secrets, addresses, neighbours' facts, the NOC's
view (inventory ssh access, credentials ssh section)."""

from __future__ import annotations

from collections import Counter
from ipaddress import IPv4Interface
from pathlib import Path

from core.credentials import load_credentials
from core.inventory import load_inventory
from core.model import Platform
from lab.divisions import City
from lab.files import write_credentials, write_inventory
from lab.model import LINUX_SSH_CREDENTIAL, NETWORK_SSH_CREDENTIAL, AccountRole, Province
from lab.province import build_province


def test_every_network_device_has_the_realistic_set_of_accounts(full: Province) -> None:
    network = [d for d in full.devices if d.is_network_device]
    stale = 0
    for device in network:
        roles = Counter(a.role for a in device.accounts)
        assert roles[AccountRole.ADMIN] == roles[AccountRole.NOC] == roles[AccountRole.VENDOR] == 1
        admin = next(a for a in device.accounts if a.role is AccountRole.ADMIN)
        assert admin.privilege == 15
        noc = next(a for a in device.accounts if a.role is AccountRole.NOC)
        assert full.login is not None
        assert (noc.name, noc.password) == (full.login.username, full.login.password)
        assert noc.privilege < 15
        stale += roles[AccountRole.STALE]
        assert all(a.password != a.name for a in device.accounts)
        assert device.secrets is not None
        needs_enable = device.platform in (Platform.CISCO_IOS, Platform.ZTE_ZXROS)
        assert (device.secrets.enable_secret is not None) is needs_enable
    assert 0.2 * len(network) < stale < 0.6 * len(network)
    hosts = [d for d in full.devices if not d.is_network_device]
    assert all(not d.accounts and d.secrets is None for d in hosts)


def test_accounts_and_secrets_follow_the_seed(cities: tuple[City, ...], small: Province) -> None:
    again = build_province(cities, "small", seed=7, network="127.20")
    assert again == small
    other = build_province(cities, "small", seed=8, network="127.20")
    assert other.devices[0].accounts != small.devices[0].accounts
    assert other.login != small.login


def test_links_are_routed_30s_and_the_loopback_is_the_devices_address(full: Province) -> None:
    ends: dict[str, list[IPv4Interface]] = {}
    for device in full.devices:
        loopbacks = [i for i in device.interfaces if i.ipv4 and i.ipv4.endswith("/32")]
        if device.is_network_device:
            assert [i.ipv4 for i in loopbacks] == [f"{device.address}/32"]
        for interface in device.interfaces:
            if interface.link is not None:
                assert interface.ipv4 is not None
                ends.setdefault(interface.link, []).append(IPv4Interface(interface.ipv4))
    assert len(ends) == len(full.links)
    for a, b in ends.values():
        assert a.network == b.network
        assert a.network.prefixlen == 30
        assert a.ip != b.ip


def test_neighbours_carry_what_the_far_end_announces(full: Province) -> None:
    devices = full.device_by_id()
    for device in full.devices:
        for neighbour in device.neighbours:
            peer = devices[neighbour.device]
            assert neighbour.remote_name == peer.name
            assert neighbour.remote_mac == peer.mac
            assert neighbour.remote_address == peer.address
            assert neighbour.remote_model == peer.model
            remote = peer.interface_by_name()[neighbour.remote_interface]
            assert neighbour.remote_port_description == (remote.alias or remote.descr)


def test_the_inventory_gives_ssh_to_devices_and_hosts_only_with_sshd(
    tmp_path: Path, small: Province
) -> None:
    without = load_inventory(write_inventory(tmp_path, small))
    for device in without.devices:
        if device.platform is Platform.LINUX:
            assert device.ssh is None
        else:
            assert device.ssh is not None
            assert (device.ssh.port, device.ssh.credential) == (2222, NETWORK_SSH_CREDENTIAL)
    with_hosts = load_inventory(write_inventory(tmp_path, small, linux_ssh=True))
    hosts = [d for d in with_hosts.devices if d.platform is Platform.LINUX]
    assert hosts
    assert all(d.ssh is not None and d.ssh.credential == LINUX_SSH_CREDENTIAL for d in hosts)
    no_ssh = small.model_copy(update={"ssh_port": None})
    assert all(d.ssh is None for d in no_ssh.to_inventory(linux_ssh=True).devices)


def test_the_credentials_name_the_ssh_logins(tmp_path: Path, small: Province) -> None:
    key = tmp_path / "lab_root_ed25519"
    credentials = load_credentials(write_credentials(tmp_path, small, key))
    network = credentials.ssh(NETWORK_SSH_CREDENTIAL)
    assert small.login is not None
    assert network.username == small.login.username
    assert network.password is not None
    assert network.password.get_secret_value() == small.login.password
    assert network.enable_secret is not None
    assert network.enable_secret.get_secret_value() == small.login.enable_secret
    linux = credentials.ssh(LINUX_SSH_CREDENTIAL)
    assert (linux.username, linux.private_key_path) == ("root", key)
    assert credentials.ssh_names() == sorted([NETWORK_SSH_CREDENTIAL, LINUX_SSH_CREDENTIAL])
    assert load_credentials(write_credentials(tmp_path, small)).ssh_names() == [
        NETWORK_SSH_CREDENTIAL
    ]
