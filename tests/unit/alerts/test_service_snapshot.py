"""The state facts the pipeline reads each cycle from a real state DB and topology monitor: devices
placed by the inventory's region tree, links as their ends were polled, sites from failover, and
backups only of what is backed up, counted from when the NOC started looking."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from alerts.model import StateSnapshot
from alerts.snapshot_source import StateSnapshotSource, region_levels_of
from core.model import Inventory, Region, RegionLevel, SshAccess
from core.state.configs import ConfigRepository
from core.state.fleet_tables import CountyFleetHealthRow
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


def put_county_health(
    toy: ToyState, county: str, *, active: int, online: int, ago_s: float
) -> None:
    row = CountyFleetHealthRow(
        county=county,
        city=county[:4] + "00",
        computed_at=toy.clock.now() - timedelta(seconds=ago_s),
        terminals=active,
        registered=0,
        provisioned=0,
        active=active,
        suspended=0,
        retired=0,
        lost=0,
        online=online,
        online_share=online / active if active else None,
        silent=active - online,
        silent_terminals="[]",
        card_reads=0,
        card_read_failures=0,
        read_failure_rate=None,
        outliers=0,
        outlier_terminals="[]",
        psam_missing=1,
        psam_error=1,
        majority_firmware=None,
        majority_parameter=None,
        firmware_drift=0,
        parameter_drift=0,
        version_drift=0,
        off_target=0,
        firmware_versions="{}",
        parameter_versions="{}",
    )
    with Session(toy.engine) as session, session.begin():
        session.merge(row)


def test_county_terminal_fleets_from_the_fleets_health_rows(toy: ToyState) -> None:
    source = StateSnapshotSource(INVENTORY, toy.engine, toy.state)
    put_county_health(toy, LIWAN, active=30, online=0, ago_s=30)
    put_county_health(toy, "440104", active=10, online=9, ago_s=30)
    put_county_health(toy, "440105", active=10, online=3, ago_s=30)
    put_county_health(toy, "440106", active=0, online=0, ago_s=30)
    put_county_health(toy, "440111", active=10, online=10, ago_s=3600)  # nobody computed lately
    fleets = {f.county: f for f in read(toy, source).terminal_fleets}
    states = {county: fleet.state for county, fleet in fleets.items()}
    assert states == {
        LIWAN: "silent",
        "440104": "ok",  # one in ten silent: under a fifth
        "440105": "partly_silent",
        "440106": "idle",
        "440111": "unknown",  # figures an hour old say nothing
    }
    assert fleets[LIWAN].site == "gz-liwan"  # its one county node: the silence can fold
    assert (fleets[LIWAN].silent, fleets[LIWAN].psam_failures) == (30, 2)
