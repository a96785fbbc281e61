"""Device credentials, referenced by name from the inventory and kept apart from it.

The credentials file (YAML, readable by the NOC's service account only) maps names to secrets::

    snmp:
      county-v2c: {version: "2c", community: "s3cret"}
      core-v3:
        version: "3"
        user: noc
        auth_protocol: sha256
        auth_key: "..."
        priv_protocol: aes128
        priv_key: "..."

Secrets are :class:`pydantic.SecretStr`: ``repr`` and ``str`` print ``**********``, so a secret
that reaches a log line or an error message by accident is masked there too.
"""

from __future__ import annotations

import stat
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from core.errors import CredentialError
from core.yaml_source import load_located_yaml


class AuthProtocol(StrEnum):
    MD5 = "md5"
    SHA = "sha"
    SHA224 = "sha224"
    SHA256 = "sha256"
    SHA384 = "sha384"
    SHA512 = "sha512"


class PrivProtocol(StrEnum):
    DES = "des"
    AES128 = "aes128"
    AES192 = "aes192"
    AES256 = "aes256"


class _Secretive(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SnmpV2cCredential(_Secretive):
    version: Literal["2c"] = "2c"
    community: SecretStr = Field(min_length=1)


class SnmpV3Credential(_Secretive):
    version: Literal["3"] = "3"
    user: str = Field(min_length=1)
    auth_protocol: AuthProtocol | None = None
    auth_key: SecretStr | None = None
    priv_protocol: PrivProtocol | None = None
    priv_key: SecretStr | None = None
    context: str = ""

    @property
    def security_level(self) -> str:
        """``noAuthNoPriv``, ``authNoPriv`` or ``authPriv``."""
        if self.auth_protocol is None:
            return "noAuthNoPriv"
        return "authPriv" if self.priv_protocol is not None else "authNoPriv"


SnmpCredential = Annotated[SnmpV2cCredential | SnmpV3Credential, Field(discriminator="version")]


class SshCredential(_Secretive):
    """An SSH login: a password, a private key (PEM text or a file), or both."""

    username: str = Field(min_length=1)
    password: SecretStr | None = None
    private_key: SecretStr | None = None
    """The private key itself (PEM/OpenSSH text)."""
    private_key_path: Path | None = None
    """A private key file, readable by the NOC's service account only."""
    enable_secret: SecretStr | None = None
    """Cisco `enable` / privileged-mode secret, where the platform needs one."""


class CredentialsFile(_Secretive):
    snmp: dict[str, SnmpCredential] = Field(default_factory=dict)
    ssh: dict[str, SshCredential] = Field(default_factory=dict)


class Credentials:
    """Credentials by name."""

    def __init__(
        self,
        snmp: dict[str, SnmpV2cCredential | SnmpV3Credential] | None = None,
        ssh: dict[str, SshCredential] | None = None,
    ) -> None:
        self._snmp = dict(snmp or {})
        self._ssh = dict(ssh or {})

    def snmp(self, name: str) -> SnmpV2cCredential | SnmpV3Credential:
        """The SNMP credential called ``name``; :class:`CredentialError` if there is none."""
        try:
            return self._snmp[name]
        except KeyError:
            raise CredentialError(f"no SNMP credential named {name!r}") from None

    def snmp_names(self) -> list[str]:
        return sorted(self._snmp)

    def ssh(self, name: str) -> SshCredential:
        """The SSH credential called ``name``; :class:`CredentialError` if there is none."""
        try:
            return self._ssh[name]
        except KeyError:
            raise CredentialError(f"no SSH credential named {name!r}") from None

    def ssh_names(self) -> list[str]:
        return sorted(self._ssh)


def load_credentials(path: Path) -> Credentials:
    """Read the credentials file; errors name the line and field but never echo a secret."""
    located = load_located_yaml(path)
    parsed = located.validate(CredentialsFile, echo_input=False)
    _check_v3(located.path, parsed)
    _check_ssh(located.path, parsed)
    return Credentials(dict(parsed.snmp), dict(parsed.ssh))


def credentials_file_is_private(path: Path) -> bool:
    """True when neither group nor others may read the file."""
    return not (path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))


def _check_ssh(path: Path, parsed: CredentialsFile) -> None:
    for name, cred in parsed.ssh.items():
        if cred.password is None and cred.private_key is None and cred.private_key_path is None:
            raise CredentialError(f"{path}: ssh.{name}: give a password or a private key")


def _check_v3(path: Path, parsed: CredentialsFile) -> None:
    for name, cred in parsed.snmp.items():
        if not isinstance(cred, SnmpV3Credential):
            continue
        if (cred.auth_protocol is None) != (cred.auth_key is None):
            raise CredentialError(f"{path}: snmp.{name}: auth_protocol and auth_key go together")
        if (cred.priv_protocol is None) != (cred.priv_key is None):
            raise CredentialError(f"{path}: snmp.{name}: priv_protocol and priv_key go together")
        if cred.priv_protocol is not None and cred.auth_protocol is None:
            raise CredentialError(f"{path}: snmp.{name}: privacy needs authentication")
