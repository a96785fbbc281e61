"""``lab fail|recover`` on a real small lab, seen the way the NOC sees it: net-snmp and SSH.

One small lab (three snmpsim shards, two SSH simulators, sshd as root) serves every test; each
test leaves it recovered. A fault must be visible as soon as the command returns — the commands
wait until the agents answer the new way — and its timing is printed (``-s`` shows it).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import paramiko
import pytest

from core.credentials import load_credentials
from core.model import DeviceRole, Link, LinkRole, LinkTier, Platform
from lab.control import lab_down, lab_status, lab_up
from lab.fault_control import fail_device, fail_link, recover_all, recover_device, recover_link
from lab.files import read_province
from lab.model import NETWORK_SSH_CREDENTIAL, LabDevice, Province
from lab.ssh.openssh import SSHD
from lab.ssh.outputs.context import short_name
from lab.state import LabOptions, LabState
from tests.conftest import SHARED
from tests.support.addresses import fresh_block

pytestmark = pytest.mark.integration

DIVISIONS = SHARED / "data" / "guangdong_divisions.json"
SSH_PORT = 2222
SYS_NAME = "1.3.6.1.2.1.1.5.0"
SYS_UP_TIME = "1.3.6.1.2.1.1.3.0"
IF_ADMIN_STATUS = "1.3.6.1.2.1.2.2.1.7"
IF_OPER_STATUS = "1.3.6.1.2.1.2.2.1.8"
IF_LAST_CHANGE = "1.3.6.1.2.1.2.2.1.9"
IF_HC_IN_OCTETS = "1.3.6.1.2.1.31.1.1.1.6"
LLDP_REM_SYS_NAME = "1.0.8802.1.1.2.1.4.1.1.9"
FAIL_TAKES_AT_MOST_S = 5.0
LLDP_COMMAND = {
    Platform.HUAWEI_VRP: "display lldp neighbor brief",
    Platform.HP_COMWARE: "display lldp neighbor-information list",
    Platform.CISCO_IOS: "show lldp neighbors detail",
    Platform.ZTE_ZXROS: "show lldp neighbor",
}
INTERFACES_COMMAND = {
    Platform.HUAWEI_VRP: "display interface brief",
    Platform.HP_COMWARE: "display interface brief",
    Platform.CISCO_IOS: "show interfaces status",
    Platform.ZTE_ZXROS: "show interface brief",
}
_DOWN_WORDS = {"down", "DOWN", "notconnect"}
needs_sshd = pytest.mark.skipif(
    os.geteuid() != 0 or not SSHD.exists(), reason="a real sshd needs root and openssh-server"
)


def net_snmp(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        pytest.fail(f"{tool} is missing: install net-snmp's tools (apt-get install snmp)")
    return found


def snmp(device: LabDevice, *oids: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [net_snmp("snmpget"), "-v2c", "-c", device.community, "-Oqvet", "-t", "1", "-r", "0",
         f"{device.address}:{device.port}", *oids],
        capture_output=True, text=True, check=False, timeout=10,
    )  # fmt: skip


def snmpget(device: LabDevice, *oids: str) -> list[int | str]:
    result = snmp(device, *oids)
    assert result.returncode == 0, result.stderr
    values: list[int | str] = []
    for line in result.stdout.splitlines():
        text = line.strip().strip('"')
        values.append(int(text) if text.isdigit() else text)
    return values


def snmpwalk(device: LabDevice, root: str) -> dict[str, str]:
    result = subprocess.run(
        [net_snmp("snmpbulkwalk"), "-v2c", "-c", device.community, "-On", "-Oq", "-t", "1",
         "-r", "0", f"{device.address}:{device.port}", root],
        capture_output=True, text=True, check=True, timeout=10,
    )  # fmt: skip
    rows = {}
    for line in result.stdout.splitlines():
        oid, _, value = line.partition(" ")
        if oid.lstrip(".").startswith(f"{root}."):
            rows[oid.lstrip(".")] = value.strip().strip('"')
    return rows


def times_out(device: LabDevice) -> bool:
    result = snmp(device, SYS_NAME)
    return result.returncode != 0 and "Timeout" in result.stderr


def ssh_refused(address: str) -> bool:
    try:
        with socket.create_connection((address, SSH_PORT), timeout=2):
            return False
    except ConnectionRefusedError:
        return True


def run_on_device(state: LabState, device: LabDevice, command: str) -> str:
    login = load_credentials(state.credentials_path).ssh(NETWORK_SSH_CREDENTIAL)
    assert login.password is not None
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())  # a lab just started
    client.connect(
        device.address,
        SSH_PORT,
        login.username,
        login.password.get_secret_value(),
        look_for_keys=False,
        allow_agent=False,
        timeout=5,
    )
    try:
        _, stdout, _ = client.exec_command(command, timeout=5)
        return str(stdout.read().decode())
    finally:
        client.close()


def port_is_down_over_ssh(state: LabState, device: LabDevice, port: str) -> bool:
    """Whether the device's interface listing shows ``port`` down (by its long or short name)."""
    shown = run_on_device(state, device, INTERFACES_COMMAND[device.platform])
    names = {port, short_name(device.platform, port)}
    rows = [
        line.split() for line in shown.splitlines() if line.split()[:1] and line.split()[0] in names
    ]
    assert len(rows) == 1, shown
    return bool(_DOWN_WORDS & set(rows[0][1:]))


