"""How each platform's CLI looks and behaves, as data: prompts, modes, commands, paging, errors.

The CLI engine (:mod:`lab.ssh.cli_engine`) is one state machine; what differs between VRP,
Comware, IOS and ZXROS is here — the words of each command and the output it names
(:mod:`lab.ssh.outputs`), the session commands netmiko's drivers send (``screen-length 0
temporary``, ``screen-length disable``, ``terminal length 0``, ``terminal width 511``), how
configuration mode is entered and left, the ``More`` prompt and the error messages word for word.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from core.model import Platform


class Action(StrEnum):
    """What a command does besides printing an output."""

    OUTPUT = "output"
    PAGING_OFF = "paging-off"
    NOOP = "noop"  # accepted, changes nothing the lab models (terminal width, …)
    ENTER_CONFIG = "enter-config"
    LOGOUT = "logout"
    ENABLE = "enable"
    DISABLE = "disable"
    CMDLINE_MODE = "cmdline-mode"  # Comware's hidden developer mode (_cmdline-mode on)
    RECORDED = "recorded"  # a file of a recorded output


@dataclass(frozen=True, slots=True)
class CommandSpec:
    words: str
    """The full spelling; every word may be abbreviated to a unique prefix."""
    action: Action = Action.OUTPUT
    output: str = ""
    """The output's name (lab.ssh.outputs) or, for RECORDED, the file's path."""
    message: str = ""
    """Printed by a session command (``Info: The configuration takes effect …``)."""
    min_level: int = 0
    """Privilege level needed (IOS and ZXROS: 15 is ``enable``d)."""


@dataclass(frozen=True, slots=True)
class Dialect:
    platform: Platform
    user_prompt: str
    """``<{host}>`` or ``{host}>``; ``{host}`` is the current hostname."""
    privileged_prompt: str | None
    """``{host}#`` where the platform has a privileged exec mode (IOS, ZXROS)."""
    config_prompt: str
    sub_prompt: str
    """A configuration sub-mode; ``{context}`` as :meth:`context_name` gives it."""
    commands: tuple[CommandSpec, ...]
    config_enter_message: str
    exit_all: tuple[str, ...]
    """Leave configuration mode from any depth (``return``, ``end``; Ctrl-Z does the same)."""
    exit_one: tuple[str, ...]
    """Leave one level (``quit``, ``exit``); at the top of exec, log out."""
    exec_in_config: str | None
    """Prefix that runs an exec command in configuration mode (``do``); None: run directly."""
    hostname_command: str
    config_level: int
    """Privilege needed to change the configuration."""
    more_prompt: str
    more_erase: str
    login_banner: tuple[str, ...]
    unknown_error: str
    """Below a caret line; IOS and ZXROS print the first word's error differently."""
    incomplete_error: str
    ambiguous_error: str
    permission_error: str
    first_word_error: str | None = None
    """IOS: a first word that is no command is taken for a host to telnet to."""
    caret: bool = True
    enable_password_prompt: str = "Password: "  # noqa: S105 - the prompt, not a password
    enable_denied: str = "% Access denied"
    page_length: int = 24
    config_words: frozenset[str] = field(default_factory=frozenset)
    """First words accepted in configuration mode (everything else is an unknown command)."""

    def context_name(self, command: str) -> str:
        """The sub-mode ``command`` enters, as the prompt shows it."""
        words = command.split()
        if self.platform in (Platform.HUAWEI_VRP, Platform.HP_COMWARE):
            return words[1] if words[0] == "interface" and len(words) > 1 else words[0]
        if words[0] == "interface":
            if self.platform is Platform.ZTE_ZXROS and len(words) > 1:
                return f"if-{words[1]}"
            return "if"
        return {"line": "line", "router": "router", "vlan": "vlan"}.get(words[0], words[0])


def _cmd(words: str, output: str, min_level: int = 0) -> CommandSpec:
    return CommandSpec(words, Action.OUTPUT, output, min_level=min_level)


