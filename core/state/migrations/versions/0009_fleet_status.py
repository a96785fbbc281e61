"""fleet status: each terminal's latest heartbeat, and each county's last fleet health

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "terminal_status",
        sa.Column("terminal_id", sa.String(length=32), nullable=False),
        sa.Column("county", sa.String(length=6), nullable=False),
        sa.Column("city", sa.String(length=6), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeats", sa.BigInteger(), nullable=False),
        sa.Column("reader_present", sa.Boolean(), nullable=False),
        sa.Column("psam_status", sa.String(length=16), nullable=False),
        sa.Column("firmware_version", sa.String(length=64), nullable=False),
        sa.Column("parameter_version", sa.String(length=64), nullable=False),
        sa.Column("blacklist_version", sa.String(length=64), nullable=False),
        sa.Column("uptime_s", sa.BigInteger(), nullable=False),
        sa.Column("free_storage_mb", sa.BigInteger(), nullable=False),
        sa.Column("unsent_transactions", sa.BigInteger(), nullable=False),
        sa.Column("last_card_reads", sa.Integer(), nullable=False),
        sa.Column("last_card_read_failures", sa.Integer(), nullable=False),
        sa.Column("window_reads", sa.BigInteger(), nullable=False),
        sa.Column("window_failures", sa.BigInteger(), nullable=False),
        sa.Column("window_bucket_s", sa.Integer(), nullable=False),
        sa.Column("window_newest_bucket", sa.BigInteger(), nullable=False),
        sa.Column("window_read_counts", sa.Text(), nullable=False),
        sa.Column("window_failure_counts", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["terminal_id"],
            ["terminals.id"],
            name=op.f("fk_terminal_status_terminal_id_terminals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("terminal_id", name=op.f("pk_terminal_status")),
    )
    with op.batch_alter_table("terminal_status", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_terminal_status_county"), ["county"], unique=False)

    op.create_table(
        "county_fleet_health",
        sa.Column("county", sa.String(length=6), nullable=False),
        sa.Column("city", sa.String(length=6), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("terminals", sa.Integer(), nullable=False),
        sa.Column("registered", sa.Integer(), nullable=False),
        sa.Column("provisioned", sa.Integer(), nullable=False),
        sa.Column("active", sa.Integer(), nullable=False),
        sa.Column("suspended", sa.Integer(), nullable=False),
        sa.Column("retired", sa.Integer(), nullable=False),
        sa.Column("lost", sa.Integer(), nullable=False),
        sa.Column("online", sa.Integer(), nullable=False),
        sa.Column("online_share", sa.Float(), nullable=True),
        sa.Column("silent", sa.Integer(), nullable=False),
        sa.Column("silent_terminals", sa.Text(), nullable=False),
        sa.Column("card_reads", sa.BigInteger(), nullable=False),
        sa.Column("card_read_failures", sa.BigInteger(), nullable=False),
        sa.Column("read_failure_rate", sa.Float(), nullable=True),
        sa.Column("outliers", sa.Integer(), nullable=False),
        sa.Column("outlier_terminals", sa.Text(), nullable=False),
        sa.Column("psam_missing", sa.Integer(), nullable=False),
        sa.Column("psam_error", sa.Integer(), nullable=False),
        sa.Column("majority_firmware", sa.String(length=64), nullable=True),
        sa.Column("majority_parameter", sa.String(length=64), nullable=True),
        sa.Column("firmware_drift", sa.Integer(), nullable=False),
        sa.Column("parameter_drift", sa.Integer(), nullable=False),
        sa.Column("version_drift", sa.Integer(), nullable=False),
        sa.Column("off_target", sa.Integer(), nullable=False),
        sa.Column("firmware_versions", sa.Text(), nullable=False),
        sa.Column("parameter_versions", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("county", name=op.f("pk_county_fleet_health")),
    )
    with op.batch_alter_table("county_fleet_health", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_county_fleet_health_city"), ["city"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("county_fleet_health", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_county_fleet_health_city"))

    op.drop_table("county_fleet_health")
    with op.batch_alter_table("terminal_status", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_terminal_status_county"))

    op.drop_table("terminal_status")
