"""Intended against observed: inventory links matched to what LLDP neighbours report.

Each neighbour a device reports is resolved to an inventory device — by system name
(``Device.name``, case-insensitive, domain stripped), else by management address
(``Device.address``), else by chassis MAC where the caller knows each device's MAC — and to a port,
compared by :func:`interface_key` (``Gi1/0/1``, ``GE1/0/1`` and ``GigabitEthernet1/0/1`` are one
port). Then:

* a link one end (or both) reports exactly is **matched**;
* two devices that hear each other on other ports than their inventory link says are a
  **port mismatch** of that link;
* an adjacency no inventory link accounts for (an unknown neighbour, or two devices the inventory
  does not link, or an extra cable beside a matched one) is **seen, not intended**;
* a link neither of whose ends reports the other is **intended, not seen** — only when both ends'
  LLDP was collected (``collected``): a device nobody asked proves nothing.

An adjacency is usually heard from both ends; each finding is reported once, naming who saw it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

from core.model import Device, Inventory, Link, LinkEnd
from core.neighbours import (
    LldpNeighbour,
    PortIdSubtype,
    interface_key,
    normalise_mac,
    parse_ip,
    strip_domain,
)

_End = tuple[str, str]
"""(device id, interface key)."""


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MatchedLink(_Result):
    link_id: str
    seen_from: tuple[str, ...]
    """The devices whose LLDP reported it (one or both ends)."""
    explanation: str


class SeenNotIntended(_Result):
    device_id: str
    local_port: str
    remote_device_id: str | None
    """None when the neighbour is no inventory device."""
    remote_port: str | None
    remote_system_name: str | None
    remote_chassis_id: str
    seen_from: tuple[str, ...]
    explanation: str


class IntendedNotSeen(_Result):
    link_id: str
    a_device: str
    a_interface: str
    b_device: str
    b_interface: str
    explanation: str


class PortMismatch(_Result):
    link_id: str
    a_device: str
    a_intended: str
    a_observed: str | None
    """The port ``a_device`` was heard on or hears on (None when only the far end reported and
    named no port)."""
    b_device: str
    b_intended: str
    b_observed: str | None
    seen_from: tuple[str, ...]
    explanation: str


class DiscoveryReport(_Result):
    matched: tuple[MatchedLink, ...] = ()
    seen_not_intended: tuple[SeenNotIntended, ...] = ()
    intended_not_seen: tuple[IntendedNotSeen, ...] = ()
    port_mismatch: tuple[PortMismatch, ...] = ()

    @property
    def matched_link_ids(self) -> frozenset[str]:
        return frozenset(m.link_id for m in self.matched)

    @property
    def findings(self) -> int:
        """How many differences between intended and observed."""
        return len(self.seen_not_intended) + len(self.intended_not_seen) + len(self.port_mismatch)


def match_links(
    inventory: Inventory,
    neighbours: Iterable[LldpNeighbour],
    collected: Collection[str] | None = None,
    *,
    chassis_macs: Mapping[str, str] | None = None,
) -> DiscoveryReport:
    """Match ``neighbours`` to ``inventory``'s links and report the differences.

    ``collected``: the devices whose LLDP was collected (successfully) — by default those that
    reported any neighbour, which cannot tell a device that hears nobody. ``chassis_macs``: device
    id → the MAC it announces as its chassis id, to resolve neighbours that give no usable name.
    """
    resolver = _Resolver(inventory.devices, chassis_macs or {})
    observations = _observations(neighbours, resolver)
    asked = set(collected) if collected is not None else {o.device_id for o in observations}
    links = _Links(inventory.links)
    seen: dict[str, set[str]] = defaultdict(set)
    leftovers: list[_Observation] = []
    for observation in observations:
        link = links.exact(observation)
        if link is None:
            leftovers.append(observation)
        else:
            seen[link.id].add(observation.device_id)
    mismatches: dict[str, _Cable] = {}
    unintended: list[_Cable] = []
    for observation in leftovers:
        link = links.mismatched(observation, seen, mismatches)
        if link is not None:
            mismatches.setdefault(link.id, _Cable(link=link)).add(observation)
            continue
        cable = next((c for c in unintended if c.ends & observation.ends), None)
        if cable is None:
            unintended.append(cable := _Cable())
        cable.add(observation)
    return DiscoveryReport(
        matched=tuple(
            _matched(link, sorted(seen[link.id])) for link in links.all if link.id in seen
        ),
        seen_not_intended=tuple(
            sorted((_unintended(c) for c in unintended), key=lambda f: (f.device_id, f.local_port))
        ),
        intended_not_seen=tuple(
            _not_seen(link)
            for link in links.all
            if link.id not in seen
            and link.id not in mismatches
            and link.a.device in asked
            and link.b.device in asked
        ),
        port_mismatch=tuple(
            _mismatch(mismatches[link.id]) for link in links.all if link.id in mismatches
        ),
    )


# --------------------------------------------------------------------------- resolution


class _Resolver:
    """Which inventory device a neighbour is."""

    def __init__(self, devices: Iterable[Device], chassis_macs: Mapping[str, str]) -> None:
        self.devices = {d.id: d for d in devices}
        self._by_name = {strip_domain(d.name): d.id for d in self.devices.values()}
        self._by_address = {d.address: d.id for d in self.devices.values()}
        macs = ((normalise_mac(mac), d) for d, mac in chassis_macs.items() if d in self.devices)
        self._by_mac = {mac: device_id for mac, device_id in macs if mac is not None}

    def device_of(self, neighbour: LldpNeighbour) -> str | None:
        name = neighbour.remote_system_name
        if name and (found := self._by_name.get(strip_domain(name))) is not None:
            return found
        address = neighbour.remote_management_address
        if address is not None and (found := self._by_address.get(address)) is not None:
            return found
        chassis = neighbour.remote_chassis_id
        chassis_address = parse_ip(chassis)
        if chassis_address is not None and chassis_address in self._by_address:
            return self._by_address[chassis_address]
        mac = normalise_mac(chassis)
        return self._by_mac.get(mac) if mac is not None else None


_NAMED_PORTS = frozenset(PortIdSubtype) - {
    PortIdSubtype.MAC_ADDRESS, PortIdSubtype.NETWORK_ADDRESS, PortIdSubtype.AGENT_CIRCUIT_ID
}  # fmt: skip
"""Port id subtypes that may carry the port's name (a MAC or an address never does)."""