_VRP_CONFIG_WORDS = frozenset(
    {
        "interface", "description", "undo", "sysname", "shutdown", "ip", "vlan", "port", "aaa",
        "local-user", "snmp-agent", "ntp-service", "info-center", "lldp", "stelnet", "ssh",
        "user-interface", "header", "clock", "radius-server", "hwtacacs-server", "ike",
        "authentication-mode", "protocol", "idle-timeout", "portswitch",
    }
)  # fmt: skip
_COMWARE_CONFIG_WORDS = frozenset(
    {
        "interface", "description", "undo", "sysname", "shutdown", "ip", "vlan", "port",
        "local-user", "snmp-agent", "ntp-service", "info-center", "lldp", "ssh", "line", "header",
        "clock", "radius", "hwtacacs", "domain", "ike", "password", "service-type",
        "authorization-attribute", "authentication-mode", "protocol", "user-role",
    }
)  # fmt: skip
_IOS_CONFIG_WORDS = frozenset(
    {
        "interface", "description", "no", "hostname", "shutdown", "ip", "vlan", "switchport",
        "username", "enable", "aaa", "snmp-server", "ntp", "logging", "lldp", "line", "banner",
        "clock", "tacacs", "crypto", "service", "spanning-tree", "transport", "exec-timeout",
        "password", "name",
    }
)  # fmt: skip
_ZXROS_CONFIG_WORDS = frozenset(
    {
        "interface", "description", "no", "hostname", "shutdown", "ip", "vlan", "switchport",
        "system-user", "user-name", "snmp-server", "ntp", "logging", "lldp", "banner", "clock",
        "tacacs-server", "ssh", "ipsec", "enable",
    }
)  # fmt: skip

VRP = Dialect(
    platform=Platform.HUAWEI_VRP,
    user_prompt="<{host}>",
    privileged_prompt=None,
    config_prompt="[{host}]",
    sub_prompt="[{host}-{context}]",
    commands=(
        CommandSpec(
            "screen-length 0 temporary",
            Action.PAGING_OFF,
            message="Info: The configuration takes effect on the current user terminal "
            "interface only.",
        ),
        CommandSpec("screen-width 512", Action.NOOP),
        CommandSpec("system-view", Action.ENTER_CONFIG, min_level=2),
        CommandSpec("quit", Action.LOGOUT),
        _cmd("display version", "version"),
        _cmd("display esn", "esn"),
        _cmd("display interface brief", "interface-brief"),
        _cmd("display interface description", "interface-description"),
        _cmd("display ip interface brief", "ip-interface-brief"),
        _cmd("display lldp neighbor brief", "lldp-neighbor-brief"),
        _cmd("display lldp neighbor", "lldp-neighbor"),
        _cmd("display local-user", "local-user", min_level=3),
        _cmd("display current-configuration", "running-config", min_level=3),
        _cmd("display clock", "clock"),
    ),
    config_enter_message="Enter system view, return user view with Ctrl+Z.",
    exit_all=("return",),
    exit_one=("quit",),
    exec_in_config=None,
    hostname_command="sysname",
    config_level=3,
    more_prompt="  ---- More ----",
    more_erase="\x1b[16D                \x1b[16D",
    login_banner=(
        "",
        "Info: The max number of VTY users is 10, and the number",
        "      of current VTY users on line is 1.",
        "      The current login time is {login_time}.",
    ),
    unknown_error="Error: Unrecognized command found at '^' position.",
    incomplete_error="Error: Incomplete command found at '^' position.",
    ambiguous_error="Error: Ambiguous command found at '^' position.",
    permission_error="Error: Unrecognized command found at '^' position.",
    config_words=_VRP_CONFIG_WORDS,
)

COMWARE = Dialect(
    platform=Platform.HP_COMWARE,
    user_prompt="<{host}>",
    privileged_prompt=None,
    config_prompt="[{host}]",
    sub_prompt="[{host}-{context}]",
    commands=(
        CommandSpec("screen-length disable", Action.PAGING_OFF),
        CommandSpec("system-view", Action.ENTER_CONFIG),
        CommandSpec("quit", Action.LOGOUT),
        CommandSpec("_cmdline-mode on", Action.CMDLINE_MODE),
        _cmd("display version", "version"),
        _cmd("display device manuinfo", "device-manuinfo"),
        _cmd("display interface brief", "interface-brief"),
        _cmd("display lldp neighbor-information list", "lldp-list"),
        _cmd("display lldp neighbor-information verbose", "lldp-verbose"),
        _cmd("display lldp neighbor-information", "lldp-verbose"),
        _cmd("display local-user", "local-user"),
        _cmd("display current-configuration", "running-config"),
        _cmd("display clock", "clock"),
    ),
    config_enter_message="System View: return to User View with Ctrl+Z.",
    exit_all=("return",),
    exit_one=("quit",),
    exec_in_config=None,
    hostname_command="sysname",
    config_level=15,
    more_prompt="  ---- More ----",
    more_erase="\x1b[16D                \x1b[16D",
    login_banner=(
        "",
        "*" * 78,
        "* Copyright (c) 2004-2022 New H3C Technologies Co., Ltd. All rights reserved.*",
        "* Without the owner's prior written consent,                                 *",
        "* no decompiling or reverse-engineering shall be allowed.                    *",
        "*" * 78,
        "",
    ),
    unknown_error=" % Unrecognized command found at '^' position.",
    incomplete_error=" % Incomplete command found at '^' position.",
    ambiguous_error=" % Ambiguous command found at '^' position.",
    permission_error=" Permission denied.",
    config_words=_COMWARE_CONFIG_WORDS,
)

