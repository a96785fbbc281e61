"""The credentials file: secrets load, never show, and errors never echo them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from core.credentials import (
    SnmpV2cCredential,
    SnmpV3Credential,
    credentials_file_is_private,
    load_credentials,
)
from core.errors import CredentialError, InventoryError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "credentials.yaml"
    path.write_text(textwrap.dedent(text))
    path.chmod(0o600)
    return path


def test_v2c_and_v3_credentials_load(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        snmp:
          county: {version: "2c", community: "s3cret-community"}
          core:
            version: "3"
            user: noc
            auth_protocol: sha256
            auth_key: "auth-key-123"
            priv_protocol: aes128
            priv_key: "priv-key-456"
        """,
    )
    credentials = load_credentials(path)
    county = credentials.snmp("county")
    core = credentials.snmp("core")
    assert isinstance(county, SnmpV2cCredential)
    assert county.community.get_secret_value() == "s3cret-community"
    assert isinstance(core, SnmpV3Credential)
    assert core.security_level == "authPriv"
    assert "auth-key-123" not in repr(core)
    assert "s3cret-community" not in repr(county)
    assert credentials.snmp_names() == ["core", "county"]
    assert credentials_file_is_private(path)


def test_unknown_name_is_a_clear_error(tmp_path: Path) -> None:
    credentials = load_credentials(write(tmp_path, "snmp: {}\n"))
    with pytest.raises(CredentialError, match="no SNMP credential named 'core'"):
        credentials.snmp("core")


def test_a_bad_value_does_not_echo_the_secret(tmp_path: Path) -> None:
    path = write(tmp_path, 'snmp:\n  county: {version: "2c", community: 987654321}\n')
    with pytest.raises(InventoryError) as caught:
        load_credentials(path)
    assert "987654321" not in str(caught.value)
    assert caught.value.field == "snmp.county.community"
    assert caught.value.line == 2


def test_privacy_without_authentication_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        snmp:
          core: {version: "3", user: noc, priv_protocol: aes128, priv_key: "k"}
        """,
    )
    with pytest.raises(CredentialError, match="privacy needs authentication"):
        load_credentials(path)


def test_protocol_without_key_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, 'snmp:\n  core: {version: "3", user: noc, auth_protocol: sha}\n')
    with pytest.raises(CredentialError, match="auth_protocol and auth_key go together"):
        load_credentials(path)


def test_unknown_version(tmp_path: Path) -> None:
    path = write(tmp_path, 'snmp:\n  x: {version: "1", community: "c"}\n')
    with pytest.raises(InventoryError, match=r"snmp\.x"):
        load_credentials(path)


def test_world_readable_file_is_not_private(tmp_path: Path) -> None:
    path = write(tmp_path, "snmp: {}\n")
    path.chmod(0o644)
    assert not credentials_file_is_private(path)
