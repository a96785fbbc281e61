"""Huawei VRP ``display`` outputs, as ../shared/cli/huawei_vrp shows them (S-series V200R019)."""

from __future__ import annotations

from lab.model import AccountRole, LabInterface
from lab.ssh.outputs.context import (
    OutputContext,
    Renderer,
    errors_so_far,
    mac_dashed,
    short_name,
    system_description_lines,
    uptime_vrp,
    utilisation,
)

_HIDDEN = ("InLoopBack0", "Console9/0/0")
_AUTH_MASK = {"telnet": "T", "ssh": "S", "ftp": "F", "http": "H", "terminal": "C"}


def version(ctx: OutputContext) -> str:
    device, model = ctx.device, ctx.model
    series, release = model.release.split(" ", 1)
    uptime = uptime_vrp(ctx.uptime_s)
    board = f"{model.model.split('-')[0]} 0(Master) : uptime is {uptime}"
    return "\n".join(
        [
            "Huawei Versatile Routing Platform Software",
            f"VRP (R) software, Version {model.version} ({series} {release})",
            "Copyright (C) 2000-2020 HUAWEI TECH CO., LTD",
            f"HUAWEI {model.model} Routing Switch uptime is {uptime}",
            "",
            board,
            f"DDR             Memory Size : {model.memory_bytes // 1024**2:<7} M bytes",
            "FLASH Total     Memory Size : 1024    M bytes",
            "FLASH Available Memory Size : 598     M bytes",
            "Pcb             Version     : VER.A",
            "BootROM         Version     : 020a.0001",
            "BootLoad        Version     : 020a.0001",
            "CPLD            Version     : 0106",
            f"Software        Version     : VRP (R) Software, Version {model.version} ({release})",
            "FLASH           Version     : 0000.0000",
            f"ESN             Number      : {device.serial}",
        ]
    )


def esn(ctx: OutputContext) -> str:
    return f"ESN of slot 0: {ctx.device.serial}"


def _phy(interface: LabInterface) -> str:
    if not interface.admin_up:
        return "*down"
    return "up" if interface.oper_up else "down"


def _protocol(interface: LabInterface) -> str:
    if interface.name.startswith(("NULL", "LoopBack")):
        return "up(s)"
    return "up" if interface.oper_up else "down"


def _shown(ctx: OutputContext) -> list[LabInterface]:
    return [i for i in ctx.device.interfaces if i.name not in _HIDDEN]


def interface_brief(ctx: OutputContext) -> str:
    lines = [
        "PHY: Physical",
        "*down: administratively down",
        "^down: standby",
        "(l): loopback",
        "(s): spoofing",
        "(E): E-Trunk down",
        "(b): BFD down",
        "(B): Bit-error-detection down",
        "(e): ETHOAM down",
        "(d): Dampening Suppressed",
        "InUti/OutUti: input utility/output utility",
        "Interface                   PHY   Protocol  InUti OutUti   inErrors  outErrors",
    ]
    for interface in _shown(ctx):
        logical = not interface.lldp
        in_uti = "--" if logical else utilisation(interface.in_bytes_per_s, interface.speed_bps)
        out_uti = "--" if logical else utilisation(interface.out_bytes_per_s, interface.speed_bps)
        lines.append(
            f"{interface.name:<28}{_phy(interface):<6}{_protocol(interface):<8}"
            f"{in_uti:>7}{out_uti:>7}{errors_so_far(interface, ctx.uptime_s):>11}{0:>11}"
        )
    return "\n".join(lines)


def interface_description(ctx: OutputContext) -> str:
    lines = [
        "PHY: Physical",
        "*down: administratively down",
        "(l): loopback",
        "(s): spoofing",
        "(E): E-Trunk down",
        "(b): BFD down",
        "(e): ETHOAM down",
        "(dl): DLDP down",
        "Interface                     PHY     Protocol Description",
    ]
    for interface in _shown(ctx):
        name = short_name(ctx.device.platform, interface.name)
        row = f"{name:<30}{_phy(interface):<8}{_protocol(interface):<9}{interface.alias}"
        lines.append(row.rstrip())
    return "\n".join(lines)


def ip_interface_brief(ctx: OutputContext) -> str:
    shown = _shown(ctx)
    phy_up = sum(_phy(i) == "up" for i in shown)
    proto_up = sum(_protocol(i).startswith("up") for i in shown)
    lines = [
        "*down: administratively down",
        "^down: standby",
        "(l): loopback",
        "(s): spoofing",
        "(E): E-Trunk down",
        f"The number of interface that is UP in Physical is {phy_up}",
        f"The number of interface that is DOWN in Physical is {len(shown) - phy_up}",
        f"The number of interface that is UP in Protocol is {proto_up}",
        f"The number of interface that is DOWN in Protocol is {len(shown) - proto_up}",
        "",
        "Interface                         IP Address/Mask      Physical   Protocol  ",
    ]
    for interface in shown:
        if interface.ipv4 or not interface.lldp:
            address = interface.ipv4 or "unassigned"
            lines.append(
                f"{interface.name:<34}{address:<21}{_phy(interface):<11}{_protocol(interface):<10}"
            )
    return "\n".join(lines)


