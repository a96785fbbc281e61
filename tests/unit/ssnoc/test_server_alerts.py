"""How the server hands its alert service to the API and to the poller: the alert routes answer
from it, and a maintenance window that pauses collection keeps the poller off its devices."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from alerts.maintenance import MaintenanceWindow, OneOff
from alerts.service import AlertService
from api.deps import ApiServices
from core.clock import FakeClock
from core.settings import AlertSettings, Settings
from ssnoc.server import build_api, collection_pause
from ssnoc.wiring import Noc, build_alert_service, build_topology_monitor, open_noc
from tests.unit.topology.networks import GZ_CORE, LIWAN, LIWAN_ACC, TOY
from tests.unit.topology.toy_state import T0

HOUR = timedelta(hours=1)


@pytest.fixture
def noc(tmp_path: Path) -> Iterator[Noc]:
    noc = open_noc(Settings(data_dir=tmp_path, alerts=AlertSettings()), FakeClock(T0))
    noc.state.sync_inventory(TOY)
    yield noc
    noc.close()


@pytest.fixture
def alerts(noc: Noc) -> AlertService:
    service = build_alert_service(noc, TOY, build_topology_monitor(noc, TOY))
    assert service is not None
    return service


def test_the_api_serves_the_alert_service(noc: Noc, alerts: AlertService) -> None:
    services = build_api(noc, alerts=alerts).state.services
    assert isinstance(services, ApiServices)
    assert services.alerts is alerts
    assert build_api(noc).state.services.alerts is None


def test_an_open_window_that_pauses_collection_pauses_the_poller(
    noc: Noc, alerts: AlertService
) -> None:
    paused = collection_pause(alerts)
    assert paused is not None
    alerts.add_maintenance_window(
        MaintenanceWindow(
            id="liwan-switch",
            schedule=OneOff(T0 + HOUR, T0 + 2 * HOUR),
            regions=frozenset({LIWAN}),
            pause_collection=True,
        )
    )
    clock = noc.clock
    assert isinstance(clock, FakeClock)
    assert not paused(LIWAN_ACC, LIWAN, clock.now())
    clock.advance(HOUR.total_seconds())
    assert paused(LIWAN_ACC, LIWAN, clock.now())
    assert not paused(GZ_CORE, "440100", clock.now())
    clock.advance(HOUR.total_seconds())
    assert not paused(LIWAN_ACC, LIWAN, clock.now())


def test_without_alerts_every_device_is_polled() -> None:
    assert collection_pause(None) is None
