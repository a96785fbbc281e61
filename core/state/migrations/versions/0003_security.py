"""users, roles, sessions, API tokens, audit trail, credentials vault, access reviews

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewer", sa.String(length=64), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_reviews")),
    )
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "anchor_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("anchor_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=300), nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_actor"), ["actor"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_target"), ["target"], unique=False)

    op.create_table(
        "noc_users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=128), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_noc_users")),
        sa.UniqueConstraint("username", name=op.f("uq_noc_users_username")),
    )
    op.create_table(
        "vault_secrets",
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=96), nullable=False),
        sa.Column("ciphertext", sa.Text(), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "name", name=op.f("pk_vault_secrets")),
    )
    op.create_table(
        "noc_api_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=24), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["noc_users.id"],
            name=op.f("fk_noc_api_tokens_user_id_noc_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_noc_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_noc_api_tokens_token_hash")),
    )
    with op.batch_alter_table("noc_api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_noc_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "noc_role_grants",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("scope_code", sa.String(length=6), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("granted_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["noc_users.id"],
            name=op.f("fk_noc_role_grants_user_id_noc_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_noc_role_grants")),
    )
    with op.batch_alter_table("noc_role_grants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_noc_role_grants_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            "uq_noc_role_grants_user_role_scope", ["user_id", "role", "scope_code"], unique=True
        )

    op.create_table(
        "noc_sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("access_hash", sa.String(length=64), nullable=False),
        sa.Column("access_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refresh_hash", sa.String(length=64), nullable=False),
        sa.Column("refresh_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["noc_users.id"],
            name=op.f("fk_noc_sessions_user_id_noc_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_noc_sessions")),
        sa.UniqueConstraint("access_hash", name=op.f("uq_noc_sessions_access_hash")),
        sa.UniqueConstraint("refresh_hash", name=op.f("uq_noc_sessions_refresh_hash")),
    )
    with op.batch_alter_table("noc_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_noc_sessions_user_id"), ["user_id"], unique=False)
    # The chain's head exists from the start, so appends only ever UPDATE it (a row lock).
    op.execute(
        "INSERT INTO audit_head (id, last_seq, last_hash, anchor_seq, anchor_hash) "
        "VALUES (1, 0, '" + "0" * 64 + "', 0, '" + "0" * 64 + "')"
    )


def downgrade() -> None:
    with op.batch_alter_table("noc_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_noc_sessions_user_id"))

    op.drop_table("noc_sessions")
    with op.batch_alter_table("noc_role_grants", schema=None) as batch_op:
        batch_op.drop_index("uq_noc_role_grants_user_role_scope")
        batch_op.drop_index(batch_op.f("ix_noc_role_grants_user_id"))

    op.drop_table("noc_role_grants")
    with op.batch_alter_table("noc_api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_noc_api_tokens_user_id"))

    op.drop_table("noc_api_tokens")
    op.drop_table("vault_secrets")
    op.drop_table("noc_users")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_target"))
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))
        batch_op.drop_index(batch_op.f("ix_audit_log_actor"))

    op.drop_table("audit_log")
    op.drop_table("audit_head")
    op.drop_table("access_reviews")