def lldp_neighbor_brief(ctx: OutputContext) -> str:
    lines = [
        "Local Interface         Exptime(s) Neighbor Interface      Neighbor Device",
        "-" * 79,
    ]
    for neighbour in ctx.device.neighbours:
        local = short_name(ctx.device.platform, neighbour.interface)
        lines.append(
            f"{local:<24}{_expires(ctx, neighbour.interface):>10} "
            f"{neighbour.remote_interface:<24}{neighbour.remote_name}"
        )
    return "\n".join(lines)


def _expires(ctx: OutputContext, interface: str) -> int:
    """Seconds left of the neighbour's 120 s TTL; LLDP refreshes every 30 s."""
    return 120 - (ctx.uptime_s + sum(map(ord, interface))) % 30


def lldp_neighbor(ctx: OutputContext) -> str:
    by_port = {n.interface: n for n in ctx.device.neighbours}
    lines: list[str] = []
    for interface in ctx.device.interfaces:
        if not interface.lldp:
            continue
        neighbour = by_port.get(interface.name)
        if neighbour is None:
            lines += [f"{interface.name} has 0 neighbor(s)", ""]
            continue
        description = system_description_lines(
            neighbour.remote_platform, neighbour.remote_model, neighbour.remote_name
        )
        speed = interface.speed_bps // 1_000_000
        lines += [
            f"{interface.name} has 1 neighbor(s):",
            "",
            "Neighbor index                     :1",
            "Chassis type                       :MAC Address",
            f"Chassis ID                         :{mac_dashed(neighbour.remote_mac)}",
            "Port ID subtype                    :Interface Name",
            f"Port ID                            :{neighbour.remote_interface}",
            f"Port description                   :{neighbour.remote_port_description}",
            f"System name                        :{neighbour.remote_name}",
            f"System description                 :{description[0]}",
            *description[1:],
            "System capabilities supported      :bridge router",
            "System capabilities enabled        :bridge router",
            "Management address type            :IPv4",
            f"Management address                 :{neighbour.remote_address}",
            f"Expired time                       :{_expires(ctx, interface.name)}s",
            "",
            "Port VLAN ID(PVID)                 :1",
            "Port and Protocol VLAN ID(PPVID)   :--",
            "Port and Protocol VLAN supported   :--",
            "Port and Protocol VLAN enabled     :--",
            "VLAN name of VLAN                  :--",
            "Protocol identity                  :--",
            "Auto-negotiation supported         :No",
            "Auto-negotiation enabled           :No",
            f"OperMau                            :speed ({speed}) /duplex (Full)",
            "Link aggregation supported         :Yes",
            "Link aggregation enabled           :No",
            "Aggregation port ID                :0",
            f"Maximum frame Size                 :{interface.mtu}",
            "",
        ]
    return "\n".join(lines)


def local_user(ctx: OutputContext) -> str:
    rule = "  " + "-" * 76
    lines = [rule, "  User-name                      State  AuthMask  AdminLevel", rule]
    for account in ctx.device.accounts:
        state = "B" if account.role is AccountRole.STALE else "A"
        mask = "".join(_AUTH_MASK[s] for s in account.services if s in _AUTH_MASK)
        lines.append(f"  {account.name:<31}{state:<7}{mask:<10}{account.privilege}")
    lines += [rule, f"  Total {len(ctx.device.accounts)} user(s)"]
    return "\n".join(lines)


def current_configuration(ctx: OutputContext) -> str:
    return ctx.running_config().rstrip("\n")


def clock(ctx: OutputContext) -> str:
    return "\n".join(
        [
            f"{ctx.now:%Y-%m-%d %H:%M:%S}+08:00",
            f"{ctx.now:%A}",
            "Time Zone(BJ) : UTC+08:00",
        ]
    )


OUTPUTS: dict[str, Renderer] = {
    "version": version,
    "esn": esn,
    "interface-brief": interface_brief,
    "interface-description": interface_description,
    "ip-interface-brief": ip_interface_brief,
    "lldp-neighbor-brief": lldp_neighbor_brief,
    "lldp-neighbor": lldp_neighbor,
    "local-user": local_user,
    "running-config": current_configuration,
    "clock": clock,
}