def timed_counter(device: LabDevice, if_index: int) -> tuple[int, float, float]:
    before = time.monotonic()
    (value,) = snmpget(device, f"{IF_HC_IN_OCTETS}.{if_index}")
    assert isinstance(value, int)
    return value, before, time.monotonic()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LabState, Province]]:
    options = LabOptions(
        data_dir=tmp_path_factory.mktemp("data"),
        size="small",
        seed=5,
        network=fresh_block(),
        divisions_path=DIVISIONS,
        devices_per_shard=4,
        ssh_port=SSH_PORT,
        ssh_devices_per_process=4,
        ready_timeout_s=60,
    )
    state = lab_up(options)
    try:
        yield state, read_province(state.province_path)
    finally:
        lab_down(options.data_dir)


@pytest.fixture(autouse=True)
def recovered(lab: tuple[LabState, Province]) -> Iterator[None]:
    yield
    recover_all(lab[0].options.data_dir)


def a_county(province: Province) -> tuple[LabDevice, LabDevice, LabDevice, Link, Link]:
    """(county, its city, its backup city, primary link, backup link)."""
    devices = province.device_by_id()
    county = next(d for d in province.devices if d.role is DeviceRole.ACCESS)
    links = [lk for lk in province.links if lk.b.device == county.id]
    primary = next(lk for lk in links if lk.role is LinkRole.PRIMARY)
    backup = next(lk for lk in links if lk.role is LinkRole.BACKUP)
    return county, devices[primary.a.device], devices[backup.a.device], primary, backup


def test_a_failed_link_is_down_at_both_ends_its_lldp_gone_its_traffic_moved(
    lab: tuple[LabState, Province],
) -> None:
    state, province = lab
    county, city, backup_city, primary, backup = a_county(province)
    ports = county.interface_by_name()
    county_port, backup_port = ports[primary.b.interface], ports[backup.b.interface]
    city_port = city.interface_by_name()[primary.a.interface]
    (counted_before,) = snmpget(county, f"{IF_HC_IN_OCTETS}.{county_port.if_index}")
    assert isinstance(counted_before, int)
    assert not port_is_down_over_ssh(state, county, county_port.name)

    began = time.monotonic()
    change = fail_link(state.options.data_dir, city.name, county.id)
    took = time.monotonic() - began
    print(f"\nfail link took {took:.2f} s: {change.describe()}")
    assert took < FAIL_TAKES_AT_MOST_S

    for device, port in ((county, county_port), (city, city_port)):
        admin, oper = snmpget(
            device, f"{IF_ADMIN_STATUS}.{port.if_index}", f"{IF_OPER_STATUS}.{port.if_index}"
        )
        assert (admin, oper) == (1, 2), device.id
    last_change, uptime = snmpget(county, f"{IF_LAST_CHANGE}.{county_port.if_index}", SYS_UP_TIME)
    assert isinstance(last_change, int)
    assert isinstance(uptime, int)
    assert 0 <= uptime - last_change < 10 * 100
    assert sorted(snmpwalk(county, LLDP_REM_SYS_NAME).values()) == [backup_city.name]
    assert county.name not in snmpwalk(city, LLDP_REM_SYS_NAME).values()
    shown = run_on_device(state, county, LLDP_COMMAND[county.platform])
    assert backup_city.name in shown
    assert city.name not in shown
    assert port_is_down_over_ssh(state, county, county_port.name)
    assert port_is_down_over_ssh(state, city, city_port.name)

    # The primary stands still; the backup carries both links' traffic.
    stood, _, _ = timed_counter(county, county_port.if_index)
    first, first_asked, first_answered = timed_counter(county, backup_port.if_index)
    snmpwalk(county, LLDP_REM_SYS_NAME)  # time passes between the readings, no sleep
    second, second_asked, second_answered = timed_counter(county, backup_port.if_index)
    (still,) = snmpget(county, f"{IF_HC_IN_OCTETS}.{county_port.if_index}")
    assert counted_before <= stood == still
    rate = county_port.in_bytes_per_s + backup_port.in_bytes_per_s
    grown_s = (second - first) / rate
    assert second_asked - first_answered - 0.01 <= grown_s <= second_answered - first_asked + 0.01

    recover_link(state.options.data_dir, county.id, city.id)
    (oper,) = snmpget(county, f"{IF_OPER_STATUS}.{county_port.if_index}")
    assert oper == 1
    assert not port_is_down_over_ssh(state, county, county_port.name)
    assert sorted(snmpwalk(county, LLDP_REM_SYS_NAME).values()) == sorted(
        [city.name, backup_city.name]
    )
    (counted_after,) = snmpget(county, f"{IF_HC_IN_OCTETS}.{county_port.if_index}")
    assert isinstance(counted_after, int)
    assert counted_after >= still


