"""The credentials vault on SQLite: round trips, nothing readable at rest, rotation, import.

The scenarios in ``VAULT_SCENARIOS`` take an engine and a directory for the key file, and run
here on SQLite and on PostgreSQL in tests/integration/core/test_vault_postgres.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import Engine, delete, select, text
from sqlalchemy.orm import Session

from core.clock import FakeClock
from core.credentials import (
    AuthProtocol,
    Credentials,
    PrivProtocol,
    SnmpV2cCredential,
    SnmpV3Credential,
    SshCredential,
)
from core.errors import CredentialError, NotFound, StoreError, VaultError
from core.security import vault as vault_module
from core.security.vault import (
    CredentialVault,
    ImportCounts,
    VaultKind,
    list_vault_entries,
    load_device_credentials,
)
from core.security.vault_key import KeyRing, create_key_file, load_key_ring, write_key_file
from core.state.db import migrate_to_head, open_state_engine
from core.state.tables import VaultSecretRow

V2C_COMMUNITY = "c0mmunity-V2C-zq81"
V3_AUTH_KEY = "authKey-V3-mp42"
V3_PRIV_KEY = "privKey-V3-tx77"
SSH_PASSWORD = "ssh-Passw0rd-kd19"
SSH_ENABLE = "En4ble-Secret-wr55"
SSH_KEY_BODY = "UHJpdmF0ZUtleS1qaDMz"
SSH_PRIVATE_KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    f"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUt{SSH_KEY_BODY}\n"
    "-----END OPENSSH PRIVATE KEY-----\n"
)
SECRETS = (V2C_COMMUNITY, V3_AUTH_KEY, V3_PRIV_KEY, SSH_PASSWORD, SSH_ENABLE, SSH_KEY_BODY)
"""Every secret the tests store (for the private key, its distinctive middle)."""

V2C = SnmpV2cCredential(community=SecretStr(V2C_COMMUNITY))
V3 = SnmpV3Credential(
    user="noc",
    auth_protocol=AuthProtocol.SHA256,
    auth_key=SecretStr(V3_AUTH_KEY),
    priv_protocol=PrivProtocol.AES128,
    priv_key=SecretStr(V3_PRIV_KEY),
    context="vrf-mgmt",
)
SSH_WITH_PASSWORD = SshCredential(
    username="netops", password=SecretStr(SSH_PASSWORD), enable_secret=SecretStr(SSH_ENABLE)
)
SSH_WITH_KEY = SshCredential(username="root", private_key=SecretStr(SSH_PRIVATE_KEY))

CREDENTIALS_YAML = f"""\
snmp:
  county-v2c: {{version: "2c", community: "{V2C_COMMUNITY}"}}
  core-v3:
    version: "3"
    user: noc
    auth_protocol: sha256
    auth_key: "{V3_AUTH_KEY}"
    priv_protocol: aes128
    priv_key: "{V3_PRIV_KEY}"
    context: vrf-mgmt
ssh:
  ios-admin: {{username: netops, password: "{SSH_PASSWORD}", enable_secret: "{SSH_ENABLE}"}}
