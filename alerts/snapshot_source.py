"""The state facts the alert rules look at, read each cycle from the stores and the topology.

:class:`StateSnapshotSource` builds one :class:`~alerts.model.StateSnapshot`:

- **devices** from the state DB (``StateRepository.devices``), placed in their region with the
  province, city and county codes read from the inventory's region tree (so a county directly
  under a province is not given a city that does not exist), with their site, role, platform and
  services; ``since`` is when this source first saw the device in its current status;
- **links** from what the pollers stored about both ends (``read_link_states``), with the
  inventory's tier, role, ends and capacity;
- **sites** from the topology monitor's failover states (``primary``, ``on_backup``,
  ``isolated``, with since when);
- **terminal fleets** from the card-terminal fleet's last health computation per county
  (``county_fleet_health``): ``silent`` when none of its active terminals was heard from,
  ``partly_silent`` when a fifth or more were not, ``unknown`` when the figures are older than
  ``fleet_stale_after_s`` (the fleet stopped computing: say nothing rather than something old),
  with the county's network site so a cut-off county's silence folds under its root cause;
- **backups** from the configuration store, for the devices that are backed up at all (those
  with SSH access in the inventory, Linux hosts excepted: they have no configuration to back up).
  A device never tried yet counts from when this source first looked at it, so a fresh start
  does not raise "no backup" for every device before the first collection has had its turn;
  one tried and never backed up counts as never.

Reading is blocking (SQL): call :meth:`StateSnapshotSource.build` from a worker thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Engine

from alerts.model import (
    BackupFact,
    DeviceFact,
    LinkFact,
    SiteFact,
    StateSnapshot,
    TerminalFleetFact,
)
from core.model import Inventory, Platform, SiteKind
from core.state.configs import ConfigRepository
from core.state.fleet_views import CountyFleetFigures, read_county_fleet_health
from core.state.link_states import read_link_states
from core.state.repository import StateRepository
from topology.failover import SiteFailover
from topology.model import FailoverState

PARTLY_SILENT_SHARE = 0.2
"""A county with at least this share of its active terminals silent is ``partly_silent``."""

_SITE_STATES: Mapping[FailoverState, str] = {
    FailoverState.ON_PRIMARY: "primary",
    FailoverState.ON_BACKUP: "on_backup",
    FailoverState.ISOLATED: "isolated",
}


def region_levels_of(inventory: Inventory) -> dict[str, dict[str, str]]:
    """Region code → its ``province``/``city``/``county`` codes, walking the inventory's tree."""
    regions = {region.code: region for region in inventory.regions}
    out: dict[str, dict[str, str]] = {}
    for code in regions:
        levels: dict[str, str] = {}
        seen: set[str] = set()
        current = regions.get(code)
        while current is not None and current.code not in seen:
            seen.add(current.code)
            levels.setdefault(current.level.value, current.code)
            current = regions.get(current.parent) if current.parent else None
        out[code] = levels
    return out


