"""How findings are put into words: counts with their nouns, and lists that stay short."""

from __future__ import annotations

from collections.abc import Sequence

NAMES_SHOWN = 5
"""Longer lists end with "and N more": the ids themselves are in the result's fields."""


def count(n: int, noun: str) -> str:
    """``1 device``, ``3 devices``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def agree(n: int, singular: str, plural: str) -> str:
    """The verb that agrees with ``n``: ``agree(1, "is", "are")`` is ``is``."""
    return singular if n == 1 else plural


def names(items: Sequence[str]) -> str:
    """``a, b and c``; past :data:`NAMES_SHOWN`, ``a, b, c, d, e and 7 more``."""
    items = list(items)
    if len(items) > NAMES_SHOWN:
        return f"{', '.join(items[:NAMES_SHOWN])} and {len(items) - NAMES_SHOWN} more"
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def capital(text: str) -> str:
    """``text`` with its first letter upper-case (the rest untouched: ids stay as they are)."""
    return text[:1].upper() + text[1:]
