"""Which counties the lab's faults cut off: their terminals go silent, as real ones would.

A county's terminals reach the NOC's API (in the data centres) through the county's access router
(:mod:`lab.layout`: one node per county, dual-homed to its city's node and a neighbouring city's).
``ssnoc lab fail`` records in faults.json (:mod:`lab.fault_store`) every device cut off from the
cores, so a county is cut off when every device that serves it is silent — its access routers, or,
for a county the lab gave none, every device in the county. Failing one of a county's two links
leaves its terminals beating over the other; failing both silences them.

:class:`CountyReachability` re-reads faults.json only when the file changes (its mtime, size or
inode: ``write_faults`` replaces it atomically), so the simulator can ask before every beat.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection, Mapping
from pathlib import Path

from core.errors import LabError
from core.model import DeviceRole, RegionLevel
from lab.fault_store import faults_path, read_faults
from lab.model import Province

_log = logging.getLogger(__name__)

_FileSignature = tuple[int, int, int]
"""(mtime in ns, size, inode) of faults.json; ``(0, 0, 0)`` when it does not exist."""
_MISSING: _FileSignature = (0, 0, 0)


def county_serving_devices(province: Province) -> dict[str, frozenset[str]]:
    """County code → the devices its terminals' traffic must cross to leave the county."""
    site_region = {site.id: site.region for site in province.sites}
    access: dict[str, set[str]] = {}
    in_county: dict[str, set[str]] = {}
    for device in province.devices:
        in_county.setdefault(device.region, set()).add(device.id)
        if device.role is DeviceRole.ACCESS:
            access.setdefault(site_region.get(device.site, device.region), set()).add(device.id)
    return {
        region.code: frozenset(access.get(region.code) or in_county.get(region.code) or ())
        for region in province.regions
        if region.level is RegionLevel.COUNTY
    }


def cut_off_counties(
    silent_devices: Collection[str], serving: Mapping[str, frozenset[str]]
) -> frozenset[str]:
    """Counties all of whose serving devices are silent (a county with none is never cut off)."""
    silent = frozenset(silent_devices)
    return frozenset(county for county, devices in serving.items() if devices and devices <= silent)


class CountyReachability:
    """The cut-off counties of a running lab, kept current from its faults.json."""

    def __init__(self, lab_dir: Path, serving: Mapping[str, frozenset[str]]) -> None:
        self._path = faults_path(lab_dir)
        self._lab_dir = lab_dir
        self._serving = dict(serving)
        self._signature: _FileSignature | None = None
        self._cut_off: frozenset[str] = frozenset()
        self.refresh()

    @classmethod
    def of_province(cls, lab_dir: Path, province: Province) -> CountyReachability:
        return cls(lab_dir, county_serving_devices(province))

    @property
    def cut_off(self) -> frozenset[str]:
        """Codes of the counties cut off from the cores now (as of the last refresh)."""
        return self._cut_off

    def is_cut_off(self, county: str) -> bool:
        return county in self._cut_off

    def refresh(self) -> bool:
        """Re-read faults.json if it changed; True when the cut-off counties changed.

        A file that cannot be read or parsed keeps the last known counties (a fault being written
        by hand must not make every county beat again) and is tried again when it next changes.
        """
        signature = self._file_signature()
        if signature == self._signature:
            return False
        self._signature = signature
        try:
            silent = read_faults(self._lab_dir).silent_devices
        except LabError as exc:
            _log.warning("terminal simulator keeps the counties it had: %s", exc)
            return False
        cut_off = cut_off_counties(silent, self._serving)
        changed = cut_off != self._cut_off
        self._cut_off = cut_off
        return changed

    def _file_signature(self) -> _FileSignature:
        try:
            stat = os.stat(self._path)
        except FileNotFoundError:
            return _MISSING
        except OSError as exc:
            _log.warning("terminal simulator cannot see %s: %s", self._path, exc)
            return self._signature or _MISSING
        return (stat.st_mtime_ns, stat.st_size, stat.st_ino)
