"""LLDP neighbours over SNMP: LLDP-MIB's remote table read as real agents serve it.

What real agents do, and what is done about it here:

* lldpRemTable is indexed ``timeMark.localPortNum.remIndex`` and the time mark is volatile: it
  changes whenever a neighbour is re-learnt, even between two requests of one walk. Rows are keyed
  by ``(localPortNum, remIndex)`` only; a column answered under two time marks keeps the newer one.
  Some agents leave the time mark out (``localPortNum.remIndex``): accepted too.
* lldpRemLocalPortNum is *not* always the ifIndex (a Huawei S5720 numbers ports 1…52 and its
  ifIndexes differently). The port is named from lldpLocPortTable (its id, then its description)
  matched against ifName and ifDescr; failing that, the number is taken as a bridge port
  (dot1dBasePortIfIndex), then as an ifIndex, as LibreNMS does.
* Chassis and port ids mean different things by subtype: a MAC address (six octets, or text such
  as ``d4 c1 c8 18 86 50``), a network address (an address-family octet, then the address), or
  text (interface name, locally assigned). All come out normalised (:mod:`core.neighbours`).
* Management addresses are in lldpRemManAddrTable's *index* (subtype, length, octets); some agents
  leave out the length octet.

A row that cannot be read (an index that is not numbers, no chassis or port id) is skipped with
its reason logged, naming the device and the row; the device's other neighbours still count.
A device costs one walk when it has no neighbours, and a few more requests when it has some.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from ipaddress import IPv4Address, IPv6Address
from typing import TypeVar

from pydantic import ValidationError

from collectors.snmp.identify import as_text
from collectors.snmp.transport import SnmpTarget, SnmpTransport, SnmpValue, VarBind, is_under
from core.clock import Clock, SystemClock
from core.errors import DeviceError
from core.neighbours import (
    CHASSIS_SUBTYPES,
    PORT_SUBTYPES,
    ChassisIdSubtype,
    LldpNeighbour,
    NeighbourSource,
    PortIdSubtype,
    interface_key,
    network_address,
    normalise_mac,
    parse_ip,
)

log = logging.getLogger(__name__)

LLDP = "1.0.8802.1.1.2.1"
LOC_CHASSIS_ID_SUBTYPE = f"{LLDP}.3.1.0"
LOC_CHASSIS_ID = f"{LLDP}.3.2.0"
LOC_PORT = f"{LLDP}.3.7.1"
"""lldpLocPortEntry: 2 lldpLocPortIdSubtype, 3 lldpLocPortId, 4 lldpLocPortDesc."""
REM = f"{LLDP}.4.1.1"
"""lldpRemEntry: 4–10 below; 11 and 12 (capabilities) are not read."""
REM_MAN_ADDR = f"{LLDP}.4.2.1"
IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
DOT1D_BASE_PORT_IF_INDEX = "1.3.6.1.2.1.17.1.4.1.2"

CHASSIS_SUBTYPE, CHASSIS_ID, PORT_SUBTYPE, PORT_ID, PORT_DESCR, SYS_NAME, SYS_DESCR = range(4, 11)
REM_REPETITIONS = 10
"""Rows per GETBULK answer of the remote table: system descriptions run to hundreds of octets."""

S = TypeVar("S", ChassisIdSubtype, PortIdSubtype)
RemoteKey = tuple[int, int]
"""(lldpRemLocalPortNum, lldpRemIndex): a remote row without its volatile time mark."""


@dataclass(frozen=True, slots=True)
class LldpReading:
    """What one device's agent said of its LLDP neighbours."""

    neighbours: tuple[LldpNeighbour, ...]
    local_chassis_id: str | None
    """The device's own chassis id (normalised): how its neighbours know it."""
    skipped: tuple[str, ...] = ()
    """Rows left out, each with its reason."""

    @property
    def has_lldp(self) -> bool:
        """The agent implements LLDP-MIB (it named its own chassis or any neighbour)."""
        return self.local_chassis_id is not None or bool(self.neighbours)


@dataclass(frozen=True, slots=True)
class LldpResult:
    """One device's LLDP collection: its neighbours, or why there are none."""

    device_id: str
    collected_at: datetime
    duration_s: float
    reading: LldpReading | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.reading is not None

    @property
    def neighbours(self) -> tuple[LldpNeighbour, ...]:
        return self.reading.neighbours if self.reading is not None else ()


