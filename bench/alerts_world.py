"""The world the alert benchmark (bench/alerts.py) runs in: the lab's full province in a real
state DB polled once with everything up, and the 12,131 series its evaluation reads.

Loaded by bench/alerts.py (which keeps its folder off sys.path), not run alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alerts.service import AlertService
from alerts.service_factory import build_alert_service
from core.clock import Clock
from core.events import EventBus
from core.metrics import names
from core.metrics.sqlite_store import SqliteMetricStore
from core.metrics.store import LatestValue, Sample, SeriesKey
from core.model import DeviceRole, Inventory
from core.polling import DevicePollRecord, InterfaceReading
from core.settings import AlertSettings, RetentionSettings
from core.state.db import migrate_to_head, open_state_engine
from core.state.repository import StateRepository
from lab.divisions import default_divisions_path, load_divisions
from lab.model import Province
from lab.province import build_province
from topology.monitor import TopologyMonitor

FIRING_INTERFACES = 2000
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
CONFIG = """
receivers:
  - name: noc
    channels:
      - kind: webhook
        target: {url}
route:
  receiver: noc
  group_by: {group_by}
  group_wait: {group_wait}
  group_interval: 5m
  repeat_interval: 4h
"""


class World:
    """The full province in a migrated state DB, every device polled once, everything up."""

    def __init__(self, folder: Path, clock: Clock) -> None:
        self.province: Province = build_province(
            load_divisions(default_divisions_path()), size="full"
        )
        self.inventory: Inventory = self.province.to_inventory()
        self.clock = clock
        self.engine = open_state_engine(f"sqlite:///{folder / 'state.db'}")
        migrate_to_head(self.engine)
        self.state = StateRepository(self.engine)
        self.state.sync_inventory(self.inventory)
        self.metrics = SqliteMetricStore(folder / "metrics.db", RetentionSettings())
        self.bus = EventBus()
        self.state.record_polls([self.answer(d.id) for d in self.inventory.devices])
        self.monitor = TopologyMonitor(self.inventory, self.engine, self.state, clock, self.bus)
        self.monitor.refresh()

    def answer(self, device_id: str) -> DevicePollRecord:
        """A poll of ``device_id`` that answered with every interface up."""
        device = next(d for d in self.province.devices if d.id == device_id)
        readings = tuple(
            InterfaceReading(
                if_index=i.if_index,
                name=i.name,
                descr=i.descr,
                admin_status="up",
                oper_status="up",
                speed_bps=i.speed_bps,
            )
            for i in device.interfaces
        )
        return DevicePollRecord(
            device_id=device_id, at=self.clock.now(), reachable=True, interfaces=readings
        )

    def silence(self, device_id: str) -> DevicePollRecord:
        """A poll of ``device_id`` that got no answer."""
        return DevicePollRecord(
            device_id=device_id, at=self.clock.now(), reachable=False, error="bench: no answer"
        )

    def service(self, settings: AlertSettings, **extra: Any) -> AlertService:
        return build_alert_service(
            settings,
            inventory=self.inventory,
            db=self.engine,
            state=self.state,
            topology=self.monitor,
            metrics=self.metrics,
            clock=self.clock,
            bus=self.bus,
            **extra,
        )

    def close(self) -> None:
        self.metrics.close()
        self.engine.dispose()


def series(province: Province, at_s: float) -> list[Sample]:
    """12,131 series: 2,000 interfaces with input errors, everything else calm."""
    out: list[Sample] = []
    erring = FIRING_INTERFACES
    for device in province.devices:
        if device.role is DeviceRole.SERVER:
            continue
        own = (("device", device.id),)
        out.append(Sample(SeriesKey(names.DEVICE_CPU_PERCENT, own), at_s, 20.0))
        out.append(Sample(SeriesKey(names.DEVICE_MEMORY_PERCENT, own), at_s, 40.0))
        for i in device.interfaces:
            labels = (*own, ("if_index", str(i.if_index)), ("if_name", i.name))
            errors = 20.0 if erring > 0 else 0.0
            erring -= 1
            out.append(Sample(SeriesKey(names.INTERFACE_IN_BPS, labels), at_s, 1e6))
            out.append(Sample(SeriesKey(names.INTERFACE_OUT_BPS, labels), at_s, 2e6))
            out.append(Sample(SeriesKey(names.INTERFACE_IN_ERRORS_PER_S, labels), at_s, errors))
    return out


class InMemorySeries:
    """The newest point of every series, handed over from memory (restamped each cycle)."""

    def __init__(self, samples: Iterable[Sample]) -> None:
        self.by_name: dict[str, list[Sample]] = {}
        for sample in samples:
            self.by_name.setdefault(sample.key.name, []).append(sample)
        self.at_s = 0.0

    def latest(self, name: str, matchers: Mapping[str, str] | None = None) -> list[LatestValue]:
        return [LatestValue(s.key, self.at_s, s.value) for s in self.by_name.get(name, [])]
