"""The network as a graph: devices as nodes, links as edges, with what was last observed of each.

:func:`build_topology` turns the inventory (the intended network) and the observed link and device
states into a :class:`Topology`. Its ``graph`` is a :class:`networkx.MultiGraph` keyed by link id
(two devices may be joined by several links). Node attributes: ``name``, ``site``, ``region``,
``role``, ``services``, ``status``. Edge attributes: ``tier``, ``role`` (primary/backup),
``capacity_bps``, ``status`` (up/down/unknown), ``in_bps``, ``out_bps``, ``utilisation_percent``
and ``usable``. Sites are not nodes: a site is the ``site`` attribute its devices share.

The province's root is its set of core devices (:attr:`core.model.DeviceRole.CORE`): a device is
connected when a path of usable links joins it to any working core.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

import networkx as nx

from core.errors import NotFound
from core.model import Device, DeviceRole, Inventory, Link, Region, RegionLevel, Status
from topology.model import ElementKind, ElementRef, LinkStateLike, LinkStatus

ROLE_WORDS: Mapping[DeviceRole, str] = MappingProxyType(
    {
        DeviceRole.CORE: "core router",
        DeviceRole.DISTRIBUTION: "city router",
        DeviceRole.ACCESS: "county router",
        DeviceRole.SERVER: "service host",
    }
)
_LEVEL_DEPTH: Mapping[RegionLevel, int] = MappingProxyType(
    {RegionLevel.PROVINCE: 0, RegionLevel.CITY: 1, RegionLevel.COUNTY: 2}
)
TRACKED_ROLES = frozenset({DeviceRole.DISTRIBUTION, DeviceRole.ACCESS})
"""Roles of the city and county nodes whose paths and failover state are followed."""


class Topology:
    """The inventory as a graph, with the observed state of every link and device.

    Read-only once built: build a new one for each new observation (it is cheap).
    """

    def __init__(
        self,
        inventory: Inventory,
        link_status: Mapping[str, LinkStatus],
        device_status: Mapping[str, Status],
        rates: Mapping[str, tuple[float | None, float | None]],
    ) -> None:
        self.inventory = inventory
        self.devices: Mapping[str, Device] = MappingProxyType(inventory.device_by_id())
        self.links: Mapping[str, Link] = MappingProxyType({lk.id: lk for lk in inventory.links})
        self.regions: Mapping[str, Region] = MappingProxyType(inventory.region_by_code())
        sites = inventory.site_by_id()
        self._region_of = {
            d.id: sites[d.site].region if d.site in sites else "" for d in inventory.devices
        }
        self._device_status = {d: device_status.get(d, Status.UNKNOWN) for d in self.devices}
        self._link_status = {k: link_status.get(k, LinkStatus.UNKNOWN) for k in self.links}
        self._links_of: dict[str, list[str]] = {d: [] for d in self.devices}
        for link in sorted(inventory.links, key=lambda lk: lk.id):
            for end in (link.a, link.b):
                if end.device not in self.devices:
                    raise NotFound(f"link {link.id} ends on {end.device!r}, not in the inventory")
            self._links_of[link.a.device].append(link.id)
            if link.b.device != link.a.device:
                self._links_of[link.b.device].append(link.id)
        self.core_ids: tuple[str, ...] = tuple(
            sorted(d.id for d in inventory.devices if d.role is DeviceRole.CORE)
        )
        self.tracked_device_ids: tuple[str, ...] = tuple(
            sorted(
                (d.id for d in inventory.devices if d.role in TRACKED_ROLES),
                key=lambda d: (self._region_of[d], d),
            )
        )
        self.graph: nx.MultiGraph[str] = self._build_graph(rates)

    def _build_graph(
        self, rates: Mapping[str, tuple[float | None, float | None]]
    ) -> nx.MultiGraph[str]:
        graph: nx.MultiGraph[str] = nx.MultiGraph()
        for device_id in sorted(self.devices):  # sorted: path ties break the same way every time
            device = self.devices[device_id]
            graph.add_node(
                device_id,
                name=device.name,
                site=device.site,
                region=self._region_of[device_id],
                role=device.role,
                services=device.services,
                status=self._device_status[device_id],
            )
        for link_id in sorted(self.links):
            link = self.links[link_id]
            in_bps, out_bps = rates.get(link_id, (None, None))
            graph.add_edge(
                link.a.device,
                link.b.device,
                key=link_id,
                tier=link.tier,
                role=link.role,
                capacity_bps=link.capacity_bps,
                status=self._link_status[link_id],
                in_bps=in_bps,
                out_bps=out_bps,
                utilisation_percent=_utilisation(link.capacity_bps, in_bps, out_bps),
                usable=self.link_usable(link_id),
            )
        return graph

    # ------------------------------------------------------------------ state

    def device_status(self, device_id: str) -> Status:
        return self._device_status[self._known_device(device_id)]

    def link_status(self, link_id: str) -> LinkStatus:
        return self._link_status[self._known_link(link_id)]

    def device_usable(self, device_id: str) -> bool:
        """Not known to be down (unknown counts as working until something says otherwise)."""
        return self._device_status[device_id] is not Status.DOWN

    def link_usable(self, link_id: str) -> bool:
        """Neither the link nor either of its end devices is known to be down."""
        link = self.links[link_id]
        return (
            self._link_status[link_id] is not LinkStatus.DOWN
            and self.device_usable(link.a.device)
            and self.device_usable(link.b.device)
        )

    def failed_elements(self) -> frozenset[ElementRef]:
        """Every device and link known to be down now."""
        devices = (ElementRef.device(d) for d, s in self._device_status.items() if s is Status.DOWN)
        links = (ElementRef.link(k) for k, s in self._link_status.items() if s is LinkStatus.DOWN)
        return frozenset((*devices, *links))

    # ------------------------------------------------------------------ structure

    def region_of(self, device_id: str) -> str:
        """The region code of the device's site."""
        return self._region_of[self._known_device(device_id)]

    def links_of(self, device_id: str) -> tuple[str, ...]:
        """Ids of the links ending on the device, sorted."""
        return tuple(self._links_of[self._known_device(device_id)])

    def ends(self, link_id: str) -> tuple[str, str]:
        link = self.links[self._known_link(link_id)]
        return link.a.device, link.b.device

    def element_region(self, element: ElementRef) -> str | None:
        """The region of a device; of a link, the region of its end further from the core."""
        if element.kind is ElementKind.DEVICE:
            return self.region_of(element.id)
        a, b = self.ends(element.id)
        return max(self._region_of[a], self._region_of[b], key=self._region_depth)

    def check(self, element: ElementRef) -> ElementRef:
        """``element`` itself, or :class:`NotFound` when the inventory has no such element."""
        if element.kind is ElementKind.DEVICE:
            self._known_device(element.id)
        else:
            self._known_link(element.id)
        return element

    # ------------------------------------------------------------------ words

    def describe(self, element: ElementRef) -> str:
        """For people: ``city router gz-core1 (广州市 440100)``, ``link gz-liwan-primary
        (gz-core1 ↔ gz-liwan-acc1)``."""
        if element.kind is ElementKind.DEVICE:
            device = self.devices[self._known_device(element.id)]
            where = self.region_name(self._region_of[device.id])
            return f"{ROLE_WORDS[device.role]} {device.id} ({where})"
        a, b = self.ends(element.id)
        return f"link {element.id} ({a} ↔ {b})"

    def _region_depth(self, code: str) -> tuple[int, str]:
        region = self.regions.get(code)
        return (_LEVEL_DEPTH[region.level] if region else len(_LEVEL_DEPTH)), code

    def region_name(self, code: str) -> str:
        """``荔湾区 440103``; the bare code when the inventory does not know it."""
        region = self.regions.get(code)
        return f"{region.name} {code}" if region else code

    def _known_device(self, device_id: str) -> str:
        if device_id not in self.devices:
            raise NotFound(f"no device {device_id!r} in the topology")
        return device_id

    def _known_link(self, link_id: str) -> str:
        if link_id not in self.links:
            raise NotFound(f"no link {link_id!r} in the topology")
        return link_id


