"""Where the traffic goes when links and devices fail: the demand moved onto backup paths.

:mod:`lab.traffic` plans the rates along the hierarchy: a county's demand crosses its primary link
to its city's node, a city's demand (its own and its counties') crosses the city's primary uplink
to a core, and backup links carry only keepalives. Here each county and city node is a source of
demand — a county's is its primary link's rate, a city's own is its primary uplink's rate less
its counties' — which follows its route to a core: at each hop the primary uplink if it works and
leads somewhere that still reaches a core, else the backup. A rate is the planned one, less the
demand whose planned route crossed the link, plus the demand whose route now does; so a county
whose primary link fails puts its traffic on the backup link (its keepalives plus the primary's
rate) and on the backup city's uplink, and takes it off its own city's. With no fault every route
is the planned one and every rate is exactly the planned rate. Links of servers and the
data-centre interconnect keep their rates (or nothing, when down).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from core.model import DeviceRole, Link, LinkRole
from lab.model import LabDevice, Province

Rates = tuple[int, int]
"""(a → b, b → a) octets per second."""

_LEVEL = {
    DeviceRole.CORE: 0,
    DeviceRole.SERVER: 1,
    DeviceRole.DISTRIBUTION: 1,
    DeviceRole.ACCESS: 2,
}
_ROUTED = (DeviceRole.DISTRIBUTION, DeviceRole.ACCESS)


def link_rates(province: Province) -> dict[str, Rates]:
    """Each link's rates as its a end's interface counts them (out is a → b)."""
    devices = province.device_by_id()
    rates: dict[str, Rates] = {}
    for link in province.links:
        interface = devices[link.a.device].interface_by_name()[link.a.interface]
        rates[link.id] = (round(interface.out_bytes_per_s), round(interface.in_bytes_per_s))
    return rates


def rerouted_rates(
    province: Province, down_links: frozenset[str], failed_devices: frozenset[str]
) -> dict[str, Rates]:
    """Every link's rates with ``down_links`` down and ``failed_devices`` gone (down: (0, 0))."""
    devices = province.device_by_id()
    base = link_rates(province)
    uplinks = _uplinks(province, devices)
    sources = [d.id for d in province.devices if d.role in _ROUTED and uplinks[d.id]]
    demand = _own_demand(sources, uplinks, base)
    routes: dict[str, list[Link] | None] = {}

    def route(device: str) -> list[Link] | None:
        if device not in routes:
            routes[device] = _route(device, devices, uplinks, down_links, failed_devices, route)
        return routes[device]

    delta: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for source in sources:
        planned = _planned_route(source, uplinks)
        for sign, path in ((-1, planned), (1, route(source) or [])):
            lower = source
            for link in path:
                down_rate, up_rate = demand[source]
                change = delta[link.id]
                # The demand's "down" flows from the upper end to the lower one.
                if link.b.device == lower:
                    change[0] += sign * down_rate
                    change[1] += sign * up_rate
                    lower = link.a.device
                else:
                    change[0] += sign * up_rate
                    change[1] += sign * down_rate
                    lower = link.b.device
    rates: dict[str, Rates] = {}
    for link in province.links:
        if link.id in down_links:
            rates[link.id] = (0, 0)
            continue
        a_to_b, b_to_a = base[link.id]
        change = delta.get(link.id, [0, 0])
        rates[link.id] = (max(0, a_to_b + change[0]), max(0, b_to_a + change[1]))
    return rates


def _uplinks(province: Province, devices: dict[str, LabDevice]) -> dict[str, list[Link]]:
    """Per device, its links towards the cores: primary first, then backups, by id."""
    uplinks: dict[str, list[Link]] = {d.id: [] for d in province.devices}
    for link in province.links:
        a_level = _LEVEL[devices[link.a.device].role]
        b_level = _LEVEL[devices[link.b.device].role]
        if a_level < b_level:
            uplinks[link.b.device].append(link)
        elif b_level < a_level:
            uplinks[link.a.device].append(link)
    for links in uplinks.values():
        links.sort(key=lambda link: (link.role is not LinkRole.PRIMARY, link.id))
    return uplinks


def _upper(link: Link, lower: str) -> str:
    return link.a.device if link.b.device == lower else link.b.device


def _planned_route(source: str, uplinks: dict[str, list[Link]]) -> list[Link]:
    """The route :mod:`lab.traffic` planned: primary uplinks all the way to a core."""
    path: list[Link] = []
    device = source
    while uplinks.get(device):
        link = uplinks[device][0]
        path.append(link)
        device = _upper(link, device)
    return path


def _route(
    device: str,
    devices: dict[str, LabDevice],
    uplinks: dict[str, list[Link]],
    down_links: frozenset[str],
    failed_devices: frozenset[str],
    route: Callable[[str], list[Link] | None],
) -> list[Link] | None:
    """The links from ``device`` to a core with the faults in force; None: it reaches none."""
    if device in failed_devices:
        return None
    if devices[device].role is DeviceRole.CORE:
        return []
    for link in uplinks[device]:
        if link.id in down_links:
            continue
        onward = route(_upper(link, device))
        if onward is not None:
            return [link, *onward]
    return None


def _own_demand(
    sources: list[str], uplinks: dict[str, list[Link]], base: dict[str, Rates]
) -> dict[str, Rates]:
    """(down, up) each source adds itself: its primary uplink's rate less the rates of the
    primary uplinks of the sources homed on it."""
    carried: dict[str, Rates] = {}
    for source in sources:
        link = uplinks[source][0]
        a_to_b, b_to_a = base[link.id]
        carried[source] = (a_to_b, b_to_a) if link.b.device == source else (b_to_a, a_to_b)
    own = {source: list(rates) for source, rates in carried.items()}
    for source in sources:
        upper = _upper(uplinks[source][0], source)
        if upper in own:
            own[upper][0] -= carried[source][0]
            own[upper][1] -= carried[source][1]
    return {source: (max(0, d[0]), max(0, d[1])) for source, d in own.items()}
