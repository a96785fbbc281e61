"""The few terminals that misbehave, chosen by seed: what the NOC's fleet health must find.

Each fault is one a field technician meets:

- dirty contacts: the reader's contacts are worn or dirty, so a large share of card reads fail —
  the read-failure-rate outlier of its county;
- PSAM missing: the PSAM slot answers nothing (the card was pulled, or the slot died);
- reader unplugged: the terminal runs, but its card reader is gone from the USB bus;
- unsent transactions piling up: the terminal's upload is stuck, so its queue grows and its
  storage fills;
- stuck firmware: it takes a new firmware, reboots, and comes back on the old one every time.

Every faulty terminal has exactly one fault, so a test (or an operator) can tell them apart.
Device and link faults — a county cut off — are the lab's own (:mod:`lab.terminals.reachability`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from core.errors import LabError
from lab.seeded import seeded_rng
from lab.terminals.fleet import LabTerminal


class TerminalFault(StrEnum):
    """What is wrong with one simulated terminal."""

    DIRTY_CONTACTS = "dirty_contacts"
    PSAM_MISSING = "psam_missing"
    READER_UNPLUGGED = "reader_unplugged"
    UNSENT_PILING_UP = "unsent_piling_up"
    STUCK_FIRMWARE = "stuck_firmware"


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """How many terminals get each fault: a share of the fleet, and never fewer than a minimum."""

    shares: Mapping[TerminalFault, float] = field(
        default_factory=lambda: {
            TerminalFault.DIRTY_CONTACTS: 0.010,
            TerminalFault.PSAM_MISSING: 0.004,
            TerminalFault.READER_UNPLUGGED: 0.004,
            TerminalFault.UNSENT_PILING_UP: 0.005,
            TerminalFault.STUCK_FIRMWARE: 0.005,
        }
    )
    """Fault → share of the fleet that has it; a fault left out is given to nobody."""
    minimum: int = 1
    """Terminals per listed fault at least, so even the small lab shows every kind of fault."""

    def __post_init__(self) -> None:
        if self.minimum < 0:
            raise LabError("the minimum number of terminals per fault cannot be negative")
        if not all(0.0 <= share <= 1.0 for share in self.shares.values()):
            raise LabError("a fault's share is a fraction between 0 and 1")
        if sum(self.shares.values()) > 1.0:
            raise LabError("the faults' shares add up to more than the whole fleet")


NO_FAULTS = FaultSpec(shares={}, minimum=0)
"""A fleet where every terminal is healthy."""


def plan_terminal_faults(
    fleet: Sequence[LabTerminal], seed: int, spec: FaultSpec | None = None
) -> dict[str, TerminalFault]:
    """Terminal id → its fault, for the few that have one; the same fleet and seed, the same plan.

    The fleet is shuffled once by seed and dealt out fault by fault, so no terminal gets two.
    When the fleet is too small for every minimum, the faults listed first are served first.
    """
    spec = spec or FaultSpec()
    ids = sorted(t.id for t in fleet)
    seeded_rng(seed, "terminal-faults").shuffle(ids)
    plan: dict[str, TerminalFault] = {}
    dealt = 0
    for fault in TerminalFault:
        share = spec.shares.get(fault)
        if share is None:
            continue
        count = min(max(spec.minimum, round(share * len(ids))), len(ids) - dealt)
        for terminal_id in ids[dealt : dealt + count]:
            plan[terminal_id] = fault
        dealt += count
    return plan


def fault_counts(plan: Mapping[str, TerminalFault]) -> dict[TerminalFault, int]:
    """How many terminals have each fault (faults nobody has are left out)."""
    return dict(Counter(plan.values()))
