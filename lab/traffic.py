"""How much flows over each link, in octets per second, each way.

Traffic follows the hierarchy so uplinks carry far more than access ports: a county's primary link
carries that county's demand; a city's primary uplink carries its own demand plus every county homed
on it; the servers send what the cities download, shared by weight. Backup links carry only routing
keepalives — which is how a NOC tells, from rates alone, that a site has failed over.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from core.model import LinkRole, LinkTier
from lab.layout import PlannedLink
from lab.seeded import seeded_rng

MB = 1_000_000

Rates = tuple[int, int]
"""(a → b, b → a) octets per second."""


def plan_traffic(links: Sequence[PlannedLink], seed: int) -> dict[str, Rates]:
    rates: dict[str, Rates] = {}
    downstream: dict[str, float] = defaultdict(float)  # what a node forwards to those below it
    upstream: dict[str, float] = defaultdict(float)

    def keepalive(link: PlannedLink) -> Rates:
        rng = seeded_rng(seed, "keepalive", link.id)
        return round(rng.uniform(300, 3000)), round(rng.uniform(300, 3000))

    for link in _of(links, LinkTier.CITY_COUNTY):
        if link.role is LinkRole.BACKUP:
            rates[link.id] = keepalive(link)
            continue
        rng = seeded_rng(seed, "demand", link.b)
        down, up = rng.uniform(2 * MB, 30 * MB), rng.uniform(0.5 * MB, 8 * MB)
        rates[link.id] = round(down), round(up)
        downstream[link.a] += down
        upstream[link.a] += up

    province_down = province_up = 0.0
    for link in _of(links, LinkTier.PROVINCE_CITY):
        if link.role is LinkRole.BACKUP:
            rates[link.id] = keepalive(link)
            continue
        rng = seeded_rng(seed, "demand", link.b)
        down = rng.uniform(5 * MB, 40 * MB) + downstream[link.b]
        up = rng.uniform(1 * MB, 10 * MB) + upstream[link.b]
        rates[link.id] = round(down), round(up)
        province_down += down
        province_up += up

    servers = _of(links, LinkTier.SERVER_ACCESS)
    weights = {s.id: seeded_rng(seed, "share", s.b).uniform(0.5, 1.5) for s in servers}
    total = sum(weights.values()) or 1.0
    for link in servers:
        rng = seeded_rng(seed, "server", link.b)
        share = weights[link.id] / total
        to_server = province_up * share + rng.uniform(1 * MB, 5 * MB)
        from_server = province_down * share + rng.uniform(1 * MB, 5 * MB)
        rates[link.id] = round(to_server), round(from_server)

    for link in _of(links, LinkTier.DC_INTERCONNECT):
        # Replication between the data centres: the busiest link in the province.
        rng = seeded_rng(seed, "replication", link.id)
        a_to_b, b_to_a = rng.uniform(300 * MB, 900 * MB), rng.uniform(300 * MB, 900 * MB)
        rates[link.id] = round(a_to_b), round(b_to_a)
    return rates


def _of(links: Sequence[PlannedLink], tier: LinkTier) -> list[PlannedLink]:
    return [link for link in links if link.tier is tier]
