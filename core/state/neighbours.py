"""LLDP neighbours as last observed, per device and source: the input of link discovery.

Each collection replaces what one device reported through one source (SNMP or CLI) as a whole, in
one transaction: a neighbour still reported keeps its ``first_seen_at`` and moves its
``last_seen_at``; one no longer reported is deleted. A failed collection stores nothing, so the
last picture stays with its age.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from core.errors import StoreError
from core.neighbours import (
    ChassisIdSubtype,
    LldpNeighbour,
    NeighbourSource,
    PortIdSubtype,
    StoredNeighbour,
    parse_ip,
)
from core.state.tables import LldpNeighbourRow

_Key = tuple[str, str, str, str, str]


class NeighbourRepository:
    """Observed LLDP neighbours: replaced per device on every collection, read by topology."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def replace_neighbours(
        self,
        device_id: str,
        neighbours: Iterable[LldpNeighbour],
        at: datetime,
        *,
        source: NeighbourSource = NeighbourSource.SNMP,
    ) -> int:
        """Make ``device_id``'s stored neighbours from ``source`` exactly ``neighbours``.

        Returns how many are stored. Neighbours of another device or source in ``neighbours``
        are a caller's mistake (``ValueError``); the device must be in the inventory tables.
        """
        if at.tzinfo is None:
            raise ValueError("at must be timezone-aware")
        wanted: dict[_Key, LldpNeighbour] = {}
        for neighbour in neighbours:
            if neighbour.device_id != device_id or neighbour.source is not source:
                raise ValueError(
                    f"a neighbour of {neighbour.device_id} ({neighbour.source}) given as one of "
                    f"{device_id} ({source})"
                )
            wanted[neighbour.identity()] = neighbour  # a row given twice: the later wins
        stored = len(wanted)
        try:
            with self._sessions.begin() as session:
                query = select(LldpNeighbourRow).where(
                    LldpNeighbourRow.device_id == device_id,
                    LldpNeighbourRow.source == source.value,
                )
                for row in session.scalars(query):
                    fresh = wanted.get(_key(row))
                    if fresh is None:
                        session.delete(row)
                    else:
                        _fill(row, fresh)
                        row.last_seen_at = at
                        del wanted[_key(row)]
                session.add_all(_row(n, at) for n in wanted.values())
        except SQLAlchemyError as exc:
            raise StoreError(
                f"state DB: cannot store the LLDP neighbours of {device_id}: {exc}"
            ) from exc
        return stored

    def neighbours(self, device_ids: Collection[str] | None = None) -> list[StoredNeighbour]:
        """Stored neighbours (of ``device_ids``, or all), by device, source and local port."""
        query = select(LldpNeighbourRow).order_by(
            LldpNeighbourRow.device_id,
            LldpNeighbourRow.source,
            LldpNeighbourRow.local_port,
            LldpNeighbourRow.remote_chassis_id,
            LldpNeighbourRow.remote_port_id,
        )
        if device_ids is not None:
            query = query.where(LldpNeighbourRow.device_id.in_(list(device_ids)))
        try:
            with self._sessions() as session:
                return [_stored(row) for row in session.scalars(query)]
        except SQLAlchemyError as exc:
            raise StoreError(f"state DB: cannot read LLDP neighbours: {exc}") from exc


def _key(row: LldpNeighbourRow) -> _Key:
    return (
        row.device_id,
        row.source,
        row.local_port,
        row.remote_chassis_id,
        row.remote_port_id,
    )


def _fill(row: LldpNeighbourRow, neighbour: LldpNeighbour) -> None:
    address = neighbour.remote_management_address
    row.local_if_index = neighbour.local_if_index
    row.remote_chassis_id_subtype = neighbour.remote_chassis_id_subtype.value
    row.remote_port_id_subtype = neighbour.remote_port_id_subtype.value
    row.remote_port_description = neighbour.remote_port_description
    row.remote_system_name = neighbour.remote_system_name
    row.remote_system_description = neighbour.remote_system_description
    row.remote_management_address = str(address) if address is not None else None


def _row(neighbour: LldpNeighbour, at: datetime) -> LldpNeighbourRow:
    row = LldpNeighbourRow(
        device_id=neighbour.device_id,
        source=neighbour.source.value,
        local_port=neighbour.local_port,
        remote_chassis_id=neighbour.remote_chassis_id,
        remote_port_id=neighbour.remote_port_id,
        first_seen_at=at,
        last_seen_at=at,
    )
    _fill(row, neighbour)
    return row


def _stored(row: LldpNeighbourRow) -> StoredNeighbour:
    return StoredNeighbour(
        device_id=row.device_id,
        local_port=row.local_port,
        local_if_index=row.local_if_index,
        remote_chassis_id=row.remote_chassis_id,
        remote_chassis_id_subtype=ChassisIdSubtype(row.remote_chassis_id_subtype),
        remote_port_id=row.remote_port_id,
        remote_port_id_subtype=PortIdSubtype(row.remote_port_id_subtype),
        remote_port_description=row.remote_port_description,
        remote_system_name=row.remote_system_name,
        remote_system_description=row.remote_system_description,
        remote_management_address=parse_ip(row.remote_management_address),
        source=NeighbourSource(row.source),
        first_seen_at=row.first_seen_at,
        last_seen_at=row.last_seen_at,
    )
