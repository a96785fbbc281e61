"""Both SNMP adapters against real agents: they must agree with each other, and with the fake.

A real net-snmp snmpd (tests/support/snmpd.py) is walked and read through gufo-snmp and pysnmp,
over v2c and over SNMPv3 authPriv with four protocol pairs. Its live values move (uptime, the
loopback's counters), so each comparison reads gufo, then pysnmp, then gufo again and requires the
same OIDs with pysnmp's value equal to one of gufo's or between them. snmpd's own statistics
(snmpInPkts, snmpInBadCommunityNames, usmStats*) prove what happened on the wire: retries, engine
discovery, session reuse. snmpsim serving a real recording is compared exactly, against the
recording as the fake transport reads it. Misbehaving agents (tests/support/bad_agents.py) pin
down each adapter's errors.
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from pathlib import Path

import pytest
from pydantic import SecretStr

from collectors.snmp.gufo_transport import V3_RESYNC_AFTER_S, GufoTransport
from collectors.snmp.pysnmp_transport import PysnmpTransport
from collectors.snmp.snmprec import load_snmprec
from collectors.snmp.transport import SnmpTarget, SnmpTransport, SnmpValue, is_under, oid_key
from core.credentials import AuthProtocol, PrivProtocol, SnmpV2cCredential, SnmpV3Credential
from core.errors import DeviceAuthError, DeviceTimeout, DeviceUnreachable, MalformedResponse
from lab.snmpsim_runner import SnmpsimProcess
from tests.conftest import SHARED
from tests.support import bad_agents
from tests.support.addresses import fresh_address
from tests.support.snmpd import DEFAULT_USERS, SnmpdAgent, SnmpdUser, start_snmpd

pytestmark = pytest.mark.integration

SYSTEM, IF_TABLE, IFX_TABLE = "1.3.6.1.2.1.1", "1.3.6.1.2.1.2.2", "1.3.6.1.2.1.31.1.1"
HR_STORAGE = "1.3.6.1.2.1.25.2.3"
SYS_NAME = "1.3.6.1.2.1.1.5.0"
IN_PKTS, IN_BAD_COMMUNITIES = "1.3.6.1.2.1.11.1.0", "1.3.6.1.2.1.11.4.0"
USM_STATS = "1.3.6.1.6.3.15.1.1"
UNKNOWN_USERS, UNKNOWN_ENGINE_IDS, WRONG_DIGESTS = (f"{USM_STATS}.{n}.0" for n in (3, 4, 5))
ASN_PARSE_ERRORS = "1.3.6.1.2.1.11.6.0"
ADAPTERS = {"gufo": GufoTransport, "pysnmp": PysnmpTransport}
FAST = {"timeout_s": 0.3, "retries": 1}
Sample = Mapping[str, SnmpValue]


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpdAgent]:
    running = start_snmpd(fresh_address(), 16100, tmp_path_factory.mktemp("snmpd"))
    yield running
    running.stop()


@pytest.fixture
async def gufo() -> AsyncIterator[GufoTransport]:
    transport = GufoTransport()
    yield transport
    await transport.close()


@pytest.fixture
async def pysnmp() -> AsyncIterator[PysnmpTransport]:
    transport = PysnmpTransport()
    yield transport
    await transport.close()


@pytest.fixture(params=list(ADAPTERS))
async def transport(request: pytest.FixtureRequest) -> AsyncIterator[SnmpTransport]:
    made: SnmpTransport = ADAPTERS[request.param]()
    yield made
    await made.close()


async def counters(agent: SnmpdAgent, *oids: str) -> list[int]:
    """snmpd's own statistics, read over v2c with a transport of its own (one packet)."""
    observer = GufoTransport()
    got = await observer.get(agent.v2c(), list(oids))
    await observer.close()
    return [int(got[oid]) for oid in oids]