async def collect_lldp(
    transport: SnmpTransport,
    target: SnmpTarget,
    *,
    device_id: str | None = None,
    clock: Clock | None = None,
    budget_s: float | None = None,
) -> LldpResult:
    """One device's neighbours as a result, never a raise (a fleet task boundary).

    ``budget_s`` bounds the whole collection (default: thirty request timeouts with retries).
    """
    clock = clock or SystemClock()
    device = device_id or target.label
    budget = budget_s or target.timeout_s * (target.retries + 1) * 30
    started, at = clock.monotonic(), clock.now()
    try:
        reading = await asyncio.wait_for(read_lldp(transport, target, device), timeout=budget)
        return LldpResult(device, at, clock.monotonic() - started, reading=reading)
    except TimeoutError:
        error = f"no complete LLDP answer within {budget:g} s"
    except DeviceError as exc:
        error = exc.reason
    except Exception as exc:  # task boundary: one device, one result
        log.exception("LLDP collection of %s failed unexpectedly", device)
        error = f"internal error: {type(exc).__name__}: {exc}"
    return LldpResult(device, at, clock.monotonic() - started, error=error)


async def read_lldp(transport: SnmpTransport, target: SnmpTarget, device_id: str) -> LldpReading:
    """Read and interpret one device's LLDP tables; transport errors pass through."""
    rows, skipped = remote_rows(device_id, await transport.walk(target, REM, REM_REPETITIONS))
    ports = sorted({port for port, _ in rows})
    wanted = [LOC_CHASSIS_ID_SUBTYPE, LOC_CHASSIS_ID]
    wanted += [f"{LOC_PORT}.{column}.{port}" for port in ports for column in (2, 3, 4)]
    local = await transport.get(target, wanted)
    chassis = _identifier(
        local.get(LOC_CHASSIS_ID), _subtype(local.get(LOC_CHASSIS_ID_SUBTYPE), CHASSIS_SUBTYPES)
    )
    if not rows:
        return LldpReading((), chassis, tuple(skipped))
    addresses = management_addresses(await transport.walk(target, REM_MAN_ADDR), set(rows))
    names = await _local_port_names(transport, target, ports, local)
    neighbours: dict[tuple[str, ...], LldpNeighbour] = {}
    for key in sorted(rows):
        name, if_index = names[key[0]]
        neighbour = build_neighbour(device_id, key, rows[key], name, if_index, addresses.get(key))
        if isinstance(neighbour, str):
            skipped.append(neighbour)
            log.warning("%s", neighbour)
        else:
            neighbours.setdefault(neighbour.identity(), neighbour)
    return LldpReading(tuple(neighbours.values()), chassis, tuple(skipped))


# --------------------------------------------------------------------------- remote table


def remote_rows(
    device_id: str, varbinds: Sequence[VarBind]
) -> tuple[dict[RemoteKey, dict[int, SnmpValue]], list[str]]:
    """lldpRemTable's columns joined by ``(localPortNum, remIndex)``, and the rows skipped."""
    marked: dict[RemoteKey, dict[int, tuple[int, SnmpValue]]] = {}
    bad: dict[str, str] = {}
    for oid, value in varbinds:
        if not is_under(oid, REM):
            continue
        column, _, index = oid[len(REM) + 1 :].partition(".")
        parts = index.split(".")
        if not all(part.isdigit() for part in parts):
            bad.setdefault(index, "its index is not numeric")
            continue
        numbers = [int(part) for part in parts]
        if len(numbers) == 3:
            time_mark, port, remote = numbers
        elif len(numbers) == 2:  # agents that leave the time mark out
            time_mark, (port, remote) = 0, numbers
        else:
            bad.setdefault(index, f"its index has {len(numbers)} parts, not timeMark.port.index")
            continue
        row = marked.setdefault((port, remote), {})
        known = row.get(int(column))
        if known is None or time_mark >= known[0]:
            row[int(column)] = (time_mark, value)
    skipped = [f"{device_id}: lldpRemTable row {i} skipped: {why}" for i, why in bad.items()]
    for reason in skipped:
        log.warning("%s", reason)
    rows = {key: {c: v for c, (_, v) in columns.items()} for key, columns in marked.items()}
    return rows, skipped


