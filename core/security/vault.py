"""The credentials vault: device credentials encrypted at rest in the state DB.

Each credential (an SNMP community or v3 user, an SSH login) is one row of ``vault_secrets``: its
kind and name in the clear (the inventory refers to credentials by name), the credential itself
as a Fernet token made with the key file's newest key (see :mod:`core.security.vault_key`). The
key file lives outside the DB, so a copy of the DB — or of its backups — reveals no secret.

Secrets are revealed in one place only: the plaintext handed to the cipher (and taken back from
it). Nothing here logs a secret, and what is raised names entries (``snmp/core-v3``), never what
they hold.

Rotation (:meth:`CredentialVault.rotate`) is safe to interrupt: the key file first gets the new
key in front of the old ones, then every entry is re-encrypted in one transaction, and only then
are the old keys dropped from the file. Whenever it stops, every entry decrypts with the file.
Run it while nothing else writes to the vault (the server only reads it): an entry written with
an old key after the re-encryption could not be read once the old key is gone.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple

from cryptography.fernet import Fernet
from pydantic import SecretStr, TypeAdapter
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core.clock import Clock, SystemClock
from core.credentials import (
    Credentials,
    SnmpCredential,
    SnmpV2cCredential,
    SnmpV3Credential,
    SshCredential,
    credentials_file_is_private,
    load_credentials,
)
from core.errors import CredentialError, NotFound, StoreError, VaultError
from core.security.vault_key import KeyRing, load_key_ring, write_key_file
from core.state.tables import VaultSecretRow

log = logging.getLogger(__name__)

NAME_MAX_LENGTH = 96
"""Longest credential name the ``vault_secrets`` table holds."""

DeviceCredential = SnmpV2cCredential | SnmpV3Credential | SshCredential
_SNMP_CREDENTIAL: TypeAdapter[SnmpV2cCredential | SnmpV3Credential] = TypeAdapter(SnmpCredential)


class VaultKind(StrEnum):
    """What a vault entry is: an SNMP credential or an SSH login."""

    SNMP = "snmp"
    SSH = "ssh"


class VaultEntry(NamedTuple):
    """What may be shown of an entry: no secret."""

    kind: VaultKind
    name: str
    key_id: str
    """Which key encrypted the entry."""
    updated_at: datetime
    """When the credential was last set (a rotation re-encrypts without changing it)."""


class ImportCounts(NamedTuple):
    """How many credentials of each kind an import stored."""

    snmp: int
    ssh: int


class CredentialVault:
    """Device credentials, encrypted with a :class:`KeyRing`, in the state DB."""

    def __init__(self, engine: Engine, key_ring: KeyRing, clock: Clock) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._key_ring = key_ring
        self._clock = clock

    def __repr__(self) -> str:
        return f"CredentialVault(key_ids={self._key_ring.key_ids!r})"

    @property
    def key_ring(self) -> KeyRing:
        """The keys in use (after :meth:`rotate`, the new one)."""
        return self._key_ring

    def put(self, kind: VaultKind | str, name: str, credential: DeviceCredential) -> None:
        """Store ``credential`` as ``kind``/``name``, replacing what was stored under it."""
        entry_kind = _kind(kind)
        _check_entry(entry_kind, name, credential)
        with self._transaction(f"store {entry_kind}/{name}") as session:
            self._put(session, entry_kind, name, credential)

    def get_snmp(self, name: str) -> SnmpV2cCredential | SnmpV3Credential:
        """The SNMP credential ``name``; :class:`CredentialError` if the vault has none."""
        credential = self._get(VaultKind.SNMP, name)
        assert not isinstance(credential, SshCredential)  # _credential parses by kind
        return credential

    def get_ssh(self, name: str) -> SshCredential:
        """The SSH login ``name``; :class:`CredentialError` if the vault has none."""
        credential = self._get(VaultKind.SSH, name)
        assert isinstance(credential, SshCredential)  # _credential parses by kind
        return credential

    def remove(self, kind: VaultKind | str, name: str) -> None:
        """Delete ``kind``/``name``; :class:`NotFound` if there is no such entry."""
        entry_kind = _kind(kind)
        with self._transaction(f"remove {entry_kind}/{name}") as session:
            row = session.get(VaultSecretRow, (entry_kind.value, name))
            if row is None:
                raise NotFound(f"no {entry_kind} credential named {name!r} in the vault")
            session.delete(row)

    def names(self) -> list[VaultEntry]:
        """Every entry's kind, name, key id and last change, by kind and name (no secret)."""
        return _entries(self._sessions)

    def load_credentials(self) -> Credentials:
        """Every credential, decrypted once, as the collectors use them."""
        snmp: dict[str, SnmpV2cCredential | SnmpV3Credential] = {}
        ssh: dict[str, SshCredential] = {}
        with self._reading("read the vault") as session:
            rows = list(session.scalars(select(VaultSecretRow)))
        for row in rows:
            credential = self._decrypted(row)
            if isinstance(credential, SshCredential):
                ssh[row.name] = credential
            else:
                snmp[row.name] = credential
        return Credentials(snmp, ssh)

    def import_file(self, path: Path) -> ImportCounts:
        """Store every credential of a credentials YAML file, in one transaction.

        An entry of the same kind and name is replaced; entries the file does not name stay."""
        credentials = load_credentials(path)
        with self._transaction(f"import {path}") as session:
            for snmp_name in credentials.snmp_names():
                snmp = credentials.snmp(snmp_name)
                _check_entry(VaultKind.SNMP, snmp_name, snmp)
                self._put(session, VaultKind.SNMP, snmp_name, snmp)
            for ssh_name in credentials.ssh_names():
                ssh = credentials.ssh(ssh_name)
                _check_entry(VaultKind.SSH, ssh_name, ssh)
                self._put(session, VaultKind.SSH, ssh_name, ssh)
        counts = ImportCounts(len(credentials.snmp_names()), len(credentials.ssh_names()))
        log.info("vault: imported %d SNMP and %d SSH credentials from %s", *counts, path)
        return counts

    def rotate(self, key_path: Path) -> int:
        """Re-encrypt every entry with a new key; the key file ends up holding only that key.

        Returns how many entries were re-encrypted. Interrupted at any point, the key file still
        decrypts every entry (see the module's docstring)."""
        on_file = load_key_ring(key_path)
        in_use = on_file.keys + tuple(k for k in self._key_ring.keys if k not in on_file.keys)
        both = KeyRing(in_use).with_new_key(Fernet.generate_key())
        # 1. New key first, old keys kept: entries on either decrypt from here on.
        write_key_file(key_path, both)
        self._key_ring = both
        # 2. Every entry onto the new key, all or nothing.
        count = self._reencrypt(both)
        # An entry written meanwhile by a process that still had the old key is moved too.
        count += self._reencrypt(both)
        # 3. Only now may the old keys go.
        newest = KeyRing(both.keys[:1])
        write_key_file(key_path, newest)
        self._key_ring = newest
        log.info("vault: re-encrypted %d entries with key %s", count, newest.current_key_id)
        return count

    # ------------------------------------------------------------------------------ internals

    def _put(
        self, session: Session, kind: VaultKind, name: str, credential: DeviceCredential
    ) -> None:
        now = self._clock.now()
        ciphertext = self._key_ring.encrypt(_plaintext(credential))
        row = session.get(VaultSecretRow, (kind.value, name))
        if row is None:
            session.add(
                VaultSecretRow(
                    kind=kind.value,
                    name=name,
                    ciphertext=ciphertext,
                    key_id=self._key_ring.current_key_id,
                    created_at=now,
                    updated_at=now,
                )
            )
            return
        row.ciphertext = ciphertext
        row.key_id = self._key_ring.current_key_id
        row.updated_at = now

    def _get(self, kind: VaultKind, name: str) -> DeviceCredential:
        with self._reading(f"read {kind}/{name}") as session:
            row = session.get(VaultSecretRow, (kind.value, name))
        if row is None:
            label = "SNMP" if kind is VaultKind.SNMP else "SSH"
            raise CredentialError(f"no {label} credential named {name!r} in the vault")
        return self._decrypted(row)

    def _decrypted(self, row: VaultSecretRow) -> DeviceCredential:
        kind = _kind(row.kind)
        what = f"{kind}/{row.name}"
        return _credential(kind, what, self._key_ring.decrypt(row.ciphertext, what))

    def _reencrypt(self, ring: KeyRing) -> int:
        """Move every entry not yet on ``ring``'s newest key onto it, in one transaction."""
        query = (
            select(VaultSecretRow)
            .where(VaultSecretRow.key_id != ring.current_key_id)
            .with_for_update()
        )
        with self._transaction("re-encrypt the vault") as session:
            rows = list(session.scalars(query))
            for row in rows:
                row.ciphertext = ring.reencrypt(row.ciphertext, f"{row.kind}/{row.name}")
                row.key_id = ring.current_key_id
        return len(rows)

    @contextmanager
    def _transaction(self, doing: str) -> Iterator[Session]:
        with _store_errors(doing), self._sessions.begin() as session:
            yield session

    @contextmanager
    def _reading(self, doing: str) -> Iterator[Session]:
        with _store_errors(doing), self._sessions() as session:
            yield session


