"""IF-MIB for one simulated device: ifTable (Counter32) and ifXTable (Counter64, names, aliases).

Every counter of an interface that is up grows at the interface's rate from a starting value that
looks like the device's uptime of traffic; the Counter32 columns wrap as real ones do (a busy
ten-gig port wraps ifInOctets in seconds), the Counter64 columns never do. Counters of interfaces
that are down stand still. Packet counters follow the octets at the interface's mean packet size.
"""

from __future__ import annotations

import random

from lab.model import LabDevice, LabInterface
from lab.seeded import seeded_rng
from lab.snmprec import (
    Record,
    counter32,
    counter64,
    gauge,
    integer,
    mac_octets,
    object_id,
    octets,
    timeticks,
)

IF_NUMBER = "1.3.6.1.2.1.2.1.0"
IF_ENTRY = "1.3.6.1.2.1.2.2.1"
IF_X_ENTRY = "1.3.6.1.2.1.31.1.1.1"
_UP, _DOWN = 1, 2
_MULTICAST_SHARE = 0.002
_BROADCAST_SHARE = 0.001


def interface_records(device: LabDevice) -> list[Record]:
    records = [integer(IF_NUMBER, len(device.interfaces))]
    for interface in device.interfaces:
        rng = seeded_rng(device.community, "if", interface.if_index)
        records += _interface(interface, device.uptime_s, rng)
    return records


def _interface(interface: LabInterface, uptime_s: int, rng: random.Random) -> list[Record]:
    i = interface.if_index
    running = interface.oper_up
    # How long the interface has carried its traffic: most of the device's uptime if it is up;
    # a port that is down may have carried a little once, or never.
    busy_s = uptime_s * rng.uniform(0.6, 1.0) if running else uptime_s * rng.uniform(0, 0.05)
    packet_bytes = rng.uniform(550, 1100)

    # A port that is down stands still, at what it once carried (a little, or nothing).
    in_rate = interface.in_bytes_per_s if running else 0.0
    out_rate = interface.out_bytes_per_s if running else 0.0
    in_history = in_rate if running else rng.uniform(0, 20_000)
    out_history = out_rate if running else rng.uniform(0, 20_000)
    in_octets = (int(in_history * busy_s), in_rate)
    out_octets = (int(out_history * busy_s), out_rate)
    in_pkts = (int(in_octets[0] / packet_bytes), in_octets[1] / packet_bytes)
    out_pkts = (int(out_octets[0] / packet_bytes), out_octets[1] / packet_bytes)
    in_multi, in_broad = _share(in_pkts, _MULTICAST_SHARE), _share(in_pkts, _BROADCAST_SHARE)
    out_multi, out_broad = _share(out_pkts, _MULTICAST_SHARE), _share(out_pkts, _BROADCAST_SHARE)
    in_ucast = _minus(in_pkts, in_multi, in_broad)
    out_ucast = _minus(out_pkts, out_multi, out_broad)
    errors = (int(interface.in_errors_per_s * busy_s), interface.in_errors_per_s)
    discards = (int(interface.in_discards_per_s * busy_s), interface.in_discards_per_s)
    last_change = int(uptime_s * 100 * rng.uniform(0.0, 0.5))
    oper = _UP if running else _DOWN
    physical = bool(interface.lldp)

    def e(column: int) -> str:
        return f"{IF_ENTRY}.{column}.{i}"

    def x(column: int) -> str:
        return f"{IF_X_ENTRY}.{column}.{i}"

    return [
        integer(e(1), i),
        octets(e(2), interface.descr),
        integer(e(3), interface.if_type),
        integer(e(4), interface.mtu),
        gauge(e(5), interface.speed_bps),
        mac_octets(e(6), interface.mac),
        integer(e(7), _UP if interface.admin_up else _DOWN),
        integer(e(8), oper),
        timeticks(e(9), last_change),
        counter32(e(10), *in_octets),
        counter32(e(11), *in_ucast),
        counter32(e(13), *discards),
        counter32(e(14), *errors),
        counter32(e(15), 0, 0),
        counter32(e(16), *out_octets),
        counter32(e(17), *out_ucast),
        counter32(e(19), 0, 0),
        counter32(e(20), 0, 0),
        gauge(e(21), 0),
        object_id(e(22), "0.0"),
        octets(x(1), interface.name),
        counter32(x(2), *in_multi),
        counter32(x(3), *in_broad),
        counter32(x(4), *out_multi),
        counter32(x(5), *out_broad),
        counter64(x(6), *in_octets),
        counter64(x(7), *in_ucast),
        counter64(x(8), *in_multi),
        counter64(x(9), *in_broad),
        counter64(x(10), *out_octets),
        counter64(x(11), *out_ucast),
        counter64(x(12), *out_multi),
        counter64(x(13), *out_broad),
        integer(x(14), 1 if physical else 2),
        gauge(x(15), interface.speed_bps // 1_000_000),
        integer(x(16), 2),
        integer(x(17), 1 if physical else 2),
        octets(x(18), interface.alias),
        timeticks(x(19), 0),
    ]


def _share(packets: tuple[int, float], share: float) -> tuple[int, float]:
    return int(packets[0] * share), packets[1] * share


def _minus(total: tuple[int, float], *parts: tuple[int, float]) -> tuple[int, float]:
    return total[0] - sum(p[0] for p in parts), total[1] - sum(p[1] for p in parts)
