"""Terminal credentials: issued once, kept as a hash, checked in memory at heartbeat speed.

A credential is ``sst_<terminal id>_<secret>``, the secret being ``secrets.token_urlsafe(32)``
(43 URL-safe characters, 256 random bits). The registry keeps only the SHA-256 of the secret.
A plain, fast hash is enough here — unlike a password, a 256-bit random secret cannot be
guessed, so a slow hash (argon2) would only cost CPU at 2,000 heartbeats a second.

:class:`CredentialIndex` answers :meth:`~CredentialIndex.authenticate` from memory: loaded from
the state DB once and kept current by the registry's own writes in this process, so a heartbeat
never waits on the database. Neither a token nor its hash is ever logged or shown in a repr.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from card_fleet.model import HEARTBEAT_STATES, TerminalState
from core.errors import AuthenticationFailed

TOKEN_PREFIX = "sst_"  # noqa: S105 - the public prefix of every token, not a secret
SECRET_LENGTH = 43
"""Characters of ``secrets.token_urlsafe(32)``: 32 bytes in unpadded URL-safe base64."""
_URLSAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@dataclass(frozen=True, slots=True, repr=False)
class IssuedCredential:
    """A fresh credential: the token to hand over once, and the hash to store."""

    token: str
    """The whole credential, shown once to whoever provisions the terminal, then forgotten."""
    secret_hash: str
    """Hex SHA-256 of the secret part: what the registry stores."""

    def __repr__(self) -> str:
        return "IssuedCredential(<hidden>)"


@dataclass(frozen=True, slots=True)
class AuthenticatedTerminal:
    """Who a good credential belongs to: enough to scope a heartbeat without the database."""

    id: str
    county: str
    city: str
    state: TerminalState


class CredentialRefused(AuthenticationFailed):
    """A terminal credential was refused. The message says nothing of why (it goes back to the
    caller); ``claimed_terminal_id`` and ``refusal`` are for the audit trail only."""

    def __init__(self, claimed_terminal_id: str | None, refusal: str) -> None:
        self.claimed_terminal_id = claimed_terminal_id
        """The terminal id the token names (None when the token could not be read at all)."""
        self.refusal = refusal
        """Why, for the audit: malformed, unknown terminal, no credential, wrong secret, state."""
        super().__init__("terminal credential refused")


def hash_secret(secret: str) -> str:
    """Hex SHA-256 of a credential's secret part."""
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def issue_credential(terminal_id: str) -> IssuedCredential:
    """A new random credential for ``terminal_id``."""
    secret = secrets.token_urlsafe(32)
    return IssuedCredential(f"{TOKEN_PREFIX}{terminal_id}_{secret}", hash_secret(secret))


def split_token(token: object) -> tuple[str, str] | None:
    """``(terminal id, secret)`` of a well-formed token; None for anything else.

    The secret has a fixed length and may itself hold ``_``, so it is cut from the end."""
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX):
        return None
    terminal_id, secret = token[len(TOKEN_PREFIX) : -SECRET_LENGTH - 1], token[-SECRET_LENGTH:]
    if (
        not terminal_id
        or token[-SECRET_LENGTH - 1] != "_"
        or len(secret) != SECRET_LENGTH
        or not _URLSAFE.issuperset(secret)
    ):
        return None
    return terminal_id, secret


@dataclass(frozen=True, slots=True)
class _Entry:
    terminal: AuthenticatedTerminal
    digest: bytes | None
    """Raw SHA-256 of the secret; None when the terminal has no credential (never or revoked)."""


class CredentialIndex:
    """Every terminal's credential hash and scope, in memory.

    Entries are replaced whole (never changed in place), so :meth:`authenticate` may run on the
    event loop while the registry updates the index from a worker thread.
    """

    def __init__(self, entries: Iterable[tuple[AuthenticatedTerminal, str | None]] = ()) -> None:
        self._entries: dict[str, _Entry] = {}
        self.replace_all(entries)

    def replace_all(self, entries: Iterable[tuple[AuthenticatedTerminal, str | None]]) -> None:
        """Forget everything and hold ``entries`` (terminal, hex hash or None) instead."""
        fresh = {terminal.id: _entry(terminal, secret_hash) for terminal, secret_hash in entries}
        self._entries = fresh  # one reference swap: readers see the old or the new, never half

    def remember(self, terminal: AuthenticatedTerminal, secret_hash: str | None) -> None:
        """Hold ``terminal`` as it now is, with its credential's hash (None: it has none)."""
        self._entries[terminal.id] = _entry(terminal, secret_hash)

    def authenticate(self, token: str) -> AuthenticatedTerminal:
        """The terminal ``token`` belongs to, if it may send heartbeats now.

        Raises :class:`CredentialRefused` (an :class:`~core.errors.AuthenticationFailed`) for a
        malformed, unknown, revoked or replaced token, and for a terminal that is not
        provisioned or active (a suspended terminal keeps its credential but is refused)."""
        parts = split_token(token)
        if parts is None:
            raise CredentialRefused(None, "malformed token")
        terminal_id, secret = parts
        # Hashed before the lookup, so an unknown terminal costs the same time as a known one.
        digest = hashlib.sha256(secret.encode("ascii")).digest()
        entry = self._entries.get(terminal_id)
        if entry is None:
            raise CredentialRefused(terminal_id, "unknown terminal")
        if entry.digest is None:
            raise CredentialRefused(terminal_id, "the terminal holds no credential (revoked)")
        if not hmac.compare_digest(digest, entry.digest):
            raise CredentialRefused(terminal_id, "wrong secret (an old or forged credential)")
        if entry.terminal.state not in HEARTBEAT_STATES:
            raise CredentialRefused(terminal_id, f"the terminal is {entry.terminal.state}")
        return entry.terminal

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"CredentialIndex({len(self._entries)} terminals)"


def _entry(terminal: AuthenticatedTerminal, secret_hash: str | None) -> _Entry:
    return _Entry(terminal, None if secret_hash is None else bytes.fromhex(secret_hash))