def list_vault_entries(engine: Engine) -> list[VaultEntry]:
    """The vault's entries (no secret): needs no key, so it works when the key file is lost."""
    return _entries(sessionmaker(engine))


def load_device_credentials(
    engine: Engine, key_path: Path, plaintext_path: Path, clock: Clock | None = None
) -> Credentials:
    """The device credentials the collectors use: from the vault when it holds any (then the key
    file must exist), else from a plaintext credentials file (with a warning), else none."""
    if _count_entries(engine) > 0:
        credentials = CredentialVault(
            engine, load_key_ring(key_path), clock or SystemClock()
        ).load_credentials()
        if plaintext_path.exists():
            log.warning(
                "%s is ignored (the vault holds the device credentials) but still holds "
                "plaintext secrets: delete it",
                plaintext_path,
            )
        return credentials
    if plaintext_path.exists():
        exposed = (
            "" if credentials_file_is_private(plaintext_path) else " (other users can read it)"
        )
        log.warning(
            "device credentials come from the plaintext file %s%s: move them into the encrypted "
            "vault with `ssnoc vault init` and `ssnoc vault import %s --delete-plaintext`",
            plaintext_path,
            exposed,
            plaintext_path,
        )
        return load_credentials(plaintext_path)
    return Credentials()


# ---------------------------------------------------------------------------------- helpers


