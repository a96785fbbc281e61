"""Where alerts, silences, maintenance windows and on-call schedules lie, for region scopes.

**Alerts** lie in the region of their ``region`` label. An alert without one (or whose label is no
GB/T 2260 code) is province-wide: only a province scope sees it.

**Silences** lie where their matchers pin them. This is the rule a new silence of a user scoped
below the province must pass (the region must lie in their scope), and what decides who sees and
expires a silence:

- ``region``, ``province``, ``city`` or ``county`` ``="<code>"`` pins that code;
- the same labels ``=~"<digits>.*"`` (or ``=~"<digits>"``) pin the smallest region holding every
  code that starts with those digits: 2–3 digits the province, 4–5 the city, 6 the county —
  ``region=~"4401.*"`` pins Guangzhou 440100, ``region=~"440103.*"`` Liwan 440103;
- ``device="<id>"`` pins the device's region.

Any other regular expression (alternatives, classes) pins nothing. An alert must satisfy every
matcher of a silence, so a silence mutes nothing outside any region one of its matchers pins; when
several pin, it lies in the deepest of them. A silence nothing pins is province-wide.

**Maintenance windows** lie in each of their regions and in the region of each of their devices
(an unknown device: province-wide). **Schedules** lie in their region.

Lists show what *concerns* the caller: what lies at or below their scope, and what lies above it
(a city's window and the city's on-call hold for its counties too), never what lies beside it.
Changing something needs the permission at or below its every region; anything else answers 404,
as for something that does not exist.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from alerts.maintenance import MaintenanceWindow
from alerts.matchers import Matcher, MatchType
from api.deps import Access
from core.security.scope import is_region_code, scope_covers, scope_level

REGION_LABELS = ("region", "province", "city", "county")
"""Alert labels holding region codes: a matcher on any of them can pin a silence."""
DEVICE_LABEL = "device"
_PREFIX_PATTERN = re.compile(r"^(\d{2,})(?:\.\*)?$")


def alert_region(labels: Mapping[str, str]) -> str | None:
    """The region an alert lies in (None: province-wide)."""
    code = labels.get("region")
    return code if code is not None and is_region_code(code) else None


def _pinned_by(matcher: Matcher, device_regions: Mapping[str, str]) -> str | None:
    if matcher.name == DEVICE_LABEL and matcher.type is MatchType.EQUAL:
        return device_regions.get(matcher.value)
    if matcher.name not in REGION_LABELS:
        return None
    if matcher.type is MatchType.EQUAL:
        return matcher.value if is_region_code(matcher.value) else None
    if matcher.type is not MatchType.REGEX:
        return None
    found = _PREFIX_PATTERN.match(matcher.value)
    if found is None:
        return None
    digits = found.group(1)
    if len(digits) >= 6:
        return digits[:6]
    if len(digits) >= 4:
        return digits[:4] + "00"
    return digits[:2] + "0000"


def silence_region(matchers: Iterable[Matcher], device_regions: Mapping[str, str]) -> str | None:
    """The region a silence with ``matchers`` lies in (None: province-wide); see the module
    docstring for the rule."""
    pinned = [code for m in matchers if (code := _pinned_by(m, device_regions)) is not None]
    if not pinned:
        return None
    depth = {"province": 0, "city": 1, "county": 2}
    return max(pinned, key=lambda code: depth[scope_level(code).value])


def window_regions(
    window: MaintenanceWindow, device_regions: Mapping[str, str]
) -> tuple[str | None, ...]:
    """Every region a maintenance window lies in (None for a device the inventory lacks)."""
    devices = (device_regions.get(device) for device in sorted(window.device_ids))
    return (*sorted(window.regions), *devices)


def concerns(access: Access, region: str | None) -> bool:
    """Whether something lying in ``region`` is shown to ``access``: at, below or above one of
    its scopes (None, province-wide: a province scope only)."""
    if access.sees(region):
        return True
    if region is None:
        return False
    return any(scope_covers(region, scope) for scope in access.scope_codes())


def concerns_all(access: Access, regions: Iterable[str | None]) -> bool:
    return all(concerns(access, region) for region in regions)


def sees_all(access: Access, regions: Iterable[str | None]) -> bool:
    """Whether ``access`` holds its permission at or below every one of ``regions``."""
    return all(access.sees(region) for region in regions)
