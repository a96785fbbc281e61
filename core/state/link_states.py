"""The state of every inventory link, read from what the pollers stored about its two ends.

Read-only. A link is

- ``down`` when either end device is down (does not answer) or either end's interface reports an
  oper status of ``down`` (also ``lowerLayerDown`` and ``notPresent``: no traffic passes);
- ``up`` when, short of that, at least one end's interface reports ``up``;
- ``unknown`` otherwise: neither end has been polled, or neither has the interface.

An end's interface is the one whose ifName (else ifDescr) is the inventory's interface name. Rates
are as seen from end ``a`` (``in_bps`` arriving at a); from end ``b``'s counters, swapped, when a
has none. :class:`LinkObservation` has the shape ``topology`` takes as a link state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from core.errors import StoreError
from core.model import Status
from core.state.tables import DeviceStateRow, InterfaceRow, LinkRow

LinkObservedStatus = Literal["up", "down", "unknown"]
_NOT_PASSING = frozenset({"down", "lowerLayerDown", "notPresent"})


@dataclass(frozen=True, slots=True)
class LinkObservation:
    """One inventory link as its two ends were last seen."""

    link_id: str
    status: LinkObservedStatus
    reason: str | None = None
    """Why it is down, for people: which device does not answer, which interface is down."""
    in_bps: float | None = None
    out_bps: float | None = None


@dataclass(frozen=True, slots=True)
class _Port:
    oper_status: str | None
    in_bps: float | None
    out_bps: float | None


def read_link_states(engine: Engine) -> dict[str, LinkObservation]:
    """Every inventory link's observed state, by link id."""
    try:
        with Session(engine) as session:
            links = list(session.scalars(select(LinkRow).order_by(LinkRow.id)))
            statuses = {
                device_id: status
                for device_id, status in session.execute(
                    select(DeviceStateRow.device_id, DeviceStateRow.status)
                )
            }
            ends = {lk.a_device for lk in links} | {lk.b_device for lk in links}
            rows = session.execute(
                select(
                    InterfaceRow.device_id,
                    InterfaceRow.name,
                    InterfaceRow.descr,
                    InterfaceRow.oper_status,
                    InterfaceRow.in_bps,
                    InterfaceRow.out_bps,
                ).where(InterfaceRow.device_id.in_(sorted(ends)))
            ).all()
    except SQLAlchemyError as exc:
        raise StoreError(f"state DB: cannot read link states: {exc}") from exc
    ports: dict[tuple[str, str], _Port] = {}
    for row in rows:  # ifDescr first, so that an ifName of the same text wins
        if row.descr:
            ports[(row.device_id, row.descr)] = _Port(row.oper_status, row.in_bps, row.out_bps)
    for row in rows:
        if row.name:
            ports[(row.device_id, row.name)] = _Port(row.oper_status, row.in_bps, row.out_bps)
    return {
        link.id: _observe(
            link,
            (statuses.get(link.a_device), ports.get((link.a_device, link.a_interface))),
            (statuses.get(link.b_device), ports.get((link.b_device, link.b_interface))),
        )
        for link in links
    }


def _observe(
    link: LinkRow,
    a: tuple[str | None, _Port | None],
    b: tuple[str | None, _Port | None],
) -> LinkObservation:
    reasons = []
    for (status, port), device, interface in (
        (a, link.a_device, link.a_interface),
        (b, link.b_device, link.b_interface),
    ):
        if status == Status.DOWN.value:
            reasons.append(f"{device} does not answer")
        elif port is not None and port.oper_status in _NOT_PASSING:
            reasons.append(f"{interface} on {device} is {port.oper_status}")
    in_bps, out_bps = _rates(a[1], b[1])
    if reasons:
        return LinkObservation(link.id, "down", "; ".join(reasons), in_bps, out_bps)
    seen_up = any(port is not None and port.oper_status == "up" for _, port in (a, b))
    return LinkObservation(link.id, "up" if seen_up else "unknown", None, in_bps, out_bps)


def _rates(a: _Port | None, b: _Port | None) -> tuple[float | None, float | None]:
    if a is not None and (a.in_bps is not None or a.out_bps is not None):
        return a.in_bps, a.out_bps
    if b is not None and (b.in_bps is not None or b.out_bps is not None):
        return b.out_bps, b.in_bps
    return None, None
