"""``ssnoc snmp probe`` against real device recordings, checked against what LibreNMS found in them.

One snmpsim process on one loopback endpoint serves every recording of ../shared/snmprec (it picks
the data file by community, so the community is the recording's name). For each recording with a
LibreNMS expectation (``expected/<name>.json``, module ``os`` and, where present, ``ports``) the
probe runs as a real subprocess over a real SNMP transport and must report the same device and the
same interfaces.

The command is started as ``python -m ssnoc snmp probe …``: the real ``ssnoc`` command line, run by
the project's interpreter.

Where LibreNMS applies a rule we deliberately do not, the exception sits next to the recording it
concerns, with the reason. One rule is applied to every recording, so it is stated once here:
LibreNMS fills an empty ``ifName`` from ``ifDescr``, an empty ``ifDescr`` from ``ifName`` and an
empty ``ifAlias`` from ``ifDescr`` before storing a port; the probe reports what the agent said
(``null`` or ``""``), so the comparison applies that fill to our side first. LibreNMS also stores
``""`` where we report ``null`` for a serial it could not find: both mean "none".
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lab.snmpsim_runner import SnmpsimProcess
from tests.conftest import SHARED
from tests.support.addresses import fresh_address

pytestmark = pytest.mark.integration

RECORDINGS = SHARED / "snmprec" / "recordings"
EXPECTED = SHARED / "snmprec" / "expected"
PROBE_TIMEOUT_S = 10.0
REPO = Path(__file__).resolve().parents[4]

# LibreNMS appends the Huawei patch with a GETNEXT on hwPatchVersion; on a device that has no patch
# table that GETNEXT returns whatever object comes next in the MIB (hwEntityAdminStatus "unlocked",
# an entity's description, a number from another table). We read the hwPatchVersion column only,
# so these devices report the version without the bracket.
VERSION_EXCEPTIONS = {
    "vrp_5720": "5.170 (V200R010C00SPC600)",  # LibreNMS: … [unlocked]
    "vrp_power": "5.170 (V200R019C10SPC500)",  # LibreNMS: … [unlocked]
    "vrp_slas": "5.170 (V200R019C10SPC500)",  # LibreNMS: … [6]
    "vrp_ce12804-entity": "8.150 (V200R002C50SPC800)",  # LibreNMS: … [CE12804,CE12804-AC,…]
}

# LibreNMS's default configuration drops some ports before storing them (bad_if "virtual-",
# bad_iftype "mpls", bad_ifoperstatus "notPresent"). That is a site policy about what to graph, not
# what the agent has: the probe reports every ifTable row.
IGNORED_BY_LIBRENMS = {
    "iosxe_asr920": {
        31: "Virtual-PPP4001: ifDescr starts with 'Virtual-'",
        37: "TenGigabitEthernet0/0/26-mpls layer: ifType mpls",
        64: "TenGigabitEthernet0/0/25-mpls layer: ifType mpls",
        65: "TenGigabitEthernet0/0/27-mpls layer: ifType mpls",
    },
    "iosxe_ie32008t2s-ios17-12": {2: "GigabitEthernet1/2: ifOperStatus notPresent"},
    "vrp_ce12804-withvrf": {
        203: "10GE1/4/0/0-mpls: ifType mpls",
        204: "10GE1/4/0/1-mpls: ifType mpls",
        205: "10GE1/4/0/23-mpls: ifType mpls",
        206: "10GE2/4/0/23-mpls: ifType mpls",
    },
    "vrp_ne": {1: "Virtual-Template0: ifDescr starts with 'Virtual-'"},
}

PORT_FIELDS = ("ifName", "ifDescr", "ifType", "ifAlias", "ifAdminStatus", "ifOperStatus")


def expectation(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXPECTED / f"{name}.json").read_text())
    return data


def recordings_with(module: str) -> list[str]:
    if not EXPECTED.is_dir():
        return []
    return sorted(p.stem for p in EXPECTED.glob("*.json") if module in expectation(p.stem))


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """One snmpsim serving every recording, at (host, port); community = recording name."""
    if not RECORDINGS.is_dir():
        pytest.fail(f"{RECORDINGS} is missing: the shared test data must sit beside the checkout")
    data_dir = tmp_path_factory.mktemp("snmprec")
    for recording in RECORDINGS.glob("*.snmprec"):
        if "@" not in recording.stem:  # per-VLAN contexts are not probed
            # Copies, not symlinks: snmpsim 1.2 names a symlinked file after its target's path,
            # cut at the depth of --data-dir, which breaks as soon as the two depths differ.
            shutil.copyfile(recording, data_dir / recording.name)
    host = fresh_address()
    port = free_udp_port(host)
    simulator = SnmpsimProcess(data_dir, [(host, port)], tmp_path_factory.mktemp("snmpsim"))
    simulator.start(timeout_s=120)
    try:
        yield host, port
    finally:
        simulator.stop()


def free_udp_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe_socket:
        probe_socket.bind((host, 0))
        port: int = probe_socket.getsockname()[1]
        return port


def run_probe(
    address: str, *options: str, timeout_s: float = 300
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSNOC_SNMP_")}
    return subprocess.run(
        [sys.executable, "-m", "ssnoc", "snmp", "probe", address, *options],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env=env,
        cwd=REPO,
        check=False,
    )


def probe_json(agent: tuple[str, int], name: str, transport: str) -> dict[str, Any]:
    host, port = agent
    result = run_probe(
        f"{host}:{port}",
        "--community",
        name,
        "--json",
        "--timeout",
        str(PROBE_TIMEOUT_S),
        "--retries",
        "1",
        "--transport",
        transport,
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


# ---------------------------------------------------------------- device identity


@pytest.mark.parametrize("transport", ["gufo", "pysnmp"])
@pytest.mark.parametrize("name", recordings_with("os"))
def test_probe_identifies_the_device_as_librenms_did(
    agent: tuple[str, int], name: str, transport: str
) -> None:
    row = expectation(name)["os"]["discovery"]["devices"][0]

    device = probe_json(agent, name, transport)["device"]

    wanted = {
        "os": row["os"],
        "sysName": row["sysName"],
        "sysDescr": row["sysDescr"],
        "sysObjectID": row["sysObjectID"],
        "hardware": row["hardware"],
        "version": VERSION_EXCEPTIONS.get(name, row["version"]),
        "serial": row["serial"] or None,
    }
    got = {key: device[key] for key in wanted}
    assert got == wanted
    assert device["vendor"] is not None


# ---------------------------------------------------------------- interfaces


@pytest.mark.parametrize("transport", ["gufo", "pysnmp"])
@pytest.mark.parametrize("name", recordings_with("ports"))
def test_probe_lists_the_interfaces_librenms_stored(
    agent: tuple[str, int], name: str, transport: str
) -> None:
    section = expectation(name)["ports"]
    stored = section["poller"] if isinstance(section["poller"], dict) else section["discovery"]
    wanted = {row["ifIndex"]: {f: row[f] for f in PORT_FIELDS} for row in stored["ports"]}

    interfaces = probe_json(agent, name, transport)["interfaces"]

    ours = {row["ifIndex"]: with_librenms_fill(row) for row in interfaces}
    assert set(ours) - set(wanted) == set(IGNORED_BY_LIBRENMS.get(name, {}))
    assert {i: ours[i] for i in wanted if i in ours} == wanted


def with_librenms_fill(row: dict[str, Any]) -> dict[str, Any]:
    """Our row with LibreNMS's fill of empty names applied (see the module docstring)."""
    filled = {f: row[f] for f in PORT_FIELDS}
    filled["ifName"] = row["ifName"] or row["ifDescr"]
    filled["ifDescr"] = row["ifDescr"] or row["ifName"]
    filled["ifAlias"] = row["ifAlias"] or filled["ifDescr"]
    return filled


