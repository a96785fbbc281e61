"""Reading interfaces: IF-MIB columns walked one by one, joined by ifIndex.

Only the columns a read needs are walked, each with its own GETBULK walk (a walk of the whole
ifTable would fetch MTU, MAC addresses and a dozen counters nobody asked for). Three scopes:

* ``COUNTERS`` — statuses and counters: what a regular poll needs to compute rates;
* ``DISCOVERY`` — also names, descriptions, aliases, types and speeds (a full read);
* ``EVERYTHING`` — every column in the table, 64- and 32-bit counters alike (``ssnoc snmp probe``).

A counter is read from its preferred column (the 64-bit HC one) and from the 32-bit column only
for interfaces the preferred one leaves out, so an agent with HC counters costs one walk per
counter. Each counter carries its width, which the poller needs to tell a wrap from a reset: the
transport cannot tell counters from gauges, the profile table (``_interfaces.yaml``) says which.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from collectors.snmp.iana_iftype import if_type_name
from collectors.snmp.identify import as_text
from collectors.snmp.profiles import InterfaceTable, default_profiles
from collectors.snmp.transport import SnmpTarget, SnmpTransport, SnmpValue, VarBind, is_under
from core.model import InterfaceObservation

STATUS_NAMES: Mapping[int, str] = {
    1: "up",
    2: "down",
    3: "testing",
    4: "unknown",
    5: "dormant",
    6: "notPresent",
    7: "lowerLayerDown",
}
"""ifAdminStatus (1-3) and ifOperStatus (1-7) as IF-MIB names them."""

SATURATED_IF_SPEED = 4_294_967_295
"""ifSpeed is a Gauge32: above 4.29 Gbit/s it sticks here and ifHighSpeed (Mbit/s) tells."""


class ReadScope(StrEnum):
    COUNTERS = "counters"
    DISCOVERY = "discovery"
    EVERYTHING = "everything"


@dataclass(frozen=True, slots=True)
class Counter:
    """A raw counter reading and its width (32 or 64 bits), for wrap-aware rates."""

    value: int
    width_bits: int


@dataclass(frozen=True, slots=True)
class InterfaceCounters:
    """One interface's counters at one read; ``None`` where the agent has no such counter."""

    in_octets: Counter | None = None
    out_octets: Counter | None = None
    in_ucast_pkts: Counter | None = None
    out_ucast_pkts: Counter | None = None
    in_errors: Counter | None = None
    out_errors: Counter | None = None
    in_discards: Counter | None = None
    out_discards: Counter | None = None


@dataclass(frozen=True, slots=True)
class InterfaceSnapshot:
    """One interface as read: its raw columns, what they mean, and its counters."""

    if_index: int
    observation: InterfaceObservation
    counters: InterfaceCounters
    columns: Mapping[str, SnmpValue] = field(default_factory=dict)
    """Raw values by IF-MIB column name (``ifHCInOctets``), only the columns the agent had."""


async def read_interfaces(
    transport: SnmpTransport,
    target: SnmpTarget,
    scope: ReadScope = ReadScope.DISCOVERY,
    table: InterfaceTable | None = None,
    max_repetitions: int = 25,
) -> list[InterfaceSnapshot]:
    """Every interface of one device, in ifIndex order, with the columns ``scope`` needs.

    A poller that knows how many interfaces a device has passes ``max_repetitions`` just above
    that count, so each column comes back in one answer rather than two or three: requests, not
    varbinds, are what a Python SNMP client pays for.
    """
    table = table or default_profiles().interfaces
    counter_columns = {name for names in table.counters.values() for name in names}
    walked: dict[str, list[VarBind]] = {}
    for name, column in table.columns.items():
        if name in counter_columns or not _in_scope(column.scope, scope):
            continue
        walked[name] = await transport.walk(target, column.oid, max_repetitions)
    known = {i for name, rows in walked.items() for i in _indexes(rows, table.columns[name].oid)}
    for names in table.counters.values():
        if not _in_scope(table.columns[names[0]].scope, scope):
            continue
        for position, name in enumerate(names):
            if name in walked:
                continue
            covered = {
                i for n in names[:position] for i in _indexes(walked[n], table.columns[n].oid)
            }
            if scope is not ReadScope.EVERYTHING and position > 0 and known and known <= covered:
                break  # the preferred column already covers every interface
            walked[name] = await transport.walk(target, table.columns[name].oid, max_repetitions)
    return build_interfaces(walked, table)


