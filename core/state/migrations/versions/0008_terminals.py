"""terminals: the card-terminal registry and every change made to a terminal

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "terminals",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("site", sa.String(length=255), nullable=False),
        sa.Column("county", sa.String(length=6), nullable=False),
        sa.Column("city", sa.String(length=6), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("psam_terminal_number", sa.String(length=16), nullable=True),
        sa.Column("firmware_version", sa.String(length=64), nullable=True),
        sa.Column("parameter_version", sa.String(length=64), nullable=True),
        sa.Column("credential_hash", sa.String(length=64), nullable=True),
        sa.Column("credential_issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terminals")),
        sa.UniqueConstraint("serial", name=op.f("uq_terminals_serial")),
        sa.UniqueConstraint("psam_terminal_number", name=op.f("uq_terminals_psam_terminal_number")),
    )
    with op.batch_alter_table("terminals", schema=None) as batch_op:
        batch_op.create_index("ix_terminals_county_state", ["county", "state"], unique=False)

    op.create_table(
        "terminal_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("terminal_id", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("by", sa.String(length=128), nullable=False),
        sa.Column("before", sa.String(length=16), nullable=True),
        sa.Column("after", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["terminal_id"],
            ["terminals.id"],
            name=op.f("fk_terminal_events_terminal_id_terminals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terminal_events")),
    )
    with op.batch_alter_table("terminal_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_terminal_events_terminal_id"), ["terminal_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("terminal_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_terminal_events_terminal_id"))

    op.drop_table("terminal_events")
    with op.batch_alter_table("terminals", schema=None) as batch_op:
        batch_op.drop_index("ix_terminals_county_state")

    op.drop_table("terminals")