# ---------------------------------------------------------------- failures


@pytest.mark.parametrize("transport", ["gufo", "pysnmp"])
def test_an_agent_that_answers_nothing_is_reported_within_the_timeout(transport: str) -> None:
    host = fresh_address()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind((host, 0))  # bound, so no ICMP "port unreachable": requests just vanish
        port = silent.getsockname()[1]
        started = time.monotonic()
        result = run_probe(
            f"{host}:{port}",
            "--community",
            "public",
            "--timeout",
            "1",
            "--retries",
            "1",
            "--transport",
            transport,
            timeout_s=60,
        )
        elapsed = time.monotonic() - started

    assert result.returncode == 2
    assert result.stdout == ""
    assert_one_clear_line(result.stderr, f"{host}:{port}")
    # two tries of one second, plus interpreter start-up
    assert elapsed < 2 * 1.0 + 6.0


@pytest.mark.parametrize("transport", ["gufo", "pysnmp"])
def test_an_agent_that_answers_garbage_is_reported(transport: str) -> None:
    host = fresh_address()
    with GarbageAgent(host) as port:
        result = run_probe(
            f"{host}:{port}",
            "--community",
            "public",
            "--timeout",
            "1",
            "--retries",
            "0",
            "--transport",
            transport,
            timeout_s=60,
        )

    assert result.returncode == 2
    assert result.stdout == ""
    assert_one_clear_line(result.stderr, f"{host}:{port}")


@pytest.mark.parametrize("transport", ["gufo", "pysnmp"])
def test_an_unknown_v3_user_is_reported(agent: tuple[str, int], transport: str) -> None:
    host, port = agent
    result = run_probe(
        f"{host}:{port}",
        "--v3-user",
        "nobody",
        "--auth-protocol",
        "md5",
        "--auth-key",
        "not-the-key",
        "--timeout",
        "2",
        "--retries",
        "0",
        "--transport",
        transport,
        timeout_s=60,
    )

    assert result.returncode == 2
    assert_one_clear_line(result.stderr, f"{host}:{port}")
    assert "not-the-key" not in result.stderr


def assert_one_clear_line(stderr: str, target: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("ssnoc: "), stderr
    assert target in lines[0], stderr
    assert "Traceback" not in stderr


class GarbageAgent:
    """A UDP service on ``host`` that answers every datagram with bytes that are not SNMP."""

    def __init__(self, host: str) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind((host, 0))
        self.socket.settimeout(0.2)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> int:
        self.thread.start()
        port: int = self.socket.getsockname()[1]
        return port

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join()
        self.socket.close()

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                _, sender = self.socket.recvfrom(65535)
            except TimeoutError:
                continue
            # A BER SEQUENCE whose length runs past the datagram, then noise.
            self.socket.sendto(b"\x30\x82\xff\xff\x02\x01\x01garbage\x00\xff", sender)