@dataclass(frozen=True)
class _Observation:
    """One adjacency as one device reported it."""

    neighbour: LldpNeighbour
    device_id: str
    local_key: str
    remote_device: str | None
    remote_port: str | None
    """The remote port's name as reported: the port id when it names one, else the description."""
    remote_keys: frozenset[str]

    @property
    def ends(self) -> frozenset[_End]:
        local = {(self.device_id, self.local_key)}
        if self.remote_device is None:
            return frozenset(local)
        return frozenset(local | {(self.remote_device, key) for key in self.remote_keys})


def _observations(neighbours: Iterable[LldpNeighbour], resolver: _Resolver) -> list[_Observation]:
    unique: dict[tuple[object, ...], _Observation] = {}
    for neighbour in neighbours:
        names = []
        if neighbour.remote_port_id_subtype in _NAMED_PORTS:
            names.append(neighbour.remote_port_id)
        if neighbour.remote_port_description:
            names.append(neighbour.remote_port_description)
        remote = resolver.device_of(neighbour)
        observation = _Observation(
            neighbour=neighbour,
            device_id=neighbour.device_id,
            local_key=interface_key(neighbour.local_port),
            remote_device=remote,
            remote_port=names[0] if names else None,
            remote_keys=frozenset(interface_key(n) for n in names),
        )
        # The same neighbour from SNMP and from the CLI is one observation.
        key = (
            observation.device_id,
            observation.local_key,
            remote or neighbour.remote_chassis_id,
            observation.remote_keys,
        )
        unique.setdefault(key, observation)
    return list(unique.values())


# --------------------------------------------------------------------------- links


class _Links:
    def __init__(self, links: Iterable[Link]) -> None:
        self.all = sorted(links, key=lambda link: link.id)
        self._between: dict[frozenset[str], list[Link]] = defaultdict(list)
        for link in self.all:
            self._between[frozenset((link.a.device, link.b.device))].append(link)

    def exact(self, observation: _Observation) -> Link | None:
        """The link whose local end is the observation's local port and whose far end is one
        of the ports the neighbour named."""
        for link in self._candidates(observation):
            local, remote = _oriented(link, observation.device_id)
            if (
                interface_key(local.interface) == observation.local_key
                and interface_key(remote.interface) in observation.remote_keys
            ):
                return link
        return None

    def mismatched(
        self, observation: _Observation, seen: Mapping[str, set[str]], taken: Mapping[str, _Cable]
    ) -> Link | None:
        """An unseen link between the same two devices that this observation may be, sharing a
        port with it if one does; None when every link between them is accounted for."""
        free = [
            link
            for link in self._candidates(observation)
            if link.id not in seen
            and (link.id not in taken or taken[link.id].ends & observation.ends)
        ]
        for link in free:
            local, remote = _oriented(link, observation.device_id)
            if interface_key(local.interface) == observation.local_key or (
                interface_key(remote.interface) in observation.remote_keys
            ):
                return link
        return free[0] if free else None

    def _candidates(self, observation: _Observation) -> list[Link]:
        if observation.remote_device is None:
            return []
        return self._between.get(frozenset((observation.device_id, observation.remote_device)), [])


