"""netmiko's own drivers against the SSH simulator, one device per test on a fresh loopback address.

The device types are netmiko's names for the ntc platforms: ``huawei_vrp``, ``hp_comware``,
``cisco_ios`` (with ``enable``) and ``zte_zxros``. Outputs are checked against the lab's state of
the device served — a real province device, the busiest of its platform.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from netmiko import ConnectHandler
from netmiko.exceptions import NetmikoAuthenticationException, ReadTimeout
from ntc_templates.parse import parse_output

from core.model import Platform
from lab.divisions import load_divisions
from lab.model import LabDevice, Province
from lab.province import build_province
from lab.ssh.outputs.context import short_name
from lab.ssh.testing import SimulatedEndpoint, running_ssh_device
from tests.conftest import SHARED
from tests.support.addresses import fresh_address

pytestmark = pytest.mark.integration

PORT = 2222
SECRET = "en-secret"
PLATFORMS = ["huawei_vrp", "hp_comware", "cisco_ios", "zte_zxros"]
# platform: (version, interfaces, LLDP neighbours, local users, running config)
COMMANDS = {
    "huawei_vrp": ("display version", "display interface brief", "display lldp neighbor",
                   "display local-user", "display current-configuration"),
    "hp_comware": ("display version", "display interface brief",
                   "display lldp neighbor-information list", "display local-user",
                   "display current-configuration"),
    "cisco_ios": ("show version", "show interfaces status", "show lldp neighbors detail",
                  "show running-config | include ^username", "show running-config"),
    "zte_zxros": ("show version", "show interface brief", "show lldp neighbor",
                  "show running-config system-user", "show running-config"),
}  # fmt: skip
# The LLDP command the collectors send (collectors/ssh/commands), where it has an ntc template,
# and a field of its rows that names the neighbours.
PARSED_NEIGHBOURS = {
    "huawei_vrp": ("display lldp neighbor", "neighbor_name"),
    "hp_comware": ("display lldp neighbor-information verbose", "neighbor_name"),
    "cisco_ios": ("show lldp neighbors detail", "neighbor_name"),
    "zte_zxros": None,  # `show lldp entry`: no template upstream, read by ssnoc's own parser
}
LAST_CONFIG_LINE = {"huawei_vrp": "return", "hp_comware": "return", "cisco_ios": "end"}
INTERFACE = {
    "huawei_vrp": "GigabitEthernet0/0/1",
    "hp_comware": "GigabitEthernet1/0/1",
    "cisco_ios": "GigabitEthernet0/1",
    "zte_zxros": "gei-0/1/0/1",
}


@pytest.fixture(scope="module")
def province() -> Province:
    return build_province(load_divisions(SHARED / "data" / "guangdong_divisions.json"), "full")


def busiest(province: Province, platform: str) -> LabDevice:
    return max(
        (d for d in province.devices if d.platform == platform),
        key=lambda d: (len(d.neighbours), d.id),
    )


def connect(endpoint: SimulatedEndpoint, **options: Any) -> Any:
    secret = SECRET if endpoint.platform in ("cisco_ios", "zte_zxros") else ""
    connection = ConnectHandler(
        device_type=endpoint.platform,
        host=endpoint.host,
        port=endpoint.port,
        username=endpoint.username,
        password=options.pop("password", endpoint.password),
        secret=secret,
        **options,
    )
    if secret:
        connection.enable()
    return connection


@pytest.fixture
def sample(request: pytest.FixtureRequest) -> Iterator[SimulatedEndpoint]:
    platform = request.param
    secret = SECRET if platform in ("cisco_ios", "zte_zxros") else None
    with running_ssh_device(platform, fresh_address(), PORT, enable_secret=secret) as endpoint:
        yield endpoint


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_drivers_read_the_lab_state(province: Province, platform: str) -> None:
    device = busiest(province, platform)
    secret = SECRET if platform in ("cisco_ios", "zte_zxros") else None
    with running_ssh_device(
        platform, fresh_address(), PORT, lab_device=device, enable_secret=secret
    ) as endpoint:
        connection = connect(endpoint)
        try:
            assert connection.base_prompt == device.name
            version, interfaces, lldp, users, config = (
                connection.send_command(command, read_timeout=20) for command in COMMANDS[platform]
            )
            parsed = PARSED_NEIGHBOURS[platform]
            # Parsed as the collectors parse (netmiko's use_textfsm warns of a deprecated API).
            rows = (
                parse_output(platform, parsed[0], connection.send_command(parsed[0]))
                if parsed
                else []
            )
        finally:
            connection.disconnect()
    assert device.model in version
    shown = {line.split()[0] for line in interfaces.splitlines() if line.split()}
    short = platform in ("hp_comware", "cisco_ios")  # their tables abbreviate the names
    ports = {
        short_name(Platform(platform), i.name) if short else i.name
        for i in device.interfaces
        if i.lldp
    }
    assert ports <= shown
    assert all(n.remote_name in lldp for n in device.neighbours)
    assert all(a.name in users for a in device.accounts)
    assert config.rstrip().endswith(LAST_CONFIG_LINE.get(platform, "end"))
    assert device.name in config
    if parsed:
        assert sorted(row[parsed[1]] for row in rows) == sorted(
            n.remote_name for n in device.neighbours
        )


@pytest.mark.parametrize("sample", PLATFORMS, indirect=True)
def test_send_config_set_enters_and_leaves_configuration(sample: SimulatedEndpoint) -> None:
    connection = connect(sample)
    interface = INTERFACE[sample.platform]
    try:
        output = connection.send_config_set([f"interface {interface}", "description by-netmiko"])
        assert not connection.check_config_mode()
        running = connection.send_command(COMMANDS[sample.platform][4])
    finally:
        connection.disconnect()
    assert "LAB-DEV1" in output
    assert f"interface {interface}\n" in running.replace("  description", " description")
    assert "description by-netmiko" in running


@pytest.mark.parametrize("sample", PLATFORMS, indirect=True)
def test_disconnect_is_fast_and_the_device_hangs_up(sample: SimulatedEndpoint) -> None:
    connection = connect(sample)
    connection.send_command(COMMANDS[sample.platform][0])
    channel = connection.remote_conn
    began = time.monotonic()
    connection.disconnect()
    took = time.monotonic() - began
    if sample.platform == "huawei_vrp":
        # netmiko's stock Huawei driver reads for 2 s of silence before it logs out (TRAPS.md).
        assert took < 3.0
    else:
        assert took < 0.5
    assert channel.closed


def test_logging_out_ends_the_channel_at_once() -> None:
    with running_ssh_device("huawei_vrp", fresh_address(), PORT) as endpoint:
        connection = connect(endpoint)
        channel = connection.remote_conn
        connection.write_channel("quit\n")
        deadline = time.monotonic() + 1.0
        while not channel.exit_status_ready() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert channel.exit_status_ready()
        connection.paramiko_cleanup()


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_wrong_password_is_an_authentication_failure(platform: str) -> None:
    with (
        running_ssh_device(platform, fresh_address(), PORT) as endpoint,
        pytest.raises(NetmikoAuthenticationException),
    ):
        ConnectHandler(
            device_type=platform,
            host=endpoint.host,
            port=endpoint.port,
            username=endpoint.username,
            password="wrong",
        )


def test_a_hanging_command_times_out_within_the_read_timeout() -> None:
    with running_ssh_device(
        "hp_comware", fresh_address(), PORT, hanging_commands=["display version"]
    ) as endpoint:
        connection = connect(endpoint)
        try:
            began = time.monotonic()
            with pytest.raises(ReadTimeout):
                connection.send_command("display version", read_timeout=1.0)
            assert 1.0 <= time.monotonic() - began < 3.0
        finally:
            connection.paramiko_cleanup()  # as a collector drops a hung session
        fresh = connect(endpoint)  # another session is not stuck behind the hung one
        try:
            assert "Brief information" in fresh.send_command("display interface brief")
        finally:
            fresh.disconnect()


def test_a_slow_device_answers_after_its_delay() -> None:
    with running_ssh_device("cisco_ios", fresh_address(), PORT, command_delay_s=0.3) as endpoint:
        connection = connect(endpoint)
        try:
            began = time.monotonic()
            assert "Cisco IOS Software" in connection.send_command("show version")
            assert time.monotonic() - began >= 0.3
        finally:
            connection.disconnect()


def test_recorded_outputs_are_served_for_their_commands(shared_dir: Path) -> None:
    recordings = shared_dir / "cli" / "huawei_vrp"
    with running_ssh_device(
        "huawei_vrp", fresh_address(), PORT, outputs_dir=recordings, hostname="NE40E-LAB"
    ) as endpoint:
        connection = connect(endpoint)
        try:
            assert connection.base_prompt == "NE40E-LAB"
            version = connection.send_command("display version")
            rows = parse_output("huawei_vrp", "display version", version)
        finally:
            connection.disconnect()
    raw = sorted((recordings / "display_version").glob("*.raw"))[0]
    assert version.strip() == raw.read_text().replace("\r\n", "\n").strip()
    assert rows[0]["model"] == "NE40E-X2-M8A"