class StateSnapshotSource:
    """Reads a :class:`StateSnapshot` of ``inventory`` from the state DB and the topology."""

    def __init__(
        self,
        inventory: Inventory,
        engine: Engine,
        state: StateRepository,
        configs: ConfigRepository | None = None,
        *,
        fleet_stale_after_s: float = 600.0,
    ) -> None:
        self._inventory = inventory
        self._engine = engine
        self._state = state
        self._configs = configs
        self._levels = region_levels_of(inventory)
        self._devices = inventory.device_by_id()
        self._backed_up = frozenset(
            d.id
            for d in inventory.devices
            if d.ssh is not None and d.platform is not Platform.LINUX
        )
        self._fleet_stale_after_s = fleet_stale_after_s
        self._county_sites = _county_sites(inventory)
        self._fleet_since: dict[str, tuple[str, datetime]] = {}
        self._status_since: dict[str, tuple[str, datetime]] = {}
        self._first_looked_at: datetime | None = None

    def build(self, failover: tuple[SiteFailover, ...], now: datetime) -> StateSnapshot:
        """The facts as of ``now``; raises :class:`~core.errors.StoreError` when a store fails."""
        return StateSnapshot(
            devices=self._device_facts(now),
            links=self._link_facts(),
            sites=tuple(self._site_fact(site) for site in failover),
            backups=self._backup_facts(now),
            terminal_fleets=self._terminal_fleet_facts(now),
        )

    def _terminal_fleet_facts(self, now: datetime) -> tuple[TerminalFleetFact, ...]:
        facts = []
        for figures in read_county_fleet_health(self._engine):
            state = self._fleet_state(figures, now)
            seen = self._fleet_since.get(figures.county)
            if seen is None or seen[0] != state:
                seen = self._fleet_since[figures.county] = (state, now)
            facts.append(
                TerminalFleetFact(
                    county=figures.county,
                    state=state,
                    active=figures.active,
                    online=figures.online,
                    silent=figures.silent,
                    read_failure_rate=figures.read_failure_rate,
                    outliers=figures.outliers,
                    psam_failures=figures.psam_failures,
                    version_drift=figures.version_drift,
                    site=self._county_sites.get(figures.county),
                    since=seen[1],
                )
            )
        return tuple(facts)

    def _fleet_state(self, figures: CountyFleetFigures, now: datetime) -> str:
        if (now - figures.computed_at).total_seconds() > self._fleet_stale_after_s:
            return "unknown"
        if figures.active == 0:
            return "idle"
        if figures.online == 0:
            return "silent"
        if figures.silent >= PARTLY_SILENT_SHARE * figures.active:
            return "partly_silent"
        return "ok"

    def _device_facts(self, now: datetime) -> tuple[DeviceFact, ...]:
        facts = []
        for summary in self._state.devices():
            status = summary.status.value
            seen = self._status_since.get(summary.id)
            if seen is None or seen[0] != status:
                seen = self._status_since[summary.id] = (status, now)
            levels = self._levels.get(summary.region, {})
            device = self._devices.get(summary.id)
            facts.append(
                DeviceFact(
                    device_id=summary.id,
                    status=status,
                    region=summary.region,
                    province=levels.get("province"),
                    city=levels.get("city"),
                    county=levels.get("county"),
                    site=summary.site,
                    role=summary.role.value,
                    platform=summary.platform.value,
                    services=tuple(device.services) if device is not None else (),
                    since=seen[1],
                    reason=summary.last_error if status == "down" else None,
                )
            )
        return tuple(facts)

    def _link_facts(self) -> tuple[LinkFact, ...]:
        observed = read_link_states(self._engine)
        facts = []
        for link in self._inventory.links:
            seen = observed.get(link.id)
            facts.append(
                LinkFact(
                    link_id=link.id,
                    tier=link.tier.value,
                    role=link.role.value,
                    a_device=link.a.device,
                    a_interface=link.a.interface,
                    b_device=link.b.device,
                    b_interface=link.b.interface,
                    state=seen.status if seen is not None else "unknown",
                    capacity_bps=link.capacity_bps,
                )
            )
        return tuple(facts)

    @staticmethod
    def _site_fact(site: SiteFailover) -> SiteFact:
        return SiteFact(
            site_id=site.site_id,
            device_id=site.device_id,
            state=_SITE_STATES[site.state],
            region=site.region,
            since=site.since,
        )

    def _backup_facts(self, now: datetime) -> tuple[BackupFact, ...]:
        if self._configs is None or not self._backed_up:
            return ()
        if self._first_looked_at is None:
            self._first_looked_at = now
        facts = []
        for view in self._configs.backup_statuses():
            if view.device_id not in self._backed_up:
                continue
            last = view.last_success_at
            if last is None and view.last_attempt_at is None:
                last = self._first_looked_at
            facts.append(BackupFact(view.device_id, last, view.last_error))
        return tuple(facts)


def _county_sites(inventory: Inventory) -> dict[str, str]:
    """County code → its one county-node site (counties with none or several are left out)."""
    found: dict[str, list[str]] = {}
    for site in inventory.sites:
        if site.kind is SiteKind.COUNTY_NODE:
            found.setdefault(site.region, []).append(site.id)
    return {county: ids[0] for county, ids in found.items() if len(ids) == 1}
