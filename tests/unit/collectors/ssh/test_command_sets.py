"""The command sets (collectors/ssh/commands/*.yaml) are complete and consistent."""

from __future__ import annotations

import pytest

from collectors.ssh.command_sets import (
    LLDP_NEIGHBORS,
    RUNNING_CONFIG,
    command_set,
    network_platforms,
)
from collectors.ssh.drivers import DRIVERS
from collectors.ssh.lldp_parsers import LLDP_COMMANDS
from collectors.ssh.parsers import ACCOUNT_PARSERS, known_parsers
from core.errors import ConfigError
from core.model import Platform

NETWORK = (Platform.HUAWEI_VRP, Platform.HP_COMWARE, Platform.CISCO_IOS, Platform.ZTE_ZXROS)

# The lab simulator's refusals (lab/ssh/dialects.py), word for word as each platform prints them.
REFUSALS = {
    Platform.HUAWEI_VRP: "              ^\nError: Unrecognized command found at '^' position.",
    Platform.HP_COMWARE: "              ^\n % Unrecognized command found at '^' position.",
    Platform.CISCO_IOS: "               ^\n% Invalid input detected at '^' marker.",
    Platform.ZTE_ZXROS: "%Error 20200: Invalid input detected at '^' marker.",
}


def test_every_network_platform_has_a_command_set() -> None:
    assert set(network_platforms()) == set(NETWORK)


@pytest.mark.parametrize("platform", NETWORK)
def test_a_command_set_is_usable(platform: Platform) -> None:
    commands = command_set(platform)
    assert commands.netmiko_device_type in DRIVERS
    assert {"version", "interfaces", RUNNING_CONFIG} <= set(commands.commands)
    for key, spec in commands.commands.items():
        assert spec.parser in known_parsers(), key
        assert spec.command == " ".join(spec.command.split()), "full spellings, single spaces"
    assert commands.accounts, "every platform reports its local accounts"
    for source in commands.accounts:
        assert source.parser in ACCOUNT_PARSERS


@pytest.mark.parametrize("platform", NETWORK)
def test_refusals_are_recognised(platform: Platform) -> None:
    commands = command_set(platform)
    assert commands.rejected(REFUSALS[platform]) is not None
    assert commands.rejected("Huawei Versatile Routing Platform Software\n") is None


def test_huawei_uses_the_textfsm_platform_name() -> None:
    """netmiko's `huawei` device type never gets a TextFSM parse (TRAPS)."""
    assert command_set(Platform.HUAWEI_VRP).netmiko_device_type == "huawei_vrp"


def test_choosing_commands() -> None:
    commands = command_set(Platform.CISCO_IOS)
    assert commands.keys(("running_config", "version")) == ("version", "running_config")
    assert commands.keys() == tuple(commands.commands)
    with pytest.raises(ConfigError, match="no command 'display_all'"):
        commands.keys(("display_all",))


def test_linux_has_no_command_set() -> None:
    with pytest.raises(ConfigError):
        command_set(Platform.LINUX)


@pytest.mark.parametrize("platform", NETWORK)
def test_the_lldp_command_is_the_one_the_neighbour_reader_reads(platform: Platform) -> None:
    """The answer to ``lldp_neighbors`` becomes the state DB's CLI neighbours: the command set
    must send exactly the command collectors/ssh/lldp_parsers.py knows how to read."""
    assert command_set(platform).commands[LLDP_NEIGHBORS].command == LLDP_COMMANDS[platform]
