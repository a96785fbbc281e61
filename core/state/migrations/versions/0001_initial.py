"""initial schema: regions, sites, devices, state, interfaces, links

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "devices",
        sa.Column("id", sa.String(length=96), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("site_id", sa.String(length=96), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("snmp_port", sa.Integer(), nullable=True),
        sa.Column("credential_name", sa.String(length=96), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
    )
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_devices_region_code"), ["region_code"], unique=False)
        batch_op.create_index("ix_devices_site", ["site_id"], unique=False)

    op.create_table(
        "links",
        sa.Column("id", sa.String(length=96), nullable=False),
        sa.Column("a_device", sa.String(length=96), nullable=False),
        sa.Column("a_interface", sa.String(length=255), nullable=False),
        sa.Column("b_device", sa.String(length=96), nullable=False),
        sa.Column("b_interface", sa.String(length=255), nullable=False),
        sa.Column("tier", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("capacity_bps", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_links")),
    )
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_links_a_device"), ["a_device"], unique=False)
        batch_op.create_index(batch_op.f("ix_links_b_device"), ["b_device"], unique=False)

    op.create_table(
        "regions",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("parent_code", sa.String(length=6), nullable=True),
        sa.Column("slug", sa.String(length=96), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_regions")),
    )
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_regions_parent_code"), ["parent_code"], unique=False)

    op.create_table(
        "sites",
        sa.Column("id", sa.String(length=96), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
    )
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sites_region_code"), ["region_code"], unique=False)

    op.create_table(
        "device_state",
        sa.Column("device_id", sa.String(length=96), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("vendor", sa.String(length=64), nullable=True),
        sa.Column("os", sa.String(length=32), nullable=True),
        sa.Column("sys_name", sa.String(length=255), nullable=True),
        sa.Column("sys_descr", sa.Text(), nullable=True),
        sa.Column("sys_object_id", sa.String(length=255), nullable=True),
        sa.Column("hardware", sa.String(length=255), nullable=True),
        sa.Column("version", sa.String(length=255), nullable=True),
        sa.Column("serial", sa.String(length=255), nullable=True),
        sa.Column("uptime_s", sa.Float(), nullable=True),
        sa.Column("cpu_percent", sa.Float(), nullable=True),
        sa.Column("memory_percent", sa.Float(), nullable=True),
        sa.Column("last_poll_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("poll_duration_s", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_device_state_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_device_state")),
    )
    with op.batch_alter_table("device_state", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_state_status"), ["status"], unique=False)

    op.create_table(
        "interfaces",
        sa.Column("device_id", sa.String(length=96), nullable=False),
        sa.Column("if_index", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("descr", sa.String(length=255), nullable=True),
        sa.Column("alias", sa.String(length=255), nullable=True),
        sa.Column("if_type", sa.String(length=64), nullable=True),
        sa.Column("speed_bps", sa.BigInteger(), nullable=True),
        sa.Column("admin_status", sa.String(length=16), nullable=True),
        sa.Column("oper_status", sa.String(length=16), nullable=True),
        sa.Column("in_bps", sa.Float(), nullable=True),
        sa.Column("out_bps", sa.Float(), nullable=True),
        sa.Column("in_errors_per_s", sa.Float(), nullable=True),
        sa.Column("out_errors_per_s", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_interfaces_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("device_id", "if_index", name=op.f("pk_interfaces")),
    )


def downgrade() -> None:

    op.drop_table("interfaces")
    with op.batch_alter_table("device_state", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_state_status"))

    op.drop_table("device_state")
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sites_region_code"))

    op.drop_table("sites")
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_regions_parent_code"))

    op.drop_table("regions")
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_links_b_device"))
        batch_op.drop_index(batch_op.f("ix_links_a_device"))

    op.drop_table("links")
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_index("ix_devices_site")
        batch_op.drop_index(batch_op.f("ix_devices_region_code"))

    op.drop_table("devices")
