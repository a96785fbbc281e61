"""routing: OSPF adjacencies, BGP sessions, VRRP groups and interface addresses per device

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _device_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["device_id"],
        ["devices.id"],
        name=op.f(f"fk_{table}_device_id_devices"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "routing_reports",
        sa.Column("device_id", sa.String(length=96), nullable=False),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ospf_reported", sa.Boolean(), nullable=False),
        sa.Column("ospf_router_id", sa.String(length=64), nullable=True),
        sa.Column("bgp_reported", sa.Boolean(), nullable=False),
        sa.Column("bgp_local_as", sa.BigInteger(), nullable=True),
        sa.Column("vrrp_reported", sa.Boolean(), nullable=False),
        _device_fk("routing_reports"),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_routing_reports")),
    )
    op.create_table(
        "routing_adjacencies",
        sa.Column("device_id", sa.String(length=96), nullable=False),
        sa.Column("protocol", sa.String(length=8), nullable=False),
        sa.Column("neighbour_address", sa.String(length=64), nullable=False),
        sa.Column("address_less_index", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("router_id", sa.String(length=64), nullable=True),
        sa.Column("local_if_index", sa.BigInteger(), nullable=True),
        sa.Column("local_address", sa.String(length=64), nullable=True),
        sa.Column("remote_as", sa.BigInteger(), nullable=True),
        sa.Column("admin_status", sa.String(length=8), nullable=True),
        sa.Column("state_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        _device_fk("routing_adjacencies"),
        sa.PrimaryKeyConstraint(
            "device_id",
            "protocol",
            "neighbour_address",
            "address_less_index",
            name=op.f("pk_routing_adjacencies"),
        ),
    )
    op.create_table(
        "vrrp_routers",
        sa.Column("device_id", sa.String(length=96), nullable=False),
        sa.Column("if_index", sa.BigInteger(), nullable=False),
        sa.Column("vr_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("master_address", sa.String(length=64), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=True),
        sa.Column("state_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        _device_fk("vrrp_routers"),
        sa.PrimaryKeyConstraint("device_id", "if_index", "vr_id", name=op.f("pk_vrrp_routers")),
    )
    op.create_table(
        "interface_addresses",
        sa.Column("device_id", sa.String(length=96), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("if_index", sa.BigInteger(), nullable=False),
        sa.Column("prefix_length", sa.Integer(), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        _device_fk("interface_addresses"),
        sa.PrimaryKeyConstraint("device_id", "address", name=op.f("pk_interface_addresses")),
    )


def downgrade() -> None:
    op.drop_table("interface_addresses")
    op.drop_table("vrrp_routers")
    op.drop_table("routing_adjacencies")
    op.drop_table("routing_reports")
