"""Deterministic randomness: every choice in the lab comes from a generator named by its purpose.

One generator per (seed, purpose, thing) rather than one shared stream, so adding a county does not
reshuffle every device after it, and two processes building the same province agree.
"""

from __future__ import annotations

import hashlib
import random


def seeded_rng(seed: int | str, *parts: object) -> random.Random:
    """A generator for ``parts`` under ``seed``; string seeding is stable across runs and hosts."""
    # The lab simulates a network: nothing here is a secret, so a non-cryptographic PRNG is right.
    return random.Random(":".join([str(seed), *map(str, parts)]))  # noqa: S311


def seeded_hex(seed: int | str, *parts: object, digits: int = 6) -> str:
    """A short stable hex tag for ``parts`` under ``seed`` (communities, serials, MACs)."""
    text = ":".join([str(seed), *map(str, parts)]).encode()
    return hashlib.sha256(text).hexdigest()[:digits]
