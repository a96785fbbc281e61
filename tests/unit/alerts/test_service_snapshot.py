"""The state facts the pipeline reads each cycle from a real state DB and topology monitor: devices
placed by the inventory's region tree, links as their ends were polled, sites from failover, and
backups only of what is backed up, counted from when the NOC started looking."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from alerts.model import StateSnapshot
from alerts.snapshot_source import StateSnapshotSource, region_levels_of
from core.model import Inventory, Region, RegionLevel, SshAccess
from core.state.configs import ConfigRepository
from tests.unit.topology.networks import GZ_CORE, HOST1, LIWAN, LIWAN_ACC, TOY
from tests.unit.topology.toy_state import ToyState

# 荔湾 and the city router are backed up over SSH; the pension host is Linux (nothing to back up).
BACKED_UP = {LIWAN_ACC, GZ_CORE, HOST1}
INVENTORY = TOY.model_copy(
    update={
        "devices": tuple(
            d.model_copy(update={"ssh": SshAccess(credential="noc-ssh")})
            if d.id in BACKED_UP
            else d
            for d in TOY.devices
        )
    }
)


@pytest.fixture
def toy(tmp_path: Path) -> Iterator[ToyState]:
    toy = ToyState(tmp_path, INVENTORY)
    yield toy
    toy.close()


def read(toy: ToyState, source: StateSnapshotSource) -> StateSnapshot:
    return source.build(toy.monitor().refresh().failover, toy.clock.now())


def test_devices_links_and_sites_as_polled(toy: ToyState) -> None:
    source = StateSnapshotSource(INVENTORY, toy.engine, toy.state)
    toy.poll(down_devices={LIWAN_ACC})
    first = toy.clock.now()
    snapshot = read(toy, source)
    liwan = next(d for d in snapshot.devices if d.device_id == LIWAN_ACC)
    placed = (liwan.region, liwan.province, liwan.city, liwan.county)
    assert (liwan.status, placed) == ("down", (LIWAN, "440000", "440100", LIWAN))
    assert liwan.reason == "timeout"
    links = {link.link_id: link.state for link in snapshot.links}
    assert links["gz-liwan-primary"] == links["gz-liwan-backup"] == "down"
    assert links["gz-dc1"] == "up"
    sites = {site.site_id: site.state for site in snapshot.sites}
    assert sites["gz-liwan"] == "isolated"
    assert sites["gz"] == "primary"

    toy.clock.advance(60)
    liwan_again = next(d for d in read(toy, source).devices if d.device_id == LIWAN_ACC)
    assert liwan_again.since == first  # still down: since when it went down
    toy.poll()
    back = next(d for d in read(toy, source).devices if d.device_id == LIWAN_ACC)
    assert (back.status, back.since, back.reason) == ("up", toy.clock.now(), None)


def test_backups_only_of_what_is_backed_up_counted_from_the_first_look(toy: ToyState) -> None:
    configs = ConfigRepository(toy.engine, toy.clock)
    source = StateSnapshotSource(INVENTORY, toy.engine, toy.state, configs)
    toy.poll()
    started = toy.clock.now()
    configs.record_failure(GZ_CORE, started, "authentication failed")
    backups = {b.device_id: b for b in read(toy, source).backups}
    assert set(backups) == {LIWAN_ACC, GZ_CORE}
    assert backups[LIWAN_ACC].last_success_at == started  # never tried: counted from now
    assert backups[GZ_CORE].last_success_at is None  # tried and failed: never backed up
    assert backups[GZ_CORE].last_error == "authentication failed"
    toy.clock.advance(timedelta(days=2).total_seconds())
    later = {b.device_id: b for b in read(toy, source).backups}
    assert later[LIWAN_ACC].last_success_at == started


def test_region_levels_follow_the_tree_not_the_code() -> None:
    # A county-level city directly under the province (the xx90xx codes) has no city above it.
    inventory = Inventory(
        regions=(
            Region(code="460000", name="海南省", level=RegionLevel.PROVINCE),
            Region(code="469001", name="五指山市", level=RegionLevel.COUNTY, parent="460000"),
        )
    )
    assert region_levels_of(inventory)["469001"] == {"county": "469001", "province": "460000"}
    assert region_levels_of(TOY)[LIWAN] == {"county": LIWAN, "city": "440100", "province": "440000"}
