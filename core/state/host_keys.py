"""SSH host keys: trusted on first use, then pinned in the state DB.

The first connection to an endpoint pins the key its server presents; every later connection must
present the same key, or it is refused (:attr:`HostKeyVerdict.CHANGED`) — a replaced device, a
re-keyed server or something in the middle, which a person must judge and then :meth:`forget` the
endpoint to re-pin it. The store speaks in key types and base64 blobs, so it needs no SSH library;
the collectors' SSH seam turns a server's key into those.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from core.clock import Clock
from core.errors import StoreError
from core.state.ssh_views import PinnedHostKey
from core.state.tables import SshHostKeyRow


def endpoint_of(host: str, port: int) -> str:
    """``host:port``, with IPv6 addresses in brackets (``[::1]:22``)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def fingerprint_sha256(public_key: str) -> str:
    """OpenSSH's ``SHA256:…`` fingerprint of a base64 key blob."""
    try:
        blob = base64.b64decode(public_key, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("host key is not base64") from exc
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode("ascii")
    return "SHA256:" + digest.rstrip("=")


class HostKeyVerdict(StrEnum):
    PINNED = "pinned"  # first use: the key is now trusted
    MATCHED = "matched"  # the pinned key again
    CHANGED = "changed"  # another key: refuse the connection


@dataclass(frozen=True, slots=True)
class HostKeyCheck:
    verdict: HostKeyVerdict
    pinned: PinnedHostKey
    """The key trusted for the endpoint (for CHANGED: the old one, still trusted)."""
    presented_fingerprint: str

    @property
    def accepted(self) -> bool:
        return self.verdict is not HostKeyVerdict.CHANGED


class HostKeyStore:
    """Pinned host keys by endpoint. Thread-safe: every call is its own short transaction, so SSH
    sessions running in worker threads may check keys while they connect."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._clock = clock

    def pinned(self, endpoint: str) -> PinnedHostKey | None:
        """The key pinned for ``endpoint``, if any."""
        try:
            with self._sessions() as session:
                row = session.get(SshHostKeyRow, endpoint)
                return None if row is None else _view(row)
        except SQLAlchemyError as exc:
            raise StoreError(f"state DB: cannot read the host key of {endpoint}: {exc}") from exc

    def check(
        self, endpoint: str, key_type: str, public_key: str, *, device_id: str | None = None
    ) -> HostKeyCheck:
        """Pin the key on first use, accept it when it is the pinned one, refuse it otherwise.

        A refused key changes nothing stored: the old key stays trusted until :meth:`forget`.
        """
        presented = fingerprint_sha256(public_key)
        now = self._clock.now()
        try:
            for _ in range(2):  # a second pass only after losing a first-use race
                with self._sessions.begin() as session:
                    row = session.get(SshHostKeyRow, endpoint)
                    if row is not None:
                        if row.key_type == key_type and row.public_key == public_key:
                            row.last_seen_at = now
                            if device_id is not None:
                                row.device_id = device_id
                            return HostKeyCheck(HostKeyVerdict.MATCHED, _view(row), presented)
                        return HostKeyCheck(HostKeyVerdict.CHANGED, _view(row), presented)
                try:
                    with self._sessions.begin() as session:
                        row = SshHostKeyRow(
                            endpoint=endpoint,
                            device_id=device_id,
                            key_type=key_type,
                            fingerprint_sha256=presented,
                            public_key=public_key,
                            first_seen_at=now,
                            last_seen_at=now,
                        )
                        session.add(row)
                    return HostKeyCheck(HostKeyVerdict.PINNED, _view(row), presented)
                except IntegrityError:
                    continue  # another session pinned it meanwhile: compare with theirs
        except SQLAlchemyError as exc:
            raise StoreError(f"state DB: cannot check the host key of {endpoint}: {exc}") from exc
        raise StoreError(f"state DB: the host key of {endpoint} keeps changing while pinning it")

    def list(self, device_id: str | None = None) -> list[PinnedHostKey]:
        """Every pinned key (of ``device_id`` only, when given), by endpoint."""
        query = select(SshHostKeyRow).order_by(SshHostKeyRow.endpoint)
        if device_id is not None:
            query = query.where(SshHostKeyRow.device_id == device_id)
        try:
            with self._sessions() as session:
                return [_view(row) for row in session.scalars(query)]
        except SQLAlchemyError as exc:
            raise StoreError(f"state DB: cannot list host keys: {exc}") from exc

    def forget(self, endpoint: str) -> bool:
        """Drop the pinned key of ``endpoint`` so the next connection pins a new one (a deliberate
        re-pin after a device was replaced). True when there was one."""
        try:
            with self._sessions.begin() as session:
                result = session.execute(
                    delete(SshHostKeyRow).where(SshHostKeyRow.endpoint == endpoint)
                )
                return bool(getattr(result, "rowcount", 0))
        except SQLAlchemyError as exc:
            raise StoreError(f"state DB: cannot forget the host key of {endpoint}: {exc}") from exc


def _view(row: SshHostKeyRow) -> PinnedHostKey:
    return PinnedHostKey(
        endpoint=row.endpoint,
        device_id=row.device_id,
        key_type=row.key_type,
        fingerprint_sha256=row.fingerprint_sha256,
        public_key=row.public_key,
        first_seen_at=row.first_seen_at,
        last_seen_at=row.last_seen_at,
    )
