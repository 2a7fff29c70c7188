"""Portal accounts and API tokens (iku web).

Revision ID: 0004_web
Revises: 0003
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_web"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_account",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("opd_code", sa.String(64), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("bidang", sa.String(64)),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_web_account"),
        sa.UniqueConstraint("username", name="uq_web_account_username"),
    )
    op.create_table(
        "web_token",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account_id", sa.Integer, nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("secret_hash", sa.String(255), nullable=False),
        sa.Column("label", sa.String(128)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_web_token"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["web_account.id"], name="fk_web_token_account_id_web_account"
        ),
        sa.UniqueConstraint("key_id", name="uq_web_token_key_id"),
    )


def downgrade() -> None:
    op.drop_table("web_token")
    op.drop_table("web_account")
