"""Who changed a configuration, and when — where the device itself says so.

What each platform prints (the rules below are that, as data):

- Cisco IOS / IOS-XE: ``! Last configuration change at 10:22:01 UTC Mon Mar 2 2026 by admin`` at
  the top of ``show running-config`` (``by …`` is absent when the change came from the console
  before login or from a process). ``! NVRAM config last updated …`` is a *save*, not a change,
  and is not used.
- Huawei VRP (V200R005 and later CE/NE/S series): ``!Last configuration was updated at
  2024-07-14 04:57:04+00:00 by cyberweb``; ``by SYSTEM automatically`` for changes the device made
  itself (kept as written). ``!Last configuration was saved …`` is a save and is not used.
- H3C / HPE Comware 5 and 7: ``display current-configuration`` carries no change stamp (the
  change history lives in ``display archive configuration`` and the log buffer): nothing.
- ZTE ZXROS: ``show running-config`` carries no change stamp in the material available: nothing.

IOS writes its local time zone's abbreviation; the offsets known are data too. ``CST`` is read as
China Standard Time (UTC+8), the zone of the network this runs in; an abbreviation not in the
table yields the author without a time rather than a wrong time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from core.model import Platform

MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        start=1,
    )
}

ZONE_OFFSETS_MIN: dict[str, int] = {
    "UTC": 0,
    "GMT": 0,
    "CST": 8 * 60,  # China Standard Time here, not US Central
    "BJ": 8 * 60,
    "BEIJING": 8 * 60,
    "HKT": 8 * 60,
    "JST": 9 * 60,
    "KST": 9 * 60,
    "SGT": 8 * 60,
    "CET": 60,
    "CEST": 120,
    "BST": 60,
    "EST": -5 * 60,
    "EDT": -4 * 60,
    "PST": -8 * 60,
    "PDT": -7 * 60,
}
"""Time-zone abbreviations a device may print, and their offsets from UTC in minutes."""


@dataclass(frozen=True, slots=True)
class ChangeStamp:
    """One way a platform writes its last change: the line, and how its time is written.

    ``pattern`` names the groups ``time`` and, optionally, ``by``; ``style`` says how to read
    ``time``: ``ios`` (``10:22:01 UTC Mon Mar 2 2026``) or ``iso`` (``2024-07-14 04:57:04+00:00``).
    """

    pattern: re.Pattern[str]
    style: str


CHANGE_STAMPS: dict[Platform, tuple[ChangeStamp, ...]] = {
    Platform.CISCO_IOS: (
        ChangeStamp(
            re.compile(
                r"^! Last configuration change at (?P<time>\d{1,2}:\d{2}:\d{2}(?:\.\d+)? \S+ "
                r"\w{3} \w{3} +\d{1,2} \d{4})(?: by (?P<by>\S+))?",
                re.MULTILINE,
            ),
            "ios",
        ),
    ),
    Platform.HUAWEI_VRP: (
        ChangeStamp(
            re.compile(
                r"^!Last configuration was updated at (?P<time>\d{4}-\d{2}-\d{2} "
                r"\d{2}:\d{2}:\d{2}(?:[+-]\d{2}:\d{2}| [A-Z]{2,5})?)(?: by (?P<by>[^\r\n]+?))?"
                r"[ \t]*\r?$",
                re.MULTILINE,
            ),
            "iso",
        ),
    ),
    Platform.HP_COMWARE: (),
    Platform.ZTE_ZXROS: (),
    Platform.LINUX: (),
}

_IOS_TIME = re.compile(
    r"^(?P<h>\d{1,2}):(?P<m>\d{2}):(?P<s>\d{2})(?:\.\d+)? (?P<zone>\S+) \w{3} (?P<mon>\w{3}) +"
    r"(?P<day>\d{1,2}) (?P<year>\d{4})$"
)
_ISO_TIME = re.compile(
    r"^(?P<stamp>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})"
    r"(?P<offset>[+-]\d{2}:\d{2})?(?: (?P<zone>[A-Z]+))?$"
)


def extract_change_author(text: str, platform: Platform) -> tuple[str | None, datetime | None]:
    """(who, when) of the last change as the configuration states it; ``None`` where it does not.

    ``when`` is timezone-aware UTC, or ``None`` when the device's zone cannot be known."""
    for stamp in CHANGE_STAMPS.get(platform, ()):
        match = stamp.pattern.search(text)
        if match is None:
            continue
        by = match.group("by")
        when = _ios_time(match.group("time")) if stamp.style == "ios" else _iso_time(match["time"])
        return (by.strip() if by else None), when
    return None, None


def _ios_time(text: str) -> datetime | None:
    match = _IOS_TIME.match(text)
    if match is None:
        return None
    offset = ZONE_OFFSETS_MIN.get(match["zone"].upper())
    month = MONTHS.get(match["mon"].capitalize())
    if offset is None or month is None:
        return None
    try:
        local = datetime(
            int(match["year"]),
            month,
            int(match["day"]),
            int(match["h"]),
            int(match["m"]),
            int(match["s"]),
            tzinfo=timezone(timedelta(minutes=offset)),
        )
    except ValueError:
        return None
    return local.astimezone(UTC)


def _iso_time(text: str) -> datetime | None:
    match = _ISO_TIME.match(text)
    if match is None:
        return None
    if match["offset"]:
        sign = 1 if match["offset"][0] == "+" else -1
        hours, minutes = match["offset"][1:].split(":")
        offset = sign * (int(hours) * 60 + int(minutes))
    elif match["zone"]:
        known = ZONE_OFFSETS_MIN.get(match["zone"])
        if known is None:
            return None
        offset = known
    else:
        return None  # no zone written: the device's clock zone is unknown here
    try:
        local = datetime.strptime(match["stamp"], "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    return local.replace(tzinfo=timezone(timedelta(minutes=offset))).astimezone(UTC)
