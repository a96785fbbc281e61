"""``lab up`` for real: snmpsim shards on fresh loopback addresses, asked with net-snmp's tools.

One small lab (ten devices over three shards) serves the read-only tests; the lifecycle test starts
its own. Counters are checked against the rates in province.json with the time each request took
as the tolerance — the agent computes a value when it answers, somewhere inside that window.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.errors import LabError
from core.model import DeviceRole
from lab.control import lab_down, lab_status, lab_up
from lab.files import read_province
from lab.model import LabDevice, Province
from lab.snmpsim_runner import SnmpsimProcess, bound_udp_endpoints, responder_alive
from lab.state import LabOptions, LabState
from tests.conftest import SHARED
from tests.support.addresses import fresh_block

pytestmark = pytest.mark.integration

DIVISIONS = SHARED / "data" / "guangdong_divisions.json"
COUNTER32_MAX = 4_294_967_295
IF_IN_OCTETS = "1.3.6.1.2.1.2.2.1.10"
IF_HC_IN_OCTETS = "1.3.6.1.2.1.31.1.1.1.6"
LLDP_REM_PORT_ID = "1.0.8802.1.1.2.1.4.1.1.7"
LLDP_REM_SYS_NAME = "1.0.8802.1.1.2.1.4.1.1.9"


def net_snmp(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        pytest.fail(f"{tool} is missing: install net-snmp's tools (apt-get install snmp)")
    return found


def snmpget(device: LabDevice, oid: str) -> str:
    result = subprocess.run(
        [net_snmp("snmpget"), "-v2c", "-c", device.community, "-Oqv", "-t", "2", "-r", "1",
         f"{device.address}:{device.port}", oid],
        capture_output=True, text=True, check=True, timeout=10,
    )  # fmt: skip
    return result.stdout.strip().strip('"')


def snmpwalk(device: LabDevice, root: str) -> dict[str, str]:
    """OID → value under ``root`` (net-snmp's bulk walk, numeric OIDs, quotes removed)."""
    result = subprocess.run(
        [net_snmp("snmpbulkwalk"), "-v2c", "-c", device.community, "-On", "-Oq", "-t", "2",
         f"{device.address}:{device.port}", root],
        capture_output=True, text=True, check=True, timeout=10,
    )  # fmt: skip
    rows = {}
    for line in result.stdout.splitlines():
        oid, _, value = line.partition(" ")
        if oid.lstrip(".").startswith(f"{root}."):
            rows[oid.lstrip(".")] = value.strip().strip('"')
    return rows


def timed_get(device: LabDevice, oid: str) -> tuple[int, float, float]:
    """(value, monotonic time before asking, after the answer)."""
    before = time.monotonic()
    value = int(snmpget(device, oid))
    return value, before, time.monotonic()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LabState, Province]]:
    options = LabOptions(
        data_dir=tmp_path_factory.mktemp("data"),
        size="small",
        seed=11,
        network=fresh_block(),
        divisions_path=DIVISIONS,
        devices_per_shard=4,
        ready_timeout_s=60,
    )
    state = lab_up(options)
    try:
        yield state, read_province(state.province_path)
    finally:
        lab_down(options.data_dir)


def test_every_agent_answers_with_its_own_name(lab: tuple[LabState, Province]) -> None:
    state, province = lab
    assert len(state.shards) == 3
    assert {d for shard in state.shards for d in shard.devices} == {d.id for d in province.devices}
    for device in province.devices:
        assert snmpget(device, "1.3.6.1.2.1.1.5.0") == device.name


def test_the_community_selects_the_device(lab: tuple[LabState, Province]) -> None:
    state, province = lab
    devices = province.device_by_id()
    first, second = (devices[d] for d in state.shards[0].devices[:2])
    # One responder serves its shard's addresses alike and picks the data by community alone.
    asked_at_first = first.model_copy(update={"community": second.community})
    assert snmpget(asked_at_first, "1.3.6.1.2.1.1.5.0") == second.name
    assert snmpget(first, "1.3.6.1.2.1.1.5.0") == first.name


def test_hc_octets_grow_at_the_interface_rate(lab: tuple[LabState, Province]) -> None:
    _, province = lab
    county = next(d for d in province.devices if d.role is DeviceRole.ACCESS)
    uplink = max(county.interfaces, key=lambda i: i.in_bytes_per_s)
    oid = f"{IF_HC_IN_OCTETS}.{uplink.if_index}"
    first, first_asked, first_answered = timed_get(county, oid)
    snmpwalk(county, "1.3.6.1.2.1.31.1.1.1.1")  # time passes between the readings, no sleep
    second, second_asked, second_answered = timed_get(county, oid)
    grown_s = (second - first) / uplink.in_bytes_per_s
    assert second_asked - first_answered - 0.01 <= grown_s <= second_answered - first_asked + 0.01


