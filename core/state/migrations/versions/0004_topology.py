"""topology: LLDP neighbours as observed

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lldp_neighbours",
        sa.Column("device_id", sa.String(length=96), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("local_port", sa.String(length=255), nullable=False),
        sa.Column("remote_chassis_id", sa.String(length=512), nullable=False),
        sa.Column("remote_port_id", sa.String(length=512), nullable=False),
        sa.Column("local_if_index", sa.BigInteger(), nullable=True),
        sa.Column("remote_chassis_id_subtype", sa.String(length=32), nullable=False),
        sa.Column("remote_port_id_subtype", sa.String(length=32), nullable=False),
        sa.Column("remote_port_description", sa.Text(), nullable=True),
        sa.Column("remote_system_name", sa.String(length=255), nullable=True),
        sa.Column("remote_system_description", sa.Text(), nullable=True),
        sa.Column("remote_management_address", sa.String(length=64), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_lldp_neighbours_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "device_id",
            "source",
            "local_port",
            "remote_chassis_id",
            "remote_port_id",
            name=op.f("pk_lldp_neighbours"),
        ),
    )
    with op.batch_alter_table("lldp_neighbours", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lldp_neighbours_remote_system_name"),
            ["remote_system_name"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("lldp_neighbours", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lldp_neighbours_remote_system_name"))

    op.drop_table("lldp_neighbours")
