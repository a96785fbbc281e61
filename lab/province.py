"""Building the simulated Guangdong province: a pure function of divisions, size, seed and network.

:func:`build_province` plans the devices and links (:mod:`lab.layout`), gives every device a
platform and a model by seed (:mod:`lab.catalogue`), lands each link on real ports
(:mod:`lab.ports`), sets the traffic (:mod:`lab.traffic`) and fills in every ifTable
(:mod:`lab.interfaces`). The same arguments always give the same :class:`Province`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from core.model import DeviceRole, Link, LinkEnd, Platform
from lab.accounts import ENABLE_PLATFORMS, device_accounts, device_secrets, lab_login
from lab.addressing import plan_addresses
from lab.catalogue import PLATFORM_WEIGHTS, HardwareModel, choose_model
from lab.divisions import City
from lab.interfaces import LinkEnd as InterfaceLinkEnd
from lab.interfaces import build_interfaces
from lab.ip_plan import LinkAddress, link_subnets, with_addresses
from lab.layout import PlannedDevice, plan_layout, size_spec
from lab.model import LabDevice, LabInterface, LabLogin, LabNeighbour, Province
from lab.ports import PortAllocator, allocate_ports, port_needs
from lab.seeded import seeded_hex, seeded_rng
from lab.traffic import plan_traffic

__all__ = ["LabDevice", "LabInterface", "LabNeighbour", "Province", "build_province"]

DEFAULT_NETWORK = "127.20"
DEFAULT_PORT = 1161
DEFAULT_SSH_PORT = 2222
DEFAULT_SEED = 1

_DAY_S = 86_400
# (prefix, length) of serial numbers as each vendor prints them; hosts report none over SNMP.
_SERIAL_FORMAT: dict[Platform, tuple[str, int]] = {
    Platform.HUAWEI_VRP: ("2102353", 20),
    Platform.HP_COMWARE: ("210235A", 20),
    Platform.CISCO_IOS: ("FOC", 11),
    Platform.ZTE_ZXROS: ("21950", 12),
    Platform.LINUX: ("", 0),
}


def build_province(
    divisions: Sequence[City],
    size: str = "full",
    seed: int = DEFAULT_SEED,
    network: str = DEFAULT_NETWORK,
    port: int = DEFAULT_PORT,
    ssh_port: int | None = DEFAULT_SSH_PORT,
) -> Province:
    """The province; ``ssh_port`` None leaves SSH out of its inventory and credentials."""
    layout = plan_layout(divisions, size_spec(size), seed)
    addresses = plan_addresses(network, [d.address_key for d in layout.devices])
    uplinks, ends = port_needs(layout.links)
    models = {
        d.id: choose_model(_platform(d.role, d.id, seed), d.role, uplinks[d.id], ends[d.id])
        for d in layout.devices
    }
    placed = allocate_ports(layout.links, {d: PortAllocator(d, m) for d, m in models.items()})
    rates = plan_traffic(layout.links, seed)
    names = {d.id: d.name for d in layout.devices}
    link_ends: dict[str, dict[str, InterfaceLinkEnd]] = defaultdict(dict)
    neighbours: dict[str, list[LabNeighbour]] = defaultdict(list)
    subnets = link_subnets([planned.id for planned in layout.links])
    link_addresses: dict[str, dict[str, LinkAddress]] = defaultdict(dict)
    links: list[Link] = []
    for planned in layout.links:
        link_addresses[planned.a][planned.id] = LinkAddress(subnets[planned.id], 1)
        link_addresses[planned.b][planned.id] = LinkAddress(subnets[planned.id], 2)
        ports = placed[planned.id]
        a_to_b, b_to_a = rates[planned.id]
        sides = (
            (planned.a, ports.a, planned.b, ports.b, a_to_b, b_to_a),
            (planned.b, ports.b, planned.a, ports.a, b_to_a, a_to_b),
        )
        for device, interface, peer, peer_interface, out_rate, in_rate in sides:
            link_ends[device][interface] = InterfaceLinkEnd(
                planned.id,
                planned.role,
                planned.capacity_bps,
                names[peer],
                peer_interface,
                out_rate,
                in_rate,
            )
            neighbours[device].append(
                LabNeighbour(
                    interface=interface,
                    device=peer,
                    remote_interface=peer_interface,
                    link=planned.id,
                )
            )
        links.append(
            Link(
                id=planned.id,
                a=LinkEnd(device=planned.a, interface=ports.a),
                b=LinkEnd(device=planned.b, interface=ports.b),
                tier=planned.tier,
                role=planned.role,
                capacity_bps=planned.capacity_bps,
            )
        )
    login = lab_login(seed)
    devices = tuple(
        _device(
            planned,
            str(address),
            port,
            models[planned.id],
            link_ends[planned.id],
            tuple(neighbours[planned.id]),
            seed,
            link_addresses[planned.id],
            login,
        )
        for planned, address in zip(layout.devices, addresses, strict=True)
    )
    return Province(
        seed=seed,
        size=size,
        network=network,
        port=port,
        regions=layout.regions,
        sites=layout.sites,
        devices=_introduce_neighbours(devices),
        links=tuple(links),
        ssh_port=ssh_port,
        login=login,
    )


def _introduce_neighbours(devices: tuple[LabDevice, ...]) -> tuple[LabDevice, ...]:
    """Each neighbour entry completed with what that neighbour announces over LLDP."""
    by_id = {d.id: d for d in devices}
    completed = []
    for device in devices:
        entries = []
        for neighbour in device.neighbours:
            peer = by_id[neighbour.device]
            remote = peer.interface_by_name()[neighbour.remote_interface]
            entries.append(
                neighbour.model_copy(
                    update={
                        "remote_name": peer.name,
                        "remote_mac": peer.mac,
                        "remote_address": peer.address,
                        "remote_platform": peer.platform,
                        "remote_model": peer.model,
                        "remote_port_description": remote.alias or remote.descr,
                    }
                )
            )
        completed.append(device.model_copy(update={"neighbours": tuple(entries)}))
    return tuple(completed)


def community_for(seed: int, device_id: str) -> str:
    """The device's own community: ``lab-<id>-<6 hex>``; also its data file's name."""
    return f"lab-{device_id}-{seeded_hex(seed, 'community', device_id)}"


def _platform(role: DeviceRole, device_id: str, seed: int) -> Platform:
    choices = PLATFORM_WEIGHTS[role]
    rng = seeded_rng(seed, "platform", device_id)
    return rng.choices([p for p, _ in choices], weights=[w for _, w in choices])[0]


def _device(
    planned: PlannedDevice,
    address: str,
    port: int,
    model: HardwareModel,
    ends: dict[str, InterfaceLinkEnd],
    neighbours: tuple[LabNeighbour, ...],
    seed: int,
    link_addresses: dict[str, LinkAddress],
    login: LabLogin,
) -> LabDevice:
    rng = seeded_rng(seed, "device", planned.id)
    tail = seeded_hex(seed, "mac", planned.id)
    mac = f"{model.mac_oui}:{tail[0:2]}:{tail[2:4]}:{tail[4:6]}"
    busy = planned.role in (DeviceRole.CORE, DeviceRole.SERVER)
    prefix, serial_length = _SERIAL_FORMAT[model.platform]
    serial_tail = seeded_hex(seed, "serial", planned.id, digits=serial_length - len(prefix))
    interfaces = build_interfaces(model, planned.role, ends, mac, seed, planned.id)
    network_device = model.platform is not Platform.LINUX
    return LabDevice(
        id=planned.id,
        name=planned.name,
        platform=model.platform,
        role=planned.role,
        region=planned.region,
        site=planned.site,
        address=address,
        port=port,
        community=community_for(seed, planned.id),
        model=model.model,
        serial=f"{prefix}{serial_tail}".upper() if serial_length else "",
        mac=mac,
        location=planned.location,
        service=planned.service,
        uptime_s=rng.randint(3 * _DAY_S, 200 * _DAY_S),
        cpu_percent=rng.randint(20, 55) if busy else rng.randint(3, 30),
        memory_percent=rng.randint(35, 75),
        interfaces=with_addresses(interfaces, model, address, link_addresses),
        neighbours=neighbours,
        accounts=device_accounts(model.platform, planned.id, seed, login) if network_device else (),
        secrets=device_secrets(planned.id, seed, login, model.platform in ENABLE_PLATFORMS)
        if network_device
        else None,
    )
