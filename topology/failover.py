"""Failover state of every city and county node: on its primary path, on backup, or isolated.

:func:`assess_failover` answers for one observation: a node is ``on_primary`` while every device
and link of its primary path (see :mod:`topology.paths`) is usable, ``isolated`` when no usable
path joins it to any working core, and ``on_backup`` in between — it reaches the core, but not
over its primary path.

:class:`FailoverTracker` is fed successive observations and turns changes into events, keeping
when each node entered its state (``since``) and when it left its primary path:

========================  ==========================================================
on_primary → on_backup    :class:`~core.events.LinkFailedOver`
isolated → on_backup      :class:`~core.events.LinkFailedOver` (it reaches the core again)
any → isolated            :class:`~core.events.SiteIsolated`
on_backup/isolated →      :class:`~core.events.SiteRestored` (``since``: when it left its
on_primary                primary path)
========================  ==========================================================

A node on its primary path whose own backup link (a backup-role link of its backup path that the
primary path does not use) carries more than ``backup_traffic_percent`` of its capacity (1% by
default) is flagged ``backup_carrying_traffic``, with a note in its explanation: backup links
carry only keepalives while the primary is up, so traffic there is worth a look — but asymmetric
routing may put it there on purpose, so it changes no state and makes no event.

``LinkFailedOver.primary_link_ids`` are the primary path's links that are unusable (down, or
ending on a device that is down); ``backup_link_ids`` the links of the path in use that are not on
the primary path. ``SiteIsolated.failed_link_ids`` are the unusable links of both named paths.
The first observation reports nodes already on backup or isolated (the tracker cannot know since
when: ``since`` is that first observation), so a NOC that starts in an outage still hears of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from core.clock import Clock
from core.errors import NotFound
from core.events import Event, EventBus, LinkFailedOver, SiteIsolated, SiteRestored
from core.model import Inventory, LinkRole
from topology.graph import Topology
from topology.model import FailoverState, LinkStatus, NetworkPath, Result
from topology.paths import SitePaths, current_paths, site_paths
from topology.wording import names

DEFAULT_BACKUP_TRAFFIC_PERCENT = 1.0
"""Above this share of its capacity a backup link is noted as carrying traffic."""


class SiteFailover(Result):
    """How one city or county node reaches the province core."""

    region: str
    site_id: str
    device_id: str
    state: FailoverState
    primary_link_ids: tuple[str, ...] = ()
    """Its primary path's links."""
    failed_link_ids: tuple[str, ...] = ()
    """Unusable links of its primary and backup paths."""
    current_path: NetworkPath | None = None
    """The path in use now; ``None`` when isolated."""
    since: datetime | None = None
    """When it entered ``state`` (known to :class:`FailoverTracker` only)."""
    left_primary_at: datetime | None = None
    """On backup or isolated: when it left its primary path (tracker only)."""
    backup_carrying_traffic: bool = False
    """On its primary path, yet its backup link carries traffic (a note, not a state)."""
    explanation: str


def assess_failover(
    topology: Topology,
    paths: Sequence[SitePaths] | None = None,
    *,
    backup_traffic_percent: float = DEFAULT_BACKUP_TRAFFIC_PERCENT,
) -> tuple[SiteFailover, ...]:
    """The failover state of every city and county node now, by region then device id.

    ``paths``: :func:`site_paths` of the same inventory, when the caller already has them.
    """
    named = site_paths(topology) if paths is None else paths
    now = current_paths(topology)
    return tuple(
        _assess(topology, site, now.get(site.device_id), backup_traffic_percent) for site in named
    )


def _assess(
    topology: Topology, site: SitePaths, current: NetworkPath | None, backup_traffic_percent: float
) -> SiteFailover:
    primary_links = site.primary.link_ids if site.primary else ()
    backup_links = site.backup.link_ids if site.backup else ()
    failed = tuple(
        k for k in dict.fromkeys((*primary_links, *backup_links)) if not topology.link_usable(k)
    )
    broken = _broken_on(topology, site.primary)
    where = f"{topology.region_name(site.region)} ({site.device_id})"
    busy: list[str] = []
    if current is None:
        state = FailoverState.ISOLATED
        down = f" (down: {names(failed)})" if failed else ""
        text = f"{where} is isolated: no working path to any province core{down}."
    elif site.primary is not None and not broken:
        state = FailoverState.ON_PRIMARY
        text = f"{where} is on its primary path ({names(primary_links)})."
        busy = _busy_backup_links(topology, site, backup_traffic_percent)
        if busy:
            text += (
                f" Note: its backup link {names(busy)} carries traffic while the primary path is "
                "up (asymmetric routing may do that on purpose)."
            )
    else:
        state = FailoverState.ON_BACKUP
        backup = [k for k in current.link_ids if k not in primary_links]
        text = (
            f"{where} is on backup: its primary path is down at {names(broken)}; it reaches the "
            f"province core over {names(backup)}."
        )
    return SiteFailover(
        region=site.region,
        site_id=site.site_id,
        device_id=site.device_id,
        state=state,
        primary_link_ids=primary_links,
        failed_link_ids=failed,
        current_path=current,
        backup_carrying_traffic=bool(busy),
        explanation=text,
    )


