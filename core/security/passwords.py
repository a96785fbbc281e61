"""NOC user passwords: argon2id hashes, verified without raising, and a password policy.

Only hashes are stored (``noc_users.password_hash``); a plain password lives as long as the
request that carries it. argon2id is deliberately slow and memory-hard, so a stolen table costs an
attacker dearly per guess. :func:`server_hasher` uses argon2-cffi's defaults (RFC 9106's
low-memory profile: 64 MiB, 3 passes), right for a server; :func:`cheap_hasher` is for tests and
benchmarks, which create many users and must not spend a second on each.
"""

from __future__ import annotations

import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.errors import NocError

MAX_PASSWORD_LENGTH = 1024
"""Longer input is refused: nobody types more, and hashing megabytes would be a cheap DoS."""


class PasswordRejected(NocError, ValueError):
    """A new password does not meet the policy; the message says which rule it breaks."""


def server_hasher() -> PasswordHasher:
    """The hasher for real use: argon2id with argon2-cffi's (RFC 9106) default cost."""
    return PasswordHasher()


def cheap_hasher() -> PasswordHasher:
    """A fast hasher for tests and benchmarks only (1 pass over 8 KiB): never for real users."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


_DEFAULT_HASHER = server_hasher()


def hash_password(plain: str, hasher: PasswordHasher | None = None) -> str:
    """The argon2id hash of ``plain`` (salted: the same password hashes differently each time)."""
    return (hasher or _DEFAULT_HASHER).hash(plain)


def verify_password(password_hash: str, plain: str, hasher: PasswordHasher | None = None) -> bool:
    """True when ``plain`` matches ``password_hash``; False on a mismatch or a damaged hash.

    Never raises for a wrong password: callers decide what a failure means (count it, lock)."""
    try:
        return (hasher or _DEFAULT_HASHER).verify(password_hash, plain)
    except (VerificationError, InvalidHashError):
        # VerifyMismatchError is a VerificationError; InvalidHashError means the stored text is
        # not an argon2 hash at all — for a login both are simply "no".
        return False


def needs_rehash(password_hash: str, hasher: PasswordHasher | None = None) -> bool:
    """True when the hash was made with other parameters than ``hasher``'s (re-hash on login)."""
    try:
        return (hasher or _DEFAULT_HASHER).check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


_CHARACTER_CLASSES = (
    ("lower-case letters", frozenset(string.ascii_lowercase)),
    ("upper-case letters", frozenset(string.ascii_uppercase)),
    ("digits", frozenset(string.digits)),
)
REQUIRED_CLASSES = 3
"""Of the four classes (lower, upper, digits, anything else), a password uses at least this many."""


def character_classes(plain: str) -> int:
    """How many of the four character classes ``plain`` uses (non-ASCII letters count as other)."""
    used = sum(1 for _, members in _CHARACTER_CLASSES if any(c in members for c in plain))
    known = frozenset().union(*(members for _, members in _CHARACTER_CLASSES))
    if any(c not in known for c in plain):
        used += 1
    return used


def check_password_policy(plain: str, min_length: int, username: str) -> None:
    """Raise :class:`PasswordRejected` naming the first rule ``plain`` breaks.

    Rules: at least ``min_length`` characters (and at most :data:`MAX_PASSWORD_LENGTH`); not the
    user name and not containing it (case ignored); at least :data:`REQUIRED_CLASSES` of
    lower-case letters, upper-case letters, digits and other characters."""
    if len(plain) < min_length:
        raise PasswordRejected(f"password too short: it needs at least {min_length} characters")
    if len(plain) > MAX_PASSWORD_LENGTH:
        raise PasswordRejected(f"password too long: at most {MAX_PASSWORD_LENGTH} characters")
    if username and username.casefold() in plain.casefold():
        raise PasswordRejected("password must not be or contain the user name")
    if character_classes(plain) < REQUIRED_CLASSES:
        raise PasswordRejected(
            "password too simple: use at least 3 of lower-case letters, upper-case letters, "
            "digits and other characters"
        )


TEMPORARY_PASSWORD_LENGTH = 20
_TEMPORARY_ALPHABET = string.ascii_letters + string.digits


def temporary_password(min_length: int, username: str) -> str:
    """A random password that meets the policy, for a new user or a reset (letters and digits
    only, so it can be read out or typed without ambiguity about quoting)."""
    length = max(min_length, TEMPORARY_PASSWORD_LENGTH)
    while True:  # random letters and digits nearly always pass; the loop makes it certain
        candidate = "".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(length))
        try:
            check_password_policy(candidate, min_length, username)
        except PasswordRejected:
            continue
        return candidate
