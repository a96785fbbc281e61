"""The alert pipeline's silences, maintenance windows and restarts, as timelines on the toy
province (the world of test_service.py): what is muted tells nobody and pages nobody, its start
and end are announced, and a restarted service carries on where the last one stopped."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from alerts.maintenance import MaintenanceWindow, OneOff
from alerts.model import AlertStatus
from alerts.notify.message import NotifyReason
from alerts.silences import SilenceState
from tests.unit.alerts.test_service import World, headline
from tests.unit.topology.networks import FS_CORE, LIWAN_ACC
from tests.unit.topology.toy_state import T0

HOUR = timedelta(hours=1)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    world = World(tmp_path)
    yield world
    world.toy.close()


async def test_a_silence_mutes_until_it_is_expired(world: World) -> None:
    await world.run_until(10)
    silence = world.service.create_silence(
        '{county="440103"}', created_by="wang", comment="fibre work", ends_at=T0 + HOUR
    )
    world.fail_link("gz-liwan-primary")
    await world.run_until(300)
    assert world.alert("county-link-down", link="gz-liwan-primary") is AlertStatus.FIRING
    assert world.sent("noc") == []
    assert world.service.pages() == []
    (start,) = world.sent("noc", notices=True)
    assert start[0] == 20.0
    assert start[1].headline.summary == (
        'Silence {county="440103"} started by wang until 2026-03-02T09:00:00+00:00: fibre work'
    )

    ended = world.service.expire_silence(silence.id, by="li")
    assert ended.end_reason == "expired by li"
    await world.run_until(400)
    assert [(at, headline(m), m.reason) for at, m in world.sent("noc")] == [
        (350.0, ("county-link-down", LIWAN_ACC), NotifyReason.NEW)
    ]
    notices = world.sent("noc", notices=True)
    assert [(at, m.reason) for at, m in notices] == [
        (20.0, NotifyReason.NEW),
        (310.0, NotifyReason.RESOLVED),
    ]
    assert [p.user for p in world.service.pages()] == ["wang"]


async def test_a_maintenance_window_mutes_what_it_covers(world: World) -> None:
    await world.run_until(10)
    window = MaintenanceWindow(
        id="liwan-fibre",
        schedule=OneOff(T0, T0 + HOUR),
        regions=frozenset({"440103"}),
        created_by="li",
        comment="fibre splice",
    )
    world.service.add_maintenance_window(window)
    world.fail_link("gz-liwan-primary")
    await world.run_until(300)
    assert world.alert("site-on-backup", site="gz-liwan") is AlertStatus.FIRING
    assert world.sent("noc") == []
    assert world.service.pages() == []
    ((at, notice),) = world.sent("noc", notices=True)
    assert at == 20.0
    assert notice.headline.labels["region"] == "440103"
    assert notice.headline.labels["city"] == "440100"

    world.service.remove_maintenance_window("liwan-fibre", by="li")
    await world.run_until(400)
    assert [(at, m.reason) for at, m in world.sent("noc")] == [(350.0, NotifyReason.NEW)]
    assert world.service.maintenance_windows() == []


async def test_an_until_resolved_silence_ends_with_its_alerts_and_stays_ended(
    world: World,
) -> None:
    await world.run_until(10)
    silence = world.service.create_silence(
        '{link="gz-liwan-primary"}',
        created_by="wang",
        comment="known",
        ends_at=None,
        until_resolved=True,
    )
    world.fail_link("gz-liwan-primary")
    await world.run_until(200)
    world.recover()
    await world.run_until(300)
    (ended,) = world.service.silences(SilenceState.EXPIRED)
    assert (ended.id, ended.end_reason) == (silence.id, "the alerts it silenced resolved")

    world.restart()
    (kept,) = world.service.silences()
    assert kept.state(world.clock.now()) is SilenceState.EXPIRED


async def test_a_restarted_service_carries_on_with_the_same_alerts_and_silences(
    world: World,
) -> None:
    await world.run_until(10)
    world.fail_link("gz-liwan-primary")
    await world.run_until(200)
    assert [(at, m.reason) for at, m in world.sent("noc")] == [(110.0, NotifyReason.NEW)]
    (cause,) = world.service.alerts(labels={"alertname": "county-link-down"})
    world.service.acknowledge(cause.fingerprint, by="wang", note="splicing", expires_at=None)
    silence = world.service.create_silence(
        f'{{device="{FS_CORE}"}}', created_by="li", comment="rebooting", ends_at=T0 + HOUR
    )

    world.restart()
    restored = world.service.alert(cause.fingerprint).alert
    assert restored.status is AlertStatus.FIRING
    assert restored.acknowledgement is not None
    assert restored.acknowledgement.by == "wang"
    assert len(restored.consequences) == 1  # the site on its backup link, still folded
    assert [s.id for s in world.service.silences(SilenceState.ACTIVE)] == [silence.id]

    await world.run_until(400)
    assert world.sent("noc") == []  # told before the restart: not told again
    assert world.sent("noc", notices=True) == []  # the silence was announced before, too

    world.recover()
    await world.run_until(500)
    assert [(at, m.reason) for at, m in world.sent("noc")] == [(450.0, NotifyReason.RESOLVED)]
    kinds = [t.kind.value for t in world.service.alert(cause.fingerprint).history]
    assert kinds[:2] == ["pending", "fired"]
    assert kinds.index("acknowledged") < kinds.index("resolved")


async def test_without_an_alerting_configuration_alerts_are_kept_and_nobody_is_told(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="alerts.service")
    world = World(tmp_path, config=None)
    try:
        await world.run_until(10)
        world.fail_link("gz-liwan-primary")
        await world.run_until(200)
        assert world.alert("county-link-down", link="gz-liwan-primary") is AlertStatus.FIRING
        assert world.channels == {}
        assert not world.service.notifying
        assert await world.service.deliveries() == []
        warnings = [r.getMessage() for r in caplog.records if r.name == "alerts.service"]
        assert len(warnings) == 1
        assert "nobody is notified" in warnings[0]
    finally:
        world.toy.close()


async def test_housekeeping_prunes_what_ended_beyond_the_retention(world: World) -> None:
    await world.run_until(10)
    world.service.create_silence(
        f'{{device="{FS_CORE}"}}', created_by="li", comment="rebooting", ends_at=T0 + HOUR
    )
    world.fail_link("gz-liwan-primary")
    await world.run_until(200)
    world.recover()
    await world.run_until(300)
    (gone,) = world.service.alerts(labels={"alertname": "county-link-down"})
    assert gone.status is AlertStatus.RESOLVED
    assert len(await world.service.deliveries()) == 4  # silence notice, alert, page, resolved

    await world.service.housekeep(world.clock.now() + timedelta(days=29))
    assert len(world.service.silences()) == 1
    assert world.service.alert(gone.fingerprint).history != ()

    await world.service.housekeep(world.clock.now() + timedelta(days=31))
    assert world.service.silences() == []
    assert world.service.alert(gone.fingerprint).history == ()
    assert await world.service.deliveries() == []
