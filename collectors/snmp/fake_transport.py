"""A transport that serves recorded agents from memory: the seam's shipped fake.

Unit tests and offline tools give it varbind lists (from ``.snmprec`` files or built by hand) per
``host:port``; an address with no agent behaves like a silent device (``DeviceTimeout``), and an
agent can be told to fail in a given way. It implements GETBULK-walk semantics exactly (stop at
the end of the subtree), so code tested against it behaves the same against a real agent.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from collectors.snmp.transport import SnmpTarget, SnmpValue, VarBind, is_under, oid_key
from core.errors import DeviceError, DeviceTimeout


class RecordedAgent:
    """One agent's data, sorted for GETNEXT."""

    def __init__(self, varbinds: Sequence[VarBind], community: str | None = None) -> None:
        self.values: dict[str, SnmpValue] = dict(varbinds)  # an OID given twice: the last wins
        self.oids = sorted(self.values, key=oid_key)
        self.keys = [oid_key(oid) for oid in self.oids]
        self.community = community
        self.failure: DeviceError | None = None
        self.requests = 0

    def set(self, oid: str, value: SnmpValue) -> None:
        """Change or add one value (tests make counters grow this way)."""
        if oid not in self.values:
            position = bisect.bisect_left(self.keys, oid_key(oid))
            self.oids.insert(position, oid)
            self.keys.insert(position, oid_key(oid))
        self.values[oid] = value


class FakeTransport:
    """Serves :class:`RecordedAgent` objects by ``host:port``."""

    def __init__(self, agents: dict[str, RecordedAgent] | None = None) -> None:
        self.agents: dict[str, RecordedAgent] = dict(agents or {})
        self.closed = False

    def add(self, host: str, port: int, agent: RecordedAgent) -> None:
        self.agents[f"{host}:{port}"] = agent

    def _agent(self, target: SnmpTarget) -> RecordedAgent:
        agent = self.agents.get(f"{target.host}:{target.port}")
        if agent is None:
            raise DeviceTimeout(target.label, f"no answer within {target.timeout_s:g} s")
        community = getattr(target.credential, "community", None)
        if agent.community is not None and (
            community is None or community.get_secret_value() != agent.community
        ):
            # A real v2c agent drops requests with a wrong community: it looks like silence.
            raise DeviceTimeout(target.label, f"no answer within {target.timeout_s:g} s")
        if agent.failure is not None:
            raise agent.failure
        agent.requests += 1
        return agent

    async def get(self, target: SnmpTarget, oids: Sequence[str]) -> dict[str, SnmpValue]:
        agent = self._agent(target)
        return {oid: agent.values[oid] for oid in oids if oid in agent.values}

    async def walk(self, target: SnmpTarget, root: str, max_repetitions: int = 25) -> list[VarBind]:
        agent = self._agent(target)
        start = bisect.bisect_right(agent.keys, oid_key(root))
        result: list[VarBind] = []
        for oid in agent.oids[start:]:
            if not is_under(oid, root):
                break
            result.append((oid, agent.values[oid]))
        return result

    async def close(self) -> None:
        self.closed = True