def assert_sandwiched(before: Sample, middle: Sample, after: Sample) -> None:
    """Same OIDs; each middle value equals a neighbour's or lies between them (live counters)."""
    assert list(before) == list(middle) == list(after)
    for oid, value in middle.items():
        first, last = before[oid], after[oid]
        assert type(value) is type(first), oid
        if value in (first, last):
            continue
        assert isinstance(value, int), oid
        assert isinstance(first, int), oid
        assert isinstance(last, int), oid
        assert min(first, last) <= value <= max(first, last), oid


def assert_in_order_below(varbinds: Sequence[tuple[str, SnmpValue]], root: str) -> None:
    keys = [oid_key(oid) for oid, _ in varbinds]
    assert keys == sorted(set(keys))
    assert all(is_under(oid, root) for oid, _ in varbinds)


async def differential_walk(
    gufo: GufoTransport, pysnmp: PysnmpTransport, target: SnmpTarget, root: str
) -> None:
    before = await gufo.walk(target, root)
    middle = await pysnmp.walk(target, root)
    after = await gufo.walk(target, root)
    assert before, f"{root} is empty: nothing compared"
    assert_in_order_below(middle, root)
    assert_sandwiched(dict(before), dict(middle), dict(after))


@pytest.mark.parametrize("root", [SYSTEM, IF_TABLE, IFX_TABLE, HR_STORAGE])
async def test_both_adapters_walk_alike_over_v2c(
    agent: SnmpdAgent, gufo: GufoTransport, pysnmp: PysnmpTransport, root: str
) -> None:
    await differential_walk(gufo, pysnmp, agent.v2c(), root)


@pytest.mark.parametrize("user", DEFAULT_USERS, ids=lambda user: user.name)
async def test_both_adapters_walk_alike_over_v3(
    agent: SnmpdAgent, gufo: GufoTransport, pysnmp: PysnmpTransport, user: SnmpdUser
) -> None:
    for root in (SYSTEM, IF_TABLE):
        await differential_walk(gufo, pysnmp, agent.v3(user.credential()), root)


def many_oids() -> list[str]:
    present = [f"{SYSTEM}.{n}.0" for n in range(1, 9)]
    present += [f"{IF_TABLE}.1.{column}.{index}" for column in range(1, 23) for index in (1, 2)]
    present += [f"{IFX_TABLE}.1.{column}.1" for column in range(1, 20)]
    present += [f"{HR_STORAGE}.1.{column}.1" for column in range(1, 8)]
    return present


MISSING = [f"{SYSTEM}.99.0", f"{IF_TABLE}.1.1.9999", "1.3.6.1.4.1.99999.1.0", f"{SYSTEM}.1"]


@pytest.mark.parametrize("version", ["v2c", "v3"])
async def test_both_adapters_get_many_oids_alike(
    agent: SnmpdAgent, gufo: GufoTransport, pysnmp: PysnmpTransport, version: str
) -> None:
    target = agent.v2c() if version == "v2c" else agent.v3(DEFAULT_USERS[0].credential())
    oids = many_oids() + MISSING
    before = await gufo.get(target, oids)
    middle = await pysnmp.get(target, oids)
    after = await gufo.get(target, oids)
    assert len(middle) > 64  # more than one request, more than snmpsim would take at once
    assert not set(MISSING) & set(middle)
    assert_sandwiched(before, middle, after)


async def test_a_wrong_community_is_silence_after_every_retry(
    agent: SnmpdAgent, transport: SnmpTransport
) -> None:
    (bad_before,) = await counters(agent, IN_BAD_COMMUNITIES)
    started = time.monotonic()
    with pytest.raises(DeviceTimeout) as caught:
        await transport.get(agent.v2c(community="not-the-community", **FAST), [SYS_NAME])
    elapsed = time.monotonic() - started
    (bad_after,) = await counters(agent, IN_BAD_COMMUNITIES)
    assert bad_after - bad_before == 2  # one try and one retry reached the agent
    assert 0.55 <= elapsed < 1.5
    assert "2 tries" in caught.value.reason
    assert "community" in caught.value.reason