def build_topology(
    inventory: Inventory,
    link_states: Iterable[LinkStateLike] = (),
    device_status: Mapping[str, Status] | None = None,
    utilisation: Mapping[str, tuple[float | None, float | None]] | None = None,
) -> Topology:
    """The topology of ``inventory`` with the observed state of its links and devices.

    ``link_states``: one per link (missing links are ``unknown``; states of links the inventory
    does not have are ignored). ``device_status``: by device id (missing: unknown); a device that
    is ``down`` makes its links unusable. ``utilisation``: ``(in_bps, out_bps)`` by link id, as
    seen from end ``a``, e.g. from the metric store; it overrides the rates in ``link_states``.
    """
    statuses: dict[str, LinkStatus] = {}
    rates: dict[str, tuple[float | None, float | None]] = {}
    for state in link_states:
        statuses[state.link_id] = LinkStatus(state.status)
        if state.in_bps is not None or state.out_bps is not None:
            rates[state.link_id] = (state.in_bps, state.out_bps)
    rates.update(utilisation or {})
    return Topology(inventory, statuses, device_status or {}, rates)


def _utilisation(
    capacity_bps: int | None, in_bps: float | None, out_bps: float | None
) -> float | None:
    if not capacity_bps or (in_bps is None and out_bps is None):
        return None
    return 100.0 * max(in_bps or 0.0, out_bps or 0.0) / capacity_bps
