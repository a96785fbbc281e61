"""The card-terminal fleet's vocabulary: terminals, their life states, heartbeats and their replies.

Every module of card_fleet (registry, provisioning, heartbeats, health, rollouts), the API and the
lab's terminal simulator speak these types. Pure data and the one state machine; no I/O.

A terminal's life::

    registered ──provision──▶ provisioned ──first heartbeat──▶ active ◀──resume── suspended
         │                         │                             │ └──suspend──▶ ───┘
         └───────────── lost (credential revoked at once) ◀──────┴───── retired ◀───┘

``lost`` and ``retired`` end the terminal's credential; only a security officer releases the PSAM
binding of a lost terminal (a stolen kiosk's PSAM must not be reused by mistake), while retiring
releases it at once. A lost terminal that turns up again may be retired; nothing else leaves
``retired``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class TerminalKind(StrEnum):
    KIOSK = "kiosk"
    """Self-service kiosk in a social-insurance office."""
    COUNTER = "counter"
    """Counter reader in a social-insurance office."""
    HOSPITAL = "hospital"
    """Medical-insurance reader in a hospital."""
    PHARMACY = "pharmacy"
    """Medical-insurance reader in a designated pharmacy."""


class TerminalState(StrEnum):
    REGISTERED = "registered"
    PROVISIONED = "provisioned"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    RETIRED = "retired"
    LOST = "lost"


class PsamStatus(StrEnum):
    """What the terminal says of its PSAM in a heartbeat."""

    OK = "ok"
    MISSING = "missing"
    """No PSAM answers in the PSAM slot (removed, or the slot failed)."""
    ERROR = "error"
    """The PSAM answers with errors (locked, wrong key level, terminal number changed)."""


_S = TerminalState
ALLOWED_TRANSITIONS: dict[TerminalState, frozenset[TerminalState]] = {
    _S.REGISTERED: frozenset({_S.PROVISIONED, _S.LOST, _S.RETIRED}),
    _S.PROVISIONED: frozenset({_S.ACTIVE, _S.SUSPENDED, _S.LOST, _S.RETIRED}),
    _S.ACTIVE: frozenset({_S.SUSPENDED, _S.LOST, _S.RETIRED}),
    _S.SUSPENDED: frozenset({_S.ACTIVE, _S.LOST, _S.RETIRED}),
    _S.LOST: frozenset({_S.RETIRED}),
    _S.RETIRED: frozenset(),
}
"""Which state may follow which. Written out so a review reads it as is."""

CREDENTIAL_HOLDING_STATES = frozenset({_S.PROVISIONED, _S.ACTIVE, _S.SUSPENDED})
"""States in which a terminal's credential may exist; leaving them revokes it. A suspended
terminal keeps its credential but its heartbeats are refused until it is resumed."""

HEARTBEAT_STATES = frozenset({_S.PROVISIONED, _S.ACTIVE})
"""States whose heartbeats are accepted (the first one moves provisioned → active)."""


def can_move(before: TerminalState, after: TerminalState) -> bool:
    """Whether a terminal in ``before`` may be moved to ``after``."""
    return after in ALLOWED_TRANSITIONS[before]


@dataclass(frozen=True, slots=True)
class Terminal:
    """A terminal as the registry knows it (never its credential, only whether it has one)."""

    id: str
    """Registry id, e.g. ``T440103-0007``; stable for the terminal's life."""
    serial: str
    """The maker's serial number (unique across the fleet)."""
    model: str
    kind: TerminalKind
    site: str
    """Where it stands (free text from the import, e.g. 越秀区社保局一楼大厅)."""
    county: str
    """6-digit division code of its county (or city district)."""
    city: str
    """6-digit division code of its city (the county's parent)."""
    state: TerminalState
    psam_terminal_number: str | None = None
    """The bound PSAM's terminal number (EF16, 12 decimal digits), once provisioned."""
    firmware_version: str | None = None
    parameter_version: str | None = None
    has_credential: bool = False
    registered_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """What a terminal reports, every minute or so, with its credential."""

    terminal_id: str
    reader_present: bool
    card_reads: int
    """Successful card reads since the last heartbeat."""
    card_read_failures: int
    """Failed reads since the last heartbeat (no ATR, transmission errors, bad status words)."""
    psam_status: PsamStatus
    firmware_version: str
    parameter_version: str
    blacklist_version: str
    uptime_s: int
    free_storage_mb: int
    unsent_transactions: int
    received_at: datetime
    """Server time when it arrived (the terminal's own clock is not trusted)."""


@dataclass(frozen=True, slots=True)
class HeartbeatReply:
    """The answer to an accepted heartbeat: what the terminal should run, and when to beat next."""

    target_firmware_version: str | None
    """Set when a rollout wants this terminal on another firmware; the terminal fetches it."""
    target_parameter_version: str | None
    next_heartbeat_s: int
