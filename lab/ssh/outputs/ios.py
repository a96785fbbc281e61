"""Cisco IOS / IOS-XE ``show`` outputs, in the formats of ../shared/cli/cisco_ios."""

from __future__ import annotations

import re

from lab.model import LabInterface
from lab.ssh.configs.inputs import access_vlan
from lab.ssh.outputs.context import (
    OutputContext,
    Renderer,
    mac_dotted,
    short_name,
    system_description_lines,
    uptime_ios,
)

_HIDDEN = ("Null0",)


def version(ctx: OutputContext) -> str:
    device, model = ctx.device, ctx.model
    descr = [line for line in re.split(r"\r?\n", model.identity(device.name)) if line]
    image = re.search(r"\(([^)]+)\), Version", descr[0])
    software = image.group(1) if image else "UNKNOWN"
    xe = model.version.startswith("16.")
    ports = [i for i in device.interfaces if i.lldp]
    mac = device.mac.upper()
    lines = [
        *([f"Cisco IOS XE Software, Version {model.version}"] if xe else []),
        *descr,
        "",
        "ROM: IOS-XE ROMMON" if xe else "ROM: Bootstrap program is C2960 boot loader",
        f"BOOTLDR: {software.split('-')[0]} Boot Loader Version 4.78, RELEASE SOFTWARE (P)",
        "",
        f"{device.name} uptime is {uptime_ios(ctx.uptime_s)}",
        "System returned to ROM by Power Failure or Unknown at 02:10:11 CST Mon Jan 8 2024",
        "System image file is "
        + ('"flash:packages.conf"' if xe else f'"flash:{software.lower()}-mz.bin"'),
        "Last reload reason: Power Failure or Unknown",
        "",
        f"cisco {model.model} ({'MIPS' if xe else 'PowerPC405'}) processor (revision C0) with "
        f"{model.memory_bytes // 1024 // 8}K bytes of memory.",
        f"Processor board ID {device.serial}",
        f"{sum(1 for i in device.interfaces if i.name.startswith('Vlan'))} Virtual Ethernet "
        "interfaces",
        f"{len(ports)} {'Ten Gigabit' if xe else 'Gigabit'} Ethernet interfaces",
        "2048K bytes of non-volatile configuration memory.",
        "",
        f"Base Ethernet MAC Address          : {mac}",
        "Motherboard Assembly Number        : 73-15899-06",
        f"Model Number                       : {model.model}",
        f"System Serial Number               : {device.serial}",
        "",
        "",
        "Switch Ports Model              SW Version        SW Image              Mode   ",
        "------ ----- -----              ----------        ----------            ----   ",
        f"*    1 {len(ports):<5} {model.model:<18} {model.version:<17} {software[:21]:<21} "
        + ("INSTALL" if xe else ""),
        "",
        "",
        f"Configuration register is {'0x102' if xe else '0xF'}",
    ]
    return "\n".join(line.rstrip() for line in lines)


def inventory(ctx: OutputContext) -> str:
    device, model = ctx.device, ctx.model
    return "\n".join(
        [
            f'NAME: "1", DESCR: "{model.entity_descr}"',
            f"PID: {model.model:<18}, VID: V03  , SN: {device.serial}",
        ]
    )


def _status(interface: LabInterface) -> tuple[str, str]:
    if not interface.admin_up:
        return "administratively down", "down"
    return ("up", "up") if interface.oper_up else ("down", "down")


def _shown(ctx: OutputContext) -> list[LabInterface]:
    return [i for i in ctx.device.interfaces if i.name not in _HIDDEN]


def ip_interface_brief(ctx: OutputContext) -> str:
    lines = ["Interface                  IP-Address      OK? Method Status                Protocol"]
    for interface in _shown(ctx):
        address = interface.ipv4.split("/")[0] if interface.ipv4 else "unassigned"
        method = "NVRAM" if interface.ipv4 else "unset"
        status, protocol = _status(interface)
        lines.append(
            f"{interface.name:<27}{address:<16}{'YES':<4}{method:<7}{status:<22}{protocol}"
        )
    return "\n".join(lines)


