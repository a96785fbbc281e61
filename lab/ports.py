"""Which front-panel port each link end lands on.

Uplinks take the fast optical ports from the first one up; downlinks to counties take access ports;
a core puts its servers on the last ten-gig ports, so city links and server links grow towards each
other as on a real patch panel. A port fits a link when it is at least as fast: a 1G county link may
run on a 10G SFP+ port (with a 1G optic), and then reports 1G.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from core.errors import LabError
from core.model import LinkTier
from lab.catalogue import GBPS, HardwareModel, PortPool
from lab.layout import PlannedLink

# (pool, from the end?) for the a end and the b end of each tier.
_PLACEMENT: dict[LinkTier, tuple[tuple[PortPool, bool], tuple[PortPool, bool]]] = {
    LinkTier.DC_INTERCONNECT: ((PortPool.UPLINK, False), (PortPool.UPLINK, False)),
    LinkTier.SERVER_ACCESS: ((PortPool.UPLINK, True), (PortPool.UPLINK, False)),
    LinkTier.PROVINCE_CITY: ((PortPool.UPLINK, False), (PortPool.UPLINK, False)),
    LinkTier.CITY_COUNTY: ((PortPool.ACCESS, False), (PortPool.UPLINK, False)),
}


@dataclass(frozen=True, slots=True)
class Port:
    name: str
    speed_bps: int
    pool: PortPool


@dataclass(frozen=True, slots=True)
class LinkEndPorts:
    """The ports a link landed on."""

    a: str
    b: str


def front_panel(model: HardwareModel) -> list[Port]:
    return [Port(name, g.speed_bps, g.pool) for g in model.ports for name in g.names()]


def port_needs(links: Sequence[PlannedLink]) -> tuple[Counter[str], Counter[str]]:
    """(uplink-pool ends, all ends) per device id: what a model must have room for."""
    uplinks: Counter[str] = Counter()
    ends: Counter[str] = Counter()
    for link in links:
        a_place, b_place = _PLACEMENT[link.tier]
        for device, (pool, _) in ((link.a, a_place), (link.b, b_place)):
            ends[device] += 1
            if pool is PortPool.UPLINK:
                uplinks[device] += 1
    return uplinks, ends


class PortAllocator:
    """Free ports of one device, handed out by the placement rules."""

    def __init__(self, device_id: str, model: HardwareModel) -> None:
        self.device_id = device_id
        self.model = model
        self._ports = front_panel(model)
        self._used: set[str] = set()

    def take(self, capacity_bps: int, pool: PortPool, from_end: bool) -> str:
        free = [(i, p) for i, p in enumerate(self._ports) if p.name not in self._used]
        fitting = [(i, p) for i, p in free if p.speed_bps >= capacity_bps]
        if not fitting:
            raise LabError(
                f"{self.device_id} ({self.model.model}) has no free port for a "
                f"{capacity_bps / GBPS:g}G link"
            )

        # The wanted pool first, then the slowest port that fits, then position.
        def preference(item: tuple[int, Port]) -> tuple[bool, int, int]:
            position, candidate = item
            return (
                candidate.pool is not pool,
                candidate.speed_bps,
                -position if from_end else position,
            )

        _, port = min(fitting, key=preference)
        self._used.add(port.name)
        return port.name


def allocate_ports(
    links: Sequence[PlannedLink], allocators: dict[str, PortAllocator]
) -> dict[str, LinkEndPorts]:
    """Port names for both ends of every link, in link order (deterministic)."""
    placed: dict[str, LinkEndPorts] = {}
    for link in links:
        (a_pool, a_end), (b_pool, b_end) = _PLACEMENT[link.tier]
        a = allocators[link.a].take(link.capacity_bps, a_pool, a_end)
        b = allocators[link.b].take(link.capacity_bps, b_pool, b_end)
        placed[link.id] = LinkEndPorts(a, b)
    return placed