async def test_a_wrong_authentication_key_is_refused_by_report(
    agent: SnmpdAgent, transport: SnmpTransport
) -> None:
    user = DEFAULT_USERS[0]
    (digests_before,) = await counters(agent, WRONG_DIGESTS)
    with pytest.raises(DeviceAuthError):
        await transport.get(agent.v3(user.credential(auth_key="not-the-key"), **FAST), [SYS_NAME])
    (digests_after,) = await counters(agent, WRONG_DIGESTS)
    assert digests_after > digests_before
    # The right key still works on the same transport afterwards.
    assert await transport.get(agent.v3(user.credential()), [SYS_NAME])


async def test_a_wrong_privacy_key_looks_like_silence(
    agent: SnmpdAgent, transport: SnmpTransport
) -> None:
    # snmpd cannot parse what it decrypts with the wrong key, counts it and answers nothing.
    (parse_errors_before,) = await counters(agent, ASN_PARSE_ERRORS)
    credential = DEFAULT_USERS[0].credential(priv_key="not-the-key")
    with pytest.raises(DeviceTimeout) as caught:
        await transport.get(agent.v3(credential, **FAST), [SYS_NAME])
    (parse_errors_after,) = await counters(agent, ASN_PARSE_ERRORS)
    assert parse_errors_after > parse_errors_before
    assert "privacy key" in caught.value.reason


async def test_an_unknown_user_is_refused_by_report(
    agent: SnmpdAgent, transport: SnmpTransport
) -> None:
    (unknown_before,) = await counters(agent, UNKNOWN_USERS)
    with pytest.raises(DeviceAuthError):
        await transport.walk(agent.v3(DEFAULT_USERS[0].credential(name="nobody"), **FAST), SYSTEM)
    (unknown_after,) = await counters(agent, UNKNOWN_USERS)
    assert unknown_after > unknown_before


def v2c_target(endpoint: bad_agents.BadAgent, name: str | None = None) -> SnmpTarget:
    credential = SnmpV2cCredential(community=SecretStr("public"))
    return SnmpTarget(endpoint.host, endpoint.port, credential, name=name, **FAST)


async def test_a_silent_agent_times_out_naming_the_target(transport: SnmpTransport) -> None:
    with bad_agents.silent_agent() as silent:
        started = time.monotonic()
        with pytest.raises(DeviceTimeout) as caught:
            await transport.get(v2c_target(silent, name="gz-core-01"), [SYS_NAME])
        elapsed = time.monotonic() - started
        assert silent.wait_for_requests(2) == 2
    assert str(caught.value).startswith("gz-core-01: no answer within 0.3 s")
    assert 0.55 <= elapsed < 1.5


# gufo decodes what arrives and says so; pysnmp drops what it cannot decode and waits for more.
GARBAGE_ERRORS = {"gufo": MalformedResponse, "pysnmp": DeviceTimeout}


@pytest.mark.parametrize("kind", ["garbage_agent", "truncated_agent"])
@pytest.mark.parametrize("adapter", list(ADAPTERS))
async def test_garbage_is_reported_and_the_transport_still_works(
    agent: SnmpdAgent, adapter: str, kind: str
) -> None:
    transport: SnmpTransport = ADAPTERS[adapter]()
    try:
        with getattr(bad_agents, kind)() as bad:
            with pytest.raises(GARBAGE_ERRORS[adapter]):
                await transport.get(v2c_target(bad), [SYS_NAME])
            with pytest.raises(GARBAGE_ERRORS[adapter]):
                await transport.walk(v2c_target(bad), IF_TABLE)
        assert await transport.get(agent.v2c(), [SYS_NAME])
        assert await transport.walk(agent.v2c(), IF_TABLE)
    finally:
        await transport.close()


async def test_a_looping_agent_and_answers_to_other_questions_are_refused(
    transport: SnmpTransport,
) -> None:
    # It answers everything with ifIndex.1: a walk that never advances, a GET answered off-topic.
    with bad_agents.looping_agent(f"{IF_TABLE}.1.1.1") as looping:
        with pytest.raises(MalformedResponse) as caught:
            await transport.walk(v2c_target(looping), IF_TABLE)
        assert "not increasing" in caught.value.reason
        with pytest.raises(MalformedResponse):
            await transport.get(v2c_target(looping), [SYS_NAME])


