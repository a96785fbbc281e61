"""How refused heartbeats reach the audit trail without letting a flood of them write it full.

Every refusal is a 401; the first of each kind — the same claimed terminal (or, with no usable
credential, the same client address) refused for the same reason — in a minute is audited at
once, and the ones after it within that minute are counted and named in the next record of that
kind ("… and 57 more since 08:00:12"). A stolen kiosk that keeps beating with its revoked
credential, or something trying tokens, is thus in the trail once a minute with its count, and
costs one trail write a minute rather than one per request. Kinds not seen for a minute are
forgotten; at most :data:`MAX_KINDS` are remembered (the oldest go first).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

WINDOW = timedelta(minutes=1)
MAX_KINDS = 10_000


@dataclass
class _Kind:
    recorded_at: datetime
    held_back: int = 0


class RefusalThrottle:
    """Says which refusals to audit now, and how many of the same kind were held back."""

    def __init__(self) -> None:
        self._kinds: OrderedDict[tuple[str, str], _Kind] = OrderedDict()

    def admit(self, who: str, reason: str, now: datetime) -> str | None:
        """The detail to audit for this refusal, or None to hold it back (counted)."""
        key = (who, reason)
        kind = self._kinds.get(key)
        if kind is not None and now - kind.recorded_at < WINDOW:
            kind.held_back += 1
            return None
        detail = reason
        if kind is not None and kind.held_back:
            since = kind.recorded_at.strftime("%H:%M:%S")
            detail = f"{reason} (and {kind.held_back} more refused since {since} UTC)"
        self._kinds[key] = _Kind(now)
        self._kinds.move_to_end(key)
        self._forget(now)
        return detail

    def _forget(self, now: datetime) -> None:
        """Drop the oldest kinds while they are over :data:`MAX_KINDS`, or past their minute
        with nothing held back (a held-back count waits to be told with the next refusal)."""
        while self._kinds:  # oldest first; no copy of the keys: this runs on every record
            key, kind = next(iter(self._kinds.items()))
            quiet = now - kind.recorded_at >= WINDOW and not kind.held_back
            if len(self._kinds) <= MAX_KINDS and not quiet:
                return
            del self._kinds[key]
