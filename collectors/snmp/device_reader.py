"""The poller's reader: identity, health and interfaces of one device, as its profile says.

A full read identifies the device (and so picks its profile); later reads reuse the profile and
read only what changes, by GET of the instances the last full read found
(:mod:`collectors.snmp.counter_plan`). A device no profile recognises is still polled: its
interfaces and uptime come from the standard MIBs, CPU and memory from its platform's most general
profile.
"""

from __future__ import annotations

from collectors.snmp.counter_plan import CounterPlan
from collectors.snmp.identify import (
    health_columns,
    health_scalar_oids,
    read_health,
    read_identity,
)
from collectors.snmp.interfaces import InterfaceSnapshot, ReadScope, read_interfaces
from collectors.snmp.profiles import Profile, ProfileSet, default_profiles
from collectors.snmp.readings import DeviceReading, InterfaceSample, PollTarget
from collectors.snmp.transport import SnmpTransport, SnmpValue
from core.errors import ConfigError
from core.model import DeviceIdentity

DEFAULT_REPETITIONS = 25
MAX_REPETITIONS = 100


class ProfileDeviceReader:
    def __init__(self, profiles: ProfileSet | None = None) -> None:
        self._profiles = profiles or default_profiles()
        self._profile_of: dict[str, Profile | None] = {}
        self._interface_count: dict[str, int] = {}
        self._plans: dict[str, CounterPlan] = {}
        self._health_oids: dict[str, list[str]] = {}
        """Per device: the health scalars and the health table instances a walk found."""

    async def read(
        self, transport: SnmpTransport, target: PollTarget, *, full: bool
    ) -> DeviceReading:
        device_id = target.device_id
        identity: DeviceIdentity | None = None
        if full or device_id not in self._profile_of:
            identity = await read_identity(transport, target.snmp, self._profiles)
            self._profile_of[device_id] = self._profile(identity, target)
        profile = self._profile_of[device_id]
        plan = None if full else self._plans.get(device_id)
        interfaces = None
        prefetched: dict[str, SnmpValue] | None = None
        if plan is not None:
            health_oids = self._health_oids.get(device_id, [])
            values = await transport.get(target.snmp, [*plan.oids, *health_oids])
            prefetched = values
            # Most of the plan unanswered: the device changed (or its agent drops large GETs):
            # walk this time, and plan afresh from what the walk finds.
            answered = sum(1 for oid in plan.oids if oid in values)
            if answered * 2 >= len(plan.oids):
                interfaces = plan.samples(values)
        if interfaces is None:
            scope = ReadScope.DISCOVERY if full else ReadScope.COUNTERS
            table = self._profiles.interfaces
            snapshots = await read_interfaces(
                transport, target.snmp, scope, table, self._repetitions(device_id)
            )
            self._interface_count[device_id] = len(snapshots)
            self._plans[device_id] = CounterPlan.from_snapshots(snapshots, table)
            interfaces = tuple(_sample(s) for s in snapshots)
        cpu = memory = uptime = None
        if profile is not None:
            learned = prefetched is not None and device_id in self._health_oids
            if not learned:
                prefetched = await self._learn_health(transport, target, profile)
            health = await read_health(
                transport, target.snmp, profile, prefetched, walk=not learned
            )
            cpu, memory, uptime = health.cpu_percent, health.memory_percent, health.uptime_s
        return DeviceReading(
            identity=identity,
            uptime_s=uptime,
            cpu_percent=cpu,
            memory_percent=memory,
            interfaces=interfaces,
        )

    async def _learn_health(
        self, transport: SnmpTransport, target: PollTarget, profile: Profile
    ) -> dict[str, SnmpValue]:
        """Walk the health tables once, and remember their instances for GETs on later polls."""
        scalars = health_scalar_oids(profile)
        values = dict(await transport.get(target.snmp, scalars)) if scalars else {}
        instances: list[str] = []
        for column in health_columns(profile):
            rows = await transport.walk(target.snmp, column)
            values.update(rows)
            instances += [oid for oid, _ in rows]
        self._health_oids[target.device_id] = [*scalars, *instances]
        return values

    def _repetitions(self, device_id: str) -> int:
        """One answer per column when the device's size is known: its interface count plus the
        one row past the column that ends a walk; capped so an answer stays within a datagram
        gufo-snmp can read (about 30 bytes a counter, 4 KB at most)."""
        known = self._interface_count.get(device_id)
        if known is None:
            return DEFAULT_REPETITIONS
        return max(DEFAULT_REPETITIONS, min(known + 1, MAX_REPETITIONS))

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
        snapshot.if_index,
        admin_status=snapshot.observation.admin_status,
        oper_status=snapshot.observation.oper_status,
        observation=snapshot.observation,
        in_octets=counters.in_octets.value if counters.in_octets else None,
        out_octets=counters.out_octets.value if counters.out_octets else None,
        octets_width_bits=octets.width_bits if octets else 64,
        in_errors=counters.in_errors.value if counters.in_errors else None,
        out_errors=counters.out_errors.value if counters.out_errors else None,
    )
