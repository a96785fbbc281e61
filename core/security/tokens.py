"""Opaque bearer tokens with a readable kind prefix, stored only as SHA-256 digests.

``ssnoc_at_…`` is a session's access token, ``ssnoc_rt_…`` its refresh token and ``ssnoc_pat_…`` a
personal API token. The prefix lets a person (and a secret scanner) tell what a leaked string is,
and lets :mod:`core.security.users` look in the one table that can hold it. The random part is
``secrets.token_urlsafe(32)``: 256 bits from the OS's CSPRNG.
"""

from __future__ import annotations

import hashlib
import secrets
from enum import StrEnum


class TokenKind(StrEnum):
    """What a token is for; the value is its prefix."""

    ACCESS = "ssnoc_at_"
    REFRESH = "ssnoc_rt_"
    PERSONAL = "ssnoc_pat_"


TOKEN_RANDOM_BYTES = 32
PREFIX_SHOWN_CHARS = 6
"""Random characters kept after the kind prefix in :func:`display_prefix` (36 bits: enough to
recognise a token in a list, far too few to guess the other 250)."""


def new_token(kind: TokenKind) -> str:
    """A fresh token of ``kind``: the prefix then 43 URL-safe characters."""
    return kind.value + secrets.token_urlsafe(TOKEN_RANDOM_BYTES)


def token_digest(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored and looked up.

    A fast hash is right here, unlike for passwords: a token carries 256 random bits, so nobody
    can guess it from its digest however fast they hash, and the digest is computed on every API
    request, where argon2's deliberate slowness would cost every call. It is also deterministic
    (no salt), which lets the digest itself be the indexed lookup key."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_kind(token: str) -> TokenKind | None:
    """The kind a token's prefix names, or None for a string that is not an ssnoc token."""
    # PERSONAL is tried like the others: no prefix is a prefix of another.
    for kind in TokenKind:
        if token.startswith(kind.value) and len(token) > len(kind.value):
            return kind
    return None


def display_prefix(token: str) -> str:
    """The start of a token shown in lists (kind prefix and a few characters), never enough to
    use it."""
    kind = token_kind(token)
    head = len(kind.value) if kind else 0
    return token[: head + PREFIX_SHOWN_CHARS]
