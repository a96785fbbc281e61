"""H3C Comware 7 ``display`` outputs, in the formats of ../shared/cli/hp_comware."""

from __future__ import annotations

from lab.model import LabInterface
from lab.ssh.configs.comware import user_role
from lab.ssh.configs.inputs import access_vlan, is_default_alias
from lab.ssh.outputs.context import (
    OutputContext,
    Renderer,
    bandwidth,
    mac_dashed,
    short_name,
    system_description_lines,
    uptime_comware,
)

_HIDDEN = ("InLoopBack0",)
_DESCRIPTION_WIDTH = 27
"""``display interface brief`` cuts descriptions here (``… description`` shows them whole)."""


def version(ctx: OutputContext) -> str:
    model = ctx.model
    uptime = uptime_comware(ctx.uptime_s)
    image = f"{model.model.split('-')[0]}_EI-CMW710"
    return "\n".join(
        [
            f"H3C Comware Software, Version {model.version}, Release {model.release}",
            "Copyright (c) 2004-2022 New H3C Technologies Co., Ltd. All rights reserved.",
            f"H3C {model.model} uptime is {uptime}",
            "Last reboot reason : Cold reboot",
            "",
            f"Boot image: flash:/{image}-BOOT-R{model.release}.bin",
            f"Boot image version: {model.version}, Release {model.release}",
            "  Compiled Jan 10 2022 11:00:00",
            f"System image: flash:/{image}-SYSTEM-R{model.release}.bin",
            f"System image version: {model.version}, Release {model.release}",
            "  Compiled Jan 10 2022 11:00:00",
            "",
            "",
            "Slot 1:",
            f"Uptime is {uptime.replace(', ', ',')}",
            f"{model.model} with 2 Processors",
            f"BOARD TYPE:         {model.model}",
            f"DRAM:               {model.memory_bytes // 1024**2}M bytes",
            "FLASH:              512M bytes",
            "PCB 1 Version:      VER.B",
            "Bootrom Version:    135",
            "CPLD 1 Version:     002",
            f"Release Version:    H3C {model.model}-{model.release}",
            "Patch Version  :    None",
            "Reboot Cause  :     ColdReboot",
            f"[SubSlot 0] {_port_summary(ctx)}",
        ]
    )


def _port_summary(ctx: OutputContext) -> str:
    ports = [i for i in ctx.device.interfaces if i.lldp]
    gig = sum(1 for i in ports if i.speed_bps <= 1_000_000_000)
    return f"{gig}GE+{len(ports) - gig}SFP Plus"


def device_manuinfo(ctx: OutputContext) -> str:
    device = ctx.device
    return "\n".join(
        [
            "Slot 1 CPU 0:",
            f"DEVICE_NAME          : {device.model}",
            f"DEVICE_SERIAL_NUMBER : {device.serial}",
            f"MAC_ADDRESS          : {mac_dashed(device.mac).upper()}",
            "MANUFACTURING_DATE   : 2021-06-13",
            "VENDOR_NAME          : H3C",
        ]
    )


def _link(interface: LabInterface) -> str:
    if not interface.admin_up:
        return "ADM"
    return "UP" if interface.oper_up else "DOWN"


def _protocol(interface: LabInterface) -> str:
    if interface.name.startswith(("NULL", "LoopBack")):
        return "UP(s)"
    return "UP" if interface.oper_up else "DOWN"


def _description(interface: LabInterface) -> str:
    return "" if is_default_alias(interface) else interface.alias[:_DESCRIPTION_WIDTH]


def interface_brief(ctx: OutputContext) -> str:
    platform = ctx.device.platform
    shown = [i for i in ctx.device.interfaces if i.name not in _HIDDEN]
    routed = [i for i in shown if not i.lldp or i.ipv4]
    bridged = [i for i in shown if i.lldp and not i.ipv4]
    lines = [
        "Brief information on interfaces in route mode:",
        "Link: ADM - administratively down; Stby - standby",
        "Protocol: (s) - spoofing",
        "Interface            Link Protocol Primary IP      Description",
    ]
    for interface in routed:
        address = interface.ipv4.split("/")[0] if interface.ipv4 else "--"
        lines.append(
            f"{short_name(platform, interface.name):<21}{_link(interface):<5}"
            f"{_protocol(interface):<9}{address:<16}{_description(interface)}".rstrip()
        )
    lines += [
        "",
        "Brief information on interfaces in bridge mode:",
        "Link: ADM - administratively down; Stby - standby",
        "Speed: (a) - auto",
        "Duplex: (a)/A - auto; H - half; F - full",
        "Type: A - access; T - trunk; H - hybrid",
        "Interface            Link Speed     Duplex Type PVID Description",
    ]
    for interface in bridged:
        up = interface.oper_up
        speed = f"{bandwidth(interface.speed_bps)}(a)" if up else "auto"
        duplex = "F(a)" if up else "A"
        vlan = access_vlan(interface) if not is_default_alias(interface) else 1
        lines.append(
            f"{short_name(platform, interface.name):<21}{_link(interface):<5}{speed:<10}"
            f"{duplex:<7}{'A':<5}{vlan:<5}{_description(interface)}".rstrip()
        )
    return "\n".join(lines)


