"""The trap receiver against net-snmp's real ``snmptrap`` and ``snmpinform``, and against garbage.

Every notification is sent from a loopback address of its own (``--clientaddr``) to a receiver on
a free port. Nothing waits on a clock: events are awaited on a queue (with a timeout for failure),
and a datagram that must *not* become an event is followed by one that must — loopback delivers
datagrams in order and the receiver handles each one completely as it arrives, so when the good
one's event is out, the counters already account for the bad one.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr

from collectors.snmp.trap_config import TrapReceiverConfig, TrapStats, TrapV3User
from collectors.snmp.traps import TrapReceiver
from core.clock import FakeClock
from core.credentials import AuthProtocol, PrivProtocol, SnmpV2cCredential, SnmpV3Credential
from core.errors import ConfigError
from core.events import Event, TrapReceived
from tests.support.addresses import fresh_address

pytestmark = pytest.mark.integration

COMMUNITY = "trap-c0mmunity"
USER, AUTH_KEY, PRIV_KEY = "noc-traps", "auth-key-0123", "priv-key-4567"
SENDER_ENGINE_ID = "0x80001f8804736e6f632d6c6162"
V2C = ["-v2c", "-c", COMMUNITY]
V3_AUTH = ["-v3", "-u", USER, "-l", "authPriv", "-a", "SHA", "-A", AUTH_KEY, "-x", "AES"]
V3_AUTH_PRIV = [*V3_AUTH, "-X", PRIV_KEY, "-e", SENDER_ENGINE_ID]
LINK_DOWN, COLD_START = "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.6.3.1.1.5.1"
IF_INDEX, IF_DESCR = "1.3.6.1.2.1.2.2.1.1", "1.3.6.1.2.1.2.2.1.2"
WAIT_S = 10.0
SNMP_TRAP_OID_NAME = bytes.fromhex("06 0a 2b 06 01 06 03 01 01 04 01 00")  # snmpTrapOID.0, BER


@dataclass
class Lab:
    receiver: TrapReceiver
    events: asyncio.Queue[Event]
    device_address: str
    """The loopback address the inventory knows as ``gz-core-1``."""
    home: Path

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.receiver.port}"

    async def next_event(self) -> TrapReceived:
        event = await asyncio.wait_for(self.events.get(), WAIT_S)
        assert isinstance(event, TrapReceived)
        return event

    async def trap(self, options: list[str], *notification: str, source: str | None = None) -> None:
        """``snmptrap OPTIONS TARGET UPTIME TRAP-OID [OID TYPE VALUE]...``; it must exit 0."""
        await self.send("snmptrap", options, *notification, source=source)

    async def send(
        self, tool: str, options: list[str], *notification: str, source: str | None = None
    ) -> None:
        """Run net-snmp's ``tool`` (snmptrap, snmpinform) from ``source``; it must exit 0."""
        sender = f"--clientaddr={source or self.device_address}"
        argv = [net_snmp(tool), sender, *options, "-t", "2", "-r", "1", self.target, *notification]
        code, err = await run(argv, self.home)
        assert code == 0, err


