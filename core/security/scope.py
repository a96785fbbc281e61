"""Region scopes: a grant holds for the province, a city, or a county, and everything below it.

Region codes are GB/T 2260 six-digit codes, whose shape *is* the tree: ``440000`` the province,
``440100`` a city (two trailing zeros), ``440103`` a county. A scope covers a code when the code
lies at or below it, which the digits decide without a lookup — so checks cost nothing per row.
"""

from __future__ import annotations

import re
from enum import StrEnum

_CODE = re.compile(r"^\d{6}$")


class ScopeLevel(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"


def is_region_code(code: str) -> bool:
    return bool(_CODE.match(code))


def scope_level(code: str) -> ScopeLevel:
    """The level a region code names; :class:`ValueError` for something that is not a code."""
    if not is_region_code(code):
        raise ValueError(f"not a six-digit region code: {code!r}")
    if code.endswith("0000"):
        return ScopeLevel.PROVINCE
    if code.endswith("00"):
        return ScopeLevel.CITY
    return ScopeLevel.COUNTY


def scope_covers(scope_code: str, region_code: str) -> bool:
    """True when ``region_code`` lies at or below ``scope_code``."""
    level = scope_level(scope_code)
    if level is ScopeLevel.PROVINCE:
        return region_code[:2] == scope_code[:2]
    if level is ScopeLevel.CITY:
        return region_code[:4] == scope_code[:4]
    return region_code == scope_code


def scopes_cover(scope_codes: frozenset[str], region_code: str) -> bool:
    return any(scope_covers(scope, region_code) for scope in scope_codes)


def narrowest(scope_codes: frozenset[str]) -> frozenset[str]:
    """``scope_codes`` without those another one already covers (a city under a held province)."""
    return frozenset(
        code
        for code in scope_codes
        if not any(other != code and scope_covers(other, code) for other in scope_codes)
    )