def _kind(value: VaultKind | str) -> VaultKind:
    try:
        return VaultKind(value)
    except ValueError:
        raise VaultError(f"unknown vault entry kind {value!r}: use snmp or ssh") from None


def _check_entry(kind: VaultKind, name: str, credential: DeviceCredential) -> None:
    """Refuse a name the table cannot hold, a credential of the other kind, or an incomplete
    one — the same rules the credentials file follows."""
    what = f"{kind}/{name}"
    if not name or name != name.strip() or len(name) > NAME_MAX_LENGTH:
        raise CredentialError(
            f"vault entry name {name!r}: 1 to {NAME_MAX_LENGTH} characters, "
            "no leading or trailing space"
        )
    if (kind is VaultKind.SSH) != isinstance(credential, SshCredential):
        raise CredentialError(f"{what}: a {type(credential).__name__} is not a {kind} credential")
    if isinstance(credential, SshCredential):
        logins = (credential.password, credential.private_key, credential.private_key_path)
        if all(login is None for login in logins):
            raise CredentialError(f"{what}: give a password or a private key")
    elif isinstance(credential, SnmpV3Credential):
        if (credential.auth_protocol is None) != (credential.auth_key is None):
            raise CredentialError(f"{what}: auth_protocol and auth_key go together")
        if (credential.priv_protocol is None) != (credential.priv_key is None):
            raise CredentialError(f"{what}: priv_protocol and priv_key go together")
        if credential.priv_protocol is not None and credential.auth_protocol is None:
            raise CredentialError(f"{what}: privacy needs authentication")


def _plaintext(credential: DeviceCredential) -> bytes:
    """The credential as JSON with its secrets revealed: only ever handed to the cipher."""
    data = credential.model_dump(mode="json", exclude_none=True)
    for field_name, value in credential:
        if isinstance(value, SecretStr):
            data[field_name] = value.get_secret_value()
    return json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")


def _credential(kind: VaultKind, what: str, plaintext: bytes) -> DeviceCredential:
    try:
        data = json.loads(plaintext)
        if kind is VaultKind.SNMP:
            return _SNMP_CREDENTIAL.validate_python(data)
        return SshCredential.model_validate(data)
    except ValueError:  # bad JSON or UTF-8, or pydantic's ValidationError: never echo the input
        raise VaultError(f"vault entry {what} decrypts but holds no valid credential") from None


def _entries(sessions: sessionmaker[Session]) -> list[VaultEntry]:
    query = select(
        VaultSecretRow.kind, VaultSecretRow.name, VaultSecretRow.key_id, VaultSecretRow.updated_at
    ).order_by(VaultSecretRow.kind, VaultSecretRow.name)
    with _store_errors("list the vault"), sessions() as session:
        rows = session.execute(query).all()
    return [VaultEntry(_kind(kind), name, key_id, updated) for kind, name, key_id, updated in rows]


def _count_entries(engine: Engine) -> int:
    with _store_errors("count the vault's entries"), Session(engine) as session:
        return session.scalar(select(func.count()).select_from(VaultSecretRow)) or 0


@contextmanager
def _store_errors(doing: str) -> Iterator[None]:
    try:
        yield
    except SQLAlchemyError as exc:
        # The driver's own message, not SQLAlchemy's: that one lists the statement's parameters.
        reason = str(exc.orig) if isinstance(exc, DBAPIError) else type(exc).__name__
        raise StoreError(f"state DB: cannot {doing}: {reason.strip()}") from exc