def _busy_backup_links(topology: Topology, site: SitePaths, threshold_percent: float) -> list[str]:
    """The node's own backup links above ``threshold_percent`` of capacity, as ``id (n%)``."""
    if site.backup is None:
        return []
    primary = set(site.primary.link_ids) if site.primary else set()
    busy = []
    for link_id in site.backup.link_ids:
        if link_id in primary or topology.links[link_id].role is not LinkRole.BACKUP:
            continue
        a, b = topology.ends(link_id)
        utilisation = topology.graph.edges[a, b, link_id]["utilisation_percent"]
        if utilisation is not None and utilisation > threshold_percent:
            busy.append(f"{link_id} ({utilisation:.1f}% of its capacity)")
    return busy


def _broken_on(topology: Topology, path: NetworkPath | None) -> list[str]:
    """What breaks ``path``, for people: its devices that are down, then its links down in their
    own right (a link unusable only because its end device is down says nothing more)."""
    if path is None:
        return []
    devices = [d for d in path.device_ids if not topology.device_usable(d)]
    links = [k for k in path.link_ids if topology.link_status(k) is LinkStatus.DOWN]
    return [*devices, *links]


class FailoverTracker:
    """Follows the failover state of every city and county node across observations."""

    def __init__(
        self,
        clock: Clock,
        bus: EventBus | None = None,
        *,
        backup_traffic_percent: float = DEFAULT_BACKUP_TRAFFIC_PERCENT,
    ) -> None:
        """Events are returned by :meth:`observe`, and published on ``bus`` when given."""
        self._clock = clock
        self._bus = bus
        self._backup_traffic_percent = backup_traffic_percent
        self._sites: dict[str, SiteFailover] = {}
        self._inventory: Inventory | None = None
        self._paths: tuple[SitePaths, ...] = ()

    def observe(self, topology: Topology) -> list[Event]:
        """Take one observation; return (and publish) the events of what changed since the last."""
        if self._inventory is None or (
            topology.inventory is not self._inventory and topology.inventory != self._inventory
        ):
            self._paths = site_paths(topology)  # paths depend on the inventory only
            self._inventory = topology.inventory
        at = self._clock.now()
        events: list[Event] = []
        sites: dict[str, SiteFailover] = {}
        assessed_sites = assess_failover(
            topology, self._paths, backup_traffic_percent=self._backup_traffic_percent
        )
        for assessed in assessed_sites:
            before = self._sites.get(assessed.device_id)
            site, event = _step(before, assessed, at)
            sites[site.device_id] = site
            if event is not None:
                events.append(event)
        self._sites = sites
        for event in events:
            if self._bus is not None:
                self._bus.publish(event)
        return events

    def status(self) -> tuple[SiteFailover, ...]:
        """Every node's state after the last observation, by region then device id."""
        return tuple(self._sites.values())

    def site(self, device_id: str) -> SiteFailover:
        try:
            return self._sites[device_id]
        except KeyError:
            raise NotFound(f"no city or county node {device_id!r} observed") from None


def _step(
    before: SiteFailover | None, now: SiteFailover, at: datetime
) -> tuple[SiteFailover, Event | None]:
    """The node's new record and the event its change makes (``None``: nothing to say)."""
    on_primary = now.state is FailoverState.ON_PRIMARY
    if before is not None and before.state is now.state:
        return now.model_copy(
            update={"since": before.since, "left_primary_at": before.left_primary_at}
        ), None
    left = None if on_primary else (before.left_primary_at if before else None) or at
    site = now.model_copy(update={"since": at, "left_primary_at": left})
    region, site_id, device_id = now.region, now.site_id, now.device_id
    if now.state is FailoverState.ISOLATED:
        return site, SiteIsolated(
            at=at,
            region=region,
            site_id=site_id,
            device_id=device_id,
            failed_link_ids=now.failed_link_ids,
        )
    if now.state is FailoverState.ON_BACKUP:
        primary = now.primary_link_ids
        in_use = now.current_path.link_ids if now.current_path else ()
        return site, LinkFailedOver(
            at=at,
            region=region,
            site_id=site_id,
            device_id=device_id,
            primary_link_ids=tuple(k for k in primary if k in now.failed_link_ids),
            backup_link_ids=tuple(k for k in in_use if k not in primary),
        )
    if before is None:
        return site, None  # first sight, on its primary path: nothing happened
    return site, SiteRestored(
        at=at,
        region=region,
        site_id=site_id,
        device_id=device_id,
        was=before.state.value,
        since=before.left_primary_at or before.since or at,
    )
