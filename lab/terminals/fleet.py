"""The lab's card terminals, generated from the province: same province and seed, same fleet.

Every county gets a seeded number of each kind of terminal — self-service kiosks and counter
readers in its social-insurance offices, medical-insurance readers in its hospitals and designated
pharmacies — with serials, models, sites named after the county, and firmware and parameter
versions of which a few lag one release behind, as a real fleet's do between rollouts.

Terminal ids follow the registry's form (``T440103-0007``: county code, then a number within the
county), so the lab's enrollment, the CSV export and the simulator all name a terminal alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from core.errors import LabError
from core.model import Region, RegionLevel
from lab.model import Province
from lab.seeded import seeded_hex, seeded_rng


class LabTerminalKind(StrEnum):
    """Where a terminal stands; the same values as the registry's terminal kinds."""

    KIOSK = "kiosk"
    COUNTER = "counter"
    HOSPITAL = "hospital"
    PHARMACY = "pharmacy"


FIRMWARE_CURRENT = "3.2.0"
"""The firmware most of the fleet runs."""
FIRMWARE_PREVIOUS = "3.1.4"
"""The release before: the drift a rollout would clean up."""
PARAMETER_CURRENT = "P20260105"
PARAMETER_PREVIOUS = "P20251201"
BLACKLIST_CURRENT = "BL20260110"
"""The card blacklist the terminals fetched last night (the NOC does not roll it out)."""
BLACKLIST_PREVIOUS = "BL20260109"

# (model, serial prefix): a small catalogue per kind, chosen by seed.
_MODELS: dict[LabTerminalKind, tuple[tuple[str, str], ...]] = {
    LabTerminalKind.KIOSK: (("SK-700", "SK7"), ("SK-900", "SK9")),
    LabTerminalKind.COUNTER: (("CR-330", "C33"), ("CR-360", "C36")),
    LabTerminalKind.HOSPITAL: (("HR-520", "H52"), ("HR-560", "H56")),
    LabTerminalKind.PHARMACY: (("PR-210", "P21"), ("PR-260", "P26")),
}
_OFFICES = ("社会保险基金管理局服务大厅", "政务服务中心社保窗口")
_HOSPITALS = ("人民医院", "中医院", "妇幼保健院", "第二人民医院")
_PHARMACY_BRANDS = ("康民", "仁济", "惠民", "百姓", "广济")


@dataclass(frozen=True, slots=True)
class FleetSpec:
    """How many terminals of each kind a county gets (inclusive ranges), and how much drift."""

    per_county: Mapping[LabTerminalKind, tuple[int, int]] = field(
        default_factory=lambda: {
            LabTerminalKind.KIOSK: (2, 6),
            LabTerminalKind.COUNTER: (4, 10),
            LabTerminalKind.HOSPITAL: (4, 12),
            LabTerminalKind.PHARMACY: (6, 14),
        }
    )
    """Kind → (fewest, most) per county; about 30 a county, 3,600 over the full province."""
    firmware_drift_share: float = 0.04
    """Share of terminals still on :data:`FIRMWARE_PREVIOUS`."""
    parameter_drift_share: float = 0.06
    """Share of terminals still on :data:`PARAMETER_PREVIOUS`."""
    blacklist_lag_share: float = 0.02
    """Share of terminals that missed last night's blacklist."""

    def __post_init__(self) -> None:
        for kind, (fewest, most) in self.per_county.items():
            if not 0 <= fewest <= most:
                raise LabError(f"terminals per county of kind {kind}: bad range {fewest}..{most}")
        shares = (self.firmware_drift_share, self.parameter_drift_share, self.blacklist_lag_share)
        if not all(0.0 <= share <= 1.0 for share in shares):
            raise LabError("a drift share is a fraction between 0 and 1")