def lldp_list(ctx: OutputContext) -> str:
    platform = ctx.device.platform
    lines = [
        "Chassis ID : * -- -- Nearest nontpmr bridge neighbor",
        "             # -- -- Nearest customer bridge neighbor",
        "             Default -- -- Nearest bridge neighbor",
        "System Name          Local Interface Chassis ID      Port ID",
    ]
    for neighbour in ctx.device.neighbours:
        lines.append(
            f"{neighbour.remote_name:<21}{short_name(platform, neighbour.interface):<16}"
            f"{mac_dashed(neighbour.remote_mac):<16}{neighbour.remote_interface}"
        )
    return "\n".join(lines)


def lldp_verbose(ctx: OutputContext) -> str:
    interfaces = ctx.device.interface_by_name()
    lines: list[str] = []
    for neighbour in ctx.device.neighbours:
        local = interfaces[neighbour.interface]
        description = system_description_lines(
            neighbour.remote_platform, neighbour.remote_model, neighbour.remote_name
        )
        days, rest = divmod(ctx.uptime_s, 86_400)
        lines += [
            f"LLDP neighbor-information of port {local.if_index}[{local.name}]:",
            "LLDP agent nearest-bridge:",
            " LLDP neighbor index : 1",
            f" Update time         : {days} days, {rest // 3600} hours, "
            f"{rest % 3600 // 60} minutes, {rest % 60} seconds",
            " Chassis type        : MAC address",
            f" Chassis ID          : {mac_dashed(neighbour.remote_mac)}",
            " Port ID type        : Interface name",
            f" Port ID             : {neighbour.remote_interface}",
            " Time to live        : 121",
            f" Port description    : {neighbour.remote_port_description}",
            f" System name         : {neighbour.remote_name}",
            f" System description  : {description[0]}",
            *(f"                       {line}" for line in description[1:]),
            " System capabilities supported : Bridge, Router",
            " System capabilities enabled   : Bridge, Router",
            " Management address type           : IPv4",
            f" Management address                : {neighbour.remote_address}",
            " Management address interface type : IfIndex",
            " Management address interface ID   : Unknown",
            " Management address OID            : 0",
            " Port VLAN ID(PVID)  : 1",
            " Link aggregation supported : Yes",
            " Link aggregation enabled   : No",
            " Aggregation port ID        : 0",
            " Auto-negotiation supported : No",
            " Auto-negotiation enabled   : No",
            f" OperMau                    : Speed({local.speed_bps // 1_000_000})/Duplex(Full)",
            f" Maximum frame size         : {local.mtu}",
            "",
        ]
    return "\n".join(lines).rstrip("\n")


def local_user(ctx: OutputContext) -> str:
    lines: list[str] = []
    for account in ctx.device.accounts:
        services = "/".join(s.upper() if s != "terminal" else "Terminal" for s in account.services)
        roles = [user_role(account)]
        if roles[0] != "network-operator":
            roles.append("network-operator")
        lines += [
            f"Device management user {account.name}:",
            "  State:                    Active",
            f"  Service type:             {services}",
            "  User group:               system",
            "  Bind attributes:",
            "  Authorization attributes:",
            "    Work directory:         flash:",
            f"    User role list:         {', '.join(roles)}",
            "  Password control configurations:",
            "    Password aging:         Enabled (90 days)",
        ]
    lines.append(f"Total {len(ctx.device.accounts)} local users matched.")
    return "\n".join(lines)


def current_configuration(ctx: OutputContext) -> str:
    return ctx.running_config().rstrip("\n")


def clock(ctx: OutputContext) -> str:
    return f"{ctx.now:%H:%M:%S} BJ {ctx.now:%a %m/%d/%Y}\nTime Zone : BJ add 08:00:00"


OUTPUTS: dict[str, Renderer] = {
    "version": version,
    "device-manuinfo": device_manuinfo,
    "interface-brief": interface_brief,
    "lldp-list": lldp_list,
    "lldp-verbose": lldp_verbose,
    "local-user": local_user,
    "running-config": current_configuration,
    "clock": clock,
}
