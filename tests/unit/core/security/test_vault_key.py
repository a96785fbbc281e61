"""The vault's key file: created private, refused when it is not, never shown."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from core.errors import VaultError
from core.security.vault_key import (
    KeyRing,
    create_key_file,
    key_id,
    load_key_ring,
    write_key_file,
)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_key_file_is_private_and_loads_back(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "vault.key"
    created = create_key_file(path)
    assert mode_of(path) == 0o600
    assert mode_of(path.parent) == 0o700
    loaded = load_key_ring(path)
    assert loaded.keys == created.keys
    assert len(loaded.keys) == 1
    assert "back this file up separately" in path.read_text().lower()


def test_an_existing_key_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "vault.key"
    create_key_file(path)
    before = path.read_bytes()
    with pytest.raises(VaultError, match="already exists: refusing to overwrite"):
        create_key_file(path)
    assert path.read_bytes() == before


def test_a_missing_key_file_says_what_to_run(tmp_path: Path) -> None:
    path = tmp_path / "x" / "vault.key"
    with pytest.raises(VaultError) as caught:
        load_key_ring(path)
    assert str(caught.value) == f"vault key file {path} not found: run `ssnoc vault init`"


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620])
def test_a_key_file_others_may_touch_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "vault.key"
    create_key_file(path)
    path.chmod(mode)
    with pytest.raises(VaultError, match=rf"accessible by group or others \(mode {mode:04o}\)"):
        load_key_ring(path)


def test_a_malformed_line_is_named_but_not_echoed(tmp_path: Path) -> None:
    path = tmp_path / "vault.key"
    good = Fernet.generate_key().decode()
    almost = good[:-2] + "!!"
    write_key_file(path, KeyRing((good.encode(),)))
    path.write_text(f"# comment\n\n{good}\n{almost}\n")
    with pytest.raises(VaultError, match="line 4 is not a Fernet key") as caught:
        load_key_ring(path)
    assert almost not in str(caught.value)
    assert good not in str(caught.value)


def test_a_key_file_without_keys_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "vault.key"
    write_key_file(path, KeyRing.generate())
    path.write_text("# only a comment\n\n")
    with pytest.raises(VaultError, match="holds no key"):
        load_key_ring(path)


def test_a_directory_is_not_a_key_file(tmp_path: Path) -> None:
    path = tmp_path / "vault.key"
    path.mkdir(mode=0o700)
    with pytest.raises(VaultError, match="not a regular file"):
        load_key_ring(path)


def test_key_ids_are_a_sha256_prefix_and_reprs_show_no_key() -> None:
    ring = KeyRing.generate()
    (key,) = ring.keys
    assert key_id(key) == hashlib.sha256(key).hexdigest()[:8]
    assert ring.current_key_id == key_id(key)
    assert key.decode() not in repr(ring)
    assert key.decode() not in str(ring)


def test_the_newest_key_encrypts_and_every_key_decrypts() -> None:
    old = KeyRing.generate()
    old_token = old.encrypt(b"payload")
    both = old.with_new_key(Fernet.generate_key())
    assert both.key_ids[1:] == old.key_ids
    new_token = both.encrypt(b"payload")
    assert both.decrypt(old_token, "snmp/a") == b"payload"
    assert both.decrypt(new_token, "snmp/a") == b"payload"
    assert KeyRing(both.keys[:1]).decrypt(both.reencrypt(old_token, "snmp/a"), "x") == b"payload"
    with pytest.raises(VaultError, match="vault entry snmp/a cannot be decrypted"):
        old.decrypt(new_token, "snmp/a")


def test_rewriting_the_key_file_is_atomic_and_private(tmp_path: Path) -> None:
    path = tmp_path / "vault.key"
    first = create_key_file(path)
    both = first.with_new_key(Fernet.generate_key())
    write_key_file(path, both)
    assert load_key_ring(path) == both
    assert mode_of(path) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vault.key"]  # no temporary left


def test_an_empty_or_broken_ring_is_refused() -> None:
    with pytest.raises(VaultError, match="at least one key"):
        KeyRing(())
    with pytest.raises(VaultError, match="not a valid Fernet key"):
        KeyRing((b"short",))
