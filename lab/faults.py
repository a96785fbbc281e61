"""Faults injected into the lab, and what they do to the province the agents answer.

A :class:`Faults` is what the operator asked for: links failed (``ssnoc lab fail link A B``) and
devices failed (``ssnoc lab fail device D``). :func:`fault_effect` works out the consequences:

- every link that is down — those failed, and every link of a failed device;
- every device that falls silent — those failed, and those the NOC can no longer reach. The NOC
  sits at the data-centre cores (:attr:`DeviceRole.CORE`): a device with no path of working links
  from a core that has not failed, through devices that have not failed, is cut off. So failing
  both links of a county silences it, while failing a city's node leaves its counties answering
  over their backup links to a neighbouring city (:mod:`lab.layout`).

:func:`apply_faults` gives the province as the agents then answer it: both ends of a down link
oper-down (admin still up) and carrying nothing, the LLDP neighbours over it gone from both
ends — and with them the OSPF adjacencies over it, which :mod:`lab.agent_routing` derives from
them; a failed core's ports all down, so VRRP mastership moves to the other core — and the
traffic that crossed it moved onto the backup path (:mod:`lab.fault_traffic`).
It is a pure function of the original province, so with no faults it gives that province back
unchanged — which is what ``ssnoc lab recover`` relies on.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from core.errors import LabError
from core.model import DeviceRole, Link
from lab.fault_traffic import Rates, link_rates, rerouted_rates
from lab.model import LabDevice, LabInterface, Province


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FailedLink(_Frozen):
    """A link the operator failed: both its ends go down."""

    link: str = Field(description="The link's id (province.json, inventory.yaml)")
    since: datetime = Field(description="When it failed (UTC)")


class FailedDevice(_Frozen):
    """A device the operator failed: it answers nothing, and its links go down."""

    device: str = Field(description="The device's id")
    since: datetime = Field(description="When it failed (UTC)")


class Faults(_Frozen):
    """The faults in force, in the order they were injected."""

    links: tuple[FailedLink, ...] = ()
    devices: tuple[FailedDevice, ...] = ()

    @property
    def link_ids(self) -> frozenset[str]:
        return frozenset(f.link for f in self.links)

    @property
    def device_ids(self) -> frozenset[str]:
        return frozenset(f.device for f in self.devices)

    @property
    def count(self) -> int:
        return len(self.links) + len(self.devices)

    def with_link(self, link: str, since: datetime) -> Faults:
        return self.model_copy(update={"links": (*self.links, FailedLink(link=link, since=since))})

    def without_link(self, link: str) -> Faults:
        return self.model_copy(update={"links": tuple(f for f in self.links if f.link != link)})

    def with_device(self, device: str, since: datetime) -> Faults:
        failed = FailedDevice(device=device, since=since)
        return self.model_copy(update={"devices": (*self.devices, failed)})

    def without_device(self, device: str) -> Faults:
        kept = tuple(f for f in self.devices if f.device != device)
        return self.model_copy(update={"devices": kept})


@dataclass(frozen=True, slots=True)
class FaultEffect:
    """What a set of faults does to the province's reachability."""

    down_links: frozenset[str]
    """Failed links and every link of a failed device."""
    failed_devices: frozenset[str]
    silent_devices: frozenset[str]
    """Failed devices and every device cut off from the cores: their agents answer nothing."""

    @property
    def unreachable_devices(self) -> frozenset[str]:
        """Silent without having failed: alive, but behind a failure."""
        return self.silent_devices - self.failed_devices


def fault_effect(province: Province, faults: Faults) -> FaultEffect:
    """Which links are down and which devices fall silent; :class:`LabError` for a fault that
    names a link or device this province does not have."""
    devices = province.device_by_id()
    links = {link.id: link for link in province.links}
    _refuse_unknown("link", faults.link_ids, links)
    _refuse_unknown("device", faults.device_ids, devices)
    failed = faults.device_ids
    down = frozenset(
        link.id
        for link in province.links
        if link.id in faults.link_ids or link.a.device in failed or link.b.device in failed
    )
    reached = _reachable_from_cores(province, down, failed)
    silent = frozenset(devices) - reached
    return FaultEffect(down_links=down, failed_devices=failed, silent_devices=silent)


