from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.errors import LabError
from lab.divisions import CITY_NEIGHBOURS, City, load_divisions


def test_the_shared_file_has_21_cities_and_122_counties(cities: tuple[City, ...]) -> None:
    assert len(cities) == 21
    assert sum(len(c.counties) for c in cities) == 122
    by_slug = {c.slug: c for c in cities}
    assert by_slug["guangzhou"].name == "广州市"
    assert by_slug["guangzhou"].pinyin == "guang zhou"
    assert by_slug["dongguan"].counties == by_slug["zhongshan"].counties == ()
    assert [c.order for c in cities] == list(range(1, 22))


def test_the_neighbour_table_is_symmetric_and_names_every_city(cities: tuple[City, ...]) -> None:
    assert set(CITY_NEIGHBOURS) == {c.slug for c in cities}
    for city, neighbours in CITY_NEIGHBOURS.items():
        assert city not in neighbours
        for other in neighbours:
            assert city in CITY_NEIGHBOURS[other], f"{city} borders {other} but not back"


def test_a_missing_file_is_a_lab_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.json"
    with pytest.raises(LabError, match=r"nowhere\.json not found"):
        load_divisions(missing)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "not valid JSON"),
        ("{}", "non-empty list of cities"),
        ('[{"code": "440100", "name": "广州市"}]', "missing or empty 'slug'"),
        ('[{"code": "4401", "name": "广州市", "slug": "gz"}]', "not a 6-digit division code"),
        (
            json.dumps(
                [
                    {"code": "440100", "name": "a", "slug": "a"},
                    {"code": "440100", "name": "b", "slug": "b"},
                ]
            ),
            "appears twice",
        ),
        ('[{"code": "440100", "name": "a", "slug": "a", "counties": [3]}]', "is not an object"),
    ],
)
def test_a_broken_file_is_a_lab_error_saying_what_is_wrong(
    tmp_path: Path, content: str, reason: str
) -> None:
    path = tmp_path / "divisions.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LabError, match=reason):
        load_divisions(path)