def build_neighbour(
    device_id: str,
    key: RemoteKey,
    row: Mapping[int, SnmpValue],
    local_port: str,
    local_if_index: int | None,
    address: IPv4Address | IPv6Address | None,
) -> LldpNeighbour | str:
    """The neighbour in one remote row, or why the row cannot be one."""
    where = f"{device_id}: lldpRemTable row {key[0]}.{key[1]} (local port {local_port})"
    chassis_subtype = (
        _subtype(row.get(CHASSIS_SUBTYPE), CHASSIS_SUBTYPES) or ChassisIdSubtype.UNKNOWN
    )
    port_subtype = _subtype(row.get(PORT_SUBTYPE), PORT_SUBTYPES) or PortIdSubtype.UNKNOWN
    chassis = _identifier(row.get(CHASSIS_ID), chassis_subtype)
    port = _identifier(row.get(PORT_ID), port_subtype)
    if chassis is None:
        return f"{where} skipped: no chassis id"
    if port is None:
        return f"{where} skipped: no port id"
    if chassis_subtype is ChassisIdSubtype.UNKNOWN and normalise_mac(chassis) == chassis:
        chassis_subtype = ChassisIdSubtype.MAC_ADDRESS
    try:
        return LldpNeighbour(
            device_id=device_id,
            local_port=local_port,
            local_if_index=local_if_index,
            remote_chassis_id=chassis,
            remote_chassis_id_subtype=chassis_subtype,
            remote_port_id=port,
            remote_port_id_subtype=port_subtype,
            remote_port_description=_text(row.get(PORT_DESCR)),
            remote_system_name=_text(row.get(SYS_NAME), unquote=True),
            remote_system_description=_text(row.get(SYS_DESCR), unquote=True),
            remote_management_address=address,
            source=NeighbourSource.SNMP,
        )
    except ValidationError as exc:  # a value no neighbour can hold: this row only
        return f"{where} skipped: {exc.errors()[0]['msg']}"


def management_addresses(
    varbinds: Sequence[VarBind], keys: set[RemoteKey]
) -> dict[RemoteKey, IPv4Address | IPv6Address]:
    """Each remote row's management address (IPv4 preferred), read from the table's index:
    ``[timeMark.]port.remIndex.subtype[.length].octets``."""
    found: dict[RemoteKey, IPv4Address | IPv6Address] = {}
    for oid, _ in varbinds:
        if not is_under(oid, REM_MAN_ADDR):
            continue
        parts = oid[len(REM_MAN_ADDR) + 1 :].split(".")[1:]  # past the column
        if not all(part.isdigit() for part in parts):
            continue
        numbers = [int(part) for part in parts]
        for width in (3, 2):  # with the time mark, then without
            key = (numbers[width - 2], numbers[width - 1]) if len(numbers) > width else None
            address = _index_address(numbers[width:]) if key in keys else None
            if key is not None and address is not None:
                if key not in found or (found[key].version == 6 and address.version == 4):
                    found[key] = address
                break
    return found


def _index_address(numbers: Sequence[int]) -> IPv4Address | IPv6Address | None:
    """``subtype[.length].octets`` (the subtype is the IANA address family)."""
    if len(numbers) < 5 or not all(0 <= number < 256 for number in numbers):
        return None
    # With the length octet of a variable-length index, as the MIB says, else without it.
    shapes = [[numbers[0], *numbers[2:]]] if numbers[1] == len(numbers) - 2 else []
    for octets in [*shapes, list(numbers)]:
        if len(octets) in (5, 17) and (address := network_address(bytes(octets))) is not None:
            return None if address.is_unspecified else address
    return None


# --------------------------------------------------------------------------- local ports