async def test_an_error_status_is_reported_by_pysnmp_and_lost_by_gufo(
    gufo: GufoTransport, pysnmp: PysnmpTransport
) -> None:
    # gufo-snmp 0.13 never looks at error-status: the echoed NULL varbind reads as "no instance"
    # and as the end of the walk. Pinned here because callers must know (see its adapter).
    with bad_agents.error_status_agent() as failing:
        with pytest.raises(MalformedResponse) as caught:
            await pysnmp.get(v2c_target(failing), [SYS_NAME])
        assert caught.value.reason == f"the agent answered genErr at {SYS_NAME}"
        with pytest.raises(MalformedResponse):
            await pysnmp.walk(v2c_target(failing), IF_TABLE)
        assert await gufo.get(v2c_target(failing), [SYS_NAME]) == {}
        assert await gufo.walk(v2c_target(failing), IF_TABLE) == []


async def test_a_closed_port_is_unreachable(transport: SnmpTransport) -> None:
    # Nothing listens there: the kernel answers ICMP port-unreachable, which only gufo's
    # connected socket hears; pysnmp waits out its timeouts.
    target = SnmpTarget(fresh_address(), 16100, SnmpV2cCredential(community=SecretStr("x")), **FAST)
    with pytest.raises(DeviceUnreachable) as caught:
        await transport.get(target, [SYS_NAME])
    expected = DeviceTimeout if isinstance(transport, PysnmpTransport) else DeviceUnreachable
    assert type(caught.value) is expected


async def test_one_user_name_with_two_keys_works_on_two_agents_at_once(
    transport: SnmpTransport, tmp_path: Path
) -> None:
    users = [
        SnmpdUser("noc", AuthProtocol.SHA256, f"auth-key-{n}", PrivProtocol.AES128, f"priv-key-{n}")
        for n in (1, 2)
    ]
    agents = [
        start_snmpd(fresh_address(), 16100, tmp_path / f"a{n}", users=[user])
        for n, user in enumerate(users)
    ]
    try:
        targets = [a.v3(u.credential()) for a, u in zip(agents, users, strict=True)]
        results = await asyncio.gather(*(transport.walk(targets[n % 2], SYSTEM) for n in range(12)))
        assert all(results)
    finally:
        for running in agents:
            running.stop()


async def test_gufo_reuses_v3_sessions_and_resynchronises_idle_ones(agent: SnmpdAgent) -> None:
    now = [1000.0]
    gufo = GufoTransport(monotonic=lambda: now[0])
    target = agent.v3(DEFAULT_USERS[0].credential())
    packets = [(await counters(agent, IN_PKTS, UNKNOWN_ENGINE_IDS))]
    for advance in (0.0, 0.0, V3_RESYNC_AFTER_S + 1):
        now[0] += advance
        assert await gufo.get(target, [SYS_NAME])
        packets.append(await counters(agent, IN_PKTS, UNKNOWN_ENGINE_IDS))
    await gufo.close()
    # Each step also counts the observer's own read (1 packet).
    in_pkts = [b[0] - a[0] - 1 for a, b in itertools.pairwise(packets)]
    assert in_pkts == [3, 1, 2]  # discovery + time sync + GET; GET; time sync + GET
    assert packets[-1][1] - packets[0][1] == 1  # the engine ID was discovered once


async def restart_between_gets(
    transport: SnmpTransport, work_dir: Path, *, same_engine: bool
) -> dict[str, SnmpValue]:
    host = fresh_address()
    first = start_snmpd(host, 16100, work_dir)
    target = first.v3(DEFAULT_USERS[0].credential(), **FAST)
    try:
        assert await transport.get(target, [SYS_NAME])
    finally:
        first.stop()
    engine_id = first.engine_id if same_engine else None
    second = start_snmpd(host, 16100, work_dir, engine_id=engine_id)
    try:
        return await transport.get(target, [SYS_NAME])
    finally:
        second.stop()


