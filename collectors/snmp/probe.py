"""``ssnoc snmp probe``: ask one agent who it is and what interfaces it has, and say so.

The JSON form speaks the vocabulary of SNMP tools and of LibreNMS, so its answers can be set side
by side with a peer's: IF-MIB column names as keys, ``ifType`` as its IANAifType name, statuses as
their IF-MIB names, and ``sysObjectID`` with a leading dot, as net-snmp prints it and LibreNMS
stores it (inside ssnoc OIDs carry no leading dot; the dot is added here, for people and peers).
Values are what the agent said, decoded: ``null`` where the agent has no value, ``""`` where it has
an empty one. Unlike LibreNMS we do not fill an empty ``ifName``, ``ifDescr`` or ``ifAlias`` from
one of the others — a probe reports the agent, not a display choice.

The text form is a small table for people, with CPU, memory and uptime as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from collectors.snmp.identify import (
    DeviceHealth,
    identify,
    read_health,
    read_identity_values,
)
from collectors.snmp.interfaces import (
    InterfaceSnapshot,
    ReadScope,
    interface_text,
    read_interfaces,
    status_name,
)
from collectors.snmp.profiles import SYS_UPTIME, ProfileSet, default_profiles
from collectors.snmp.transport import SnmpTarget, SnmpTransport
from core.model import DeviceIdentity

COUNTER_KEYS = (
    "ifHCInOctets",
    "ifHCOutOctets",
    "ifInOctets",
    "ifOutOctets",
    "ifHCInUcastPkts",
    "ifHCOutUcastPkts",
    "ifInUcastPkts",
    "ifOutUcastPkts",
    "ifInErrors",
    "ifOutErrors",
    "ifInDiscards",
    "ifOutDiscards",
)


@dataclass(frozen=True)
class ProbeReport:
    """What one probe found."""

    target: str
    identity: DeviceIdentity
    interfaces: tuple[InterfaceSnapshot, ...]
    health: DeviceHealth

    def to_json(self) -> dict[str, Any]:
        """``{"device": {...}, "interfaces": [...]}`` — see the module docstring."""
        who = self.identity
        return {
            "device": {
                "vendor": who.vendor,
                "os": who.os,
                "sysName": who.sys_name,
                "sysDescr": who.sys_descr,
                "sysObjectID": f".{who.sys_object_id}" if who.sys_object_id else None,
                "hardware": who.hardware,
                "version": who.version,
                "serial": who.serial,
            },
            "interfaces": [_interface_json(i) for i in self.interfaces],
        }

    def render_text(self) -> str:
        """A short report for people: the device, its health, and one line per interface."""
        who, health = self.identity, self.health
        lines = [f"{who.sys_name or '(no sysName)'} at {self.target}"]
        facts = [
            ("vendor", who.vendor),
            ("os", who.os),
            ("hardware", who.hardware),
            ("version", who.version),
            ("serial", who.serial),
            ("sysObjectID", f".{who.sys_object_id}" if who.sys_object_id else None),
            ("sysDescr", (who.sys_descr or "").splitlines()[0] if who.sys_descr else None),
            ("uptime", _duration(health.uptime_s)),
            ("cpu", _percent(health.cpu_percent)),
            ("memory", _percent(health.memory_percent)),
        ]
        lines += [f"  {label:<12}{value if value is not None else '-'}" for label, value in facts]
        header = ("ifIndex", "ifName", "type", "admin", "oper", "speed", "alias")
        rows = [header] + [_interface_row(i) for i in self.interfaces]
        widths = [max(len(row[col]) for row in rows) for col in range(len(header))]
        lines.append("")
        lines += [
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in rows
        ]
        lines.append(f"{len(self.interfaces)} interfaces")
        return "\n".join(lines)


async def probe(
    transport: SnmpTransport, target: SnmpTarget, profiles: ProfileSet | None = None
) -> ProbeReport:
    """Identify one device and read every interface column; transport errors pass through."""
    profiles = profiles or default_profiles()
    values = await read_identity_values(transport, target, profiles)
    identity = identify(values, profiles)
    interfaces = await read_interfaces(transport, target, ReadScope.EVERYTHING, profiles.interfaces)
    if identity.os is not None:
        health = await read_health(transport, target, profiles.by_os(identity.os))
    else:
        uptime = values.get(SYS_UPTIME)
        health = DeviceHealth(uptime_s=uptime / 100 if isinstance(uptime, int) else None)
    return ProbeReport(target.label, identity, tuple(interfaces), health)


def _interface_json(snapshot: InterfaceSnapshot) -> dict[str, Any]:
    columns = snapshot.columns
    observed = snapshot.observation
    entry: dict[str, Any] = {
        "ifIndex": snapshot.if_index,
        "ifName": interface_text(columns.get("ifName")),
        "ifDescr": interface_text(columns.get("ifDescr")),
        "ifType": observed.if_type,
        "ifAlias": interface_text(columns.get("ifAlias")),
        "ifSpeed": _int(columns.get("ifSpeed")),
        "ifHighSpeed": _int(columns.get("ifHighSpeed")),
        "ifAdminStatus": status_name(columns.get("ifAdminStatus")),
        "ifOperStatus": status_name(columns.get("ifOperStatus")),
    }
    entry.update({key: _int(columns.get(key)) for key in COUNTER_KEYS})
    return entry


def _interface_row(snapshot: InterfaceSnapshot) -> tuple[str, ...]:
    seen = snapshot.observation
    return (
        str(snapshot.if_index),
        seen.name or seen.descr or "-",
        seen.if_type or "-",
        seen.admin_status or "-",
        seen.oper_status or "-",
        _speed(seen.speed_bps),
        seen.alias or "",
    )


def _int(value: object) -> int | None:
    return value if isinstance(value, int) else None


def _speed(bps: int | None) -> str:
    if bps is None:
        return "-"
    for unit, size in (("T", 10**12), ("G", 10**9), ("M", 10**6), ("k", 10**3)):
        if bps >= size:
            return f"{bps / size:g}{unit}"
    return str(bps)


def _percent(value: float | None) -> str | None:
    return None if value is None else f"{value:.0f}%"


def _duration(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    minutes, _ = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h {minutes}m"