async def _local_port_names(
    transport: SnmpTransport,
    target: SnmpTarget,
    ports: Sequence[int],
    local: Mapping[str, SnmpValue],
) -> dict[int, tuple[str, int | None]]:
    """Each lldpLocPortNum's name and ifIndex (see the module docstring for the order tried)."""
    candidates: dict[int, list[str]] = {}
    for port in ports:
        subtype = _subtype(local.get(f"{LOC_PORT}.2.{port}"), PORT_SUBTYPES)
        texts = [] if subtype in _ADDRESS_SUBTYPES else [local.get(f"{LOC_PORT}.3.{port}")]
        texts.append(local.get(f"{LOC_PORT}.4.{port}"))
        candidates[port] = [t for value in texts if (t := _text(value))]
    if_names = _column(await transport.walk(target, IF_NAME), IF_NAME)
    by_name = _name_index(if_names)
    resolved = {p: i for p in ports if (i := _find(candidates[p], by_name)) is not None}
    if_descrs: dict[int, str] = {}
    if len(resolved) < len(ports):
        if_descrs = _column(await transport.walk(target, IF_DESCR), IF_DESCR)
        by_descr = _name_index(if_descrs)
        for port in ports:
            if port not in resolved and (index := _find(candidates[port], by_descr)) is not None:
                resolved[port] = index
    unresolved = [p for p in ports if p not in resolved]
    if unresolved:
        bridge = await transport.get(
            target, [f"{DOT1D_BASE_PORT_IF_INDEX}.{p}" for p in unresolved]
        )
        known = if_names.keys() | if_descrs.keys()
        for port in unresolved:
            bridged = bridge.get(f"{DOT1D_BASE_PORT_IF_INDEX}.{port}")
            if isinstance(bridged, int) and bridged in known:
                resolved[port] = bridged
            elif port in known:
                resolved[port] = port
    names: dict[int, tuple[str, int | None]] = {}
    for port in ports:
        index = resolved.get(port)
        if index is not None:
            names[port] = (if_names.get(index) or if_descrs.get(index) or str(index), index)
        else:
            names[port] = (candidates[port][0] if candidates[port] else f"port {port}", None)
    return names


_ADDRESS_SUBTYPES = {PortIdSubtype.MAC_ADDRESS, PortIdSubtype.NETWORK_ADDRESS}


def _column(varbinds: Sequence[VarBind], root: str) -> dict[int, str]:
    rows: dict[int, str] = {}
    for oid, value in varbinds:
        rest = oid[len(root) + 1 :]
        if is_under(oid, root) and rest.isdigit() and (text := _text(value)):
            rows[int(rest)] = text
    return rows


_SAMENESS: tuple[Callable[[str], str], ...] = (str, str.casefold, interface_key)
"""How a port's LLDP name may equal an ifName: exactly, case-folded, or spelt another way."""


def _name_index(names: Mapping[int, str]) -> list[dict[str, int]]:
    """For each way of comparing, name → lowest ifIndex of that name."""
    ordered = sorted(names.items(), reverse=True)  # the lowest ifIndex written last, so it wins
    return [{same(name): index for index, name in ordered} for same in _SAMENESS]


def _find(candidates: Sequence[str], indexes: Sequence[Mapping[str, int]]) -> int | None:
    """The ifIndex named by one of ``candidates``, the strictest comparison first."""
    for same, by_name in zip(_SAMENESS, indexes, strict=True):
        for candidate in candidates:
            if (index := by_name.get(same(candidate))) is not None:
                return index
    return None


# --------------------------------------------------------------------------- values


def _subtype(value: SnmpValue | None, table: Mapping[int, S]) -> S | None:
    return table.get(value) if isinstance(value, int) else None


def _text(value: SnmpValue | None, *, unquote: bool = False) -> str | None:
    """Text as people read it; system names and descriptions lose quotes around the whole."""
    text = as_text(value, unquote=unquote) if not isinstance(value, int) else str(value)
    return text or None


def _identifier(
    value: SnmpValue | None, subtype: ChassisIdSubtype | PortIdSubtype | None
) -> str | None:
    """A chassis or port id as text, normalised by its subtype (a missing subtype is guessed)."""
    if value is None or value == b"":
        return None
    if isinstance(value, int | str):
        return _text(value)
    name = subtype.value if subtype is not None else ChassisIdSubtype.UNKNOWN.value
    if name == "mac_address" or (name == "unknown" and not _printable(value)):
        mac = normalise_mac(value)
        if mac is not None:
            return mac
    if name == "network_address":
        address = network_address(value)
        if address is None and _printable(value):
            address = parse_ip(value.decode("latin-1"))
        if address is not None:
            return str(address)
    return _text(value) if _printable(value) else value.hex()


def _printable(value: bytes) -> bool:
    """Text a person typed (UTF-8, printable), not binary octets that happen to decode."""
    try:
        text = value.replace(b"\x00", b"").decode("utf-8").strip()
    except UnicodeDecodeError:
        return False
    return bool(text) and all(char.isprintable() for char in text)