@dataclass(frozen=True, slots=True)
class LabTerminal:
    """One simulated terminal as the lab generates it (and the registry's CSV import reads it)."""

    id: str
    """Registry id: ``T<county code>-<number within the county>``."""
    serial: str
    """The maker's serial (model prefix + 10 hex digits); unique across the fleet."""
    model: str
    kind: LabTerminalKind
    site: str
    """Where it stands, named after its county (越秀区人民医院, 越秀区政务服务中心社保窗口)."""
    county: str
    """6-digit code of its county."""
    city: str
    """6-digit code of the county's city."""
    firmware_version: str
    parameter_version: str
    blacklist_version: str


def generate_fleet(
    province: Province, seed: int, spec: FleetSpec | None = None
) -> tuple[LabTerminal, ...]:
    """Every county's terminals, in county-code then id order; a pure function of its arguments."""
    spec = spec or FleetSpec()
    counties = sorted(
        (r for r in province.regions if r.level is RegionLevel.COUNTY), key=lambda r: r.code
    )
    if not counties:
        raise LabError("the lab province has no county to place card terminals in")
    serials: set[str] = set()
    fleet: list[LabTerminal] = []
    for county in counties:
        fleet.extend(_county_terminals(county, seed, spec, serials))
    return tuple(fleet)


def fleet_by_county(fleet: tuple[LabTerminal, ...]) -> dict[str, tuple[LabTerminal, ...]]:
    """County code → its terminals."""
    grouped: dict[str, list[LabTerminal]] = {}
    for terminal in fleet:
        grouped.setdefault(terminal.county, []).append(terminal)
    return {county: tuple(terminals) for county, terminals in grouped.items()}


def _county_terminals(
    county: Region, seed: int, spec: FleetSpec, serials: set[str]
) -> list[LabTerminal]:
    if county.parent is None:
        raise LabError(f"county {county.code} has no city")
    terminals: list[LabTerminal] = []
    for kind in LabTerminalKind:
        fewest, most = spec.per_county.get(kind, (0, 0))
        count = seeded_rng(seed, "terminal-count", county.code, kind).randint(fewest, most)
        for _ in range(count):
            terminal_id = f"T{county.code}-{len(terminals) + 1:04d}"
            rng = seeded_rng(seed, "terminal", terminal_id)
            model, prefix = rng.choice(_MODELS[kind])
            terminals.append(
                LabTerminal(
                    id=terminal_id,
                    serial=_unique_serial(seed, terminal_id, prefix, serials),
                    model=model,
                    kind=kind,
                    site=_site(county.name, kind, rng.random()),
                    county=county.code,
                    city=county.parent,
                    firmware_version=(
                        FIRMWARE_PREVIOUS
                        if rng.random() < spec.firmware_drift_share
                        else FIRMWARE_CURRENT
                    ),
                    parameter_version=(
                        PARAMETER_PREVIOUS
                        if rng.random() < spec.parameter_drift_share
                        else PARAMETER_CURRENT
                    ),
                    blacklist_version=(
                        BLACKLIST_PREVIOUS
                        if rng.random() < spec.blacklist_lag_share
                        else BLACKLIST_CURRENT
                    ),
                )
            )
    return terminals


def _site(county_name: str, kind: LabTerminalKind, draw: float) -> str:
    """A place in the county, picked by ``draw`` in [0, 1): a few places hold many terminals."""
    if kind in (LabTerminalKind.KIOSK, LabTerminalKind.COUNTER):
        return county_name + _OFFICES[int(draw * len(_OFFICES))]
    if kind is LabTerminalKind.HOSPITAL:
        return county_name + _HOSPITALS[int(draw * len(_HOSPITALS))]
    # Pharmacies are many and small: one reader each, mostly, in a few chains' branches.
    chains = len(_PHARMACY_BRANDS)
    slot = int(draw * chains * 9)
    return f"{county_name}{_PHARMACY_BRANDS[slot % chains]}大药房{slot // chains + 1}号店"


def _unique_serial(seed: int, terminal_id: str, prefix: str, taken: set[str]) -> str:
    attempt = 0
    while True:
        digits = seeded_hex(seed, "terminal-serial", terminal_id, attempt, digits=10).upper()
        serial = prefix + digits
        if serial not in taken:
            taken.add(serial)
            return serial
        attempt += 1  # a clash of 40-bit hashes: rare, but serials must be unique
