"""The one SNMP I/O seam.

Everything above this module speaks :class:`SnmpTransport`; only the adapters import an SNMP
library (gufo-snmp for the polling hot path, pysnmp 7 for the rest). Values cross the seam as plain
Python values, the same whichever adapter fetched them:

=====================  ===================================================
SNMP type              Python value
=====================  ===================================================
INTEGER, Counter32/64,  ``int``
Gauge32, TimeTicks
OCTET STRING, Opaque    ``bytes``
OBJECT IDENTIFIER       ``str`` — dotted, no leading dot (``"1.3.6.1.4.1.2011"``)
IpAddress               ``str`` — dotted quad
=====================  ===================================================

gufo-snmp cannot tell counters from gauges, so neither does the seam: profiles say which OIDs are
counters. Missing instances (noSuchObject, noSuchInstance, endOfMibView) are simply absent from
results. Errors are translated here into :mod:`core.errors`: ``DeviceTimeout``,
``DeviceAuthError`` and ``MalformedResponse``, each carrying the target.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from core.credentials import SnmpV2cCredential, SnmpV3Credential

SnmpValue = int | bytes | str
"""A value as it crosses the seam (see the table above)."""

VarBind = tuple[str, SnmpValue]
"""An OID (dotted, no leading dot) and its value."""


@dataclass(frozen=True, slots=True)
class SnmpTarget:
    """One agent and how to talk to it."""

    host: str
    port: int
    credential: SnmpV2cCredential | SnmpV3Credential
    timeout_s: float = 2.0
    retries: int = 1
    name: str | None = None
    """The device id, used in error messages; ``host:port`` when there is none."""

    @property
    def label(self) -> str:
        return self.name or f"{self.host}:{self.port}"


class SnmpTransport(Protocol):
    """Gets and walks against SNMP agents."""

    async def get(self, target: SnmpTarget, oids: Sequence[str]) -> dict[str, SnmpValue]:
        """The values of ``oids`` (dotted, no leading dot); instances the agent lacks are absent."""
        ...

    async def walk(self, target: SnmpTarget, root: str, max_repetitions: int = 25) -> list[VarBind]:
        """Every varbind under ``root`` in OID order, by GETBULK (GETNEXT on SNMPv1)."""
        ...

    async def close(self) -> None:
        """Release sockets and engines."""
        ...


def normalise_oid(oid: str) -> str:
    """``.1.3.6.1`` → ``1.3.6.1``; rejects anything that is not a dotted numeric OID."""
    text = oid.strip().lstrip(".")
    parts = text.split(".")
    if len(parts) < 2 or not all(part.isdigit() for part in parts):
        raise ValueError(f"not a numeric OID: {oid!r}")
    return text


def oid_key(oid: str) -> tuple[int, ...]:
    """A sort key that orders OIDs as agents do (numerically, sub-identifier by sub-identifier)."""
    return tuple(int(part) for part in oid.split("."))


def is_under(oid: str, root: str) -> bool:
    """True when ``oid`` lies strictly below ``root``."""
    return oid.startswith(root + ".")
