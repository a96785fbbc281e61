"""The poller's reader: identity, health and interfaces of one device, as its profile says.

A full read identifies the device (and so picks its profile); later reads reuse the profile and
read only what changes. A device no profile recognises is still polled: its interfaces and uptime
come from the standard MIBs, and CPU and memory from its platform's most general profile.
"""

from __future__ import annotations

from collectors.snmp.identify import read_health, read_identity
from collectors.snmp.interfaces import InterfaceSnapshot, ReadScope, read_interfaces
from collectors.snmp.profiles import Profile, ProfileSet, default_profiles
from collectors.snmp.readings import DeviceReading, InterfaceSample, PollTarget
from collectors.snmp.transport import SnmpTransport
from core.errors import ConfigError
from core.model import DeviceIdentity


class ProfileDeviceReader:
    def __init__(self, profiles: ProfileSet | None = None) -> None:
        self._profiles = profiles or default_profiles()
        self._profile_of: dict[str, Profile | None] = {}

    async def read(
        self, transport: SnmpTransport, target: PollTarget, *, full: bool
    ) -> DeviceReading:
        identity: DeviceIdentity | None = None
        if full or target.device_id not in self._profile_of:
            identity = await read_identity(transport, target.snmp, self._profiles)
            self._profile_of[target.device_id] = self._profile(identity, target)
        profile = self._profile_of[target.device_id]
        scope = ReadScope.DISCOVERY if full else ReadScope.COUNTERS
        snapshots = await read_interfaces(transport, target.snmp, scope, self._profiles.interfaces)
        cpu = memory = uptime = None
        if profile is not None:
            health = await read_health(transport, target.snmp, profile)
            cpu, memory, uptime = health.cpu_percent, health.memory_percent, health.uptime_s
        return DeviceReading(
            identity=identity,
            uptime_s=uptime,
            cpu_percent=cpu,
            memory_percent=memory,
            interfaces=tuple(_sample(s) for s in snapshots),
        )

    def _profile(self, identity: DeviceIdentity, target: PollTarget) -> Profile | None:
        try:
            if identity.os is not None:
                return self._profiles.by_os(identity.os)
            return self._profiles.for_platform(target.platform)
        except ConfigError:
            return None


def _sample(snapshot: InterfaceSnapshot) -> InterfaceSample:
    counters = snapshot.counters
    octets = counters.in_octets or counters.out_octets
    return InterfaceSample(
        observation=snapshot.observation,
        in_octets=counters.in_octets.value if counters.in_octets else None,
        out_octets=counters.out_octets.value if counters.out_octets else None,
        octets_width_bits=octets.width_bits if octets else 64,
        in_errors=counters.in_errors.value if counters.in_errors else None,
        out_errors=counters.out_errors.value if counters.out_errors else None,
    )
