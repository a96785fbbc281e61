"""The lab's terminals: generated from the province by seed, spread over every county."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from core.errors import LabError
from core.model import RegionLevel
from lab.model import Province
from lab.terminals.fleet import (
    FIRMWARE_CURRENT,
    FIRMWARE_PREVIOUS,
    PARAMETER_CURRENT,
    PARAMETER_PREVIOUS,
    FleetSpec,
    LabTerminalKind,
    fleet_by_county,
    generate_fleet,
)


def test_the_same_province_and_seed_give_the_same_fleet(small: Province) -> None:
    assert generate_fleet(small, 3) == generate_fleet(small, 3)


def test_another_seed_gives_another_fleet(small: Province) -> None:
    assert generate_fleet(small, 3) != generate_fleet(small, 4)


def test_every_county_of_the_full_province_has_every_kind(full: Province) -> None:
    fleet = generate_fleet(full, 7)
    counties = {r.code for r in full.regions if r.level is RegionLevel.COUNTY}
    kinds = {(t.county, t.kind) for t in fleet}

    assert {t.county for t in fleet} == counties
    assert kinds == {(county, kind) for county in counties for kind in LabTerminalKind}
    assert 2_500 <= len(fleet) <= 5_000  # "a few thousand"


def test_counts_per_county_stay_in_the_spec(full: Province) -> None:
    spec = FleetSpec()
    for county, terminals in fleet_by_county(generate_fleet(full, 7, spec)).items():
        by_kind = Counter(t.kind for t in terminals)
        for kind, (fewest, most) in spec.per_county.items():
            assert fewest <= by_kind[kind] <= most, (county, kind)


def test_ids_follow_the_registry_and_serials_are_unique(full: Province) -> None:
    fleet = generate_fleet(full, 7)
    assert len({t.id for t in fleet}) == len(fleet)
    assert len({t.serial for t in fleet}) == len(fleet)
    for terminal in fleet:
        assert re.fullmatch(rf"T{terminal.county}-\d{{4}}", terminal.id)
        assert re.fullmatch(r"[A-Z0-9]{3}[0-9A-F]{10}", terminal.serial)


def test_sites_are_named_after_the_county_and_the_city_is_its_parent(small: Province) -> None:
    regions = {r.code: r for r in small.regions}
    for terminal in generate_fleet(small, 7):
        county = regions[terminal.county]
        assert terminal.site.startswith(county.name)
        assert terminal.city == county.parent


def test_versions_drift_a_little(full: Province) -> None:
    fleet = generate_fleet(full, 7)
    firmware = Counter(t.firmware_version for t in fleet)
    parameters = Counter(t.parameter_version for t in fleet)

    assert set(firmware) == {FIRMWARE_CURRENT, FIRMWARE_PREVIOUS}
    assert 0.01 < firmware[FIRMWARE_PREVIOUS] / len(fleet) < 0.1
    assert set(parameters) == {PARAMETER_CURRENT, PARAMETER_PREVIOUS}
    assert 0.02 < parameters[PARAMETER_PREVIOUS] / len(fleet) < 0.12


def test_a_spec_without_drift_keeps_everyone_current(small: Province) -> None:
    spec = FleetSpec(firmware_drift_share=0.0, parameter_drift_share=0.0)
    fleet = generate_fleet(small, 7, spec)
    assert {t.firmware_version for t in fleet} == {FIRMWARE_CURRENT}
    assert {t.parameter_version for t in fleet} == {PARAMETER_CURRENT}


def test_adding_nothing_elsewhere_keeps_a_county_s_terminals(
    small: Province, full: Province
) -> None:
    """Seeded per county: the small lab's counties have the same terminals in the full lab."""
    in_full = {t.id: t for t in generate_fleet(full, 7)}
    for terminal in generate_fleet(small, 7):
        assert in_full[terminal.id] == terminal


@pytest.mark.parametrize(
    "spec_args",
    [
        {"per_county": {LabTerminalKind.KIOSK: (3, 2)}},
        {"per_county": {LabTerminalKind.KIOSK: (-1, 2)}},
        {"firmware_drift_share": 1.5},
    ],
)
def test_a_bad_spec_is_refused(spec_args: dict[str, object]) -> None:
    with pytest.raises(LabError):
        FleetSpec(**spec_args)  # type: ignore[arg-type]
