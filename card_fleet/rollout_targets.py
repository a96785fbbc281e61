"""What the rollouts want each terminal to run, answered from memory at heartbeat rates.

Heartbeat handling asks for every accepted heartbeat (thousands a second), so the answer is laid
out once per rollout change (:meth:`TargetIndex.rebuild`) and read with a dictionary look-up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from card_fleet.rollouts import (
    TARGETING_STATES,
    Rollout,
    RolloutComponent,
    RolloutMember,
    RolloutState,
    in_regions,
)


class TargetIndex:
    """What the rollouts want each terminal to run, laid out for heartbeat rates.

    A newer rollout overrides an older one. Members point to the target, or to their previous
    version once rolled back; terminals that joined the fleet after a rollout's 100 % wave opened
    get its target through its scope."""

    def __init__(self) -> None:
        self._by_terminal: dict[str, tuple[str | None, str | None]] = {}
        self._by_scope: tuple[tuple[int, str, frozenset[str]], ...] = ()

    def rebuild(
        self, rollouts: Iterable[Rollout], members: Mapping[str, Mapping[str, RolloutMember]]
    ) -> None:
        """Lay out the targets again (the old layout serves readers until the new one is set)."""
        by_terminal: dict[str, list[str | None]] = {}
        by_scope: list[tuple[int, str, frozenset[str]]] = []
        targeting = (rollout for rollout in rollouts if rollout.state in TARGETING_STATES)
        for rollout in sorted(targeting, key=lambda r: (r.started_at or r.created_at, r.id)):
            plan = rollout.plan
            slot = 0 if plan.component is RolloutComponent.FIRMWARE else 1
            rolled_back = rollout.state is RolloutState.ROLLED_BACK
            for member in members.get(rollout.id, {}).values():
                version = member.previous_version if rolled_back else plan.target_version
                if version is not None:
                    by_terminal.setdefault(member.terminal_id, [None, None])[slot] = version
            if not rolled_back and _opened_everywhere(rollout):
                by_scope.insert(0, (slot, plan.target_version, plan.regions))
        self._by_terminal = {tid: (found[0], found[1]) for tid, found in by_terminal.items()}
        self._by_scope = tuple(by_scope)

    def target_for(self, terminal_id: str, county: str, city: str) -> tuple[str | None, str | None]:
        """(firmware, parameter) for the terminal; None where no rollout says."""
        found = self._by_terminal.get(terminal_id, (None, None))
        scopes = self._by_scope
        if not scopes or (found[0] is not None and found[1] is not None):
            return found
        versions = list(found)
        for slot, version, regions in scopes:
            if versions[slot] is None and in_regions(regions, county, city):
                versions[slot] = version
        return versions[0], versions[1]


def _opened_everywhere(rollout: Rollout) -> bool:
    steps = rollout.plan.planned_waves()
    return any(steps[w.index].percent == 100 and not steps[w.index].regions for w in rollout.waves)
