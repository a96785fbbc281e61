"""What the SNMP poller makes of one device's reading: its poll record and its samples.

Counters become rates here (through the poller's :class:`RateCalculator`), and each interface's
names, type and speed from the last full read fill in the polls in between, which read only what
changes. The poller itself (collectors/snmp/poller.py) decides when to read and where results go.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from collectors.snmp.rates import RateCalculator
from collectors.snmp.readings import DeviceReading, InterfaceSample, PollTarget
from core.metrics import names
from core.metrics.store import Sample, SeriesKey
from core.model import InterfaceObservation
from core.polling import DevicePollRecord, InterfaceReading


@dataclass(frozen=True, slots=True)
class KnownInterface:
    """What a full read said of one interface, with the keys its figures are stored under."""

    observation: InterfaceObservation
    fields: dict[str, Any]
    speed_octets: float | None
    series_keys: tuple[SeriesKey, ...]
    rate_keys: tuple[tuple[str, int, str], ...]

    @classmethod
    def of(cls, device_id: str, observation: InterfaceObservation) -> KnownInterface:
        """The interface ``observation`` of ``device_id``, its keys computed once."""
        index = observation.if_index
        labels = (
            ("device", device_id),
            ("if_index", str(index)),
            ("if_name", observation.name or observation.descr or str(index)),
        )
        return cls(
            observation=observation,
            fields=dict(observation),
            speed_octets=observation.speed_bps / 8 if observation.speed_bps else None,
            series_keys=tuple(SeriesKey(name, labels) for name in INTERFACE_SERIES),
            rate_keys=tuple(
                (device_id, index, counter)
                for counter in ("in_octets", "out_octets", "in_errors", "out_errors")
            ),
        )


INTERFACE_SERIES = (
    names.INTERFACE_IN_BPS,
    names.INTERFACE_OUT_BPS,
    names.INTERFACE_IN_ERRORS_PER_S,
    names.INTERFACE_OUT_ERRORS_PER_S,
    names.INTERFACE_OPER_UP,
)
"""The series every interface's poll feeds, in the order of :attr:`KnownInterface.series_keys`."""


def device_samples(target: PollTarget, record: DevicePollRecord) -> list[Sample]:
    """The device-wide samples of ``record`` (up, CPU, memory, uptime, poll duration)."""
    labels = (("device", target.device_id), ("region", target.region))
    at_s = record.at.timestamp()
    values = (
        (names.DEVICE_UP, 1.0 if record.reachable else 0.0),
        (names.DEVICE_CPU_PERCENT, record.cpu_percent),
        (names.DEVICE_MEMORY_PERCENT, record.memory_percent),
        (names.DEVICE_UPTIME_S, record.uptime_s),
        (names.DEVICE_POLL_DURATION_S, record.duration_s),
    )
    return [
        Sample(SeriesKey(name, labels), at_s, float(value))
        for name, value in values
        if value is not None
    ]


class PollRecordBuilder:
    """Turns a device's answered reading into its poll record and samples."""

    def __init__(self, rates: RateCalculator) -> None:
        """``rates`` keeps each counter's previous reading; the poller forgets a device's when it
        drops or pauses it."""
        self._rates = rates

    def build(
        self,
        target: PollTarget,
        known_interfaces: dict[int, KnownInterface],
        reading: DeviceReading,
        at: datetime,
        duration_s: float,
        full: bool,
    ) -> tuple[DevicePollRecord, list[Sample]]:
        """The record and samples of ``reading``, taken at ``at``. ``known_interfaces`` is what
        the device's full reads said of its interfaces: replaced in place by a ``full`` read,
        added to when an interface appears in between."""
        at_s = at.timestamp()
        interfaces: tuple[InterfaceReading, ...] | None = None
        samples: list[Sample] = []
        if reading.interfaces is not None:
            if full:
                known_interfaces.clear()
                known_interfaces.update(
                    (s.if_index, KnownInterface.of(target.device_id, s.observation))
                    for s in reading.interfaces
                    if s.observation is not None
                )
            interfaces = tuple(
                self._interface_reading(
                    target, known_interfaces, s, at_s, reading.uptime_s, samples
                )
                for s in reading.interfaces
            )
        record = DevicePollRecord(
            device_id=target.device_id,
            at=at,
            reachable=True,
            identity=reading.identity,
            uptime_s=reading.uptime_s,
            cpu_percent=reading.cpu_percent,
            memory_percent=reading.memory_percent,
            interfaces=interfaces,
            duration_s=duration_s,
        )
        samples.extend(device_samples(target, record))
        return record, samples

    def _interface_reading(
        self,
        target: PollTarget,
        known_interfaces: dict[int, KnownInterface],
        sample: InterfaceSample,
        at_s: float,
        uptime_s: float | None,
        out: list[Sample],
    ) -> InterfaceReading:
        # This runs for every interface of every poll: series keys, rate keys and the fields
        # from the last full read are computed once per interface and reused.
        known = known_interfaces.get(sample.if_index)
        if known is None:  # appeared since the last full read: learn what we can of it
            observation = sample.observation or InterfaceObservation(if_index=sample.if_index)
            known = KnownInterface.of(target.device_id, observation)
            known_interfaces[sample.if_index] = known
        fields = known.fields
        admin = sample.admin_status or fields["admin_status"]
        oper = sample.oper_status or fields["oper_status"]
        rate_of = self._rates.rate_of
        in_key, out_key, in_err_key, out_err_key = known.rate_keys
        width = sample.octets_width_bits
        limit = known.speed_octets
        in_bps = out_bps = in_errors = out_errors = None
        if sample.in_octets is not None:
            octets = rate_of(in_key, sample.in_octets, width, at_s, uptime_s, limit)
            in_bps = None if octets is None else octets * 8
        if sample.out_octets is not None:
            octets = rate_of(out_key, sample.out_octets, width, at_s, uptime_s, limit)
            out_bps = None if octets is None else octets * 8
        if sample.in_errors is not None:
            in_errors = rate_of(in_err_key, sample.in_errors, 32, at_s, uptime_s)
        if sample.out_errors is not None:
            out_errors = rate_of(out_err_key, sample.out_errors, 32, at_s, uptime_s)
        oper_up = 1.0 if oper == "up" else 0.0
        for key, value in zip(
            known.series_keys, (in_bps, out_bps, in_errors, out_errors, oper_up), strict=True
        ):
            if value is not None:
                out.append(Sample(key, at_s, value))
        return InterfaceReading(
            sample.if_index,
            fields["name"],
            fields["descr"],
            fields["alias"],
            fields["if_type"],
            fields["speed_bps"],
            admin,
            oper,
            in_bps=in_bps,
            out_bps=out_bps,
            in_errors_per_s=in_errors,
            out_errors_per_s=out_errors,
        )
