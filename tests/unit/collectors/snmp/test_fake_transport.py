"""The shipped fake behaves as the real adapters do: missing instances absent, walks in numeric
order that stop at the end of the subtree, silence for unknown agents and wrong communities."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from collectors.snmp.fake_transport import FakeTransport, RecordedAgent
from collectors.snmp.snmprec import load_snmprec
from collectors.snmp.transport import SnmpTarget, VarBind, is_under
from core.credentials import AuthProtocol, SnmpV2cCredential, SnmpV3Credential
from core.errors import DeviceAuthError, DeviceTimeout

HOST, PORT = "127.0.0.1", 161
SYSTEM = "1.3.6.1.2.1.1"
IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
VARBINDS: list[VarBind] = [
    (f"{SYSTEM}.1.0", b"Huawei VRP"),
    (f"{SYSTEM}.2.0", "1.3.6.1.4.1.2011.2.23.291"),
    (f"{SYSTEM}.3.0", 4200),
    (f"{IF_DESCR}.10", b"GE0/0/10"),
    (f"{IF_DESCR}.2", b"GE0/0/2"),
    (f"{IF_DESCR}.1", b"GE0/0/1"),
    ("1.3.6.1.2.1.2.2.1.3.1", 6),
    # Shares the text prefix "1.3.6.1.2.1.1" with the system group but is not under it.
    ("1.3.6.1.2.1.10.7.2.1.1.1", 1),
    ("1.3.6.1.2.1.11.1.0", 99),
]


def target(community: str = "public", *, host: str = HOST, name: str | None = None) -> SnmpTarget:
    return SnmpTarget(host, PORT, SnmpV2cCredential(community=SecretStr(community)), name=name)


@pytest.fixture
def agent() -> RecordedAgent:
    return RecordedAgent(VARBINDS, community="public")


@pytest.fixture
def fake(agent: RecordedAgent) -> FakeTransport:
    transport = FakeTransport()
    transport.add(HOST, PORT, agent)
    return transport


async def test_a_walk_is_the_subtree_in_numeric_order(fake: FakeTransport) -> None:
    assert await fake.walk(target(), IF_DESCR) == [
        (f"{IF_DESCR}.1", b"GE0/0/1"),
        (f"{IF_DESCR}.2", b"GE0/0/2"),
        (f"{IF_DESCR}.10", b"GE0/0/10"),
    ]


async def test_a_walk_stops_at_the_end_of_the_subtree_not_at_a_text_prefix(
    fake: FakeTransport,
) -> None:
    walked = await fake.walk(target(), SYSTEM)
    assert [oid for oid, _ in walked] == [f"{SYSTEM}.1.0", f"{SYSTEM}.2.0", f"{SYSTEM}.3.0"]


async def test_a_walk_of_a_leaf_or_of_nothing_is_empty(fake: FakeTransport) -> None:
    assert await fake.walk(target(), f"{SYSTEM}.1.0") == []
    assert await fake.walk(target(), "1.3.6.1.4.1.9") == []


async def test_a_get_leaves_missing_instances_out(fake: FakeTransport) -> None:
    got = await fake.get(target(), [f"{SYSTEM}.3.0", f"{SYSTEM}.99.0", f"{SYSTEM}.1.0"])
    assert got == {f"{SYSTEM}.3.0": 4200, f"{SYSTEM}.1.0": b"Huawei VRP"}


async def test_an_unknown_address_is_silent_and_named(fake: FakeTransport) -> None:
    with pytest.raises(DeviceTimeout) as caught:
        await fake.get(target(host="127.0.0.2", name="gz-core-1"), [f"{SYSTEM}.1.0"])
    assert caught.value.target == "gz-core-1"
    assert "2 s" in caught.value.reason


async def test_a_wrong_community_is_silence_as_on_a_real_agent(
    fake: FakeTransport, agent: RecordedAgent
) -> None:
    with pytest.raises(DeviceTimeout):
        await fake.walk(target("private"), SYSTEM)
    v3 = SnmpV3Credential(user="noc", auth_protocol=AuthProtocol.SHA, auth_key=SecretStr("k" * 8))
    with pytest.raises(DeviceTimeout):
        await fake.get(SnmpTarget(HOST, PORT, v3), [f"{SYSTEM}.1.0"])
    assert agent.requests == 0


async def test_an_agent_without_community_answers_any(fake: FakeTransport) -> None:
    fake.add("127.0.0.3", PORT, RecordedAgent(VARBINDS))
    got = await fake.get(target("anything", host="127.0.0.3"), [f"{SYSTEM}.3.0"])
    assert got == {f"{SYSTEM}.3.0": 4200}


async def test_an_injected_failure_is_raised(fake: FakeTransport, agent: RecordedAgent) -> None:
    agent.failure = DeviceAuthError("gz-core-1", "unknown user")
    with pytest.raises(DeviceAuthError):
        await fake.walk(target(), SYSTEM)


async def test_values_can_change_and_new_oids_take_their_place(
    fake: FakeTransport, agent: RecordedAgent
) -> None:
    agent.set(f"{SYSTEM}.3.0", 4300)
    agent.set(f"{IF_DESCR}.3", b"GE0/0/3")
    assert (await fake.get(target(), [f"{SYSTEM}.3.0"]))[f"{SYSTEM}.3.0"] == 4300
    walked = await fake.walk(target(), IF_DESCR)
    assert [oid for oid, _ in walked] == [f"{IF_DESCR}.{i}" for i in (1, 2, 3, 10)]


async def test_an_oid_given_twice_is_served_once_with_the_last_value() -> None:
    twice = RecordedAgent([("1.3.6.1.2.1.1.5.0", b"a"), ("1.3.6.1.2.1.1.5.0", b"b")])
    fake = FakeTransport({f"{HOST}:{PORT}": twice})
    assert await fake.walk(target(), SYSTEM) == [("1.3.6.1.2.1.1.5.0", b"b")]


async def test_requests_are_counted_and_close_is_remembered(
    fake: FakeTransport, agent: RecordedAgent
) -> None:
    await fake.get(target(), [f"{SYSTEM}.1.0"])
    await fake.walk(target(), SYSTEM)
    assert agent.requests == 2
    await fake.close()
    assert fake.closed


async def test_walking_a_recording_gives_its_subtrees(shared_dir: Path) -> None:
    recording = load_snmprec(shared_dir / "snmprec" / "recordings" / "vrp_5720.snmprec")
    fake = FakeTransport({f"{HOST}:{PORT}": RecordedAgent(recording)})
    for root in ("1.3.6.1.2.1.2", "1.3.6.1.2.1.31.1.1.1.1", "1.0.8802"):
        expected = [vb for vb in recording if is_under(vb[0], root)]
        assert expected, root
        assert await fake.walk(target(), root) == expected
