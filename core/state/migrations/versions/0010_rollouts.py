"""rollouts: staged rollouts of terminal firmware and parameters, their waves, members and events

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _rollout_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["rollout_id"],
        ["rollouts.id"],
        name=op.f(f"fk_{table}_rollout_id_rollouts"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "rollouts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("component", sa.String(length=16), nullable=False),
        sa.Column("target_version", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollouts")),
    )
    op.create_table(
        "rollout_waves",
        sa.Column("rollout_id", sa.String(length=32), nullable=False),
        sa.Column("wave_index", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=128), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("terminal_count", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("judged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("figures", sa.Text(), nullable=True),
        _rollout_fk("rollout_waves"),
        sa.PrimaryKeyConstraint("rollout_id", "wave_index", name=op.f("pk_rollout_waves")),
    )
    op.create_table(
        "rollout_members",
        sa.Column("rollout_id", sa.String(length=32), nullable=False),
        sa.Column("terminal_id", sa.String(length=64), nullable=False),
        sa.Column("wave_index", sa.Integer(), nullable=False),
        sa.Column("previous_version", sa.String(length=64), nullable=True),
        sa.Column("baseline_reads", sa.Integer(), nullable=False),
        sa.Column("baseline_failures", sa.Integer(), nullable=False),
        _rollout_fk("rollout_members"),
        sa.PrimaryKeyConstraint("rollout_id", "terminal_id", name=op.f("pk_rollout_members")),
    )
    with op.batch_alter_table("rollout_members", schema=None) as batch_op:
        batch_op.create_index("ix_rollout_members_terminal_id", ["terminal_id"], unique=False)

    op.create_table(
        "rollout_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("rollout_id", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("by", sa.String(length=128), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("wave_index", sa.Integer(), nullable=True),
        sa.Column("figures", sa.Text(), nullable=True),
        _rollout_fk("rollout_events"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollout_events")),
    )
    with op.batch_alter_table("rollout_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rollout_events_rollout_id"), ["rollout_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("rollout_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rollout_events_rollout_id"))

    op.drop_table("rollout_events")
    with op.batch_alter_table("rollout_members", schema=None) as batch_op:
        batch_op.drop_index("ix_rollout_members_terminal_id")

    op.drop_table("rollout_members")
    op.drop_table("rollout_waves")
    op.drop_table("rollouts")
