"""``ssnoc vault`` as an operator uses it: secrets in through stdin, never out anywhere."""

from __future__ import annotations

import getpass
import json
import logging
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.clock import FakeClock
from core.security.audit_trail import AuditOutcome, AuditRecord, AuditTrail
from core.security.vault import CredentialVault
from core.security.vault_key import load_key_ring
from core.state.db import open_state_engine
from ssnoc.commands.vault import vault_app
from tests.unit.core.security.test_vault import (
    CREDENTIALS_YAML,
    SECRETS,
    SSH_ENABLE,
    SSH_PASSWORD,
    V2C_COMMUNITY,
)

KEY_PATH = Path("var/vault.key")
STATE_DB = Path("var/state.db")


class Outputs:
    """Everything the commands printed, to prove no secret was ever among it."""

    def __init__(self) -> None:
        self.printed: list[str] = []

    def run(self, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
        result = CliRunner().invoke(vault_app, list(args), input=stdin)
        self.printed += [result.stdout, result.stderr]
        return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def cli(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> Iterator[Outputs]:
    for name in list(os.environ):
        if name.startswith("SSNOC_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    caplog.set_level(logging.DEBUG)
    outputs = Outputs()
    yield outputs
    everything = "\n".join(outputs.printed)
    for secret in SECRETS:
        assert secret not in everything
        assert secret not in caplog.text
        assert all(secret not in r.getMessage() for r in caplog.records)
    for record in audit_records():
        assert all(secret not in (record.detail or "") for secret in SECRETS)


def audit_records(action: str | None = None) -> list[AuditRecord]:
    engine = open_state_engine(f"sqlite:///{STATE_DB}")
    try:
        return list(reversed(AuditTrail(engine, FakeClock()).search(action=action)))
    finally:
        engine.dispose()


@contextmanager
def stored() -> Iterator[CredentialVault]:
    """The vault the commands wrote, opened with the key file they use."""
    engine = open_state_engine(f"sqlite:///{STATE_DB}")
    try:
        yield CredentialVault(engine, load_key_ring(KEY_PATH), FakeClock())
    finally:
        engine.dispose()


def plaintext_file() -> Path:
    path = Path("credentials.yaml")
    path.write_text(CREDENTIALS_YAML)
    path.chmod(0o600)
    return path


def test_init_creates_a_private_key_file_once(cli: Outputs) -> None:
    code, out, _ = cli.run("init")
    assert code == 0
    assert f"created the vault key file {KEY_PATH}" in out
    assert "apart from the state DB" in out
    assert stat.S_IMODE(KEY_PATH.stat().st_mode) == 0o600
    key = KEY_PATH.read_bytes()

    code, out, err = cli.run("init")
    assert code == 2
    assert out == ""
    assert err == (
        f"ssnoc: vault key file {KEY_PATH} already exists: refusing to overwrite it "
        "(every secret in the vault is encrypted with it)\n"
    )
    assert KEY_PATH.read_bytes() == key

    first, second = audit_records("vault_init")
    assert (first.outcome, second.outcome) == (AuditOutcome.OK, AuditOutcome.FAILED)
    assert first.actor == f"cli:{getpass.getuser()}"
    assert first.client == "cli"
    assert first.target == "vault"
    assert load_key_ring(KEY_PATH).current_key_id in (first.detail or "")


def test_import_then_list_shows_names_but_no_secret(cli: Outputs) -> None:
    source = plaintext_file()
    cli.run("init")
    code, out, _ = cli.run("import", str(source))
    assert code == 0
    assert "imported 2 SNMP and 1 SSH credentials from credentials.yaml" in out
    assert "still holds the secrets in plaintext" in out
    assert source.exists()

    code, out, _ = cli.run("list")
    assert code == 0
    key_id = load_key_ring(KEY_PATH).current_key_id
    lines = out.splitlines()
    assert [line.split()[:2] for line in lines] == [
        ["snmp", "core-v3"],
        ["snmp", "county-v2c"],
        ["ssh", "ios-admin"],
    ]
    assert all(f"key {key_id}" in line for line in lines)

    code, out, _ = cli.run("list", "--json")
    assert code == 0
    listed = json.loads(out)
    assert {(e["kind"], e["name"]) for e in listed} == {
        ("snmp", "core-v3"),
        ("snmp", "county-v2c"),
        ("ssh", "ios-admin"),
    }
    assert all(e["key_id"] == key_id and e["key_in_key_file"] for e in listed)

    (record,) = audit_records("vault_import")
    assert record.outcome is AuditOutcome.OK
    assert record.detail == "from credentials.yaml: 2 snmp, 1 ssh"


def test_import_can_delete_the_plaintext_file(cli: Outputs) -> None:
    source = plaintext_file()
    cli.run("init")
    code, out, _ = cli.run("import", str(source), "--delete-plaintext")
    assert code == 0
    assert "deleted credentials.yaml" in out
    assert not source.exists()
    with stored() as vault:
        community = vault.get_snmp("county-v2c")
    assert community.community.get_secret_value() == V2C_COMMUNITY  # type: ignore[union-attr]
    (record,) = audit_records("vault_import")
    assert record.detail == "from credentials.yaml: 2 snmp, 1 ssh; plaintext file deleted"


def test_import_without_a_key_file_says_to_init_and_keeps_the_file(cli: Outputs) -> None:
    source = plaintext_file()
    code, _, err = cli.run("import", str(source), "--delete-plaintext")
    assert code == 2
    assert err == f"ssnoc: vault key file {KEY_PATH} not found: run `ssnoc vault init`\n"
    assert source.exists()
    (record,) = audit_records("vault_import")
    assert record.outcome is AuditOutcome.FAILED


def test_set_ssh_reads_the_secrets_from_stdin(cli: Outputs) -> None:
    cli.run("init")
    code, out, _ = cli.run(
        "set-ssh",
        "ios-admin",
        "--username",
        "netops",
        "--password-stdin",
        "--enable-secret-stdin",
        stdin=f"{SSH_PASSWORD}\n{SSH_ENABLE}\n",
    )
    assert code == 0
    assert "stored ssh/ios-admin in the vault" in out
    with stored() as vault:
        login = vault.get_ssh("ios-admin")
    assert login.username == "netops"
    assert login.password is not None
    assert login.password.get_secret_value() == SSH_PASSWORD
    assert login.enable_secret is not None
    assert login.enable_secret.get_secret_value() == SSH_ENABLE
    (record,) = audit_records("vault_set")
    assert record.target == "ssh/ios-admin"
    assert record.detail == "stored login with password and enable secret for user netops"


def test_set_snmp_reads_the_community_from_stdin(cli: Outputs) -> None:
    cli.run("init")
    code, _, _ = cli.run("set-snmp", "county-v2c", "--community-stdin", stdin=V2C_COMMUNITY)
    assert code == 0
    with stored() as vault:
        community = vault.get_snmp("county-v2c")
    assert community.community.get_secret_value() == V2C_COMMUNITY  # type: ignore[union-attr]
    assert audit_records("vault_set")[0].target == "snmp/county-v2c"


def test_a_secret_is_never_taken_from_argv_nor_empty(cli: Outputs) -> None:
    cli.run("init")
    code, _, err = cli.run("set-snmp", "county-v2c")
    assert code == 2
    assert "give --community-stdin" in err
    code, _, err = cli.run("set-ssh", "x", "--username", "u", "--password-stdin", stdin="\n")
    assert code == 2
    assert err == "ssnoc: no password on standard input\n"
    code, out, _ = cli.run("list")
    assert out == "the vault is empty\n"


def test_remove_deletes_one_entry(cli: Outputs) -> None:
    cli.run("init")
    cli.run("import", str(plaintext_file()))
    code, out, _ = cli.run("remove", "snmp", "county-v2c")
    assert code == 0
    assert out == "removed snmp/county-v2c from the vault\n"
    with stored() as vault:
        assert [e.name for e in vault.names()] == ["core-v3", "ios-admin"]
    code, _, err = cli.run("remove", "snmp", "county-v2c")
    assert code == 2
    assert err == "ssnoc: no snmp credential named 'county-v2c' in the vault\n"
    outcomes = [r.outcome for r in audit_records("vault_remove")]
    assert outcomes == [AuditOutcome.OK, AuditOutcome.FAILED]


def test_rotate_key_moves_every_entry_to_a_new_key(cli: Outputs) -> None:
    cli.run("init")
    cli.run("import", str(plaintext_file()))
    old_id = load_key_ring(KEY_PATH).current_key_id
    code, out, _ = cli.run("rotate-key")
    assert code == 0
    ring = load_key_ring(KEY_PATH)
    assert ring.key_ids != (old_id,)
    assert len(ring.keys) == 1
    assert f"re-encrypted 3 credentials with the new key {ring.current_key_id}" in out
    with stored() as vault:
        assert {e.key_id for e in vault.names()} == {ring.current_key_id}
    (record,) = audit_records("vault_rotate")
    assert record.detail == f"3 entries re-encrypted; key {old_id} -> {ring.current_key_id}"


def test_list_flags_entries_the_key_file_cannot_open(cli: Outputs) -> None:
    cli.run("init")
    cli.run("set-snmp", "county-v2c", "--community-stdin", stdin=V2C_COMMUNITY)
    KEY_PATH.unlink()
    code, out, err = cli.run("list")
    assert code == 0
    assert "county-v2c" in out
    assert "(key not in key file)" not in out  # unknown, not missing: the file is gone
    assert "not found: run `ssnoc vault init`" in err
    cli.run("init")
    _, out, _ = cli.run("list")
    assert "(key not in key file)" in out