async def test_a_rebooted_v3_agent_is_read_at_once(
    transport: SnmpTransport, tmp_path: Path
) -> None:
    # Same engine ID, engine boots + 1: a cached session's time is stale.
    assert await restart_between_gets(transport, tmp_path, same_engine=True)


async def test_gufo_reads_a_replaced_v3_agent_at_once(gufo: GufoTransport, tmp_path: Path) -> None:
    # A new engine ID at the same address. (pysnmp keeps a peer's engine ID for 300 s and times
    # out until then: documented in its adapter, not worked around.)
    assert await restart_between_gets(gufo, tmp_path, same_engine=False)


async def test_gufo_refuses_a_v3_context_and_names_pysnmp(gufo: GufoTransport) -> None:
    credential = SnmpV3Credential(
        user="noc", auth_protocol=AuthProtocol.SHA, auth_key=SecretStr("k" * 8), context="vlan-10"
    )
    with pytest.raises(DeviceAuthError) as caught:
        await gufo.get(SnmpTarget("127.0.0.1", 16100, credential), [SYS_NAME])
    assert "pysnmp" in caught.value.reason


RECORDING = SHARED / "snmprec" / "recordings" / "vrp_5720.snmprec"


@pytest.fixture(scope="module")
def snmpsim_vrp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpTarget]:
    work = tmp_path_factory.mktemp("snmpsim")
    data = work / "data"
    data.mkdir()
    shutil.copy(RECORDING, data / RECORDING.name)
    host = fresh_address()
    simulator = SnmpsimProcess(data, [(host, 16100)], work / "run")
    simulator.start()
    credential = SnmpV2cCredential(community=SecretStr(RECORDING.stem))
    yield SnmpTarget(host, 16100, credential, timeout_s=10, retries=1)
    simulator.stop()


@pytest.mark.parametrize(
    "root",
    [
        "1.3.6.1.2.1.2",  # IF-MIB interfaces
        "1.3.6.1.2.1.31",  # ifMIB
        "1.0.8802",  # LLDP-MIB
        "1.3.6.1.2.1.17.7.1.4.2",  # VLAN port bitmaps: answers beyond gufo's 4 KB buffer
    ],
)
async def test_snmpsim_serves_the_recording_as_the_fake_reads_it(
    snmpsim_vrp: SnmpTarget, gufo: GufoTransport, pysnmp: PysnmpTransport, root: str
) -> None:
    expected = [vb for vb in load_snmprec(RECORDING) if is_under(vb[0], root)]
    assert expected
    assert await gufo.walk(snmpsim_vrp, root) == expected
    assert await pysnmp.walk(snmpsim_vrp, root) == expected


async def test_a_get_beyond_snmpsims_64_varbinds_is_whole(
    snmpsim_vrp: SnmpTarget, gufo: GufoTransport, pysnmp: PysnmpTransport
) -> None:
    recording = dict(load_snmprec(RECORDING))
    descriptions = [oid for oid in recording if is_under(oid, "1.3.6.1.2.1.2.2.1.2")]
    assert len(descriptions) > 64
    expected = {oid: recording[oid] for oid in descriptions}
    assert await gufo.get(snmpsim_vrp, descriptions) == expected
    assert await pysnmp.get(snmpsim_vrp, descriptions) == expected


async def test_gufo_learns_an_agents_smaller_answers_from_empty_toobig_replies(
    gufo: GufoTransport,
) -> None:
    # An agent that says tooBig above 20 varbinds: gufo hides the error status (an empty answer),
    # so the transport halves its GETs until answers come, and keeps that size for the agent.
    wanted = [f"1.3.6.1.2.1.31.1.1.1.6.{index}" for index in range(1, 61)]
    with bad_agents.small_answer_agent(20) as small:
        first = await gufo.get(v2c_target(small), wanted)
        assert first == dict.fromkeys(wanted, 7)
        asked_first = len(small.received)
        second = await gufo.get(v2c_target(small), wanted)
        assert second == first
        # 60 OIDs in GETs of 15 (the learned size): 4 requests, none refused.
        assert len(small.received) - asked_first == 4