IOS = Dialect(
    platform=Platform.CISCO_IOS,
    user_prompt="{host}>",
    privileged_prompt="{host}#",
    config_prompt="{host}(config)#",
    sub_prompt="{host}(config-{context})#",
    commands=(
        CommandSpec("terminal length 0", Action.PAGING_OFF),
        CommandSpec("terminal width 511", Action.NOOP),
        CommandSpec("terminal no monitor", Action.NOOP),
        CommandSpec("enable", Action.ENABLE),
        CommandSpec("disable", Action.DISABLE),
        CommandSpec("configure terminal", Action.ENTER_CONFIG, min_level=15),
        CommandSpec("exit", Action.LOGOUT),
        CommandSpec("logout", Action.LOGOUT),
        _cmd("show version", "version"),
        _cmd("show inventory", "inventory"),
        _cmd("show ip interface brief", "ip-interface-brief"),
        _cmd("show interfaces status", "interfaces-status"),
        _cmd("show interfaces description", "interfaces-description"),
        _cmd("show lldp neighbors", "lldp-neighbors"),
        _cmd("show lldp neighbors detail", "lldp-neighbors-detail"),
        _cmd("show running-config", "running-config", min_level=15),
        _cmd("show startup-config", "running-config", min_level=15),
        _cmd("show clock", "clock"),
    ),
    config_enter_message="Enter configuration commands, one per line.  End with CNTL/Z.",
    exit_all=("end",),
    exit_one=("exit",),
    exec_in_config="do",
    hostname_command="hostname",
    config_level=15,
    more_prompt=" --More-- ",
    more_erase="\b" * 10 + " " * 10 + "\b" * 10,
    login_banner=("", "Guangdong Social Security Information Network.",
                  "Authorised access only; every session is logged and audited.", ""),
    unknown_error="% Invalid input detected at '^' marker.",
    incomplete_error="% Incomplete command.",
    ambiguous_error='% Ambiguous command:  "{line}"',
    permission_error="% Invalid input detected at '^' marker.",
    first_word_error="% Unknown command or computer name, or unable to find computer address",
    config_words=_IOS_CONFIG_WORDS,
)  # fmt: skip

ZXROS = Dialect(
    platform=Platform.ZTE_ZXROS,
    user_prompt="{host}>",
    privileged_prompt="{host}#",
    config_prompt="{host}(config)#",
    sub_prompt="{host}(config-{context})#",
    commands=(
        CommandSpec("terminal length 0", Action.PAGING_OFF),
        CommandSpec("terminal width 511", Action.NOOP),
        CommandSpec("enable", Action.ENABLE),
        CommandSpec("disable", Action.DISABLE),
        CommandSpec("configure terminal", Action.ENTER_CONFIG, min_level=15),
        CommandSpec("exit", Action.LOGOUT),
        CommandSpec("quit", Action.LOGOUT),
        _cmd("show version", "version"),
        _cmd("show interface brief", "interface-brief"),
        _cmd("show lldp neighbor", "lldp-neighbor"),
        _cmd("show lldp entry", "lldp-entry"),
        _cmd("show running-config", "running-config", min_level=15),
        _cmd("show running-config system-user", "system-user", min_level=15),
        _cmd("show clock", "clock"),
    ),
    config_enter_message="Enter configuration commands, one per line. End with CTRL/Z.",
    exit_all=("end",),
    exit_one=("exit",),
    exec_in_config="do",
    hostname_command="hostname",
    config_level=15,
    more_prompt=" --More--",
    more_erase="\b" * 9 + " " * 9 + "\b" * 9,
    login_banner=("", "*" * 60, "  Guangdong Social Security Information Network.",
                  "  Authorised access only.", "*" * 60, ""),
    unknown_error="%Error 20200: Invalid input detected at '^' marker.",
    incomplete_error="%Error 20201: Incomplete command.",
    ambiguous_error="%Error 20202: Ambiguous command.",
    permission_error="%Error 20200: Invalid input detected at '^' marker.",
    config_words=_ZXROS_CONFIG_WORDS,
)  # fmt: skip

DIALECTS: dict[Platform, Dialect] = {d.platform: d for d in (VRP, COMWARE, IOS, ZXROS)}