def test_a_busy_counter32_wraps(lab: tuple[LabState, Province]) -> None:
    _, province = lab
    cores = [d for d in province.devices if d.role is DeviceRole.CORE]
    # The counter whose wrap is nearest, from one walk of each core's ifInOctets — among those
    # that take at least 5 s to go round, so that a busy machine's slow snmpget cannot miss a
    # wrap by reading once before it and once after the counter has climbed past again.
    soonest: tuple[float, LabDevice, str] | None = None
    for core in cores:
        values = snmpwalk(core, IF_IN_OCTETS)
        for interface in core.interfaces:
            if interface.in_bytes_per_s > 0 and COUNTER32_MAX / interface.in_bytes_per_s >= 5:
                oid = f"{IF_IN_OCTETS}.{interface.if_index}"
                wait_s = (COUNTER32_MAX - int(values[oid])) / interface.in_bytes_per_s
                if soonest is None or wait_s < soonest[0]:
                    soonest = (wait_s, core, oid)
    assert soonest is not None
    wait_s, core, oid = soonest
    assert wait_s < 30, "the data-centre interconnect wraps a Counter32 every few seconds"
    deadline = time.monotonic() + wait_s + 5
    previous = int(snmpget(core, oid))
    while time.monotonic() < deadline:
        current = int(snmpget(core, oid))
        if current < previous:
            assert current <= COUNTER32_MAX
            return
        previous = current
    pytest.fail(f"{core.name} {oid} did not wrap within {wait_s + 3:.1f} s")


def test_lldp_names_each_countys_two_cities(lab: tuple[LabState, Province]) -> None:
    _, province = lab
    devices = province.device_by_id()
    for county in (d for d in province.devices if d.role is DeviceRole.ACCESS):
        links = [lk for lk in province.links if lk.b.device == county.id]
        assert len(links) == 2
        names = sorted(snmpwalk(county, LLDP_REM_SYS_NAME).values())
        assert names == sorted(devices[lk.a.device].name for lk in links)
        ports = snmpwalk(county, LLDP_REM_PORT_ID)
        by_local_port = {oid.split(".")[-2]: port for oid, port in ports.items()}
        interfaces = county.interface_by_name()
        assert by_local_port == {
            str(interfaces[lk.b.interface].if_index): lk.a.interface for lk in links
        }


def test_status_sees_every_shard_up(lab: tuple[LabState, Province]) -> None:
    state, _ = lab
    report = lab_status(state.options.data_dir)
    assert report.all_up
    assert report.shards_alive == 3
    assert report.endpoints_bound == report.endpoints_total == state.devices == 10


def test_up_again_replaces_the_lab_and_down_releases_everything(tmp_path: Path) -> None:
    options = LabOptions(
        data_dir=tmp_path,
        size="small",
        network=fresh_block(),
        divisions_path=DIVISIONS,
        devices_per_shard=10,
        ready_timeout_s=60,
    )
    first = lab_up(options)
    second = lab_up(options.model_copy(update={"seed": 2}))
    try:
        assert not any(responder_alive(s.pid) for s in first.shards)
        assert all(responder_alive(s.pid, s.data_dir) for s in second.shards)
        assert lab_status(tmp_path).all_up
    finally:
        report = lab_down(tmp_path)
    assert report.stopped_pids == tuple(s.pid for s in second.shards)
    assert not lab_status(tmp_path).recorded
    assert not any(responder_alive(s.pid) for s in second.shards)
    endpoints = {(h, p) for s in second.shards for h, p in s.endpoints}
    assert not {(str(a), p) for a, p in bound_udp_endpoints()} & endpoints
    assert oct(second.credentials_path.stat().st_mode & 0o777) == "0o600"


def test_an_address_in_use_is_refused_before_starting(tmp_path: Path) -> None:
    block = fresh_block()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind((f"{block}.1", 1161))
        options = LabOptions(
            data_dir=tmp_path, size="small", network=block, divisions_path=DIVISIONS
        )
        with pytest.raises(LabError, match=rf"address already in use: {block}\.1:1161"):
            lab_up(options)
    assert not (tmp_path / "lab" / "lab.json").exists()


def test_snmpsim_failing_to_start_reports_its_log(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "broken.snmprec").write_text("1.3.6.1.2.1.1.5.0|4|ok\n1.3.6.1.2.1.1.6.0\n")
    process = SnmpsimProcess(data, [(f"{fresh_block()}.1", 1161)], tmp_path / "work")
    with pytest.raises(LabError, match=r"snmpsim stopped while starting: .*broken record"):
        process.start(timeout_s=30)
    assert process.pid is None
