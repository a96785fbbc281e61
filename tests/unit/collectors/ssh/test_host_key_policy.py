"""The host-key gate every paramiko client (netmiko's too) is built with: pinned keys loaded,
trust on first use for new endpoints, and refusals found behind netmiko's wrapping."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import paramiko
import pytest
from netmiko.exceptions import NetmikoTimeoutException
from sqlalchemy import Engine

from collectors.ssh.host_key_policy import HostKeyGate, HostKeyRefused, known_hosts_name
from core.clock import FakeClock
from core.state.db import migrate_to_head, open_state_engine
from core.state.host_keys import HostKeyStore, HostKeyVerdict
from tests.support.sshd import make_key


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Iterator[HostKeyStore]:
    engine: Engine = open_state_engine(f"sqlite:///{tmp_path / 'state.db'}")
    migrate_to_head(engine)
    yield HostKeyStore(engine, clock)
    engine.dispose()


@pytest.fixture
def keys(tmp_path: Path) -> tuple[paramiko.PKey, paramiko.PKey]:
    a = paramiko.Ed25519Key.from_private_key_file(str(make_key(tmp_path / "a")))
    b = paramiko.Ed25519Key.from_private_key_file(str(make_key(tmp_path / "b")))
    return a, b


def gate(store: HostKeyStore, port: int = 2222) -> HostKeyGate:
    return HostKeyGate(store, "127.0.0.9", port, target="dev1", device_id="dev1")


def test_a_new_endpoint_is_pinned_by_the_policy(
    store: HostKeyStore, keys: tuple[paramiko.PKey, paramiko.PKey]
) -> None:
    first = gate(store)
    client = paramiko.SSHClient()
    first.install(client)
    assert len(client.get_host_keys()) == 0
    client._policy.missing_host_key(client, "[127.0.0.9]:2222", keys[0])
    assert first.verdict is HostKeyVerdict.PINNED
    pinned = store.pinned("127.0.0.9:2222")
    assert pinned is not None
    assert pinned.fingerprint_sha256 == keys[0].fingerprint
    assert pinned.device_id == "dev1"


def test_a_pinned_key_is_loaded_under_paramiko_s_name(
    store: HostKeyStore, keys: tuple[paramiko.PKey, paramiko.PKey]
) -> None:
    store.check("127.0.0.9:2222", keys[0].get_name(), keys[0].get_base64())
    store.check("127.0.0.9:22", keys[1].get_name(), keys[1].get_base64())
    for port, key in ((2222, keys[0]), (22, keys[1])):
        client = paramiko.SSHClient()
        gate(store, port).install(client)
        loaded = client.get_host_keys().lookup(known_hosts_name("127.0.0.9", port))
        assert loaded is not None
        assert loaded[key.get_name()] == key


def test_a_refusal_is_found_behind_netmiko_s_wrapping(
    store: HostKeyStore, keys: tuple[paramiko.PKey, paramiko.PKey]
) -> None:
    """netmiko turns every SSHException of connect() into NetmikoTimeoutException."""
    checker = gate(store)
    try:
        try:
            raise paramiko.BadHostKeyException("127.0.0.9", keys[1], keys[0])
        except paramiko.SSHException:
            raise NetmikoTimeoutException("A paramiko SSHException occurred") from None
    except NetmikoTimeoutException as wrapped:
        refusal = checker.refusal(wrapped)
    assert isinstance(refusal, HostKeyRefused)
    assert refusal.pinned_fingerprint == keys[0].fingerprint
    assert refusal.presented_fingerprint == keys[1].fingerprint
    assert refusal.endpoint == "127.0.0.9:2222"
    assert "changed" in refusal.reason
    assert checker.verdict is HostKeyVerdict.CHANGED
    assert checker.refusal(ValueError("something else")) is None


def test_losing_a_first_use_race_to_another_key_refuses(
    store: HostKeyStore, keys: tuple[paramiko.PKey, paramiko.PKey]
) -> None:
    late = gate(store)
    client = paramiko.SSHClient()
    late.install(client)  # nothing pinned yet
    store.check("127.0.0.9:2222", keys[0].get_name(), keys[0].get_base64())  # another session
    with pytest.raises(HostKeyRefused):
        client._policy.missing_host_key(client, "[127.0.0.9]:2222", keys[1])