def _oriented(link: Link, device_id: str) -> tuple[LinkEnd, LinkEnd]:
    """The link's (near end, far end) as seen from ``device_id``."""
    return (link.a, link.b) if link.a.device == device_id else (link.b, link.a)


@dataclass
class _Cable:
    """Observations that are one physical adjacency (they share an end)."""

    link: Link | None = None
    observations: list[_Observation] = field(default_factory=list)
    ends: frozenset[_End] = frozenset()

    def add(self, observation: _Observation) -> None:
        self.observations.append(observation)
        self.ends = self.ends | observation.ends

    def observed_port(self, device_id: str) -> str | None:
        """The port ``device_id`` is on in this adjacency, by its own report or its neighbour's."""
        for o in self.observations:
            if o.device_id == device_id:
                return o.neighbour.local_port
        for o in self.observations:
            if o.remote_device == device_id and o.remote_port is not None:
                return o.remote_port
        return None

    def seen_from(self) -> tuple[str, ...]:
        return tuple(sorted({o.device_id for o in self.observations}))


# --------------------------------------------------------------------------- results


def _describe(link: Link) -> str:
    return f"{link.a.device} {link.a.interface} ↔ {link.b.device} {link.b.interface}"


def _matched(link: Link, seen_from: list[str]) -> MatchedLink:
    who = " and ".join(seen_from)
    return MatchedLink(
        link_id=link.id,
        seen_from=tuple(seen_from),
        explanation=f"link {link.id} ({_describe(link)}) is seen over LLDP from {who}",
    )


def _not_seen(link: Link) -> IntendedNotSeen:
    return IntendedNotSeen(
        link_id=link.id,
        a_device=link.a.device,
        a_interface=link.a.interface,
        b_device=link.b.device,
        b_interface=link.b.interface,
        explanation=(
            f"link {link.id} ({_describe(link)}) is in the inventory, but neither device reports "
            "the other over LLDP (both were collected): the cable may be unplugged, elsewhere, "
            "or LLDP off on a port"
        ),
    )


def _mismatch(cable: _Cable) -> PortMismatch:
    link = cable.link
    assert link is not None  # only cables matched to a link are mismatches
    a_seen, b_seen = cable.observed_port(link.a.device), cable.observed_port(link.b.device)
    observed = f"{link.a.device} {a_seen or '?'} ↔ {link.b.device} {b_seen or '?'}"
    return PortMismatch(
        link_id=link.id,
        a_device=link.a.device,
        a_intended=link.a.interface,
        a_observed=a_seen,
        b_device=link.b.device,
        b_intended=link.b.interface,
        b_observed=b_seen,
        seen_from=cable.seen_from(),
        explanation=(
            f"link {link.id} is intended as {_describe(link)}, but LLDP shows {observed} "
            f"(reported by {' and '.join(cable.seen_from())})"
        ),
    )


def _unintended(cable: _Cable) -> SeenNotIntended:
    # Named from one end, the same whichever end reported first.
    first = min(cable.observations, key=lambda o: (o.remote_device is None, o.device_id))
    neighbour = first.neighbour
    heard = f"{first.device_id} {neighbour.local_port}"
    if first.remote_device is None:
        who = neighbour.remote_system_name or neighbour.remote_chassis_id
        explanation = (
            f"{heard} hears {who!r} (chassis {neighbour.remote_chassis_id}, port "
            f"{first.remote_port or neighbour.remote_port_id}), which is no inventory device"
        )
    else:
        far = f"{first.remote_device} {first.remote_port or '?'}"
        explanation = (
            f"{heard} ↔ {far} is seen over LLDP (reported by {' and '.join(cable.seen_from())}), "
            "but no inventory link accounts for it"
        )
    return SeenNotIntended(
        device_id=first.device_id,
        local_port=neighbour.local_port,
        remote_device_id=first.remote_device,
        remote_port=first.remote_port,
        remote_system_name=neighbour.remote_system_name,
        remote_chassis_id=neighbour.remote_chassis_id,
        seen_from=cable.seen_from(),
        explanation=explanation,
    )