def test_a_failed_device_is_silent_and_its_neighbours_ports_are_down(
    lab: tuple[LabState, Province],
) -> None:
    state, province = lab
    county, city, _, primary, _ = a_county(province)
    began = time.monotonic()
    change = fail_device(state.options.data_dir, city.id)
    print(f"\nfail device took {time.monotonic() - began:.2f} s: {change.describe()}")
    assert change.newly_silent == ()  # its counties answer over their backup links
    assert times_out(city)
    assert ssh_refused(city.address)
    county_port = county.interface_by_name()[primary.b.interface]
    assert snmpget(county, SYS_NAME, f"{IF_OPER_STATUS}.{county_port.if_index}") == [
        county.name,
        2,
    ]
    assert lab_status(state.options.data_dir).all_up  # silenced endpoints are not failures

    recover_device(state.options.data_dir, city.name)
    assert snmpget(city, SYS_NAME) == [city.name]
    assert county.name in run_on_device(state, city, LLDP_COMMAND[city.platform])


def test_a_county_cut_off_falls_silent_and_comes_back_with_its_counters_whole(
    lab: tuple[LabState, Province],
) -> None:
    state, province = lab
    county, city, backup_city, _, _ = a_county(province)
    counted_before = snmpwalk(county, IF_HC_IN_OCTETS)
    fail_link(state.options.data_dir, county.id, city.id)
    change = fail_link(state.options.data_dir, county.id, backup_city.id)
    assert change.newly_silent == (county.id,)
    assert times_out(county)
    assert ssh_refused(county.address)

    change = recover_all(state.options.data_dir)
    assert change.answering_again == (county.id,)
    counted_after = snmpwalk(county, IF_HC_IN_OCTETS)
    assert counted_after.keys() == counted_before.keys()
    went_back = [o for o in counted_after if int(counted_after[o]) < int(counted_before[o])]
    assert went_back == []


@needs_sshd
def test_a_failed_core_silences_its_servers_ssh_too(lab: tuple[LabState, Province]) -> None:
    state, province = lab
    devices = province.device_by_id()
    core = next(d for d in province.devices if d.role is DeviceRole.CORE)
    servers = [
        devices[lk.b.device]
        for lk in province.links
        if lk.a.device == core.id and lk.tier is LinkTier.SERVER_ACCESS
    ]
    others = [d for d in province.devices if d.role is DeviceRole.SERVER and d not in servers]
    change = fail_device(state.options.data_dir, core.name)
    assert change.newly_silent == tuple(s.id for s in servers)
    for server in servers:
        assert times_out(server)
        assert ssh_refused(server.address)
    for other in others:
        assert not ssh_refused(other.address)
    recover_all(state.options.data_dir)
    for server in servers:
        assert not ssh_refused(server.address)
        assert snmpget(server, SYS_NAME) == [server.name]