"""


def store_all(vault: CredentialVault) -> None:
    vault.put(VaultKind.SNMP, "county-v2c", V2C)
    vault.put("snmp", "core-v3", V3)
    vault.put(VaultKind.SSH, "ios-admin", SSH_WITH_PASSWORD)
    vault.put("ssh", "linux-key", SSH_WITH_KEY)


def revealed(credentials: Credentials) -> dict[str, dict[str, object]]:
    """Every credential with its secrets shown, to compare values (only inside tests)."""
    shown: dict[str, dict[str, object]] = {}
    for name in credentials.snmp_names():
        shown[f"snmp/{name}"] = _reveal(credentials.snmp(name))
    for name in credentials.ssh_names():
        shown[f"ssh/{name}"] = _reveal(credentials.ssh(name))
    return shown


def _reveal(model: SnmpV2cCredential | SnmpV3Credential | SshCredential) -> dict[str, object]:
    return {
        field: value.get_secret_value() if isinstance(value, SecretStr) else value
        for field, value in model
    }


def empty_vault(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        session.execute(delete(VaultSecretRow))


def new_vault(engine: Engine, key_dir: Path) -> tuple[CredentialVault, Path]:
    """An empty vault whose key file is ``key_dir/vault.key``."""
    empty_vault(engine)
    key_path = key_dir / "vault.key"
    ring = create_key_file(key_path)
    return CredentialVault(engine, ring, FakeClock()), key_path


def raw_rows(engine: Engine) -> list[str]:
    """Every column of every vault row, as the DB returns it."""
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM vault_secrets")).all()
    return [" ".join(str(value) for value in row) for row in rows]


# ---------------------------------------------------------------------------------- scenarios


def round_trip_per_kind(engine: Engine, key_dir: Path) -> None:
    vault, _ = new_vault(engine, key_dir)
    store_all(vault)
    assert vault.get_snmp("county-v2c") == V2C
    assert vault.get_snmp("core-v3") == V3
    assert vault.get_snmp("core-v3").security_level == "authPriv"  # type: ignore[union-attr]
    assert vault.get_ssh("ios-admin") == SSH_WITH_PASSWORD
    assert vault.get_ssh("linux-key") == SSH_WITH_KEY
    loaded = vault.load_credentials()
    assert loaded.snmp_names() == ["core-v3", "county-v2c"]
    assert loaded.ssh_names() == ["ios-admin", "linux-key"]
    assert revealed(loaded)["ssh/linux-key"]["private_key"] == SSH_PRIVATE_KEY
    assert [(e.kind, e.name) for e in vault.names()] == [
        (VaultKind.SNMP, "core-v3"),
        (VaultKind.SNMP, "county-v2c"),
        (VaultKind.SSH, "ios-admin"),
        (VaultKind.SSH, "linux-key"),
    ]
    assert {e.key_id for e in vault.names()} == {vault.key_ring.current_key_id}
    assert all(e.updated_at.tzinfo is not None for e in vault.names())


def ciphertext_holds_no_secret(engine: Engine, key_dir: Path) -> None:
    vault, _ = new_vault(engine, key_dir)
    store_all(vault)
    rows = raw_rows(engine)
    assert len(rows) == 4
    for row in rows:
        assert "gAAAAA" in row  # a Fernet token
        for secret in SECRETS:
            assert secret not in row
    assert "county-v2c" in " ".join(rows)  # names stay readable: the inventory refers to them


def wrong_key_names_the_entry(engine: Engine, key_dir: Path) -> None:
    vault, _ = new_vault(engine, key_dir)
    vault.put(VaultKind.SNMP, "county-v2c", V2C)
    stranger = CredentialVault(engine, KeyRing.generate(), FakeClock())
    with pytest.raises(VaultError, match="vault entry snmp/county-v2c cannot be decrypted") as e:
        stranger.load_credentials()
    with pytest.raises(VaultError, match="snmp/county-v2c"):
        stranger.get_snmp("county-v2c")
    assert V2C_COMMUNITY not in str(e.value)


def rotation_reencrypts_everything(engine: Engine, key_dir: Path) -> None:
    vault, key_path = new_vault(engine, key_dir)
    store_all(vault)
    old_ring = vault.key_ring
    before = revealed(vault.load_credentials())
    stamps = {e.name: e.updated_at for e in vault.names()}

    assert vault.rotate(key_path) == 4

    on_file = load_key_ring(key_path)
    assert len(on_file.keys) == 1
    assert on_file.current_key_id != old_ring.current_key_id
    assert vault.key_ring == on_file
    assert {e.key_id for e in vault.names()} == {on_file.current_key_id}
    assert {e.name: e.updated_at for e in vault.names()} == stamps  # the secrets did not change
    assert revealed(CredentialVault(engine, on_file, FakeClock()).load_credentials()) == before
    with pytest.raises(VaultError, match="cannot be decrypted"):
        CredentialVault(engine, old_ring, FakeClock()).load_credentials()


def interrupted_rotation_still_decrypts(engine: Engine, key_dir: Path) -> None:
    """The middle state: both keys in the file, only some entries on the new key."""
    vault, key_path = new_vault(engine, key_dir)
    store_all(vault)
    before = revealed(vault.load_credentials())
    old_ring = vault.key_ring
    both = old_ring.with_new_key(Fernet.generate_key())
    write_key_file(key_path, both)
    with Session(engine) as session, session.begin():
        query = select(VaultSecretRow).where(VaultSecretRow.kind == "snmp")
        for row in session.scalars(query):
            row.ciphertext = both.reencrypt(row.ciphertext, row.name)
            row.key_id = both.current_key_id
    assert len({e.key_id for e in list_vault_entries(engine)}) == 2

    from_file = CredentialVault(engine, load_key_ring(key_path), FakeClock())
    assert revealed(from_file.load_credentials()) == before
    # A rotation run again from there finishes the job with yet another key.
    assert from_file.rotate(key_path) == 4
    finished = load_key_ring(key_path)
    assert len(finished.keys) == 1
    assert finished.current_key_id not in both.key_ids
    assert revealed(CredentialVault(engine, finished, FakeClock()).load_credentials()) == before


def import_from_a_credentials_file(engine: Engine, key_dir: Path) -> None:
    vault, _ = new_vault(engine, key_dir)
    source = key_dir / "credentials.yaml"
    source.write_text(CREDENTIALS_YAML)
    assert vault.import_file(source) == ImportCounts(snmp=2, ssh=1)
    assert vault.get_snmp("county-v2c") == V2C
    assert vault.get_snmp("core-v3") == V3
    assert vault.get_ssh("ios-admin") == SSH_WITH_PASSWORD

    source.write_text(CREDENTIALS_YAML.replace(V2C_COMMUNITY, "changed-community"))
    assert vault.import_file(source) == ImportCounts(snmp=2, ssh=1)
    assert len(vault.names()) == 3
    community = vault.get_snmp("county-v2c")
    assert isinstance(community, SnmpV2cCredential)
    assert community.community.get_secret_value() == "changed-community"


VAULT_SCENARIOS: tuple[Callable[[Engine, Path], None], ...] = (
    round_trip_per_kind,
    ciphertext_holds_no_secret,
    wrong_key_names_the_entry,
    rotation_reencrypts_everything,
    interrupted_rotation_still_decrypts,
    import_from_a_credentials_file,
)


# ---------------------------------------------------------------------------------- SQLite


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_state_engine(f"sqlite:///{tmp_path / 'db' / 'state.db'}")
    migrate_to_head(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def key_dir(tmp_path: Path) -> Path:
    return tmp_path / "keys"


@pytest.mark.parametrize("scenario", VAULT_SCENARIOS, ids=lambda s: s.__name__)
def test_vault_on_sqlite(
    scenario: Callable[[Engine, Path], None],
    engine: Engine,
    key_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    scenario(engine, key_dir)
    for secret in SECRETS:
        assert secret not in caplog.text


def test_no_secret_anywhere_in_the_sqlite_files(engine: Engine, key_dir: Path) -> None:
    vault, key_path = new_vault(engine, key_dir)
    store_all(vault)
    vault.rotate(key_path)
    vault.remove(VaultKind.SSH, "linux-key")
    engine.dispose()  # and with it the WAL's checkpoint: read what is on disk, all of it
    files = sorted((key_dir.parent / "db").glob("state.db*"))
    assert files
    raw = b"".join(path.read_bytes() for path in files)
    assert b"county-v2c" in raw  # the right files: the entry names are in them
    for secret in SECRETS:
        assert secret.encode() not in raw


def test_a_removed_entry_is_gone(engine: Engine, key_dir: Path) -> None:
    vault, _ = new_vault(engine, key_dir)
    store_all(vault)
    vault.remove("ssh", "linux-key")
    with pytest.raises(CredentialError, match="no SSH credential named 'linux-key' in the vault"):
        vault.get_ssh("linux-key")
    with pytest.raises(NotFound, match="no ssh credential named 'linux-key'"):
        vault.remove(VaultKind.SSH, "linux-key")
    assert len(vault.names()) == 3


def test_putting_again_replaces_and_stamps_the_change(engine: Engine, key_dir: Path) -> None:
    vault, _ = new_vault(engine, key_dir)
    clock = FakeClock()
    vault = CredentialVault(engine, vault.key_ring, clock)
    vault.put("snmp", "county-v2c", V2C)
    clock.advance(60)
    changed = SnmpV2cCredential(community=SecretStr("other"))
    vault.put("snmp", "county-v2c", changed)
    assert vault.get_snmp("county-v2c") == changed
    (entry,) = vault.names()
    assert entry.updated_at == clock.now()


def test_what_cannot_be_stored_is_refused(engine: Engine, key_dir: Path) -> None:
    vault, _ = new_vault(engine, key_dir)
    with pytest.raises(CredentialError, match="is not a snmp credential"):
        vault.put("snmp", "x", SSH_WITH_PASSWORD)
    with pytest.raises(CredentialError, match="is not a ssh credential"):
        vault.put("ssh", "x", V2C)
    with pytest.raises(CredentialError, match="give a password or a private key"):
        vault.put("ssh", "x", SshCredential(username="u"))
    with pytest.raises(CredentialError, match="privacy needs authentication"):
        vault.put(
            "snmp",
            "x",
            SnmpV3Credential(user="u", priv_protocol=PrivProtocol.DES, priv_key=SecretStr("p")),
        )
    with pytest.raises(CredentialError, match="1 to 96 characters"):
        vault.put("snmp", "n" * 97, V2C)
    with pytest.raises(VaultError, match="unknown vault entry kind 'telnet'"):
        vault.put("telnet", "x", V2C)
    assert vault.names() == []


def test_an_interrupted_rotation_leaves_a_key_file_that_decrypts_everything(
    engine: Engine, key_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault, key_path = new_vault(engine, key_dir)
    store_all(vault)
    before = revealed(vault.load_credentials())
    real_write = write_key_file
    writes: list[int] = []

    def dies_on_the_final_write(path: Path, ring: KeyRing) -> None:
        writes.append(len(ring.keys))
        if len(writes) == 2:
            raise KeyboardInterrupt  # the process is stopped between re-encryption and cleanup
        real_write(path, ring)

    monkeypatch.setattr(vault_module, "write_key_file", dies_on_the_final_write)
    with pytest.raises(KeyboardInterrupt):
        vault.rotate(key_path)
    assert writes == [2, 1]
    left = load_key_ring(key_path)
    assert len(left.keys) == 2
    assert {e.key_id for e in list_vault_entries(engine)} == {left.current_key_id}
    assert revealed(CredentialVault(engine, left, FakeClock()).load_credentials()) == before


def test_a_rotation_that_fails_midway_changes_no_entry(
    engine: Engine, key_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault, key_path = new_vault(engine, key_dir)
    store_all(vault)
    before = revealed(vault.load_credentials())
    old_id = vault.key_ring.current_key_id
    real_reencrypt = KeyRing.reencrypt
    calls: list[str] = []

    def dies_on_the_third(ring: KeyRing, ciphertext: str, what: str) -> str:
        calls.append(what)
        if len(calls) == 3:
            raise VaultError("disk on fire")
        return real_reencrypt(ring, ciphertext, what)

    monkeypatch.setattr(KeyRing, "reencrypt", dies_on_the_third)
    with pytest.raises(VaultError, match="disk on fire"):
        vault.rotate(key_path)
    assert {e.key_id for e in list_vault_entries(engine)} == {old_id}  # rolled back, all of it
    left = load_key_ring(key_path)
    assert left.key_ids[1] == old_id
    assert revealed(CredentialVault(engine, left, FakeClock()).load_credentials()) == before


def test_reprs_show_no_key(engine: Engine, key_dir: Path) -> None:
    vault, _ = new_vault(engine, key_dir)
    (key,) = vault.key_ring.keys
    assert key.decode() not in repr(vault)
    assert vault.key_ring.current_key_id in repr(vault)


def test_a_state_db_without_the_table_is_a_store_error(tmp_path: Path) -> None:
    bare = open_state_engine(f"sqlite:///{tmp_path / 'bare.db'}")
    try:
        vault = CredentialVault(bare, KeyRing.generate(), FakeClock())
        with pytest.raises(StoreError, match="state DB: cannot list the vault"):
            vault.names()
        with pytest.raises(StoreError, match="state DB: cannot store snmp/county-v2c"):
            vault.put("snmp", "county-v2c", V2C)
    finally:
        bare.dispose()


# ------------------------------------------------------------------ for the composition root


def test_no_vault_and_no_file_means_no_credentials(engine: Engine, tmp_path: Path) -> None:
    loaded = load_device_credentials(engine, tmp_path / "vault.key", tmp_path / "creds.yaml")
    assert loaded.snmp_names() == []
    assert loaded.ssh_names() == []


def test_an_empty_vault_falls_back_to_the_plaintext_file_with_one_warning(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    plaintext = tmp_path / "creds.yaml"
    plaintext.write_text(CREDENTIALS_YAML)
    plaintext.chmod(0o600)
    loaded = load_device_credentials(engine, tmp_path / "missing.key", plaintext)
    assert loaded.snmp("county-v2c") == V2C
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "plaintext" in warnings[0].getMessage()
    assert f"ssnoc vault import {plaintext}" in warnings[0].getMessage()
    for secret in SECRETS:
        assert secret not in caplog.text


def test_a_vault_with_entries_is_used_and_needs_its_key(
    engine: Engine, key_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    vault, key_path = new_vault(engine, key_dir)
    vault.put("snmp", "core-v3", V3)
    plaintext = tmp_path / "creds.yaml"
    plaintext.write_text(CREDENTIALS_YAML)
    loaded = load_device_credentials(engine, key_path, plaintext)
    assert loaded.snmp_names() == ["core-v3"]  # not the file's
    assert "is ignored" in caplog.text
    key_path.unlink()
    with pytest.raises(VaultError, match="not found: run `ssnoc vault init`"):
        load_device_credentials(engine, key_path, plaintext)