def apply_faults(province: Province, faults: Faults) -> Province:
    """The province as its agents answer with ``faults`` in force (see the module's docstring)."""
    effect = fault_effect(province, faults)
    if not effect.down_links:
        return province
    base = link_rates(province)
    rates = rerouted_rates(province, effect.down_links, effect.failed_devices)
    changed = {
        link.id: link
        for link in province.links
        if link.id in effect.down_links or rates[link.id] != base[link.id]
    }
    ends: dict[str, dict[str, tuple[Link, bool]]] = defaultdict(dict)
    for link in changed.values():
        ends[link.a.device][link.a.interface] = (link, True)
        ends[link.b.device][link.b.interface] = (link, False)
    devices = tuple(
        _device_under_faults(device, ends[device.id], rates, effect.down_links)
        if device.id in ends
        else device
        for device in province.devices
    )
    return province.model_copy(update={"devices": devices})


def neighbours_of(province: Province, device_id: str) -> list[str]:
    """The ids of the devices ``device_id`` has a link to, in link order."""
    peers: list[str] = []
    for link in province.links:
        if link.a.device == device_id:
            peers.append(link.b.device)
        elif link.b.device == device_id:
            peers.append(link.a.device)
    return peers


def _device_under_faults(
    device: LabDevice,
    ends: dict[str, tuple[Link, bool]],
    rates: dict[str, Rates],
    down_links: frozenset[str],
) -> LabDevice:
    interfaces = tuple(
        _interface_under_faults(interface, *ends[interface.name], rates, down_links)
        if interface.name in ends
        else interface
        for interface in device.interfaces
    )
    neighbours = tuple(n for n in device.neighbours if n.link not in down_links)
    return device.model_copy(update={"interfaces": interfaces, "neighbours": neighbours})


def _interface_under_faults(
    interface: LabInterface,
    link: Link,
    is_a_end: bool,
    rates: dict[str, Rates],
    down_links: frozenset[str],
) -> LabInterface:
    if link.id in down_links:
        # The carrier is gone: the port stays enabled, nothing crosses it, nothing goes wrong on it.
        return interface.model_copy(
            update={
                "oper_up": False,
                "in_bytes_per_s": 0.0,
                "out_bytes_per_s": 0.0,
                "in_errors_per_s": 0.0,
                "in_discards_per_s": 0.0,
            }
        )
    a_to_b, b_to_a = rates[link.id]
    out_rate, in_rate = (a_to_b, b_to_a) if is_a_end else (b_to_a, a_to_b)
    return interface.model_copy(
        update={"in_bytes_per_s": float(in_rate), "out_bytes_per_s": float(out_rate)}
    )


def _reachable_from_cores(
    province: Province, down_links: frozenset[str], failed: frozenset[str]
) -> frozenset[str]:
    adjacent: dict[str, list[str]] = defaultdict(list)
    for link in province.links:
        if link.id in down_links:
            continue
        adjacent[link.a.device].append(link.b.device)
        adjacent[link.b.device].append(link.a.device)
    cores = [d.id for d in province.devices if d.role is DeviceRole.CORE and d.id not in failed]
    reached = set(cores)
    queue = deque(cores)
    while queue:
        for peer in adjacent[queue.popleft()]:
            if peer not in reached and peer not in failed:
                reached.add(peer)
                queue.append(peer)
    return frozenset(reached)


def _refuse_unknown(kind: str, wanted: Iterable[str], known: Collection[str]) -> None:
    unknown = sorted(set(wanted) - set(known))
    if unknown:
        raise LabError(f"the faults name {kind}s this lab does not have: {', '.join(unknown)}")
