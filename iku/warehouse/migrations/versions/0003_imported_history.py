"""Imported history: realisation of years before the pipeline (iku import-history).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "history_import",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("opd_code", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("file_name", sa.String(512), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_history_import"),
        sa.UniqueConstraint("opd_code", "sha256", name="uq_history_import_opd_code_sha256"),
    )
    op.create_table(
        "history_realisation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("opd_code", sa.String(64), nullable=False),
        sa.Column("import_id", sa.Integer, nullable=False),
        sa.Column("indicator_code", sa.String(32), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("realisation", sa.Float, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("source_row", sa.Integer, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("is_current", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_history_realisation"),
        sa.ForeignKeyConstraint(
            ["import_id"], ["history_import.id"], name="fk_history_realisation_import_id_history_import"
        ),
    )
    op.create_index(
        "ix_history_realisation_key", "history_realisation", ["opd_code", "indicator_code", "year"]
    )


def downgrade() -> None:
    op.drop_index("ix_history_realisation_key", "history_realisation")
    op.drop_table("history_realisation")
    op.drop_table("history_import")
