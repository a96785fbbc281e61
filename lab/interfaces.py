"""A device's ifTable: every interface its model has, with status, description and traffic.

Linked ports are up and describe their link ("to GZ-CORE1 GigabitEthernet1/0/2 (primary)"). Spare
access ports at cities and counties are partly in use (offices, card terminals) and partly empty —
oper down, and now and then shut (admin down) — as on a real switch; spare optical ports are empty.
Loopbacks, null and VLAN interfaces complete the table the way each vendor numbers it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from core.model import DeviceRole, LinkRole
from lab.catalogue import GBPS, IF_TYPE_ETHERNET, HardwareModel, LogicalInterface, PortPool
from lab.model import LabInterface
from lab.seeded import seeded_rng

KB = 1_000
MB = 1_000_000
_ACCESS_USES = ("service-hall", "card-terminals", "office-lan", "self-service-kiosk", "printers")


@dataclass(frozen=True, slots=True)
class LinkEnd:
    """One end of a link as seen from the device it is on."""

    link: str
    role: LinkRole
    capacity_bps: int
    peer_name: str
    peer_interface: str
    out_bytes_per_s: int
    in_bytes_per_s: int


@dataclass(frozen=True, slots=True)
class _Row:
    name: str
    if_type: int
    speed_bps: int
    mtu: int
    has_mac: bool
    physical: bool
    pool: PortPool | None
    oper_up: bool
    if_index: int | None
    vlan: int | None = None


def vlans_for(role: DeviceRole, rng: random.Random) -> list[int]:
    if role is DeviceRole.CORE:
        return [1, 100, *range(200, 200 + rng.randint(4, 20))]
    if role is DeviceRole.DISTRIBUTION:
        return [1, 100, *range(201, 201 + rng.randint(2, 6))]
    if role is DeviceRole.ACCESS:
        return [1, 100]
    return []


def build_interfaces(
    model: HardwareModel,
    role: DeviceRole,
    ends: dict[str, LinkEnd],
    base_mac: str,
    seed: int,
    device_id: str,
) -> tuple[LabInterface, ...]:
    rng = seeded_rng(seed, "interfaces", device_id)
    rows = _rows(model, vlans_for(role, rng))
    interfaces: list[LabInterface] = []
    spare_nics = 0
    for position, (row, if_index) in enumerate(zip(rows, _if_indexes(rows), strict=True)):
        end = ends.get(row.name)
        if end is not None:
            use = _Use(
                alias=f"to {end.peer_name} {end.peer_interface} ({end.role})",
                up=True,
                in_bytes_per_s=end.in_bytes_per_s,
                out_bytes_per_s=end.out_bytes_per_s,
            )
        elif row.physical and role is DeviceRole.SERVER and row.pool is PortPool.ACCESS:
            use = _server_spare(rng, first=spare_nics == 0)
            spare_nics += 1
        elif row.physical and row.pool is PortPool.ACCESS and role is not DeviceRole.CORE:
            use = _access_spare(model, row, rng)
        else:
            use = _Use(alias=_default_alias(model, row), up=row.oper_up and not row.physical)
            if row.vlan == 100:
                use = _Use("management", True, rng.uniform(1, 20) * KB, rng.uniform(1, 20) * KB)
        # Only spare physical ports are ever shut; a shut port is down.
        admin_up = use.up or not row.physical or rng.random() >= 0.15
        errors, discards = _faults(rng) if use.up and row.physical else (0.0, 0.0)
        interfaces.append(
            LabInterface(
                if_index=if_index,
                name=row.name,
                descr=row.name,
                alias=use.alias,
                if_type=row.if_type,
                speed_bps=min(row.speed_bps, end.capacity_bps) if end else row.speed_bps,
                mtu=row.mtu,
                mac=_offset_mac(base_mac, position + 1 if row.physical else 0)
                if row.has_mac
                else "",
                admin_up=admin_up,
                oper_up=use.up and admin_up,
                in_bytes_per_s=round(use.in_bytes_per_s),
                out_bytes_per_s=round(use.out_bytes_per_s),
                in_errors_per_s=errors,
                in_discards_per_s=discards,
                link=end.link if end else None,
                lldp=row.physical and row.if_type == IF_TYPE_ETHERNET,
            )
        )
    return tuple(interfaces)


@dataclass(frozen=True, slots=True)
class _Use:
    """What an interface is used for: its description, whether it is up, its traffic."""

    alias: str
    up: bool
    in_bytes_per_s: float = 0.0
    out_bytes_per_s: float = 0.0


def _server_spare(rng: random.Random, first: bool) -> _Use:
    """A server's first spare NIC is on the storage network; the others are not cabled."""
    if first:
        return _Use("storage", True, rng.uniform(5, 80) * MB, rng.uniform(5, 80) * MB)
    return _Use("", False)


