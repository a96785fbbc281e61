"""Loopback addresses for test agents, unique per xdist worker and per request.

Every address in 127.0.0.0/8 is ours. Each worker takes its own second octet so parallel workers
never collide, and each request takes a fresh third octet, so a test never meets an agent an
earlier test left behind.
"""

from __future__ import annotations

import itertools
import os
import random

_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
_WORKER_INDEX = int(_WORKER[2:]) if _WORKER.startswith("gw") and _WORKER[2:].isdigit() else 0
# A random start keeps two test runs on one machine (a developer's and CI's) apart as well.
_SECOND_OCTET = 64 + (_WORKER_INDEX * 7 + random.randrange(7)) % 160
_blocks = itertools.count(random.randrange(1, 50))


def fresh_block() -> str:
    """A /24 prefix like ``127.71.12`` nobody else in this run is using."""
    third = next(_blocks) % 254 + 1
    return f"127.{_SECOND_OCTET}.{third}"


def fresh_address(host: int = 1) -> str:
    """One fresh loopback address (host part ``host`` of a fresh /24)."""
    return f"{fresh_block()}.{host}"
