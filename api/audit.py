"""The seam for the audit trail: every state-changing request hands one :class:`AuditEntry` to
the ``audit`` hook of :class:`~api.deps.ApiServices`.

Until the tamper-evident trail exists the hook is :func:`log_audit`, which writes one line to the
``api.audit`` logger; the composition root swaps in the real trail without any route changing.
A route calls the hook once per attempt, after the outcome is known — also when the attempt is
refused or fails — so the trail says who tried what, not only what succeeded.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

log = logging.getLogger(__name__)


class AuditOutcome(StrEnum):
    OK = "ok"
    """The action ran and did what was asked."""
    FAILED = "failed"
    """The action ran and failed (the device did not answer, the store refused…)."""
    UNAVAILABLE = "unavailable"
    """This server cannot do the action at all (no collector configured for it)."""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One attempt at a state-changing action."""

    at: datetime
    """When the outcome was known (the API's clock, UTC)."""
    actor: str
    """The principal's name (``local``, ``token``; a user name once users exist)."""
    action: str
    """What was attempted, as a permission-like verb: ``backup_device``."""
    target: str
    """What it was attempted on: a device id."""
    outcome: AuditOutcome
    detail: str | None = None
    """For people: the error, or what changed (``version 7``)."""
    client: str | None = None
    """Where the request came from (the peer address), when known."""


AuditHook = Callable[[AuditEntry], Awaitable[None]]
"""What :class:`~api.deps.ApiServices` calls with every entry. Async, so a trail that writes to a
database can do so without blocking the event loop; it should not raise (a failure to record
must be handled, and logged, by the trail itself)."""


async def log_audit(entry: AuditEntry) -> None:
    """The default hook: one log line per entry."""
    log.info(
        "audit: %s %s %s by %s from %s: %s%s",
        entry.at.isoformat(),
        entry.action,
        entry.target,
        entry.actor,
        entry.client or "?",
        entry.outcome.value,
        f" ({entry.detail})" if entry.detail else "",
    )
