"""LLDP neighbours from the CLI, where SNMP lacks them: one parser per platform, one neutral type.

=============  =========================================  =====================================
platform       command (:data:`LLDP_COMMANDS`)             parsed by
=============  =========================================  =====================================
huawei_vrp     ``display lldp neighbor``                  ntc-templates, one neighbour at a time
hp_comware     ``display lldp neighbor-information        ntc-templates, one neighbour at a time,
               verbose``                                  plus the fields its template leaves out
cisco_ios      ``show lldp neighbors detail``             ntc-templates
zte_zxros      ``show lldp entry``                        ssnoc's own (ntc-templates has none)
=============  =========================================  =====================================

The VRP template records a neighbour only at a port line naming a GigabitEthernet/GE port, so it
loses the neighbour of an ``MEth0/0/1`` or ``Ethernet0/0/1`` and all but the last of several
neighbours on one port; the Comware template records at "Maximum frame size" and cuts system
names at the first blank. Both are therefore fed one neighbour at a time (the port line and that
neighbour's block). IOS prints no subtypes: they are inferred from what the ids look like.
A neighbour without a chassis id, a port id or a local port is skipped and logged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

from collectors.ssh.command_sets import NTC, CommandSpec, command_set
from collectors.ssh.parsers import first_value, parse_rows
from core.errors import ConfigError
from core.model import Platform
from core.neighbours import (
    ChassisIdSubtype,
    LldpNeighbour,
    NeighbourSource,
    PortIdSubtype,
    infer_chassis_subtype,
    infer_port_subtype,
    normalise_mac,
    parse_ip,
)

log = logging.getLogger(__name__)

LLDP_COMMANDS: dict[Platform, str] = {
    Platform.HUAWEI_VRP: "display lldp neighbor",
    Platform.HP_COMWARE: "display lldp neighbor-information verbose",
    Platform.CISCO_IOS: "show lldp neighbors detail",
    Platform.ZTE_ZXROS: "show lldp entry",
}
"""The command whose answer :func:`parse_lldp_neighbours` reads, per platform (full spellings:
``display lldp neighbor brief`` and abbreviations resolve to the wrong template)."""

Row = dict[str, Any]

_CHASSIS_WORDS = {
    "macaddress": ChassisIdSubtype.MAC_ADDRESS,
    "networkaddress": ChassisIdSubtype.NETWORK_ADDRESS,
    "interfacename": ChassisIdSubtype.INTERFACE_NAME,
    "interfacealias": ChassisIdSubtype.INTERFACE_ALIAS,
    "local": ChassisIdSubtype.LOCAL,
    "locallyassigned": ChassisIdSubtype.LOCAL,
    "chassiscomponent": ChassisIdSubtype.CHASSIS_COMPONENT,
    "portcomponent": ChassisIdSubtype.PORT_COMPONENT,
}
_PORT_WORDS = {
    "macaddress": PortIdSubtype.MAC_ADDRESS,
    "networkaddress": PortIdSubtype.NETWORK_ADDRESS,
    "interfacename": PortIdSubtype.INTERFACE_NAME,
    "interfacealias": PortIdSubtype.INTERFACE_ALIAS,
    "local": PortIdSubtype.LOCAL,
    "locallyassigned": PortIdSubtype.LOCAL,
    "portcomponent": PortIdSubtype.PORT_COMPONENT,
    "agentcircuitid": PortIdSubtype.AGENT_CIRCUIT_ID,
}


def parse_lldp_neighbours(platform: Platform, text: str, device_id: str) -> list[LldpNeighbour]:
    """The neighbours in ``text``, the answer to ``LLDP_COMMANDS[platform]`` on ``device_id``.

    Raises :class:`collectors.ssh.parsers.ParseError` when ntc-templates cannot read the answer,
    :class:`core.errors.ConfigError` for a platform without an LLDP command.
    """
    reader = _READERS.get(platform)
    if reader is None:
        raise ConfigError(f"no LLDP command for platform {platform.value}")
    neighbours: dict[tuple[str, ...], LldpNeighbour] = {}
    for row in reader(platform, text):
        neighbour = _neighbour(device_id, row)
        if neighbour is not None:
            neighbours.setdefault(neighbour.identity(), neighbour)
    return list(neighbours.values())


# --------------------------------------------------------------------------- per platform


def _ntc(platform: Platform, text: str) -> list[Row]:
    spec = CommandSpec(command=LLDP_COMMANDS[platform], ntc_template=True, parser=NTC)
    return parse_rows(command_set(platform), spec, text)


_VRP_PORT = re.compile(r"^\s*(\S+)\s+has\s+\d+\s+neighbou?r(?:s|\(s\))?:?\s*$", re.IGNORECASE)
_VRP_INDEX = re.compile(r"^\s*Neighbou?r\s+index\s*:", re.IGNORECASE)


def _vrp(platform: Platform, text: str) -> Iterator[Row]:
    for port_line, block in _blocks(text, _VRP_PORT, _VRP_INDEX):
        for row in _ntc(platform, f"{port_line}\n{block}"):
            yield {
                "local_port": row.get("local_interface"),
                "chassis_subtype": row.get("chassis_type"),
                "chassis_id": row.get("chassis_id"),
                "port_subtype": first_value(row, ("port_id_subtype", "port_id_type")),
                "port_id": row.get("neighbor_port_id"),
                "port_description": row.get("neighbor_interface"),
                "system_name": row.get("neighbor_name"),
                "system_description": "\n".join(row.get("neighbor_description") or []),
                "management_address": row.get("mgmt_address"),
            }


_COMWARE_PORT = re.compile(r"^LLDP\s+neighbor-information\s+of\s+port\s+\d+\[.*\]", re.IGNORECASE)
_COMWARE_INDEX = re.compile(r"^\s*LLDP\s+neighbor\s+index\s*:", re.IGNORECASE)


def _comware(platform: Platform, text: str) -> Iterator[Row]:
    for port_line, block in _blocks(text, _COMWARE_PORT, _COMWARE_INDEX):
        fields = _colon_fields(block)
        for row in _ntc(platform, f"{port_line}\n{block}"):
            yield {
                "local_port": row.get("local_interface"),
                "chassis_subtype": fields.get("chassistype"),
                "chassis_id": row.get("chassis_id"),
                "port_subtype": fields.get("portidtype"),
                "port_id": row.get("neighbor_interface"),
                "port_description": row.get("neighbor_interface_description"),
                "system_name": fields.get("systemname") or row.get("neighbor_name"),
                "system_description": fields.get("systemdescription"),
                "management_address": row.get("mgmt_address"),
            }


def _ios(platform: Platform, text: str) -> Iterator[Row]:
    for row in _ntc(platform, text):
        yield {
            "local_port": row.get("local_interface"),
            "chassis_id": row.get("chassis_id"),
            "port_id": row.get("neighbor_port_id"),
            "port_description": row.get("neighbor_interface"),
            "system_name": row.get("neighbor_name"),
            "system_description": row.get("neighbor_description"),
            "management_address": row.get("mgmt_address"),
        }


_ZXROS_LOCAL = re.compile(r"^\s*Local\s+Port\s*:\s*(?P<port>\S+)", re.IGNORECASE)


def _zxros(platform: Platform, text: str) -> Iterator[Row]:
    """``show lldp entry``: a ``Local Port:`` line, then ``Key : value`` lines, per neighbour."""
    entries: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        match = _ZXROS_LOCAL.match(line)
        if match:
            entries.append((match["port"], []))
        elif entries:
            entries[-1][1].append(line)
    for port, lines in entries:
        fields = _colon_fields("\n".join(lines))
        yield {
            "local_port": port,
            "chassis_subtype": fields.get("chassisidsubtype") or fields.get("chassistype"),
            "chassis_id": fields.get("chassisid"),
            "port_subtype": fields.get("portidsubtype") or fields.get("portidtype"),
            "port_id": fields.get("portid"),
            "port_description": fields.get("portdescription"),
            "system_name": fields.get("systemname"),
            "system_description": fields.get("systemdescription"),
            "management_address": fields.get("managementaddress"),
        }


_READERS: dict[Platform, Callable[[Platform, str], Iterator[Row]]] = {
    Platform.HUAWEI_VRP: _vrp,
    Platform.HP_COMWARE: _comware,
    Platform.CISCO_IOS: _ios,
    Platform.ZTE_ZXROS: _zxros,
}


# --------------------------------------------------------------------------- shared


_CHASSIS_LINE = re.compile(r"^\s*Chassis\s+ID\s*:", re.IGNORECASE)


def _blocks(
    text: str, port_line: re.Pattern[str], index_line: re.Pattern[str]
) -> Iterator[tuple[str, str]]:
    """(port line, one neighbour's lines) for every neighbour heard on a port: a port's lines are
    split where a neighbour index starts; a port that names no chassis has none."""
    port: str | None = None
    block: list[str] = []

    def neighbour_in_block() -> bool:
        return any(index_line.match(s) or _CHASSIS_LINE.match(s) for s in block)

    for line in text.splitlines():
        if port_line.match(line):
            if port is not None and neighbour_in_block():
                yield port, "\n".join(block)
            port, block = line.strip(), []
        elif port is None:
            continue
        elif index_line.match(line) and any(index_line.match(s) for s in block):
            yield port, "\n".join(block)
            block = [line]
        else:
            block.append(line)
    if port is not None and neighbour_in_block():
        yield port, "\n".join(block)


_FIELD = re.compile(r"^\s*(?P<key>[A-Za-z][A-Za-z ()/-]*?)\s*:\s*(?P<value>.*?)\s*$")


def _colon_fields(block: str) -> dict[str, str]:
    """``Key : value`` lines by key (lower case, blanks removed); the first of a key wins."""
    fields: dict[str, str] = {}
    for line in block.splitlines():
        match = _FIELD.match(line)
        if match:
            fields.setdefault(re.sub(r"\s+", "", match["key"]).casefold(), match["value"])
    return fields


def _neighbour(device_id: str, row: Row) -> LldpNeighbour | None:
    local = _clean(row.get("local_port"))
    chassis = _clean(row.get("chassis_id"))
    port = _clean(row.get("port_id"))
    if local is None or chassis is None or port is None:
        named = (("local port", local), ("chassis id", chassis), ("port id", port))
        log.warning(
            "%s: LLDP neighbour %s skipped: no %s",
            device_id,
            _clean(row.get("system_name")) or chassis or "(unnamed)",
            " or ".join(name for name, value in named if value is None),
        )
        return None
    chassis_subtype = _CHASSIS_WORDS.get(_word(row.get("chassis_subtype")))
    chassis_subtype = chassis_subtype or infer_chassis_subtype(chassis)
    port_subtype = _PORT_WORDS.get(_word(row.get("port_subtype"))) or infer_port_subtype(port)
    if chassis_subtype is ChassisIdSubtype.MAC_ADDRESS:
        chassis = normalise_mac(chassis) or chassis
    if port_subtype is PortIdSubtype.MAC_ADDRESS:
        port = normalise_mac(port) or port
    return LldpNeighbour(
        device_id=device_id,
        local_port=local,
        remote_chassis_id=chassis,
        remote_chassis_id_subtype=chassis_subtype,
        remote_port_id=port,
        remote_port_id_subtype=port_subtype,
        remote_port_description=_clean(row.get("port_description")),
        remote_system_name=_clean(row.get("system_name")),
        remote_system_description=_clean(row.get("system_description")),
        remote_management_address=parse_ip(_clean(row.get("management_address"))),
        source=NeighbourSource.CLI,
    )


def _clean(value: object) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if v), None)
    text = str(value).strip() if value is not None else ""
    return text if text and text != "--" else None


def _word(value: object) -> str:
    return re.sub(r"[\s_-]+", "", _clean(value) or "").casefold()
