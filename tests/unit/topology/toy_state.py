"""The toy province (:mod:`tests.unit.topology.networks`) in a real SQLite state DB, polled by hand.

:class:`ToyState` records polls the way the collectors do (``StateRepository.record_polls``):
every device answers with every link-end interface up, except the devices and interfaces a test
says are down. The topology monitor then reads the state back like it does in the server.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from core.clock import FakeClock
from core.events import Event, EventBus
from core.model import Inventory
from core.polling import DevicePollRecord, InterfaceReading
from core.state.db import migrate_to_head, open_state_engine
from core.state.repository import StateRepository
from tests.unit.topology.networks import TOY
from topology.monitor import TopologyMonitor

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


class ToyState:
    """A migrated state DB holding ``inventory``, a fake clock, a bus that keeps every event."""

    def __init__(self, tmp_path: Path, inventory: Inventory = TOY) -> None:
        self.inventory = inventory
        self.engine: Engine = open_state_engine(f"sqlite:///{tmp_path / 'state.db'}")
        migrate_to_head(self.engine)
        self.state = StateRepository(self.engine)
        self.state.sync_inventory(inventory)
        self.clock = FakeClock(T0)
        self.bus = EventBus()
        self.events: list[Event] = []
        self.bus.subscribe(Event, self.events.append)

    def monitor(
        self,
        *,
        max_age_s: float | None = None,
        terminals_per_county: Mapping[str, int] | None = None,
    ) -> TopologyMonitor:
        return TopologyMonitor(
            self.inventory,
            self.engine,
            self.state,
            self.clock,
            self.bus,
            max_age_s=max_age_s,
            terminals_per_county=terminals_per_county,
        )

    def poll(
        self,
        down_devices: Collection[str] = (),
        down_interfaces: Collection[tuple[str, str]] = (),
    ) -> None:
        """Every device polled now: ``down_devices`` do not answer; the (device, interface)
        pairs of ``down_interfaces`` report oper status down; every other link end is up."""
        ports: dict[str, list[str]] = {d.id: [] for d in self.inventory.devices}
        for link in self.inventory.links:
            for end in (link.a, link.b):
                ports[end.device].append(end.interface)
        records = []
        for device_id, names in ports.items():
            if device_id in down_devices:
                records.append(
                    DevicePollRecord(
                        device_id=device_id, at=self.clock.now(), reachable=False, error="timeout"
                    )
                )
                continue
            readings = tuple(
                InterfaceReading(
                    if_index=n,
                    name=name,
                    descr=name,
                    admin_status="up",
                    oper_status="down" if (device_id, name) in down_interfaces else "up",
                    speed_bps=1_000_000_000,
                    in_bps=1e6,
                    out_bps=2e6,
                )
                for n, name in enumerate(names, start=1)
            )
            records.append(
                DevicePollRecord(
                    device_id=device_id, at=self.clock.now(), reachable=True, interfaces=readings
                )
            )
        self.state.record_polls(records)

    def end_of(self, link_id: str, device_id: str) -> tuple[str, str]:
        """(device, interface) of ``link_id``'s end on ``device_id``."""
        link = next(lk for lk in self.inventory.links if lk.id == link_id)
        end = link.a if link.a.device == device_id else link.b
        return end.device, end.interface

    def close(self) -> None:
        self.engine.dispose()
