"""What reading one device over SNMP yields, before rates: the poller's input.

A :class:`DeviceReader` knows which OIDs a platform needs (from the profiles); the poller knows
nothing of OIDs and turns readings into rates, records and samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from collectors.snmp.transport import SnmpTarget, SnmpTransport
from core.model import DeviceIdentity, InterfaceObservation, Platform


@dataclass(frozen=True, slots=True)
class PollTarget:
    """A device as the poller sees it."""

    device_id: str
    region: str
    platform: Platform
    snmp: SnmpTarget
    interval_s: float


@dataclass(frozen=True, slots=True)
class InterfaceSample:
    """One interface's state and raw counters at one read."""

    if_index: int
    admin_status: str | None = None
    oper_status: str | None = None
    observation: InterfaceObservation | None = None
    """Names, type and speed: read on full reads only."""
    in_octets: int | None = None
    out_octets: int | None = None
    octets_width_bits: int = 64
    """64 when the HC counters were read, 32 when only ifInOctets/ifOutOctets exist."""
    in_errors: int | None = None
    out_errors: int | None = None


@dataclass(frozen=True, slots=True)
class DeviceReading:
    identity: DeviceIdentity | None = None
    """Read on a full poll only."""
    uptime_s: float | None = None
    cpu_percent: float | None = None
    memory_percent: float | None = None
    interfaces: tuple[InterfaceSample, ...] | None = None


class DeviceReader(Protocol):
    """Reads one device; raises :class:`core.errors.DeviceError` subclasses on failure."""

    async def read(
        self, transport: SnmpTransport, target: PollTarget, *, full: bool
    ) -> DeviceReading:
        """``full`` also reads identity and interface names, types and aliases; otherwise only
        what changes between polls (statuses, counters, health)."""
        ...
