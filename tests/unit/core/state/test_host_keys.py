"""Host keys: pinned on first use, matched later, a different key refused, forget re-pins."""

from __future__ import annotations

import base64
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from core.clock import FakeClock
from core.state.db import migrate_to_head, open_state_engine
from core.state.host_keys import (
    HostKeyStore,
    HostKeyVerdict,
    endpoint_of,
    fingerprint_sha256,
)

KEY_A = base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + b"A" * 32).decode()
KEY_B = base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + b"B" * 32).decode()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_state_engine(f"sqlite:///{tmp_path / 'state.db'}")
    migrate_to_head(engine)
    yield engine
    engine.dispose()


def test_first_use_pins_then_the_same_key_matches(engine: Engine, clock: FakeClock) -> None:
    store = HostKeyStore(engine, clock)
    first = store.check("127.0.0.1:22", "ssh-ed25519", KEY_A, device_id="gz-core1")
    assert first.verdict is HostKeyVerdict.PINNED
    assert first.accepted
    assert first.pinned.fingerprint_sha256 == fingerprint_sha256(KEY_A)
    clock.advance(60)
    again = store.check("127.0.0.1:22", "ssh-ed25519", KEY_A)
    assert again.verdict is HostKeyVerdict.MATCHED
    pinned = store.pinned("127.0.0.1:22")
    assert pinned is not None
    assert pinned.device_id == "gz-core1"
    assert pinned.last_seen_at == clock.now()
    assert pinned.first_seen_at < pinned.last_seen_at


def test_a_changed_key_is_refused_and_the_old_one_stays(engine: Engine, clock: FakeClock) -> None:
    store = HostKeyStore(engine, clock)
    store.check("127.0.0.1:22", "ssh-ed25519", KEY_A)
    changed = store.check("127.0.0.1:22", "ssh-ed25519", KEY_B)
    assert changed.verdict is HostKeyVerdict.CHANGED
    assert not changed.accepted
    assert changed.pinned.public_key == KEY_A
    assert changed.presented_fingerprint == fingerprint_sha256(KEY_B)
    # Refusing changes nothing: asking again is refused again.
    assert store.check("127.0.0.1:22", "ssh-ed25519", KEY_B).verdict is HostKeyVerdict.CHANGED
    pinned = store.pinned("127.0.0.1:22")
    assert pinned is not None
    assert pinned.public_key == KEY_A


def test_another_key_type_is_a_change_too(engine: Engine, clock: FakeClock) -> None:
    store = HostKeyStore(engine, clock)
    store.check("h:22", "ssh-ed25519", KEY_A)
    assert store.check("h:22", "ssh-rsa", KEY_A).verdict is HostKeyVerdict.CHANGED


def test_forget_lets_the_next_key_pin(engine: Engine, clock: FakeClock) -> None:
    store = HostKeyStore(engine, clock)
    store.check("h:22", "ssh-ed25519", KEY_A)
    assert store.forget("h:22") is True
    assert store.forget("h:22") is False
    assert store.check("h:22", "ssh-ed25519", KEY_B).verdict is HostKeyVerdict.PINNED


def test_list_by_endpoint_and_device(engine: Engine, clock: FakeClock) -> None:
    store = HostKeyStore(engine, clock)
    store.check("b:22", "ssh-ed25519", KEY_A, device_id="dev-b")
    store.check("a:22", "ssh-ed25519", KEY_B, device_id="dev-a")
    assert [k.endpoint for k in store.list()] == ["a:22", "b:22"]
    assert [k.endpoint for k in store.list("dev-b")] == ["b:22"]


def test_first_use_races_pin_one_key(engine: Engine, clock: FakeClock) -> None:
    """Sessions on worker threads may meet a new endpoint at once: one pins, the other compares."""
    store = HostKeyStore(engine, clock)
    start = threading.Barrier(8)
    verdicts: list[HostKeyVerdict] = []
    lock = threading.Lock()

    def check(key: str) -> None:
        start.wait()
        verdict = store.check("race:22", "ssh-ed25519", key).verdict
        with lock:
            verdicts.append(verdict)

    threads = [threading.Thread(target=check, args=(KEY_A,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert verdicts.count(HostKeyVerdict.PINNED) == 1
    assert verdicts.count(HostKeyVerdict.MATCHED) == 7


def test_fingerprint_is_openssh_s(tmp_path: Path) -> None:
    key = tmp_path / "k"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    key_type, blob, _ = (key.with_suffix(".pub")).read_text().split(" ", 2)
    listed = subprocess.run(
        ["ssh-keygen", "-l", "-E", "sha256", "-f", str(key.with_suffix(".pub"))],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()[1]
    assert key_type == "ssh-ed25519"
    assert fingerprint_sha256(blob) == listed


def test_endpoints_bracket_ipv6() -> None:
    assert endpoint_of("127.0.0.1", 22) == "127.0.0.1:22"
    assert endpoint_of("::1", 2222) == "[::1]:2222"


def test_a_key_that_is_not_base64_is_an_error() -> None:
    with pytest.raises(ValueError, match="base64"):
        fingerprint_sha256("not base64!")
