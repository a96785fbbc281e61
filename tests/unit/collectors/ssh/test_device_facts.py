"""From raw answers to facts, accounts and the running configuration (no device needed)."""

from __future__ import annotations

from pathlib import Path

from collectors.ssh.command_sets import command_set
from collectors.ssh.device_facts import interpret
from core.model import Platform
from tests.conftest import SHARED

CLI = SHARED / "cli"
CONFIGS = Path(__file__).resolve().parents[3] / "data" / "configs"


def test_huawei_facts_from_real_answers() -> None:
    commands = command_set(Platform.HUAWEI_VRP)
    outputs = {
        "version": (CLI / "huawei_vrp/display_version/huawei_vrp_display_version3.raw").read_text(),
        "interfaces": (
            CLI / "huawei_vrp/display_interface_brief/huawei_vrp_display_interface_brief.raw"
        ).read_text(),
        "lldp_neighbors": (
            CLI / "huawei_vrp/display_lldp_neighbor/huawei_vrp_display_lldp_neighbor.raw"
        ).read_text(),
        "running_config": (CONFIGS / "huawei_vrp/handwritten_s5735_v200r019.txt").read_text(),
    }
    reading = interpret(commands, outputs, prompt_hostname="GZ-ACC1")
    facts = reading.facts
    assert facts.hostname == "GZ-ACC1"
    assert facts.vendor == "Huawei"
    assert facts.model == "AR6280"
    assert facts.os_version == "AR6280 V300R019C10SPC300"
    assert facts.uptime == "60 weeks, 4 days, 11 hours, 20 minutes"
    assert facts.details["interfaces"][1] == {
        "name": "Eth-Trunk2",
        "oper_status": "up",
        "protocol": "up",
    }
    neighbour = facts.details["lldp_neighbors"][0]
    assert neighbour == {
        "local_interface": "GigabitEthernet0/0/1",
        "neighbor_name": "tsa-2960-sw01",
        "neighbor_interface": "Gi1/0/1",
        "chassis_id": "f55f-c2c5-e180",
    }
    assert {a.name for a in reading.accounts} == {"admin", "noc-ro", "ftpuser"}
    assert reading.running_config == outputs["running_config"]
    assert reading.command_errors == {}


def test_ios_hostname_comes_from_show_version_not_the_cut_prompt() -> None:
    commands = command_set(Platform.CISCO_IOS)
    version = (CLI / "cisco_ios/show_version/cisco_ios_show_version.raw").read_text()
    reading = interpret(commands, {"version": version}, prompt_hostname="router1-with-a-lo")
    assert reading.facts.hostname == "router1"
    assert reading.facts.serial == "CAT1451S15C"
    assert reading.facts.model == "WS-C4948E"


def test_a_refused_command_is_that_command_s_error_only() -> None:
    commands = command_set(Platform.CISCO_IOS)
    version = (CLI / "cisco_ios/show_version/cisco_ios_show_version.raw").read_text()
    refused = "                    ^\n% Invalid input detected at '^' marker."
    reading = interpret(
        commands, {"version": version, "running_config": refused}, prompt_hostname="r1"
    )
    assert reading.facts.model == "WS-C4948E"
    assert reading.running_config is None
    assert reading.accounts == []
    assert (
        "refused by the device: % Invalid input detected"
        in reading.command_errors["running_config"]
    )


def test_errors_from_the_session_are_kept() -> None:
    commands = command_set(Platform.ZTE_ZXROS)
    reading = interpret(
        commands, {}, prompt_hostname="zx1", command_errors={"version": "no prompt back"}
    )
    assert reading.command_errors == {"version": "no prompt back"}
    assert reading.facts.hostname == "zx1"
