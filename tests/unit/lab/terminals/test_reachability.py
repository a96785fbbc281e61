"""Counties cut off by the lab's faults: their terminals go silent, the others do not."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lab.fault_store import LabFaults, faults_path, remove_faults, write_faults
from lab.faults import Faults, fault_effect
from lab.model import Province
from lab.terminals.reachability import (
    CountyReachability,
    county_serving_devices,
    cut_off_counties,
)

_SINCE = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)


def _inject(lab_dir: Path, province: Province, faults: Faults, generation: int = 1) -> None:
    """What `ssnoc lab fail` records: the faults and the devices they silence."""
    effect = fault_effect(province, faults)
    write_faults(
        lab_dir,
        LabFaults(
            generation=generation,
            faults=faults,
            down_links=tuple(sorted(effect.down_links)),
            silent_devices=tuple(sorted(effect.silent_devices)),
            updated_at=_SINCE,
        ),
    )


def _county_links(province: Province, county: str) -> list[str]:
    site = next(s.id for s in province.sites if s.region == county)
    return [f"{site}-primary", f"{site}-backup"]


def test_each_county_is_served_by_its_access_router(small: Province) -> None:
    serving = county_serving_devices(small)
    sites = {s.region: s.id for s in small.sites}
    assert serving == {county: frozenset({f"{sites[county]}-acc1"}) for county in serving}
    assert len(serving) == 4


def test_a_county_is_cut_off_only_when_all_its_devices_are_silent() -> None:
    serving = {"440103": frozenset({"a", "b"}), "440104": frozenset({"c"}), "440105": frozenset()}
    assert cut_off_counties({"a"}, serving) == frozenset()
    assert cut_off_counties({"a", "b", "x"}, serving) == {"440103"}
    assert cut_off_counties({"c"}, serving) == {"440104"}


def test_no_faults_file_cuts_nobody_off(tmp_path: Path, small: Province) -> None:
    assert CountyReachability.of_province(tmp_path, small).cut_off == frozenset()


def test_both_links_down_cut_a_county_off_and_only_it(tmp_path: Path, small: Province) -> None:
    county = "440103"
    reachability = CountyReachability.of_province(tmp_path, small)
    faults = Faults()
    for link in _county_links(small, county):
        faults = faults.with_link(link, _SINCE)
    _inject(tmp_path, small, faults)

    assert reachability.refresh() is True
    assert reachability.cut_off == {county}
    assert reachability.is_cut_off(county)
    assert not reachability.is_cut_off("440104")


def test_one_link_down_leaves_the_county_on_its_backup(tmp_path: Path, small: Province) -> None:
    reachability = CountyReachability.of_province(tmp_path, small)
    primary = _county_links(small, "440103")[0]
    _inject(tmp_path, small, Faults().with_link(primary, _SINCE))

    assert reachability.refresh() is False
    assert reachability.cut_off == frozenset()


def test_a_failed_access_router_cuts_its_county_off(tmp_path: Path, small: Province) -> None:
    access = next(iter(county_serving_devices(small)["440104"]))
    _inject(tmp_path, small, Faults().with_device(access, _SINCE))
    assert CountyReachability.of_province(tmp_path, small).cut_off == {"440104"}


def test_the_file_is_read_again_when_it_changes(tmp_path: Path, small: Province) -> None:
    reachability = CountyReachability.of_province(tmp_path, small)
    faults = Faults()
    for link in _county_links(small, "440103"):
        faults = faults.with_link(link, _SINCE)
    _inject(tmp_path, small, faults)
    reachability.refresh()
    assert reachability.refresh() is False  # unchanged file, not read again

    remove_faults(tmp_path)  # `ssnoc lab recover`
    assert reachability.refresh() is True
    assert reachability.cut_off == frozenset()


def test_a_broken_file_keeps_the_counties_it_had(
    tmp_path: Path, small: Province, caplog: pytest.LogCaptureFixture
) -> None:
    reachability = CountyReachability.of_province(tmp_path, small)
    faults = Faults()
    for link in _county_links(small, "440103"):
        faults = faults.with_link(link, _SINCE)
    _inject(tmp_path, small, faults)
    reachability.refresh()

    faults_path(tmp_path).write_text("{ half a fil", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        assert reachability.refresh() is False

    assert reachability.cut_off == {"440103"}
    assert "not a lab faults file" in caplog.text
