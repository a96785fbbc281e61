"""ssh collectors: host keys, config versions, backups, accounts, host units, facts

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "accounts",
        sa.Column("device_id", sa.String(length=96), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("origin", sa.String(length=64), nullable=False),
        sa.Column("privilege", sa.String(length=64), nullable=True),
        sa.Column("uid", sa.Integer(), nullable=True),
        sa.Column("groups", sa.Text(), nullable=True),
        sa.Column("shell", sa.String(length=255), nullable=True),
        sa.Column("sudo", sa.Text(), nullable=True),
        sa.Column("authorized_keys", sa.Text(), nullable=True),
        sa.Column("password_type", sa.String(length=64), nullable=True),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("password_max_age_days", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=32), nullable=True),
        sa.Column("service_types", sa.String(length=255), nullable=True),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("device_id", "name", "origin", name=op.f("pk_accounts")),
    )
    op.create_table(
        "backup_status",
        sa.Column("device_id", sa.String(length=96), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_version_id", sa.Integer(), nullable=True),
        sa.Column("last_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_backup_status")),
    )
    op.create_table(
        "config_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("device_id", sa.String(length=96), nullable=False),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("lines_added", sa.Integer(), nullable=False),
        sa.Column("lines_removed", sa.Integer(), nullable=False),
        sa.Column("changed_by", sa.String(length=255), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_config_versions")),
    )
    with op.batch_alter_table("config_versions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_config_versions_device_collected", ["device_id", "collected_at"], unique=False
        )

    op.create_table(
        "host_units",
        sa.Column("device_id", sa.String(length=96), nullable=False),
        sa.Column("unit", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("device_id", "unit", name=op.f("pk_host_units")),
    )
    op.create_table(
        "ssh_facts",
        sa.Column("device_id", sa.String(length=96), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=True),
        sa.Column("vendor", sa.String(length=64), nullable=True),
        sa.Column("os_version", sa.String(length=255), nullable=True),
        sa.Column("model", sa.String(length=255), nullable=True),
        sa.Column("serial", sa.String(length=255), nullable=True),
        sa.Column("uptime", sa.String(length=255), nullable=True),
        sa.Column("facts", sa.Text(), nullable=True),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_ssh_facts")),
    )
    op.create_table(
        "ssh_host_keys",
        sa.Column("endpoint", sa.String(length=300), nullable=False),
        sa.Column("device_id", sa.String(length=96), nullable=True),
        sa.Column("key_type", sa.String(length=64), nullable=False),
        sa.Column("fingerprint_sha256", sa.String(length=128), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("endpoint", name=op.f("pk_ssh_host_keys")),
    )
    with op.batch_alter_table("ssh_host_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ssh_host_keys_device_id"), ["device_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("ssh_host_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ssh_host_keys_device_id"))

    op.drop_table("ssh_host_keys")
    op.drop_table("ssh_facts")
    op.drop_table("host_units")
    with op.batch_alter_table("config_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_config_versions_device_collected")

    op.drop_table("config_versions")
    op.drop_table("backup_status")
    op.drop_table("accounts")
