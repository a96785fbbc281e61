"""Reading and writing the state DB in domain terms.

Writes come from two places: loading the inventory (:meth:`StateRepository.sync_inventory`) and
the collectors' poll records (:meth:`StateRepository.record_poll`). Reads serve the API. Every
method opens its own short transaction, so the repository can be shared by the poller and the API
in one process, and SQLite's WAL lets another process read while this one writes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, delete, false, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core.errors import NotFound, StoreError
from core.model import (
    DeviceIdentity,
    DeviceRole,
    Inventory,
    LinkRole,
    LinkTier,
    Platform,
    RegionLevel,
    Status,
    worst_status,
)
from core.polling import DevicePollRecord, InterfaceReading
from core.state.tables import (
    DeviceRow,
    DeviceStateRow,
    InterfaceRow,
    LinkRow,
    RegionRow,
    SiteRow,
)
from core.state.views import (
    DeviceDetail,
    DeviceSummary,
    InterfaceView,
    InventorySyncReport,
    LinkView,
    RegionNode,
    StatusCounts,
)


class StatusChange:
    """A device whose status changed with one poll (for events and logs)."""

    __slots__ = ("after", "before", "device_id")

    def __init__(self, device_id: str, before: Status, after: Status) -> None:
        self.device_id = device_id
        self.before = before
        self.after = after

    def __repr__(self) -> str:
        return f"StatusChange({self.device_id}: {self.before} -> {self.after})"


def device_status(record: DevicePollRecord, linked_interfaces: set[str]) -> Status:
    """Down when it does not answer; degraded when an enabled interface that ends an inventory
    link is not up; up otherwise. Unused access ports being down is normal and ignored."""
    if not record.reachable:
        return Status.DOWN
    for reading in record.interfaces or ():
        if reading.admin_status == "down":
            continue
        names = {reading.name, reading.descr} - {None}
        if names & linked_interfaces and reading.oper_status not in ("up", None):
            return Status.DEGRADED
    return Status.UP


def _within_scopes(scopes: frozenset[str]) -> ColumnElement[bool]:
    """Region codes at or below any of ``scopes``: GB/T 2260 codes nest by their digits."""
    if not scopes:
        return false()
    prefixes = {_scope_prefix(scope) for scope in scopes}
    return or_(*(DeviceRow.region_code.startswith(prefix) for prefix in sorted(prefixes)))


def _scope_prefix(scope: str) -> str:
    if scope.endswith("0000"):
        return scope[:2]
    return scope[:4] if scope.endswith("00") else scope


class StateRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._linked: dict[str, set[str]] | None = None
        self._regions_of: dict[str, str] | None = None
        self._names: dict[str, str] | None = None
        """Device id → region code: asked on every scoped request, changed only by a sync."""

    # ------------------------------------------------------------------ inventory

    def sync_inventory(self, inventory: Inventory) -> InventorySyncReport:
        """Make the inventory tables equal ``inventory``; kept devices keep their observed state."""
        sites = inventory.site_by_id()
        self._regions_of = None
        self._names = None
        try:
            with self._sessions.begin() as session:
                existing = set(session.scalars(select(DeviceRow.id)))
                wanted = {d.id for d in inventory.devices}
                removed = sorted(existing - wanted)
                if removed:
                    session.execute(delete(DeviceRow).where(DeviceRow.id.in_(removed)))
                    session.execute(
                        delete(DeviceStateRow).where(DeviceStateRow.device_id.in_(removed))
                    )
                    session.execute(delete(InterfaceRow).where(InterfaceRow.device_id.in_(removed)))
                session.execute(delete(RegionRow))
                session.execute(delete(SiteRow))
                session.execute(delete(LinkRow))
                session.add_all(
                    RegionRow(
                        code=r.code,
                        name=r.name,
                        level=r.level.value,
                        parent_code=r.parent,
                        slug=r.slug,
                    )
                    for r in inventory.regions
                )
                session.add_all(
                    SiteRow(id=s.id, name=s.name, region_code=s.region, kind=s.kind.value)
                    for s in inventory.sites
                )
                for device in inventory.devices:
                    session.merge(
                        DeviceRow(
                            id=device.id,
                            name=device.name,
                            site_id=device.site,
                            region_code=sites[device.site].region,
                            platform=device.platform.value,
                            role=device.role.value,
                            address=str(device.address),
                            snmp_port=device.snmp.port if device.snmp else None,
                            credential_name=device.snmp.credential if device.snmp else None,
                        )
                    )
                    if device.id not in existing:
                        session.add(
                            DeviceStateRow(device_id=device.id, status=Status.UNKNOWN.value)
                        )
                session.add_all(
                    LinkRow(
                        id=lk.id,
                        a_device=lk.a.device,
                        a_interface=lk.a.interface,
                        b_device=lk.b.device,
                        b_interface=lk.b.interface,
                        tier=lk.tier.value,
                        role=lk.role.value,
                        capacity_bps=lk.capacity_bps,
                    )
                    for lk in inventory.links
                )
        except SQLAlchemyError as exc:
            raise StoreError(f"state DB: cannot store the inventory: {exc}") from exc
        self._linked = None
        return InventorySyncReport(
            regions=len(inventory.regions),
            sites=len(inventory.sites),
            devices_added=sorted(wanted - existing),
            devices_removed=removed,
            links=len(inventory.links),
        )

    def _linked_interfaces(self, session: Session) -> dict[str, set[str]]:
        if self._linked is None:
            linked: dict[str, set[str]] = defaultdict(set)
            for link in session.scalars(select(LinkRow)):
                linked[link.a_device].add(link.a_interface)
                linked[link.b_device].add(link.b_interface)
            self._linked = dict(linked)
        return self._linked

    # ------------------------------------------------------------------ polls

    def record_polls(self, records: Sequence[DevicePollRecord]) -> list[StatusChange]:
        """Store a batch of poll records in one transaction; returns the status changes."""
        changes: list[StatusChange] = []
        if not records:
            return changes
        try:
            with self._sessions.begin() as session:
                linked = self._linked_interfaces(session)
                ids = [r.device_id for r in records]
                states = {
                    row.device_id: row
                    for row in session.scalars(
                        select(DeviceStateRow).where(DeviceStateRow.device_id.in_(ids))
                    )
                }
                for record in records:
                    state = states.get(record.device_id)
                    if state is None:
                        continue  # removed from the inventory while it was being polled
                    before = Status(state.status)
                    after = device_status(record, linked.get(record.device_id, set()))
                    _apply(state, record, after)
                    if record.interfaces is not None:
                        self._store_interfaces(
                            session, record.device_id, record.at, record.interfaces
                        )
                    if before is not after:
                        changes.append(StatusChange(record.device_id, before, after))
        except SQLAlchemyError as exc:
            raise StoreError(f"state DB: cannot store poll results: {exc}") from exc
        return changes

    def _store_interfaces(
        self, session: Session, device_id: str, at: datetime, readings: Iterable[InterfaceReading]
    ) -> None:
        rows = [
            {
                "device_id": device_id,
                "if_index": r.if_index,
                "name": r.name,
                "descr": r.descr,
                "alias": r.alias,
                "if_type": r.if_type,
                "speed_bps": r.speed_bps,
                "admin_status": r.admin_status,
                "oper_status": r.oper_status,
                "in_bps": r.in_bps,
                "out_bps": r.out_bps,
                "in_errors_per_s": r.in_errors_per_s,
                "out_errors_per_s": r.out_errors_per_s,
                "updated_at": at,
            }
            for r in readings
        ]
        seen = [row["if_index"] for row in rows]
        session.execute(
            delete(InterfaceRow).where(
                InterfaceRow.device_id == device_id, InterfaceRow.if_index.not_in(seen)
            )
        )
        if rows:
            session.execute(_upsert(session, InterfaceRow, rows, ["device_id", "if_index"]))

    # ------------------------------------------------------------------ reads

    def region_tree(self) -> list[RegionNode]:
        """The regions as a tree (roots first), each with the worst status below it."""
        with self._sessions() as session:
            regions = list(session.scalars(select(RegionRow).order_by(RegionRow.code)))
            counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
            rows = session.execute(
                select(DeviceRow.region_code, DeviceStateRow.status).join(
                    DeviceStateRow, DeviceStateRow.device_id == DeviceRow.id, isouter=True
                )
            )
            for region_code, status in rows:
                counts[region_code][status or Status.UNKNOWN.value] += 1
        children: dict[str | None, list[RegionRow]] = defaultdict(list)
        for region in regions:
            children[region.parent_code].append(region)
        known = {r.code for r in regions}

        def build(row: RegionRow) -> RegionNode:
            kids = [build(child) for child in children.get(row.code, [])]
            own = counts.get(row.code, {})
            total = StatusCounts(
                up=own.get("up", 0) + sum(k.devices.up for k in kids),
                degraded=own.get("degraded", 0) + sum(k.devices.degraded for k in kids),
                down=own.get("down", 0) + sum(k.devices.down for k in kids),
                unknown=own.get("unknown", 0) + sum(k.devices.unknown for k in kids),
            )
            present = [s for s in Status if getattr(total, s.value) > 0]
            return RegionNode(
                code=row.code,
                name=row.name,
                level=RegionLevel(row.level),
                parent=row.parent_code,
                status=worst_status(present),
                devices=total,
                children=kids,
            )

        roots = [r for r in regions if r.parent_code is None or r.parent_code not in known]
        return [build(root) for root in roots]

    def region(self, code: str) -> RegionNode:
        for root in self.region_tree():
            found = _find(root, code)
            if found is not None:
                return found
        raise NotFound(f"no region {code}")

    def devices(
        self,
        region: str | None = None,
        status: Status | None = None,
        text: str | None = None,
        scopes: frozenset[str] | None = None,
    ) -> list[DeviceSummary]:
        """Devices in ``region`` and below it, with ``status``, whose id, name, address or
        hardware contains ``text`` (case-insensitive); with ``scopes``, only devices at or below
        one of those region codes (filtered in SQL: a scoped list does not read the others)."""
        codes = self._codes_under(region) if region else None
        with self._sessions() as session:
            names = self._region_names(session)
            # Plain columns, not ORM entities: the list is the API's hottest read, and building
            # two mapped objects per row cost more than the query itself.
            query = (
                select(*_SUMMARY_COLUMNS)
                .join(DeviceStateRow, DeviceStateRow.device_id == DeviceRow.id, isouter=True)
                .order_by(DeviceRow.region_code, DeviceRow.id)
            )
            if codes is not None:
                query = query.where(DeviceRow.region_code.in_(codes))
            if status is not None:
                query = query.where(DeviceStateRow.status == status.value)
            if scopes is not None:
                query = query.where(_within_scopes(scopes))
            result = [_summary_of_columns(row, names) for row in session.execute(query)]
        if text:
            needle = text.casefold()
            result = [
                d
                for d in result
                if any(
                    needle in (v or "").casefold()
                    for v in (d.id, d.name, d.address, d.hardware, d.region_name)
                )
            ]
        return result

    def device(self, device_id: str) -> DeviceDetail:
        with self._sessions() as session:
            row = session.get(DeviceRow, device_id)
            if row is None:
                raise NotFound(f"no device {device_id!r}")
            state = session.get(DeviceStateRow, device_id)
            names = {c: n for c, n in session.execute(select(RegionRow.code, RegionRow.name))}
            interfaces = list(
                session.scalars(
                    select(InterfaceRow)
                    .where(InterfaceRow.device_id == device_id)
                    .order_by(InterfaceRow.if_index)
                )
            )
            links = list(
                session.scalars(
                    select(LinkRow)
                    .where((LinkRow.a_device == device_id) | (LinkRow.b_device == device_id))
                    .order_by(LinkRow.id)
                )
            )
        link_of: dict[str, str] = {}
        for link in links:
            if link.a_device == device_id:
                link_of[link.a_interface] = link.id
            if link.b_device == device_id:
                link_of[link.b_interface] = link.id
        summary = _summary(row, state, names)
        return DeviceDetail(
            **summary.model_dump(),
            identity=_identity(state),
            last_success_at=state.last_success_at if state else None,
            consecutive_failures=state.consecutive_failures if state else 0,
            poll_duration_s=state.poll_duration_s if state else None,
            interfaces=[_interface_view(i, link_of) for i in interfaces],
            links=[_link_view(link) for link in links],
        )

    def _region_names(self, session: Session) -> dict[str, str]:
        """Region code → name, read once per inventory sync (asked on every device list)."""
        cached = self._names
        if cached is None:
            cached = {c: n for c, n in session.execute(select(RegionRow.code, RegionRow.name))}
            self._names = cached
        return cached

    def device_regions(self) -> dict[str, str]:
        """Every device's region code, by id (cached until the next inventory sync; the server
        that serves the API is the process that syncs)."""
        cached = self._regions_of
        if cached is None:
            with self._sessions() as session:
                cached = {
                    device_id: code
                    for device_id, code in session.execute(
                        select(DeviceRow.id, DeviceRow.region_code)
                    )
                }
            self._regions_of = cached
        return cached

    def device_ids(self) -> list[str]:
        with self._sessions() as session:
            return list(session.scalars(select(DeviceRow.id).order_by(DeviceRow.id)))

    def _codes_under(self, code: str) -> set[str]:
        node = self.region(code)
        codes: set[str] = set()
        stack = [node]
        while stack:
            current = stack.pop()
            codes.add(current.code)
            stack.extend(current.children)
        return codes


def _find(node: RegionNode, code: str) -> RegionNode | None:
    if node.code == code:
        return node
    for child in node.children:
        found = _find(child, code)
        if found is not None:
            return found
    return None


def _apply(state: DeviceStateRow, record: DevicePollRecord, status: Status) -> None:
    state.status = status.value
    state.last_poll_at = record.at
    state.poll_duration_s = record.duration_s
    if not record.reachable:
        state.last_error = record.error
        state.consecutive_failures = (state.consecutive_failures or 0) + 1
        return
    state.last_success_at = record.at
    state.last_error = record.error
    state.consecutive_failures = 0
    if record.identity is not None:
        ident = record.identity
        state.vendor, state.os, state.sys_name = ident.vendor, ident.os, ident.sys_name
        state.sys_descr, state.sys_object_id = ident.sys_descr, ident.sys_object_id
        state.hardware, state.version, state.serial = ident.hardware, ident.version, ident.serial
    if record.uptime_s is not None:
        state.uptime_s = record.uptime_s
    state.cpu_percent = record.cpu_percent
    state.memory_percent = record.memory_percent


def _summary(
    device: DeviceRow, state: DeviceStateRow | None, region_names: dict[str, str]
) -> DeviceSummary:
    return DeviceSummary(
        id=device.id,
        name=device.name,
        region=device.region_code,
        region_name=region_names.get(device.region_code, device.region_code),
        site=device.site_id,
        platform=Platform(device.platform),
        role=DeviceRole(device.role),
        address=device.address,
        status=Status(state.status) if state else Status.UNKNOWN,
        os=state.os if state else None,
        hardware=state.hardware if state else None,
        uptime_s=state.uptime_s if state else None,
        cpu_percent=state.cpu_percent if state else None,
        memory_percent=state.memory_percent if state else None,
        last_poll_at=state.last_poll_at if state else None,
        last_error=state.last_error if state else None,
    )


_SUMMARY_COLUMNS = (
    DeviceRow.id,
    DeviceRow.name,
    DeviceRow.region_code,
    DeviceRow.site_id,
    DeviceRow.platform,
    DeviceRow.role,
    DeviceRow.address,
    DeviceStateRow.status,
    DeviceStateRow.os,
    DeviceStateRow.hardware,
    DeviceStateRow.uptime_s,
    DeviceStateRow.cpu_percent,
    DeviceStateRow.memory_percent,
    DeviceStateRow.last_poll_at,
    DeviceStateRow.last_error,
)
_PLATFORMS = {p.value: p for p in Platform}
_ROLES = {r.value: r for r in DeviceRole}
_STATUSES = {s.value: s for s in Status}


def _summary_of_columns(row: Sequence[Any], region_names: dict[str, str]) -> DeviceSummary:
    """A summary from one row of ``_SUMMARY_COLUMNS``. The values come from our own tables,
    written through validated models, so they are trusted: ``model_construct`` skips
    re-validating every field of every row on every list."""
    (
        device_id, name, region, site, platform, role, address,
        status, os_name, hardware, uptime_s, cpu, memory, last_poll_at, last_error,
    ) = row  # fmt: skip
    return DeviceSummary.model_construct(
        id=device_id,
        name=name,
        region=region,
        region_name=region_names.get(region, region),
        site=site,
        platform=_PLATFORMS[platform],
        role=_ROLES[role],
        address=address,
        status=_STATUSES[status] if status is not None else Status.UNKNOWN,
        os=os_name,
        hardware=hardware,
        uptime_s=uptime_s,
        cpu_percent=cpu,
        memory_percent=memory,
        last_poll_at=last_poll_at,
        last_error=last_error,
    )


def _identity(state: DeviceStateRow | None) -> DeviceIdentity:
    if state is None:
        return DeviceIdentity()
    return DeviceIdentity(
        vendor=state.vendor,
        os=state.os,
        sys_name=state.sys_name,
        sys_descr=state.sys_descr,
        sys_object_id=state.sys_object_id,
        hardware=state.hardware,
        version=state.version,
        serial=state.serial,
    )


def _interface_view(row: InterfaceRow, link_of: dict[str, str]) -> InterfaceView:
    utilisation = None
    if row.speed_bps and (row.in_bps is not None or row.out_bps is not None):
        utilisation = 100.0 * max(row.in_bps or 0.0, row.out_bps or 0.0) / row.speed_bps
    link = link_of.get(row.name or "") or link_of.get(row.descr or "")
    return InterfaceView(
        if_index=row.if_index,
        name=row.name,
        descr=row.descr,
        alias=row.alias,
        if_type=row.if_type,
        speed_bps=row.speed_bps,
        admin_status=row.admin_status,
        oper_status=row.oper_status,
        in_bps=row.in_bps,
        out_bps=row.out_bps,
        in_errors_per_s=row.in_errors_per_s,
        out_errors_per_s=row.out_errors_per_s,
        utilisation_percent=utilisation,
        updated_at=row.updated_at,
        link=link,
    )


def _link_view(row: LinkRow) -> LinkView:
    return LinkView(
        id=row.id,
        a_device=row.a_device,
        a_interface=row.a_interface,
        b_device=row.b_device,
        b_interface=row.b_interface,
        tier=LinkTier(row.tier),
        role=LinkRole(row.role),
        capacity_bps=row.capacity_bps,
    )


def _upsert(
    session: Session, table: type[InterfaceRow], rows: list[dict[str, Any]], keys: list[str]
) -> Any:
    """INSERT … ON CONFLICT DO UPDATE in the dialect of the session's database."""
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(table).values(rows)
    updates = {c: statement.excluded[c] for c in rows[0] if c not in keys}
    return statement.on_conflict_do_update(index_elements=keys, set_=updates)