def net_snmp(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        pytest.fail(f"{tool} is missing: install net-snmp's tools (apt-get install snmp)")
    return found


async def run(argv: list[str], home: Path) -> tuple[int, str]:
    # An empty config path and no MIBs: numeric OIDs only, and nothing from ~/.snmp leaks in.
    env = dict(os.environ, SNMPCONFPATH=str(home), SNMP_PERSISTENT_DIR=str(home), MIBS="")
    process = await asyncio.create_subprocess_exec(
        *argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    _, err = await asyncio.wait_for(process.communicate(), WAIT_S)
    assert process.returncode is not None
    return process.returncode, err.decode(errors="replace")


def config(**overrides: object) -> TrapReceiverConfig:
    v3 = SnmpV3Credential(
        user=USER,
        auth_protocol=AuthProtocol.SHA,
        auth_key=SecretStr(AUTH_KEY),
        priv_protocol=PrivProtocol.AES128,
        priv_key=SecretStr(PRIV_KEY),
    )
    fields: dict[str, object] = {
        "listen_address": "127.0.0.1",
        "port": 0,
        "communities": (SnmpV2cCredential(community=SecretStr(COMMUNITY)),),
        "v3_users": (TrapV3User(credential=v3, engine_ids=(SENDER_ENGINE_ID,)),),
    }
    return TrapReceiverConfig.model_validate(fields | overrides)


@pytest.fixture
async def lab(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Lab]:
    events: asyncio.Queue[Event] = asyncio.Queue()
    device_address = fresh_address()
    devices = {device_address: "gz-core-1"}
    receiver = TrapReceiver(config(), events.put_nowait, devices.get, clock=clock)
    await receiver.start()
    yield Lab(receiver, events, device_address, tmp_path)
    await receiver.stop()


def counts(stats: TrapStats, *names: str) -> dict[str, int]:
    return {name: getattr(stats, name) for name in names}


# ---------------------------------------------------------------- what arrives


async def test_a_v2c_link_down_names_the_device_and_the_interface(
    lab: Lab, clock: FakeClock
) -> None:
    await lab.trap(
        V2C, "", LINK_DOWN, f"{IF_INDEX}.7", "i", "7", f"{IF_DESCR}.7", "s", "GigabitEthernet0/0/7"
    )

    event = await lab.next_event()

    assert (event.kind, event.version, event.trap_oid) == ("linkDown", "v2c", LINK_DOWN)
    assert (event.source_address, event.device_id) == (lab.device_address, "gz-core-1")
    assert (event.if_index, event.if_name) == (7, "GigabitEthernet0/0/7")
    assert event.at == clock.now()
    assert dict(event.varbinds)[f"{IF_DESCR}.7"] == "GigabitEthernet0/0/7"
    assert counts(lab.receiver.stats(), "received", "decoded", "unknown_source") == {
        "received": 1,
        "decoded": 1,
        "unknown_source": 0,
    }


async def test_a_v2c_cold_start(lab: Lab) -> None:
    await lab.trap(V2C, "", COLD_START)

    event = await lab.next_event()

    assert (event.kind, event.if_index, event.if_name) == ("coldStart", None, None)


async def test_a_v2c_inform_is_answered_so_the_sender_succeeds(lab: Lab) -> None:
    await lab.send("snmpinform", V2C, "", COLD_START)

    event = await lab.next_event()

    assert (event.kind, event.version) == ("coldStart", "v2c")


async def test_a_v1_trap_is_converted_and_its_community_is_not_kept(lab: Lab) -> None:
    # enterprise, agent-addr, generic-trap 2 (linkDown), specific 0, uptime, varbinds
    v1 = ["-v1", "-c", COMMUNITY]
    await lab.trap(
        v1, "1.3.6.1.4.1.2011.2.23", "10.44.0.1", "2", "0", "", f"{IF_INDEX}.3", "i", "3"
    )

    event = await lab.next_event()

    assert (event.kind, event.version, event.if_index) == ("linkDown", "v1", 3)
    assert dict(event.varbinds)["1.3.6.1.6.3.18.1.3.0"] == "10.44.0.1"  # snmpTrapAddress
    assert COMMUNITY not in repr(event)


async def test_a_v3_auth_priv_trap_from_a_configured_engine(lab: Lab) -> None:
    await lab.trap(V3_AUTH_PRIV, "", COLD_START)

    event = await lab.next_event()

    assert (event.kind, event.version, event.device_id) == ("coldStart", "v3", "gz-core-1")


async def test_a_v3_inform_needs_no_sender_engine_id(lab: Lab) -> None:
    """The sender discovers the receiver's engine ID first: counted as discovery, answered."""
    await lab.send("snmpinform", [*V3_AUTH, "-X", PRIV_KEY], "", "1.3.6.1.4.1.9.0.0")

    event = await lab.next_event()

    assert (event.version, event.trap_oid) == ("v3", "1.3.6.1.4.1.9.0.0")
    stats = lab.receiver.stats()
    assert stats.discovery >= 1
    assert counts(stats, "decoded", "auth_failed", "malformed") == {
        "decoded": 1,
        "auth_failed": 0,
        "malformed": 0,
    }


async def test_an_unknown_enterprise_trap_is_a_raw_event_with_its_varbinds(lab: Lab) -> None:
    await lab.trap(
        V2C,
        "",
        "1.3.6.1.4.1.99999.0.42",
        *("1.3.6.1.4.1.99999.1.1.0", "s", "机房门已打开"),
        *("1.3.6.1.4.1.99999.1.2.0", "x", "0A0B0C"),
        *("1.3.6.1.4.1.99999.1.3.0", "a", "10.1.2.3"),
    )

    event = await lab.next_event()

    assert (event.kind, event.trap_oid) == ("raw", "1.3.6.1.4.1.99999.0.42")
    assert dict(event.varbinds) | {"1.3.6.1.2.1.1.3.0": "*"} == {
        "1.3.6.1.2.1.1.3.0": "*",
        "1.3.6.1.6.3.1.1.4.1.0": "1.3.6.1.4.1.99999.0.42",
        "1.3.6.1.4.1.99999.1.1.0": "机房门已打开",
        "1.3.6.1.4.1.99999.1.2.0": "0x0a0b0c",
        "1.3.6.1.4.1.99999.1.3.0": "10.1.2.3",
    }


async def test_a_trap_from_an_unknown_address_is_kept_and_counted(lab: Lab) -> None:
    stranger = fresh_address()

    await lab.trap(V2C, "", COLD_START, source=stranger)

    event = await lab.next_event()
    assert (event.source_address, event.device_id) == (stranger, None)
    assert lab.receiver.stats().unknown_source == 1


# ---------------------------------------------------------------- what must not arrive


WRONG_ENGINE_ID = "0x80001f8804756e6b6e6f776e"


@pytest.mark.parametrize(
    "refused",
    [
        pytest.param(["-v2c", "-c", "not-the-community"], id="v2c-wrong-community"),
        pytest.param(
            [*V3_AUTH[:-3], "wrong-auth-key", "-x", "AES", "-X", PRIV_KEY, "-e", SENDER_ENGINE_ID],
            id="v3-wrong-auth-key",
        ),
        pytest.param(
            [*V3_AUTH, "-X", "wrong-priv-key", "-e", SENDER_ENGINE_ID], id="v3-wrong-priv-key"
        ),
        pytest.param(
            [*V3_AUTH, "-X", PRIV_KEY, "-e", WRONG_ENGINE_ID], id="v3-unconfigured-sender-engine"
        ),
    ],
)
async def test_refused_credentials_are_counted_and_not_delivered(
    lab: Lab, refused: list[str]
) -> None:
    await lab.trap(refused, "", "1.3.6.1.4.1.99999.0.1")
    await lab.trap(V2C, "", COLD_START)

    event = await lab.next_event()

    assert event.kind == "coldStart"
    assert lab.events.empty()
    assert counts(lab.receiver.stats(), "received", "decoded", "auth_failed") == {
        "received": 2,
        "decoded": 1,
        "auth_failed": 1,
    }


async def test_malformed_datagrams_are_counted_and_the_receiver_goes_on(
    lab: Lab, caplog: pytest.LogCaptureFixture
) -> None:
    good = await captured_trap(lab.home)
    garbage = [
        os.urandom(200),
        good[: len(good) // 2],  # truncated BER
        good[:-1],
        b"",
        b"\x30\x84\xff\xff\xff\xff",  # a length far beyond the datagram
        b"\x30\x82\xff\xe0" + os.urandom(65_000),  # as large as UDP allows, all noise
        good.replace(SNMP_TRAP_OID_NAME, b"\x06\x0a" + b"\xff" * 10),  # an OID that never ends
    ]

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((lab.device_address, 0))
        for datagram in garbage:
            sock.sendto(datagram, ("127.0.0.1", lab.receiver.port))
    await lab.trap(V2C, "", COLD_START)

    event = await lab.next_event()
    assert event.kind == "coldStart"
    assert lab.events.empty()
    assert counts(lab.receiver.stats(), "received", "decoded", "malformed", "auth_failed") == {
        "received": len(garbage) + 1,
        "decoded": 1,
        "malformed": len(garbage),
        "auth_failed": 0,
    }
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def captured_trap(home: Path) -> bytes:
    """A real v2c trap datagram, as snmptrap sends it (caught on a plain socket)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as catcher:
        catcher.bind(("127.0.0.1", 0))
        catcher.setblocking(False)
        port = catcher.getsockname()[1]
        argv = [net_snmp("snmptrap"), *V2C, f"127.0.0.1:{port}", "", COLD_START]
        code, err = await run(argv, home)
        assert code == 0, err
        return await asyncio.wait_for(asyncio.get_running_loop().sock_recv(catcher, 65_535), WAIT_S)


# ---------------------------------------------------------------- the socket


async def test_the_port_is_refused_while_another_receiver_holds_it(lab: Lab) -> None:
    second = TrapReceiver(config(port=lab.receiver.port), lambda _: None, lambda _: None)

    taken = rf"cannot listen for traps on 127\.0\.0\.1:{lab.receiver.port}: .*in use"
    with pytest.raises(ConfigError, match=taken):
        await second.start()


async def test_the_receive_buffer_is_raised_and_the_port_freed_on_stop(tmp_path: Path) -> None:
    wanted = 16 * 1024 * 1024
    receiver = TrapReceiver(config(rcvbuf_bytes=wanted), lambda _: None, lambda _: None)
    await receiver.start()
    port, granted = receiver.port, receiver.receive_buffer_bytes
    await receiver.stop()

    if os.geteuid() == 0:  # SO_RCVBUFFORCE passes net.core.rmem_max only for root
        assert granted >= wanted
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as again:
        again.bind(("127.0.0.1", port))
    with pytest.raises(RuntimeError, match="not started"):
        _ = receiver.port


# ---------------------------------------------------------------- the command


async def test_ssnoc_traps_listen_prints_each_trap_as_a_line(tmp_path: Path) -> None:
    env = dict(os.environ, SSNOC_TRAP_COMMUNITY=COMMUNITY)
    listen = ["listen", "--address", "127.0.0.1", "--port", "0", "--count", "1"]
    command = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "ssnoc.commands.traps", *listen),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert command.stdout is not None
    assert command.stderr is not None
    try:
        listening = await asyncio.wait_for(command.stderr.readline(), WAIT_S)
        port = int(listening.decode().rsplit(":", 1)[1])
        link_down = ["", LINK_DOWN, f"{IF_INDEX}.7", "i", "7", f"{IF_DESCR}.7", "s", "Gi0/0/7"]
        argv = [net_snmp("snmptrap"), *V2C, f"127.0.0.1:{port}", *link_down]
        code, err = await run(argv, tmp_path)
        assert code == 0, err
        out, rest = await asyncio.wait_for(command.communicate(), WAIT_S)
    finally:
        if command.returncode is None:
            command.kill()
            await command.wait()

    assert command.returncode == 0, rest.decode()
    [printed] = out.decode().splitlines()
    assert " 127.0.0.1 - v2c linkDown if=7(Gi0/0/7) 1.3.6.1.6.3.1.1.5.3 " in printed
    assert "decoded 1" in rest.decode()
    assert COMMUNITY not in out.decode() + rest.decode()


async def test_ssnoc_traps_listen_refuses_bad_options_in_one_line_without_the_key() -> None:
    command = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "ssnoc.commands.traps", "listen", "--port", "0"),
        *("--v3-user", USER, "--auth-protocol", "sha", "--auth-key", "short"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(command.communicate(), WAIT_S)

    assert command.returncode == 2
    assert out == b""
    [message] = err.decode().splitlines()
    assert message == f"ssnoc: bad trap receiver settings: options: v3 user '{USER}': " + (
        "an auth key of at least 8 characters"
    )
