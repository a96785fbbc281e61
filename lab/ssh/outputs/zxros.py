"""ZTE ZXROS ``show`` outputs, in the formats of ../shared/cli/zte_zxros (where it has them)."""

from __future__ import annotations

from lab.model import LabInterface
from lab.ssh.outputs.context import (
    OutputContext,
    Renderer,
    bandwidth,
    mac_dashed,
    uptime_zte,
)


def version(ctx: OutputContext) -> str:
    model = ctx.model
    uptime = uptime_zte(ctx.uptime_s)
    return "\n".join(
        [
            f"ZTE ZXR10 Software, Version: {model.model} {model.version}, Release software",
            "Copyright (c) 2021 by ZTE Corporation",
            f"System image file is <sysdisk0: verset/ZXR10_{model.model}_{model.version}.set>, "
            "file size is 301,457,920 Bytes",
            "System image is loaded from local",
            f"System uptime is {uptime}",
            "",
            "[MPU, shelf 1, slot 1]:",
            "Board Name        : MPU",
            f"Description       : {model.entity_descr} System Main Board",
            f"Serial Number     : {ctx.device.serial}",
            f"System Memory     :  {model.memory_bytes // 1024**2:,} Mbytes",
            f"Uptime is {uptime}",
        ]
    )


def _state(up: bool) -> str:
    return "up" if up else "down"


def interface_brief(ctx: OutputContext) -> str:
    lines = [
        "Interface               Attribute  Mode         BW    Admin Phy   Prot  Description",
    ]
    for interface in ctx.device.interfaces:
        attribute = _attribute(interface)
        lines.append(
            f"{interface.name:<24}{attribute:<11}{'Duplex/full':<13}"
            f"{bandwidth(interface.speed_bps) if interface.speed_bps else '--':<6}"
            f"{_state(interface.admin_up):<6}{_state(interface.oper_up):<6}"
            f"{_state(interface.oper_up):<6}{interface.alias}".rstrip()
        )
    return "\n".join(lines)


def _attribute(interface: LabInterface) -> str:
    if not interface.lldp:
        return "--"
    return "optical" if interface.name.startswith("xgei") else "electric"


def lldp_neighbor(ctx: OutputContext) -> str:
    lines = [
        "System capability descriptions:",
        "  (R)Router,(B)Bridge,(T)Telephone,(C)DOCSIS Cable Device,",
        "  (W)WLAN Access Point,(P)Repeater,(S)Station,(O)Other",
        "Local Port      Neighbor Dev Name            Neighbor Port ID              "
        "Capability  TTL",
        "-" * 92,
    ]
    for neighbour in ctx.device.neighbours:
        lines.append(
            f"{neighbour.interface:<16}{neighbour.remote_name:<29}"
            f"{neighbour.remote_interface:<30}{'B,R':<12}{112}"
        )
    return "\n".join(lines)


def lldp_entry(ctx: OutputContext) -> str:
    lines: list[str] = []
    for neighbour in ctx.device.neighbours:
        lines += [
            f"Local Port: {neighbour.interface}",
            f"  Chassis ID          : {mac_dashed(neighbour.remote_mac)}",
            f"  Port ID             : {neighbour.remote_interface}",
            f"  Port Description    : {neighbour.remote_port_description}",
            f"  System Name         : {neighbour.remote_name}",
            f"  Management Address  : {neighbour.remote_address}",
            "  TTL                 : 120",
            "",
        ]
    return "\n".join(lines).rstrip("\n")


def running_config(ctx: OutputContext) -> str:
    return ctx.running_config().rstrip("\n")


def system_user(ctx: OutputContext) -> str:
    """``show running-config system-user``: just that module's block."""
    text = ctx.running_config()
    start, end = text.find("!<system-user>"), text.find("!</system-user>")
    return text[start : end + len("!</system-user>")] if start >= 0 else ""


def clock(ctx: OutputContext) -> str:
    return f"{ctx.now:%H:%M:%S} Beijing {ctx.now:%a %b %d %Y}"


OUTPUTS: dict[str, Renderer] = {
    "version": version,
    "interface-brief": interface_brief,
    "lldp-neighbor": lldp_neighbor,
    "lldp-entry": lldp_entry,
    "running-config": running_config,
    "system-user": system_user,
    "clock": clock,
}
