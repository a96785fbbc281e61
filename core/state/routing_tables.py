"""Tables of routing state (migration 0007): what each device's agent says of its OSPF
adjacencies, BGP sessions, VRRP groups and interface addresses, as last collected.

Declared on the state DB's one :class:`~core.state.tables.Base`. :mod:`core.state.routing` writes
them (each collection replaces one device's rows as a whole) and reads them back;
:mod:`core.state.link_states` reads them as evidence about links.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.state.tables import Base, UtcDateTime


class RoutingReportRow(Base):
    """One device's last routing collection: which protocols its agent reports at all.

    A protocol not reported is no evidence either way (the agent does not implement its MIB, or
    the device does not run it); a protocol reported with no neighbour is evidence of none.
    """

    __tablename__ = "routing_reports"

    device_id: Mapped[str] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    collected_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ospf_reported: Mapped[bool] = mapped_column(Boolean)
    """OSPF-MIB answered and OSPF is enabled (ospfAdminStat), or neighbours were listed."""
    ospf_router_id: Mapped[str | None] = mapped_column(String(64))
    bgp_reported: Mapped[bool] = mapped_column(Boolean)
    """BGP4-MIB answered with a local AS or with peers."""
    bgp_local_as: Mapped[int | None] = mapped_column(BigInteger)
    vrrp_reported: Mapped[bool] = mapped_column(Boolean)
    """VRRP-MIB answered (vrrpNodeVersion) or listed virtual routers."""


class RoutingAdjacencyRow(Base):
    """One OSPF neighbour or BGP peer of a device, as last collected; deleted when no longer
    reported."""

    __tablename__ = "routing_adjacencies"

    device_id: Mapped[str] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    protocol: Mapped[str] = mapped_column(String(8), primary_key=True)
    """``ospf`` or ``bgp``."""
    neighbour_address: Mapped[str] = mapped_column(String(64), primary_key=True)
    """ospfNbrIpAddr (the neighbour's interface address), or bgpPeerRemoteAddr."""
    address_less_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    """ospfNbrAddressLessIndex (an unnumbered interface's ifIndex); 0 otherwise and for BGP."""
    state: Mapped[str] = mapped_column(String(16))
    """OSPF: down … full; BGP: idle … established (the MIBs' names)."""
    router_id: Mapped[str | None] = mapped_column(String(64))
    """ospfNbrRtrId, or bgpPeerIdentifier."""
    local_if_index: Mapped[int | None] = mapped_column(BigInteger)
    """The local interface the neighbour was learnt on, where the device's addresses say."""
    local_address: Mapped[str | None] = mapped_column(String(64))
    """bgpPeerLocalAddr."""
    remote_as: Mapped[int | None] = mapped_column(BigInteger)
    admin_status: Mapped[str | None] = mapped_column(String(8))
    """bgpPeerAdminStatus: ``start`` or ``stop`` (a stopped session is down on purpose)."""
    state_since: Mapped[datetime] = mapped_column(UtcDateTime())
    """When the state DB first saw it in its present state."""
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())


class VrrpRouterRow(Base):
    """One virtual router (VRRP group) a device takes part in, as last collected."""

    __tablename__ = "vrrp_routers"

    device_id: Mapped[str] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    if_index: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    vr_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    """``initialize``, ``backup`` or ``master``."""
    master_address: Mapped[str | None] = mapped_column(String(64))
    priority: Mapped[int | None] = mapped_column(Integer)
    state_since: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())


class InterfaceAddressRow(Base):
    """One IPv4 address a device reports on one of its interfaces (IP-MIB ipAddrTable)."""

    __tablename__ = "interface_addresses"

    device_id: Mapped[str] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    if_index: Mapped[int] = mapped_column(BigInteger)
    prefix_length: Mapped[int | None] = mapped_column(Integer)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