def interfaces_status(ctx: OutputContext) -> str:
    platform = ctx.device.platform
    lines = ["Port      Name               Status       Vlan       Duplex  Speed Type"]
    for interface in (i for i in ctx.device.interfaces if i.lldp):
        if not interface.admin_up:
            status = "disabled"
        else:
            status = "connected" if interface.oper_up else "notconnect"
        vlan = "routed" if interface.ipv4 else str(access_vlan(interface) if interface.alias else 1)
        duplex, speed = ("a-full", f"a-{interface.speed_bps // 1_000_000}")
        if not interface.oper_up:
            duplex, speed = "auto", "auto"
        kind = "SFP-10GBase-LR" if interface.speed_bps > 1_000_000_000 else "10/100/1000BaseTX"
        lines.append(
            f"{short_name(platform, interface.name):<10}{interface.alias[:18]:<19}{status:<13}"
            f"{vlan:<11}{duplex:>6}{speed:>7} {kind}"
        )
    return "\n".join(lines)


def interfaces_description(ctx: OutputContext) -> str:
    lines = ["Interface                      Status         Protocol Description"]
    for interface in _shown(ctx):
        status, protocol = _status(interface)
        status = "admin down" if status.startswith("admin") else status
        name = short_name(ctx.device.platform, interface.name)
        lines.append(f"{name:<31}{status:<15}{protocol:<9}{interface.alias}".rstrip())
    return "\n".join(lines)


def lldp_neighbors(ctx: OutputContext) -> str:
    platform = ctx.device.platform
    lines = [
        "Capability codes:",
        "    (R) Router, (B) Bridge, (T) Telephone, (C) DOCSIS Cable Device",
        "    (W) WLAN Access Point, (P) Repeater, (S) Station, (O) Other",
        "",
        "Device ID           Local Intf     Hold-time  Capability      Port ID",
    ]
    for neighbour in ctx.device.neighbours:
        lines.append(
            f"{neighbour.remote_name[:20]:<20}{short_name(platform, neighbour.interface):<15}"
            f"{120:<11}{'B,R':<16}{neighbour.remote_interface}"
        )
    lines += ["", f"Total entries displayed: {len(ctx.device.neighbours)}"]
    return "\n".join(lines)


def lldp_neighbors_detail(ctx: OutputContext) -> str:
    platform = ctx.device.platform
    lines: list[str] = []
    for neighbour in ctx.device.neighbours:
        description = system_description_lines(
            neighbour.remote_platform, neighbour.remote_model, neighbour.remote_name
        )
        lines += [
            "------------------------------------------------",
            f"Local Intf: {short_name(platform, neighbour.interface)}",
            f"Chassis id: {mac_dotted(neighbour.remote_mac)}",
            f"Port id: {neighbour.remote_interface}",
            f"Port Description: {neighbour.remote_port_description}",
            f"System Name: {neighbour.remote_name}",
            "",
            "System Description: ",
            *description,
            "",
            "Time remaining: 101 seconds",
            "System Capabilities: B,R",
            "Enabled Capabilities: B,R",
            "Management Addresses:",
            f"    IP: {neighbour.remote_address}",
            "Auto Negotiation - not supported",
            "Physical media capabilities - not advertised",
            "Media Attachment Unit type - not advertised",
            "Vlan ID: - not advertised",
            "",
        ]
    lines += ["", f"Total entries displayed: {len(ctx.device.neighbours)}"]
    return "\n".join(lines)


def running_config(ctx: OutputContext) -> str:
    return ctx.running_config().rstrip("\n")


def clock(ctx: OutputContext) -> str:
    return f"*{ctx.now:%H:%M:%S}.{ctx.now.microsecond // 1000:03d} CST {ctx.now:%a %b %-d %Y}"


OUTPUTS: dict[str, Renderer] = {
    "version": version,
    "inventory": inventory,
    "ip-interface-brief": ip_interface_brief,
    "interfaces-status": interfaces_status,
    "interfaces-description": interfaces_description,
    "lldp-neighbors": lldp_neighbors,
    "lldp-neighbors-detail": lldp_neighbors_detail,
    "running-config": running_config,
    "clock": clock,
}
