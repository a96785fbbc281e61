"""Guangdong's prefecture-level cities and their counties, read from the shared divisions file.

The file (``../shared/data/guangdong_divisions.json``, described in ``DIVISIONS_SOURCE.txt`` beside
it) lists the 21 cities in code order, each with its counties; 东莞 and 中山 have none. It carries
no geography, so which cities border which is written down here (:data:`CITY_NEIGHBOURS`): a
county's backup link goes to a neighbouring city's node, as a real second path would.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import LabError

PROVINCE_CODE = "440000"
PROVINCE_NAME = "广东省"
PROVINCE_SLUG = "guangdong"

# Land borders between Guangdong's prefecture-level cities (and the Pearl River crossings that
# carry fibre: Nansha–Zhongshan). Symmetric; checked by the tests.
CITY_NEIGHBOURS: dict[str, tuple[str, ...]] = {
    "guangzhou": ("foshan", "qingyuan", "shaoguan", "huizhou", "dongguan", "zhongshan"),
    "shaoguan": ("qingyuan", "guangzhou", "huizhou", "heyuan"),
    "shenzhen": ("dongguan", "huizhou"),
    "zhuhai": ("zhongshan", "jiangmen"),
    "shantou": ("chaozhou", "jieyang"),
    "foshan": ("guangzhou", "zhaoqing", "jiangmen", "zhongshan", "qingyuan", "yunfu"),
    "jiangmen": ("foshan", "zhongshan", "zhuhai", "yangjiang", "yunfu", "zhaoqing"),
    "zhanjiang": ("maoming",),
    "maoming": ("zhanjiang", "yangjiang", "yunfu"),
    "zhaoqing": ("foshan", "qingyuan", "yunfu", "jiangmen"),
    "huizhou": ("guangzhou", "dongguan", "shenzhen", "heyuan", "shanwei", "shaoguan"),
    "meizhou": ("heyuan", "shanwei", "jieyang", "chaozhou"),
    "shanwei": ("huizhou", "heyuan", "meizhou", "jieyang"),
    "heyuan": ("shaoguan", "huizhou", "meizhou", "shanwei"),
    "yangjiang": ("jiangmen", "maoming", "yunfu"),
    "qingyuan": ("shaoguan", "guangzhou", "foshan", "zhaoqing"),
    "dongguan": ("guangzhou", "shenzhen", "huizhou"),
    "zhongshan": ("guangzhou", "foshan", "jiangmen", "zhuhai"),
    "chaozhou": ("shantou", "jieyang", "meizhou"),
    "jieyang": ("shantou", "chaozhou", "meizhou", "shanwei"),
    "yunfu": ("zhaoqing", "foshan", "jiangmen", "yangjiang", "maoming"),
}


@dataclass(frozen=True, slots=True)
class County:
    code: str
    name: str
    slug: str


@dataclass(frozen=True, slots=True)
class City:
    code: str
    name: str
    slug: str
    pinyin: str
    """Toneless pinyin of the short name, syllables apart ("guang zhou"); the slug if absent."""
    counties: tuple[County, ...]
    order: int
    """1-based position in the file (code order); stable, so it can number address blocks."""


def default_divisions_path() -> Path:
    """``$SSNOC_SHARED_DIR/data/…`` if set, else ``../shared/data/…`` beside the repository."""
    shared = os.environ.get("SSNOC_SHARED_DIR")
    base = Path(shared) if shared else Path(__file__).resolve().parents[2] / "shared"
    return base / "data" / "guangdong_divisions.json"


def load_divisions(path: Path) -> tuple[City, ...]:
    """The cities in ``path``; :class:`LabError` naming the file when it is missing or broken."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LabError(
            f"divisions file {path} not found (give its path with --divisions)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LabError(f"divisions file {path} cannot be read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise LabError(f"divisions file {path} is not valid JSON: {exc}") from None
    if not isinstance(raw, list) or not raw:
        raise LabError(f"divisions file {path}: expected a non-empty list of cities")
    cities = tuple(_city(path, i, entry) for i, entry in enumerate(raw))
    _check_unique(path, cities)
    return cities


def _city(path: Path, index: int, entry: Any) -> City:
    where = f"divisions file {path}: city #{index + 1}"
    if not isinstance(entry, dict):
        raise LabError(f"{where} is not an object")
    counties_raw = entry.get("counties", [])
    if not isinstance(counties_raw, list):
        raise LabError(f"{where}: 'counties' must be a list")
    counties = tuple(
        County(**_fields(f"{where}, county #{j + 1}", county))
        for j, county in enumerate(counties_raw)
    )
    fields = _fields(where, entry)
    pinyin = entry.get("pinyin")
    if not isinstance(pinyin, str) or not pinyin.strip():
        pinyin = fields["slug"]
    return City(**fields, pinyin=pinyin, counties=counties, order=index + 1)


def _fields(where: str, entry: Any) -> dict[str, str]:
    if not isinstance(entry, dict):
        raise LabError(f"{where} is not an object")
    fields: dict[str, str] = {}
    for key in ("code", "name", "slug"):
        value = entry.get(key)
        if not isinstance(value, str) or not value:
            raise LabError(f"{where}: missing or empty {key!r}")
        fields[key] = value
    if not (len(fields["code"]) == 6 and fields["code"].isdigit()):
        raise LabError(f"{where}: code {fields['code']!r} is not a 6-digit division code")
    return fields


def _check_unique(path: Path, cities: tuple[City, ...]) -> None:
    seen: set[str] = set()
    for city in cities:
        for key in (city.code, city.slug, *(c.code for c in city.counties)):
            if key in seen:
                raise LabError(f"divisions file {path}: {key!r} appears twice")
            seen.add(key)