def _access_spare(model: HardwareModel, row: _Row, rng: random.Random) -> _Use:
    """About half the spare access ports of a city or county serve its offices."""
    if rng.random() < 0.55:
        return _Use(
            rng.choice(_ACCESS_USES), True, rng.uniform(2, 200) * KB, rng.uniform(5, 500) * KB
        )
    return _Use(_default_alias(model, row), False)


def _rows(model: HardwareModel, vlans: list[int]) -> list[_Row]:
    def logical(item: LogicalInterface) -> _Row:
        return _Row(
            item.name,
            item.if_type,
            item.speed_bps,
            item.mtu,
            item.has_mac,
            False,
            None,
            item.oper_up,
            item.if_index,
        )

    rows = [logical(item) for item in model.logical_first]
    for group in model.ports:
        for n, name in zip(
            range(group.first, group.first + group.count), group.names(), strict=True
        ):
            index = group.if_index_base + n if group.if_index_base is not None else None
            rows.append(
                _Row(
                    name,
                    IF_TYPE_ETHERNET,
                    group.speed_bps,
                    _mtu(group.speed_bps),
                    True,
                    True,
                    group.pool,
                    False,
                    index,
                )
            )
    if model.vlan_interface_format is not None:
        taken = {row.name for row in rows}
        for vlan in vlans:
            name = model.vlan_interface_format.format(vlan=vlan)
            if name not in taken:
                rows.append(
                    _Row(name, model.vlan_if_type, GBPS, 1500, True, False, None, True, None, vlan)
                )
    rows += [logical(item) for item in model.logical_last]
    return rows


def _mtu(speed_bps: int) -> int:
    """Jumbo frames on the ten-gig-and-faster links of the backbone; standard elsewhere."""
    return 9216 if speed_bps > GBPS else 1500


def _if_indexes(rows: list[_Row]) -> list[int]:
    """Explicit indexes where the vendor fixes them; the rest numbered in order around them."""
    taken = {row.if_index for row in rows if row.if_index is not None}
    indexes: list[int] = []
    counter = 1
    for row in rows:
        if row.if_index is not None:
            indexes.append(row.if_index)
            continue
        while counter in taken:
            counter += 1
        indexes.append(counter)
        taken.add(counter)
    return indexes


def _default_alias(model: HardwareModel, row: _Row) -> str:
    if model.describe_unused_as_name:
        return f"{row.name} Interface"
    return ""


def _faults(rng: random.Random) -> tuple[float, float]:
    """(errors, discards) per second: a few ports see errors (a dirty fibre) or discards."""
    errors = round(rng.uniform(0.01, 0.3), 3) if rng.random() < 0.04 else 0.0
    discards = round(rng.uniform(0.05, 2.0), 3) if rng.random() < 0.1 else 0.0
    return errors, discards


def _offset_mac(base_mac: str, offset: int) -> str:
    value = int(base_mac.replace(":", ""), 16)
    low = (value + offset) & 0xFFFFFF
    value = (value & ~0xFFFFFF) | low
    raw = f"{value:012x}"
    return ":".join(raw[i : i + 2] for i in range(0, 12, 2))