async def read_interface_counters(
    transport: SnmpTransport, target: SnmpTarget, table: InterfaceTable | None = None
) -> list[InterfaceSnapshot]:
    """Statuses and counters only: the cheap read of a regular poll (no names, no types)."""
    return await read_interfaces(transport, target, ReadScope.COUNTERS, table)


def build_interfaces(
    walked: Mapping[str, Sequence[VarBind]], table: InterfaceTable | None = None
) -> list[InterfaceSnapshot]:
    """Join walked columns (column name → varbinds) into interfaces, by ifIndex."""
    table = table or default_profiles().interfaces
    rows: dict[int, dict[str, SnmpValue]] = {}
    for name, varbinds in walked.items():
        # The hot loop of every poll: one prefix test and one int() per varbind.
        prefix = table.columns[name].oid + "."
        cut = len(prefix)
        for oid, value in varbinds:
            rest = oid[cut:]
            if oid.startswith(prefix) and rest.isdigit():
                index = int(rest)
                row = rows.get(index)
                if row is None:
                    rows[index] = row = {}
                row[name] = value
    return [_snapshot(index, rows[index], table) for index in sorted(rows)]


def speed_bps(if_speed: SnmpValue | None, if_high_speed: SnmpValue | None) -> int | None:
    """Bits per second: ifSpeed, or ifHighSpeed × 10⁶ when ifSpeed is saturated or missing."""
    if isinstance(if_speed, int) and if_speed != SATURATED_IF_SPEED:
        return if_speed
    if isinstance(if_high_speed, int):
        return if_high_speed * 1_000_000
    return if_speed if isinstance(if_speed, int) else None


def status_name(value: SnmpValue | None) -> str | None:
    """An ifAdminStatus/ifOperStatus number as its IF-MIB name; ``None`` outside the enum."""
    return STATUS_NAMES.get(value) if isinstance(value, int) else None


def interface_text(value: SnmpValue | None) -> str | None:
    """A name, description or alias as text: NULs and surrounding blanks dropped, quotes kept."""
    return as_text(value, unquote=False)


def _snapshot(index: int, row: Mapping[str, SnmpValue], table: InterfaceTable) -> InterfaceSnapshot:
    if_type = row.get("ifType")
    observation = InterfaceObservation(
        if_index=index,
        name=interface_text(row.get("ifName")) or None,
        descr=interface_text(row.get("ifDescr")) or None,
        alias=interface_text(row.get("ifAlias")) or None,
        if_type=if_type_name(if_type) if isinstance(if_type, int) else None,
        speed_bps=speed_bps(row.get("ifSpeed"), row.get("ifHighSpeed")),
        admin_status=status_name(row.get("ifAdminStatus")),
        oper_status=status_name(row.get("ifOperStatus")),
    )
    counters: dict[str, Counter] = {}
    for counter, names in table.counters.items():
        for name in names:
            value = row.get(name)
            if isinstance(value, int):
                width = 64 if table.columns[name].kind == "counter64" else 32
                counters[counter] = Counter(value, width)
                break
    return InterfaceSnapshot(index, observation, InterfaceCounters(**counters), dict(row))


def _in_scope(column_scope: str, scope: ReadScope) -> bool:
    if scope is ReadScope.EVERYTHING:
        return True
    if scope is ReadScope.DISCOVERY:
        return column_scope != "probe"
    return column_scope == "counters"


def _index(oid: str, root: str) -> int | None:
    """The ifIndex of a column row (``root.<ifIndex>``); ``None`` for anything else."""
    if not is_under(oid, root):
        return None
    rest = oid[len(root) + 1 :]
    return int(rest) if rest.isdigit() else None


def _indexes(rows: Sequence[VarBind], root: str) -> list[int]:
    return [i for oid, _ in rows if (i := _index(oid, root)) is not None]
